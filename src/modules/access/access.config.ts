import { z } from 'zod';
import { envBool } from '../../core/config.ts';

/** An SMTP server from its URL. The password stays in `auth.password` (the logger redacts that key); `display` omits it. */
export interface SmtpServer {
  host: string;
  port: number;
  /** smtps://: TLS from the first byte. */
  secure: boolean;
  auth: { user: string; password: string } | undefined;
  /** smtp(s)://user@host:port, for messages and logs. */
  display: string;
}

const SMTP_URL_FORM = 'must be smtp://[user:password@]host[:port] or smtps://[user:password@]host[:port]';

const smtpUrlSchema = z
  .string()
  .max(2048)
  .transform((raw, ctx): SmtpServer => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      // Never echo the value: it may carry the password.
      ctx.addIssue({ code: 'custom', message: SMTP_URL_FORM });
      return z.NEVER;
    }
    const problem =
      u.protocol !== 'smtp:' && u.protocol !== 'smtps:'
        ? `${SMTP_URL_FORM} (the scheme is ${u.protocol.slice(0, 20)})`
        : !u.hostname
          ? `${SMTP_URL_FORM} (the host is missing)`
          : (u.pathname !== '' && u.pathname !== '/') || u.search || u.hash
            ? `${SMTP_URL_FORM} (no path, query or fragment)`
            : u.password && !u.username
              ? 'a password in the SMTP URL needs a user name before it'
              : null;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    let auth: SmtpServer['auth'];
    try {
      auth = u.username ? { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : undefined;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'the user name or password in the SMTP URL is not valid percent-encoding' });
      return z.NEVER;
    }
    const secure = u.protocol === 'smtps:';
    const port = u.port ? Number(u.port) : secure ? 465 : 587;
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    return {
      host,
      port,
      secure,
      auth,
      display: `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.port ? '' : `:${port}`}`,
    };
  });

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The access module's configuration section (`SKJOLD_ACCESS_<KEY>`). */
export const accessConfig = {
  name: 'access',
  schema: z
    .object({
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
      /**
       * SMTP server for review reminders and escalations: smtp://[user:password@]host[:port] (port 587, STARTTLS when
       * offered) or smtps://… (port 465, implicit TLS); percent-encode special characters in the credentials. Unset:
       * reminders are recorded and shown as not sent. Certificates are checked against the system CAs (NODE_EXTRA_CA_CERTS).
       */
      smtpUrl: smtpUrlSchema.optional(),
      /** With smtp://, refuse to send unless the server offers STARTTLS (needed for a password to a non-loopback host). */
      smtpRequireTls: envBool.default(false),
      /** Sender (From) of review reminders; required with smtpUrl. */
      mailFrom: z.email('must be an e-mail address such as skjold@example.dk').max(254).optional(),
      /** Attempts per reminder e-mail while the server answers 4xx or cannot be reached (waits 1, 4, 16, … minutes). */
      mailAttempts: z.coerce.number().int().min(1).max(10).default(5),
      /** Timeout of one SMTP exchange (connect, TLS, login, message), milliseconds. */
      mailTimeoutMs: z.coerce.number().int().min(500).max(120_000).default(10_000),
    })
    .superRefine((c, ctx) => {
      if (!c.smtpUrl) return;
      if (!c.mailFrom)
        ctx.addIssue({
          code: 'custom',
          path: ['mailFrom'],
          message: 'required when SKJOLD_ACCESS_SMTP_URL is set: the sender of reminders',
        });
      if (c.smtpUrl.secure && c.smtpRequireTls)
        ctx.addIssue({
          code: 'custom',
          path: ['smtpRequireTls'],
          message: 'is for STARTTLS on smtp://; smtps:// is TLS already',
        });
      // A password is never sent where a man in the middle could strip STARTTLS.
      if (c.smtpUrl.auth && !c.smtpUrl.secure && !c.smtpRequireTls && !LOOPBACK.has(c.smtpUrl.host.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['smtpUrl'],
          message: 'a password is only sent over TLS: use smtps:// or set SKJOLD_ACCESS_SMTP_REQUIRE_TLS=true',
        });
    }),
};
export type AccessConfig = z.infer<typeof accessConfig.schema>;
