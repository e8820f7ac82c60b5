import { z } from 'zod';

/**
 * Monitor definitions: one discriminated union on `type`, each field bounded and documented. Invalid definitions are
 * rejected with one message per field (`body.port: must be between 1 and 65535`).
 */

/** "x is required" when missing, "x must be …" when of the wrong type. */
const required = (field: string, kind: string) => ({
  error: (iss: { input: unknown }) => (iss.input === undefined ? `${field} is required` : `${field} must be ${kind}`),
});

const hostOf = (field: string) =>
  z
    .string(required(field, 'text'))
    .min(1, `${field} is required`)
    .max(253, `${field} is at most 253 characters`)
    .regex(/^[A-Za-z0-9._:-]+$/, `${field} must be a DNS name or an IP address`);
const host = hostOf('host');
const port = z
  .number(required('port', 'a number'))
  .int('port must be an integer')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');
const expiryDays = z.number().int().min(0, 'must be 0–365 days').max(365, 'must be 0–365 days');

/** A status code (`200`) or an inclusive range (`"200-299"`). */
const statusSpec = z.union(
  [
    z.number().int().min(100).max(599),
    z
      .string()
      .regex(/^[1-5]\d\d-[1-5]\d\d$/, 'a range is written like "200-299"')
      .refine((s) => Number(s.slice(0, 3)) <= Number(s.slice(4)), 'a range must run from low to high'),
  ],
  { error: 'each expected status is a code 100–599 or a range like "200-299"' },
);

/** A location name: `local` (the engine itself) or a probe's location. */
export const LOCATION_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** The engine's own location. */
export const LOCAL = 'local';
const MAX_LOCATIONS = 20;

/** Fields every monitor has. */
const common = {
  /** Shown in the console and in incident summaries. */
  name: z.string(required('name', 'text')).trim().min(1, 'name is required').max(200, 'name is at most 200 characters'),
  /** Seconds between checks (10–86400). */
  intervalSeconds: z
    .number()
    .int()
    .min(10, 'the interval is at least 10 seconds')
    .max(86_400, 'the interval is at most 86400 seconds')
    .default(60),
  /** Seconds a check may take before it counts as failed (1–60); must be shorter than the interval. */
  timeoutSeconds: z
    .number()
    .int()
    .min(1, 'the timeout is at least 1 second')
    .max(60, 'the timeout is at most 60 seconds')
    .default(10),
  /** Consecutive failures before the monitor is down (one lost packet pages nobody). */
  failureThreshold: z.number().int().min(1, 'at least 1').max(20, 'at most 20').default(2),
  /** Consecutive successes before a down monitor is up again (recovery does not flap). */
  successThreshold: z.number().int().min(1, 'at least 1').max(20, 'at most 20').default(2),
  /** Severity of the signal raised when the monitor goes down. */
  severity: z.enum(['critical', 'major', 'minor', 'info']).default('major'),
  /** Public status-page component this monitor feeds, if any. */
  component: z.string().max(200).optional(),
  /**
   * Name customers see on the public status page (`Webhotel`, `E-mail`); null or absent: not on the status page.
   * Monitors with the same name form one component. Also sent as the signal's component when `component` is unset.
   */
  publicComponent: z
    .string()
    .trim()
    .min(1, 'publicComponent is at least 1 character (null removes it)')
    .max(80, 'publicComponent is at most 80 characters')
    .nullish(),
  /**
   * Where the monitor runs from: `local` (this Skjold's engine) and probe locations (`cph-2`); default `["local"]`.
   * Absent from definitions made before probes, so their stored text (and `apply`'s comparison) is unchanged.
   */
  locations: z
    .array(z.string().regex(LOCATION_RE, 'a location is 1–40 characters: lower-case letters, digits and dashes'), {
      error: 'locations must be a list of location names',
    })
    .min(1, 'name at least one location')
    .max(MAX_LOCATIONS, `at most ${MAX_LOCATIONS} locations`)
    .refine((l) => new Set(l).size === l.length, 'a location appears twice')
    .optional(),
  /** How many locations must fail (each after its own failure threshold) for the monitor to be down; default 1. */
  quorum: z
    .number({ error: 'quorum must be a number' })
    .int('quorum must be an integer')
    .min(1, 'quorum is at least 1')
    .max(MAX_LOCATIONS, `quorum is at most ${MAX_LOCATIONS}`)
    .optional(),
};

