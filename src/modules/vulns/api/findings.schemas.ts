import { z } from 'zod';
import { NOT_AFFECTED_JUSTIFICATIONS, PRIORITIES, TRIAGE_STATES, VENDOR_STATUSES } from '../model.ts';

const LIFECYCLES = ['open', 'patched_on_disk', 'verified_resolved'] as const;
const SLA_STATES = ['none', 'ok', 'near', 'breached'] as const;

/** One of a readonly list of words (the model's lists are arrays, not tuples). */
function oneOf<T extends string>(values: readonly T[]) {
  return z
    .string()
    .refine((v) => values.includes(v as T), { message: `one of ${values.join(', ')}` })
    .transform((v) => v as T);
}

/** Path parameter: a finding's id. */
export const findingParams = z.strictObject({ id: z.uuid('must be a finding id') });

/** `POST /api/v1/vulns/findings/:id/triage`: what people decided (issue 5 item 9). Cross-field rules are the service's. */
export const triageBody = z.strictObject({
  /** in_triage, exploitable, not_affected (needs a justification), false_positive, risk_accepted (needs an expiry and vulns.accept), resolved (a claim until an inventory verifies it). */
  state: oneOf(TRIAGE_STATES),
  /** Why it is not affected (CycloneDX / OpenVEX justification); for not_affected and false_positive only. */
  justification: z.enum(NOT_AFFECTED_JUSTIFICATIONS).optional(),
  /** Free text: the analysis, the mitigation, why the risk is accepted. */
  detail: z.string().trim().max(4000).optional(),
  /** Risk acceptance only: when it ends (ISO 8601, in the future, at most maxRiskAcceptanceDays ahead). */
  expiresAt: z.iso.datetime({ offset: true, error: 'an ISO 8601 time such as 2026-12-31T00:00:00Z' }).optional(),
});
export type TriageBody = z.infer<typeof triageBody>;

const list = <T extends string>(values: readonly T[]) =>
  z
    .string()
    .max(500)
    .transform((s, ctx) => {
      const parts = s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      for (const p of parts)
        if (!values.includes(p as T)) ctx.addIssue({ code: 'custom', message: `"${p}" is not one of ${values.join(', ')}` });
      return parts as T[];
    });

/** `GET /api/v1/vulns/findings`: filters combine with AND; a list filter (comma-separated) matches any of its values. */
export const findingsQuery = z.strictObject({
  /** `action` (default): open, fix available or KEV, not triaged away; `all`: every finding. Filters apply to both. */
  view: z.enum(['action', 'all']).default('action'),
  lifecycle: list(LIFECYCLES).optional(),
  triage: list(TRIAGE_STATES).optional(),
  priority: list(PRIORITIES).optional(),
  vendorStatus: list(VENDOR_STATUSES).optional(),
  sla: list(SLA_STATES).optional(),
  /** Only findings whose vulnerability is (true) or is not (false) in CISA KEV. */
  kev: z.enum(['true', 'false']).optional(),
  /** The owning team of the asset (exact). */
  ownerTeam: z.string().trim().max(100).optional(),
  /** One asset's findings. */
  asset: z.uuid('must be an asset id').optional(),
  /** provider (default) or customer: customer-managed findings have their own view (P14). */
  operatedBy: z.enum(['provider', 'customer']).default('provider'),
  /** Substring of the vulnerability id, an alias or the package name. */
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(400).optional(),
});
export type FindingsQuery = z.infer<typeof findingsQuery>;

/** `GET /api/v1/vulns/metrics`. */
export const metricsQuery = z.strictObject({
  /** Only one side's figures: provider-operated (with SLA compliance) or customer-managed (P14: no SLA). */
  operatedBy: z.enum(['provider', 'customer']).optional(),
  /** Weeks in the trend (default 12). */
  weeks: z.coerce.number().int().min(1).max(520).default(12),
});
export type MetricsQuery = z.infer<typeof metricsQuery>;

/** `GET /api/v1/vulns/export`. */
export const exportQuery = z.strictObject({
  format: z.enum(['cyclonedx', 'openvex']),
  /** One asset's findings; otherwise every asset's on the chosen side. */
  asset: z.uuid('must be an asset id').optional(),
  /** provider (default) or customer (P14: a customer's report). */
  operatedBy: z.enum(['provider', 'customer']).default('provider'),
  /** Leave out findings verified resolved (default: include them, as `resolved` / `fixed`). */
  open: z.enum(['true', 'false']).default('false'),
});
export type ExportQuery = z.infer<typeof exportQuery>;
