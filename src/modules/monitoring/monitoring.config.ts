import { z } from 'zod';

/** The monitoring module's configuration section (`SKJOLD_MONITORING_<KEY>`). */
export const monitoringConfig = {
  name: 'monitoring',
  schema: z.object({
    /** Days raw check results are kept (then only hourly and daily aggregates remain). */
    rawRetentionDays: z.coerce.number().int().min(1).max(90).default(7),
    /** Days hourly aggregates are kept. */
    hourlyRetentionDays: z.coerce.number().int().min(1).max(3650).default(90),
    /** Days daily aggregates and the daily completeness record are kept. */
    dailyRetentionDays: z.coerce.number().int().min(30).max(36_500).default(800),
    /** Most checks in flight at once across all monitors. */
    maxInFlight: z.coerce.number().int().min(1).max(10_000).default(512),
    /** Most bytes of an HTTP body read for a keyword check. */
    maxBodyBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024),
    /** Milliseconds between writes of buffered results (one transaction each). */
    flushMs: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** Seconds between runs of the rollup/retention job. */
    rollupSeconds: z.coerce.number().int().min(10).max(86_400).default(300),
    /** Seconds between re-reads of the monitor list (changes made by another process). */
    reloadSeconds: z.coerce.number().int().min(1).max(3600).default(30),
    /** Public base URL shown in heartbeat URLs (e.g. https://skjold.example.dk); empty: a relative path. */
    publicUrl: z.string().max(500).default(''),
    /** Seconds between a probe's polls for its assignments, unless set on the probe. */
    probePollSeconds: z.coerce.number().int().min(5).max(3600).default(30),
    /** A probe is silent (a deviation) after this many poll intervals without a call. */
    probeSilentAfterPolls: z.coerce.number().int().min(2).max(100).default(3),
    /** Seconds between the engine's checks for silent probes. */
    probeSilenceCheckSeconds: z.coerce.number().int().min(1).max(3600).default(15),
    /** Severity of a silent probe's signal. */
    probeSilentSeverity: z.enum(['critical', 'major', 'minor', 'info']).default('major'),
    /** Most result batches waiting for the engine; beyond it probes are asked to retry later (503). */
    probeInboxMax: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
    /** Provider name in the public status page's header. */
    statusTitle: z.string().trim().min(1).max(100).default('Skjold'),
  }),
};
export type MonitoringConfig = z.infer<typeof monitoringConfig.schema>;