export const httpMonitor = z.strictObject({
  type: z.literal('http'),
  ...common,
  /** http:// or https:// URL to request. */
  url: z
    .string(required('url', 'text'))
    .max(2048, 'url is at most 2048 characters')
    .refine((s) => /^https?:\/\/[^\s/]+/i.test(s) && URL.canParse(s), 'url must be an http:// or https:// URL'),
  /** HTTP method. */
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  /** Extra request headers. */
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'header names are HTTP tokens'),
      z
        .string()
        .max(4096)
        .regex(/^[^\r\n]*$/, 'header values are one line'),
    )
    .refine((h) => Object.keys(h).length <= 30, 'at most 30 headers')
    .default({}),
  /** Request body for POST/PUT/PATCH. */
  body: z.string().max(65_536, 'body is at most 64 KiB').optional(),
  /** Accepted status codes or ranges. */
  expectedStatus: z.array(statusSpec).min(1, 'name at least one expected status').max(20).default(['200-399']),
  /** Text that must be present (or absent) in the first MiB of the body. */
  keyword: z
    .strictObject({ text: z.string().min(1, 'keyword text is required').max(500), absent: z.boolean().default(false) })
    .optional(),
  /** Slower answers count as failures. */
  maxResponseMs: z.number().int().min(1).max(60_000).optional(),
  /** Follow 3xx redirects. */
  followRedirects: z.boolean().default(true),
  /** Most redirects followed (0–10). */
  maxRedirects: z.number().int().min(0).max(10, 'at most 10 redirects').default(5),
  /** HTTPS: fail when the certificate expires within this many days. */
  certExpiryDays: expiryDays.default(14),
  /** HTTPS: require a valid chain for the host name. */
  tlsVerify: z.boolean().default(true),
});

export const tcpMonitor = z.strictObject({ type: z.literal('tcp'), ...common, host, port });

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'PTR', 'SRV', 'CAA'] as const;
export const dnsMonitor = z.strictObject({
  type: z.literal('dns'),
  ...common,
  /** Query name (the record's owner). */
  query: hostOf('query'),
  /** Record type. */
  recordType: z.enum(DNS_RECORD_TYPES, { error: `record type must be one of ${DNS_RECORD_TYPES.join(', ')}` }).default('A'),
  /** Values that must all be in the answer (case-insensitive; trailing dots ignored). Empty: any answer. */
  expected: z.array(z.string().min(1).max(500)).max(20).default([]),
  /** Resolver as `host:port` or `host` (port 53); empty: the system resolvers. */
  resolver: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'resolver is host or host:port ([v6]:port for IPv6)')
    .optional(),
});

export const tlsMonitor = z.strictObject({
  type: z.literal('tls'),
  ...common,
  host,
  port,
  /** Upgrade a plain connection first (SMTP, IMAP or POP3 STARTTLS). */
  starttls: z.enum(['smtp', 'imap', 'pop3']).optional(),
  /** Name the certificate must match (default: host). */
  servername: hostOf('servername').optional(),
  /** Fail when the certificate expires within this many days. */
  certExpiryDays: expiryDays.default(14),
  /** Require a chain to a trusted root. */
  checkChain: z.boolean().default(true),
  /** Require the certificate to match the name. */
  checkHostname: z.boolean().default(true),
});

const bannerFields = {
  host,
  port: port.optional(),
  /** Implicit TLS (SMTPS 465, IMAPS 993, POP3S 995). */
  tls: z.boolean().default(false),
  /** Text the greeting must contain, besides the protocol's own OK prefix. */
  expect: z.string().min(1).max(200).optional(),
};
export const smtpMonitor = z.strictObject({ type: z.literal('smtp'), ...common, ...bannerFields });
export const imapMonitor = z.strictObject({ type: z.literal('imap'), ...common, ...bannerFields });
export const pop3Monitor = z.strictObject({ type: z.literal('pop3'), ...common, ...bannerFields });

