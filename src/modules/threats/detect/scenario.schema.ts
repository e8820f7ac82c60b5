import { z } from 'zod';

/** `30s`, `10m`, `4h`, `7d`, `250ms`, or a number of seconds. Parsed to milliseconds. */
export const durationSchema = z
  .union([z.string().regex(/^\d{1,9}(ms|s|m|h|d)$/, 'a duration like 30s, 10m, 4h or 7d'), z.number().nonnegative()])
  .transform((v) => parseDuration(v));

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration (`4h` → 14 400 000; a bare number is seconds). */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v * 1000;
  const unit = v.endsWith('ms') ? 'ms' : v.slice(-1);
  return Number(v.slice(0, v.length - unit.length)) * (UNIT_MS[unit] ?? 0);
}

/** Accept a single value where a list is expected (`kind: auth_failed` ≡ `kind: [auth_failed]`). */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (Array.isArray(v) || v === undefined ? v : [v]), z.array(item).min(1).max(10_000));
}

const text = z.string().min(1).max(4096);
const texts = listOf(text);

/** One text matcher: exactly one of prefix/equals/contains/suffix/list/re2; case-insensitive unless `caseSensitive`. */
const matcherSchema = z
  .strictObject({
    /** Field starts with (any of) these. */
    prefix: texts.optional(),
    /** Field is (any of) these. */
    equals: texts.optional(),
    /** Field contains (any of) these. */
    contains: texts.optional(),
    /** Field ends with (any of) these. */
    suffix: texts.optional(),
    /** Field contains a signature of this data list (`sqli`, `xss`, `path-traversal`, …); always case-insensitive. */
    list: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a list name like sqli')
      .optional(),
    /** An RE2 pattern (linear time; lookarounds and backreferences are not available). */
    re2: text.optional(),
    /** Match the field as sent (no case folding, no percent-decoding). Default false. */
    caseSensitive: z.boolean().optional(),
  })
  .refine(
    (m) => [m.prefix, m.equals, m.contains, m.suffix, m.list, m.re2].filter((x) => x !== undefined).length === 1,
    'give exactly one of prefix, equals, contains, suffix, list, re2',
  );
export type MatcherSpec = z.infer<typeof matcherSchema>;

/** A bare string means `equals`; a single matcher means a list of one; a list matches when any matcher does. */
const matchersSchema = z.preprocess(
  (v) => (typeof v === 'string' ? [{ equals: v }] : Array.isArray(v) ? v : v === undefined ? v : [v]),
  z.array(matcherSchema).min(1).max(100),
);

/** `404`, `"400-499"`. */
const numberRange = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'a number or a range like 400-499'),
]);

export interface FilterSpec {
  service?: string[] | undefined;
  kind?: string[] | undefined;
  status?: (number | string)[] | undefined;
  method?: string[] | undefined;
  dstPort?: (number | string)[] | undefined;
  path?: MatcherSpec[] | undefined;
  userAgent?: MatcherSpec[] | undefined;
  user?: MatcherSpec[] | undefined;
  host?: MatcherSpec[] | undefined;
  raw?: MatcherSpec[] | undefined;
  listed?: boolean | undefined;
  environment?: 'customer' | 'management' | undefined;
  not?: FilterSpec | undefined;
  any?: FilterSpec[] | undefined;
}

/** The declarative filter: every condition given must hold (AND); `not` negates a sub-filter, `any` ORs sub-filters. */
export const filterSchema: z.ZodType<FilterSpec, unknown> = z.lazy(() =>
  z.strictObject({
    /** Service(s): ssh, http, smtp, imap, pop3, ftp, firewall. */
    service: listOf(z.enum(['ssh', 'http', 'smtp', 'imap', 'pop3', 'ftp', 'firewall'])).optional(),
    /** Event kind(s): auth_failed, invalid_user, auth_success, preauth_close, request, drop. */
    kind: listOf(z.enum(['auth_failed', 'invalid_user', 'auth_success', 'preauth_close', 'request', 'drop'])).optional(),
    /** HTTP status codes or ranges (`[404, "500-599"]`). */
    status: listOf(numberRange).optional(),
    /** HTTP method(s), exact (upper-case). */
    method: listOf(z.string().min(1).max(32)).optional(),
    /** Firewall destination port(s) or ranges. */
    dstPort: listOf(numberRange).optional(),
    /** Request target (path and query), folded and percent-decoded once. */
    path: matchersSchema.optional(),
    /** HTTP user agent, folded. */
    userAgent: matchersSchema.optional(),
    /** Target user name, folded. */
    user: matchersSchema.optional(),
    /** Target host name, folded. */
    host: matchersSchema.optional(),
    /** The raw log line, folded and percent-decoded once (or as-is with caseSensitive). */
    raw: matchersSchema.optional(),
    /** true: the source IP is on at least one threat-intel feed; false: on none. */
    listed: z.boolean().optional(),
    /** The target is a customer environment or the management network. */
    environment: z.enum(['customer', 'management']).optional(),
    /** None of the conditions inside may all hold. */
    not: filterSchema.optional(),
    /** At least one of these sub-filters must hold. */
    any: z.array(filterSchema).min(1).max(100).optional(),
  }),
);

