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
  }),
};

export type OncallConfig = z.infer<typeof oncallConfig.schema>;