export const heartbeatMonitor = z.strictObject({
  type: z.literal('heartbeat'),
  ...common,
  /** Seconds of silence past the interval before a missing heartbeat counts as a failure. */
  graceSeconds: z.number().int().min(0).max(86_400).default(60),
});

export const MONITOR_TYPES = ['http', 'tcp', 'dns', 'tls', 'smtp', 'imap', 'pop3', 'heartbeat'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];

/** A whole monitor definition, as created (POST) and as stored. */
export const monitorDefinition = z
  .discriminatedUnion(
    'type',
    [httpMonitor, tcpMonitor, dnsMonitor, tlsMonitor, smtpMonitor, imapMonitor, pop3Monitor, heartbeatMonitor],
    {
      error: (iss) => (iss.code === 'invalid_union' ? `type must be one of ${MONITOR_TYPES.join(', ')}` : undefined),
    },
  )
  // An interval already refused on its own gets no second message about the timeout.
  .refine((d) => d.intervalSeconds < 10 || d.timeoutSeconds < d.intervalSeconds, {
    path: ['timeoutSeconds'],
    message: 'the timeout must be shorter than the interval',
  })
  .refine((d) => (d.quorum ?? 1) <= (d.locations?.length ?? 1), {
    path: ['quorum'],
    message: 'the quorum cannot exceed the number of locations',
  })
  // A heartbeat is pushed to this Skjold: no probe can check it.
  .refine((d) => d.type !== 'heartbeat' || d.locations === undefined || (d.locations.length === 1 && d.locations[0] === LOCAL), {
    path: ['locations'],
    message: 'a heartbeat monitor runs only at the local location',
  });
export type MonitorDefinition = z.infer<typeof monitorDefinition>;
export type MonitorInput = z.input<typeof monitorDefinition>;
export type HttpDefinition = z.infer<typeof httpMonitor>;
export type TcpDefinition = z.infer<typeof tcpMonitor>;
export type DnsDefinition = z.infer<typeof dnsMonitor>;
export type TlsDefinition = z.infer<typeof tlsMonitor>;
export type BannerDefinition = z.infer<typeof smtpMonitor> | z.infer<typeof imapMonitor> | z.infer<typeof pop3Monitor>;
export type HeartbeatDefinition = z.infer<typeof heartbeatMonitor>;

/** PATCH body: any definition fields except `type`; merged with the stored definition and validated whole. */
export const patchMonitorBody = z
  .record(z.string().max(64), z.unknown())
  .refine((o) => Object.keys(o).length <= 40, 'too many fields')
  .refine((o) => !('type' in o), 'a monitor’s type cannot change: create a new monitor');
export type PatchMonitorBody = z.infer<typeof patchMonitorBody>;

export const idParams = z.strictObject({ id: z.string().uuid('not a monitor id') });
export const tokenParams = z.strictObject({ token: z.string().min(1).max(200) });

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && s.length <= 40, 'must be an ISO 8601 time');
export const rangeQuery = z.strictObject({
  /** Start (inclusive), ISO 8601; default: 24 hours before `to`. */
  from: isoTime.optional(),
  /** End (exclusive), ISO 8601; default: now. */
  to: isoTime.optional(),
  /** raw, hour, day, or auto (raw up to 24 h, hourly up to 31 days, daily beyond). */
  resolution: z.enum(['auto', 'raw', 'hour', 'day']).default('auto'),
});
export type RangeQuery = z.infer<typeof rangeQuery>;

export const listQuery = z.strictObject({
  /** Only monitors of this type. */
  type: z.enum(MONITOR_TYPES).optional(),
  /** Only monitors in this state. */
  state: z.enum(['unknown', 'up', 'down', 'paused']).optional(),
});
