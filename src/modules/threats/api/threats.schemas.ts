import { z } from 'zod';

const target = z.string().trim().min(2).max(64);
export const idParams = z.strictObject({ id: z.uuid('must be an id') });

/** Manual ban from the console, API or CLI. */
export const banBody = z.strictObject({
  /** IP address or CIDR network. */
  target,
  /** Seconds; default: the escalating duration for this target's offence count (4 h, 24 h, 7 d). */
  durationSeconds: z
    .number()
    .int()
    .min(60)
    .max(365 * 86_400)
    .optional(),
  /** Why (shown on the decision and in the audit log). */
  reason: z.string().trim().min(3).max(500),
  /** Record only, not enforced. */
  simulated: z.boolean().default(false),
});
export type BanBody = z.infer<typeof banBody>;

export const decisionsQuery = z.strictObject({
  /** active (default), expired, removed or all. */
  state: z.enum(['active', 'expired', 'removed', 'all']).default('active'),
  /** Substring of the address, scenario or reason. */
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Page backwards from this change number. */
  beforeSeq: z.coerce.number().int().min(1).optional(),
});

export const alertsQuery = z.strictObject({
  scenario: z.string().trim().max(100).optional(),
  /** Source IP (exact). */
  ip: z.string().trim().max(64).optional(),
  tier: z.enum(['enrich', 'decision', 'page']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Page backwards from this creation time (ISO 8601). */
  before: z.iso.datetime().optional(),
});

export const overviewQuery = z.strictObject({
  /** Hours of history for the charts (default 24). */
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 31)
    .default(24),
});

export const allowlistBody = z.strictObject({
  /** IP or CIDR network that is never banned. */
  cidr: target,
  reason: z.string().trim().min(3).max(300),
});

export const unbanValueBody = z.strictObject({ target });

export const ingestQuery = z.strictObject({
  /** Parser for every line (default: detected per line). */
  type: z.enum(['auto', 'sshd', 'nginx', 'apache', 'postfix', 'dovecot', 'ftp', 'nftables']).default('auto'),
});

export const lookupQuery = z.strictObject({
  /** The address to look up. */
  ip: z.string().trim().min(2).max(64),
});
