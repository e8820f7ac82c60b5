import { z } from 'zod';

/** The access module's configuration section (`SKJOLD_ACCESS_<KEY>`). */
export const accessConfig = {
  name: 'access',
  schema: z.object({
    /** Seconds between sweeps: grants past their end expire, JIT grants end, reviews remind and escalate. */
    sweepSeconds: z.coerce.number().int().min(5).max(86_400).default(60),
    /** Longest just-in-time grant, hours. */
    maxJitHours: z.coerce.number().int().min(1).max(72).default(8),
    /** Grants ending within this many days count as "expiring soon" in the console and the API. */
    expiringSoonDays: z.coerce.number().int().min(1).max(90).default(14),
    /** Countries whose data centres may hold customer data (P1: Denmark), ISO 3166-1 alpha-2, comma-separated. */
    residencyCountries: z.string().default('DK'),
    /** An account with no recorded use for this many days is flagged inactive in reviews. */
    inactiveDays: z.coerce.number().int().min(1).max(3650).default(90),
    /** Largest import (account list, log or badge file), bytes. */
    maxImportBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(16 * 1024 * 1024),
    /** This many denied badge uses for one badge, or at one door, within the window below raise a signal. */
    badgeDenialThreshold: z.coerce.number().int().min(2).max(1000).default(5),
    /** The window for repeated badge denials, minutes. */
    badgeDenialWindowMinutes: z.coerce.number().int().min(1).max(1440).default(10),
  }),
};
export type AccessConfig = z.infer<typeof accessConfig.schema>;