export const GROUP_BYS = ['ip', 'ip64', 'net24', 'ip_host', 'user'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const DISTINCTS = ['user', 'ip', 'path', 'dstPort'] as const;
export type Distinct = (typeof DISTINCTS)[number];

/** A scenario as written in YAML; durations come out in milliseconds. */
export const scenarioSchema = z
  .strictObject({
    /** Unique name, e.g. `ssh-bf` (lower-case, digits, `-`, `_`, `.`, `/`). */
    name: z.string().regex(/^[a-z0-9][a-z0-9_./-]{0,99}$/, 'lower-case letters, digits, - _ . /; at most 100'),
    /** One line for people. */
    description: z.string().max(2000).default(''),
    /**
     * `event` (default): runs on parsed events. `line`: runs on every raw line through `filter.raw` RE2 patterns
     * with a `host` named group (imported fail2ban filters); only `raw` and `not.raw` conditions are allowed then.
     */
    input: z.enum(['event', 'line']).default('event'),
    /** Which events this scenario counts. */
    filter: filterSchema,
    /** Bucket key: the source IP, its IPv6 /64 (IPv4: the IP), its /24 (IPv6: the /64), IP and target host, or target user. */
    groupBy: z.enum(GROUP_BYS).default('ip'),
    /** Count each distinct value of this field once per bucket (a user-enumeration counts users, not attempts). */
    distinct: z.enum(DISTINCTS).optional(),
    /** leaky: capacity + leakSpeed; window: threshold events within window; trigger: the first event overflows. */
    type: z.enum(['leaky', 'window', 'trigger']),
    /** leaky: overflow when more than this many events are in the bucket. */
    capacity: z.number().int().min(0).max(1_000_000).optional(),
    /** leaky: one event leaks out per this duration (`10s`). */
    leakSpeed: durationSchema.optional(),
    /** window: the sliding window (`24h`). */
    window: durationSchema.optional(),
    /** window: overflow when this many events fall within the window (at most 10 000). */
    threshold: z.number().int().min(1).max(10_000).optional(),
    /** After an overflow, ignore the same key this long (counted; the decision stage merges into its alert). */
    blackhole: durationSchema.default(0),
    /** Alert severity. */
    severity: z.enum(['critical', 'major', 'minor', 'info']).default('minor'),
    /** Free labels copied onto overflows: `service`, `mitre` (e.g. T1110.001), anything else. */
    labels: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), z.string().max(200)).default({}),
    /** What to do on overflow: a ban (duration, scope, escalation for repeat offenders), or `none` (alert only). */
    remediation: z
      .preprocess(
        (v) => (v === 'none' || v === false ? null : v),
        z
          .strictObject({
            /** Ban the scope. Only bans exist for now. */
            ban: z.literal(true).default(true),
            /** First ban's length. */
            duration: durationSchema,
            /** ip, or the source's IPv6 /64 or IPv4 /24. */
            scope: z.enum(['ip', 'ip64', 'net24']).default('ip'),
            /** Lengths of later bans for the same scope (repeat offenders), in order. */
            escalate: z.array(durationSchema).max(20).default([]),
          })
          .nullable(),
      )
      .optional(),
    /** Record decisions as simulated, never enforce them. */
    simulation: z.boolean().default(false),
    /** Load it at all. */
    enabled: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    const need = (key: 'capacity' | 'leakSpeed' | 'window' | 'threshold') => {
      if (s[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when type is ${s.type}` });
    };
    const forbid = (key: 'capacity' | 'leakSpeed' | 'window' | 'threshold') => {
      if (s[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `not used when type is ${s.type}` });
    };
    if (s.type === 'leaky') {
      need('capacity');
      need('leakSpeed');
      forbid('window');
      forbid('threshold');
      if (s.leakSpeed === 0) ctx.addIssue({ code: 'custom', path: ['leakSpeed'], message: 'must be more than 0' });
    } else if (s.type === 'window') {
      need('window');
      need('threshold');
      forbid('capacity');
      forbid('leakSpeed');
    } else {
      for (const k of ['capacity', 'leakSpeed', 'window', 'threshold'] as const) forbid(k);
    }
  });
export type ScenarioSpec = z.output<typeof scenarioSchema>;
