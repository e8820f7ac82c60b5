import { z } from 'zod';

/** The on-call module's configuration section (`SKJOLD_ONCALL_<KEY>`). */
export const oncallConfig = {
  name: 'oncall',
  schema: z.object({
    /** Days ahead in which any moment with nobody on call is a coverage gap (and raises a signal). */
    gapHorizonDays: z.coerce.number().int().min(1).max(90).default(14),
    /** Seconds between coverage-gap checks in the engine role. */
    gapCheckSeconds: z.coerce.number().int().min(60).max(86_400).default(3600),
    /** Days of past shifts in calendar feeds. */
    feedPastDays: z.coerce.number().int().min(0).max(90).default(7),
    /** Days of future shifts in calendar feeds. */
    feedFutureDays: z.coerce.number().int().min(1).max(366).default(60),
    /** Base URL people reach Skjold at (links in pages); default https://<host>:<port> of this server. */
    publicUrl: z
      .string()
      .regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an https:// URL without query or fragment')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    /** Hours an acknowledgement link in a page stays valid. */
    ackLinkHours: z.coerce.number().int().min(1).max(168).default(24),
    /** Milliseconds between looks for due escalations and pages (new pages go out at once anyway). */
    pagingPollMs: z.coerce.number().int().min(50).max(60_000).default(500),
    /** Attempts on one channel before a page falls back to the next channel. */
    pagingAttemptsPerChannel: z.coerce.number().int().min(1).max(10).default(3),
    /** Timeout of one send, in milliseconds. */
    pagingSendTimeoutMs: z.coerce.number().int().min(500).max(120_000).default(10_000),
    /** Pages sent at the same time, at most. */
    pagingConcurrency: z.coerce.number().int().min(1).max(256).default(32),
  }),
};

export type OncallConfig = z.infer<typeof oncallConfig.schema>;
