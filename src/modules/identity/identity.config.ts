import { z } from 'zod';

/** OWASP's floor for argon2id (19 MiB, 2 passes, 1 lane). */
export const OWASP_ARGON2_MEMORY_KIB = 19_456;

/** The identity module's configuration section (`SKJOLD_IDENTITY_<KEY>`). */
export const identityConfig = {
  name: 'identity',
  schema: z.object({
    /** Minutes of inactivity after which a session ends. */
    sessionIdleMinutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    /** Hours after sign-in after which a session ends regardless of activity. */
    sessionAbsoluteHours: z.coerce.number().int().min(1).max(168).default(12),
    /** Minutes a password-verified sign-in may wait for its second factor. */
    mfaChallengeMinutes: z.coerce.number().int().min(1).max(30).default(5),
    /** Consecutive failed sign-ins for one username before each further attempt must wait (1 s, 2 s, 4 s …). */
    loginBackoffAfter: z.coerce.number().int().min(1).max(100).default(5),
    /** Longest wait, in seconds, of the exponential back-off. */
    loginBackoffMaxSeconds: z.coerce.number().int().min(1).max(3600).default(60),
    /** Consecutive failed sign-ins for one username after which it is locked. */
    loginLockoutAfter: z.coerce.number().int().min(2).max(1000).default(10),
    /** Minutes a locked username stays locked (each further failure locks it again). */
    loginLockoutMinutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /** Hours without a failure after which a username's failure streak is forgotten. */
    loginFailureMemoryHours: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
    /** Failed sign-ins from one source IP within loginIpWindowMinutes before that IP must wait. */
    loginIpMaxFailures: z.coerce.number().int().min(1).max(100_000).default(20),
    /** Window, in minutes, of the per-IP failure limit. */
    loginIpWindowMinutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /** argon2id memory cost in KiB; below 19456 (OWASP's floor) only for tests. */
    passwordMemoryKib: z.coerce
      .number()
      .int()
      .min(1024)
      .max(4 * 1024 * 1024)
      .default(OWASP_ARGON2_MEMORY_KIB),
    /** argon2id passes. */
    passwordTimeCost: z.coerce.number().int().min(1).max(20).default(2),
    /** Days an API token lives when its creator names no expiry. */
    tokenDefaultDays: z.coerce.number().int().min(1).max(365).default(90),
    /** Longest lifetime, in days, an API token may be given. */
    tokenMaxDays: z.coerce.number().int().min(1).max(365).default(365),
  }),
};

export type IdentityConfig = z.infer<typeof identityConfig.schema>;
