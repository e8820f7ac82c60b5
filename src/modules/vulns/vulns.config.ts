import { z } from 'zod';

/** The vulnerability module's configuration section (`SKJOLD_VULNS_<KEY>`). */
export const vulnsConfig = {
  name: 'vulns',
  schema: z.object({
    /** Seconds between checks for feeds that are due (each feed has its own interval). */
    feedCheckSeconds: z.coerce.number().int().min(5).max(86_400).default(60),
    /** A feed whose last good import is older than this raises a stale-feed signal (issue 5 item 3: 24 h). */
    feedStaleHours: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
    /** SLA days per priority: `kev-internet=2d,critical=7d,high=30d,medium=90d,low=180d` (parsed by policy/sla.ts). */
    sla: z.string().default('kev-internet=2d,critical=7d,high=30d,medium=90d,low=180d'),
    /** Seconds between SLA sweeps (near-breach and breach signals, expired risk acceptances reopening). */
    slaCheckSeconds: z.coerce.number().int().min(5).max(86_400).default(300),
    /** Largest inventory or SBOM upload, bytes. */
    maxUploadBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(32 * 1024 * 1024),
    /** Longest risk acceptance, days (an acceptance must end; it reopens the finding when it does). */
    maxRiskAcceptanceDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(3 * 365)
      .default(365),
    /** A host reporting for the first time is registered with this exposure until someone classifies it. */
    defaultExposure: z.enum(['internet', 'internal', 'unknown']).default('unknown'),
    /** Snapshots kept per asset (older ones are deleted; findings keep their own timestamps). */
    snapshotsKept: z.coerce.number().int().min(2).max(10_000).default(400),
  }),
};

export type VulnsConfig = z.infer<typeof vulnsConfig.schema>;
