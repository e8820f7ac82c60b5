import { z } from 'zod';

export const CHANNEL_KINDS = ['email', 'webhook', 'slack', 'teams', 'sms'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** E.164 phone number: a plus, then 7 to 15 digits, no leading zero. */
export const E164 = /^\+[1-9]\d{6,14}$/;

/** A person's phone number for SMS pages, as stored on their contact details. */
export const phoneNumberSchema = z.string().regex(E164, 'an E.164 number such as +4512345678');

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** True for the hosts where plain http (and plain SMTP auth) is allowed: tests and gateways on the same machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || host === '::1';
}

/** An https URL (http only to loopback), no credentials in it, at most 2048 characters. */
const endpointUrl = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid URL' });
      return;
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({ code: 'custom', message: 'http is only allowed to 127.0.0.1, ::1 or localhost; use https' });
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must be an https URL' });
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'credentials in the URL are not allowed' });
  });

/** Extra CA certificates (PEM) trusted for this channel; they replace the system store for it. */
const caPem = z
  .string()
  .max(65_536)
  .regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate');

export const emailChannelSchema = z
  .strictObject({
    kind: z.literal('email'),
    /** SMTP server host name or IP address. */
    host: z.string().min(1).max(253),
    /** SMTP port: 587 (submission, STARTTLS), 465 (implicit TLS) or 25. */
    port: z.number().int().min(1).max(65_535).default(587),
    /** Implicit TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Insist on STARTTLS; refuse to send when the server does not offer it. */
    requireTLS: z.boolean().default(false),
    /** SMTP login; omit for an open relay on a trusted network. */
    auth: z.strictObject({ user: z.string().min(1).max(256), password: z.string().min(1).max(1024) }).optional(),
    /** Envelope and header sender. */
    from: z.email().max(254),
    /** Verify the server certificate (turn off only for a known self-signed relay; prefer `ca`). */
    tlsRejectUnauthorized: z.boolean().default(true),
    /** CA certificate(s) to trust for this server. */
    ca: caPem.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.secure && c.requireTLS)
      ctx.addIssue({ code: 'custom', path: ['requireTLS'], message: 'requireTLS is for STARTTLS; with secure it must be off' });
    // A password is never sent where a man in the middle could strip STARTTLS.
    if (c.auth && !c.secure && !c.requireTLS && !isLoopbackHost(c.host))
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'a password is only sent over TLS: set secure or requireTLS' });
  });

export const webhookChannelSchema = z.strictObject({
  kind: z.literal('webhook'),
  /** Receiver URL; gets a signed JSON POST per page. */
  url: endpointUrl,
  /** HMAC-SHA256 key for X-Skjold-Signature. */
  secret: z.string().min(16).max(256),
  /** CA certificate(s) to trust for the receiver. */
  ca: caPem.optional(),
});

export const slackChannelSchema = z.strictObject({
  kind: z.literal('slack'),
  /** Slack incoming-webhook URL (the URL itself is the secret). */
  url: endpointUrl,
  /** CA certificate(s) to trust for the receiver. */
  ca: caPem.optional(),
});

export const teamsChannelSchema = z.strictObject({
  kind: z.literal('teams'),
  /** Teams Workflows incoming-webhook URL (the URL itself is the secret). */
  url: endpointUrl,
  /** CA certificate(s) to trust for the receiver. */
  ca: caPem.optional(),
});

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
// Headers the HTTP layer owns; a template must not override them.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'user-agent']);
const templateValue = z.union([z.string().max(1024), z.number(), z.boolean(), z.array(z.string().max(1024)).max(10)]);

export const smsChannelSchema = z
  .strictObject({
    kind: z.literal('sms'),
    /** Gateway endpoint. */
    url: endpointUrl,
    /** HTTP method; GET sends the template as query parameters. */
    method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
    /** Body encoding: JSON or application/x-www-form-urlencoded. */
    format: z.enum(['json', 'form']).default('json'),
    /** Request fields; string values may contain {to}, {message} and {from}. */
    body: z.record(z.string().min(1).max(64), templateValue).refine((b) => Object.keys(b).length <= 30, 'at most 30 fields'),
    /** Fields added to the request as they are (API keys a gateway wants in the body); secret. */
    credentials: z
      .record(z.string().min(1).max(64), z.string().max(1024))
      .refine((b) => Object.keys(b).length <= 10, 'at most 10 fields')
      .default({}),
    /** Sender put in {from}: an E.164 number or an alphanumeric sender id of up to 11 characters. */
    from: z
      .string()
      .refine(
        (f) => E164.test(f) || /^[A-Za-z0-9 ]{1,11}$/.test(f),
        'an E.164 number (+4512345678) or up to 11 letters and digits',
      )
      .optional(),
    /** Extra request headers, e.g. Authorization (treated as secret). */
    headers: z
      .record(
        z
          .string()
          .regex(HEADER_NAME, 'not a valid header name')
          .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'this header is set by Skjold'),
        z
          .string()
          .max(4096)
          .regex(/^[^\r\n]*$/, 'no line breaks'),
      )
      .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers')
      .default({}),
    /** CA certificate(s) to trust for the gateway. */
    ca: caPem.optional(),
  })
  .superRefine((c, ctx) => {
    const text = JSON.stringify(c.body);
    for (const p of ['{to}', '{message}'])
      if (!text.includes(p)) ctx.addIssue({ code: 'custom', path: ['body'], message: `the template must contain ${p}` });
    for (const k of Object.keys(c.credentials))
      if (k in c.body) ctx.addIssue({ code: 'custom', path: ['credentials', k], message: 'also set in body' });
  });

/** A channel as an administrator stores it, one schema per kind. */
export const channelConfigSchema = z.discriminatedUnion('kind', [
  emailChannelSchema,
  webhookChannelSchema,
  slackChannelSchema,
  teamsChannelSchema,
  smsChannelSchema,
]);

export type ChannelConfig = z.infer<typeof channelConfigSchema>;
/** What an administrator may submit (defaults not yet applied). */
export type ChannelConfigInput = z.input<typeof channelConfigSchema>;
export type EmailChannelConfig = z.infer<typeof emailChannelSchema>;
export type WebhookChannelConfig = z.infer<typeof webhookChannelSchema>;
export type SlackChannelConfig = z.infer<typeof slackChannelSchema>;
export type TeamsChannelConfig = z.infer<typeof teamsChannelSchema>;
export type SmsChannelConfig = z.infer<typeof smsChannelSchema>;

/**
 * Dotted paths of the secret fields per kind, to encrypt at rest and redact in the API and the audit log. A path that
 * names an object (`headers`) means every value in it.
 */
export const SECRET_FIELDS: Record<ChannelKind, string[]> = {
  email: ['auth.password'],
  webhook: ['secret'],
  slack: ['url'],
  teams: ['url'],
  sms: ['headers', 'credentials'],
};
