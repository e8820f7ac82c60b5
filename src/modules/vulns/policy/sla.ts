/**
 * SLA deadlines for findings (issue 5 item 10; P13, P14). Pure: the store computes a deadline when a finding's
 * priority or fix availability changes, and the SLA sweep asks `slaState` what to signal.
 *
 * - The clock starts when the finding is detected **and** a fix is available: the later of the two. Nobody can
 *   breach an SLA for a patch that does not exist, nor for a host that reported the package only today.
 * - Customer-managed software (P14) has no deadline: it is reported, but outside the provider's SLA.
 * - A KEV finding on an internet-facing asset (exposure `internet` or `unknown`) gets the `kev-internet` window when
 *   that is shorter than its priority's window, unless only a non-running kernel is affected.
 * - A priority whose window is `none` (default: `info`) has no deadline.
 */
import { z } from 'zod';

import type { AssetContext, InForce, Priority } from '../model.ts';

/** Days per window (fractions allowed, e.g. from `12h`); null means no SLA. */
export interface SlaPolicy {
  /** KEV finding on an internet-facing asset. */
  kevInternet: number | null;
  critical: number | null;
  high: number | null;
  medium: number | null;
  low: number | null;
  info: number | null;
}

export const DEFAULT_SLA_POLICY: Readonly<SlaPolicy> = Object.freeze({
  kevInternet: 2,
  critical: 7,
  high: 30,
  medium: 90,
  low: 180,
  info: null,
});

const KEYS: Record<string, keyof SlaPolicy> = {
  'kev-internet': 'kevInternet',
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  info: 'info',
};
const KEY_LIST = Object.keys(KEYS).join(', ');
const MAX_DAYS = 3650;
const MAX_POLICY_LENGTH = 1000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** One problem in a policy string: the 1-based item (comma-separated part), its text, and what is wrong. */
export interface SlaPolicyIssue {
  item: number;
  text: string;
  message: string;
}

export type SlaPolicyParse = { ok: true; policy: SlaPolicy } | { ok: false; issues: SlaPolicyIssue[] };

function parseDuration(value: string): number | null | string {
  if (value === 'none') return null;
  const m = /^(\d{1,5}(?:\.\d{1,3})?)([dh])$/.exec(value);
  if (!m) return `duration "${value}" must be a number of days or hours such as 30d or 12h, or "none"`;
  const n = Number(m[1]);
  const days = m[2] === 'h' ? n / 24 : n;
  if (days <= 0) return `duration "${value}" must be more than zero (use "none" for no SLA)`;
  if (days > MAX_DAYS) return `duration "${value}" is longer than ${MAX_DAYS} days`;
  return days;
}

/**
 * Parse a policy string like `kev-internet=2d,critical=7d,high=30d,medium=90d,low=180d,info=none`. Keys left out
 * keep their defaults (`DEFAULT_SLA_POLICY`). Every problem is reported, each with its item number and text; the
 * policy is returned only when there is none.
 */
export function parseSlaPolicy(text: string): SlaPolicyParse {
  const issues: SlaPolicyIssue[] = [];
  if (text.length > MAX_POLICY_LENGTH)
    return { ok: false, issues: [{ item: 0, text: '', message: `policy longer than ${MAX_POLICY_LENGTH} characters` }] };
  if (text.trim() === '')
    return { ok: false, issues: [{ item: 0, text, message: 'empty policy: expected items such as critical=7d' }] };
  const policy: SlaPolicy = { ...DEFAULT_SLA_POLICY };
  const seen = new Map<string, number>();
  text.split(',').forEach((raw, index) => {
    const item = index + 1;
    const part = raw.trim();
    const fail = (message: string): void => {
      issues.push({ item, text: part, message });
    };
    if (part === '') return fail('empty item (two commas in a row, or a trailing comma)');
    const eq = part.indexOf('=');
    if (eq < 0) return fail('expected key=duration');
    const key = part.slice(0, eq).trim().toLowerCase();
    const field = KEYS[key];
    if (!field) return fail(`unknown key "${key}"; expected one of ${KEY_LIST}`);
    const earlier = seen.get(key);
    if (earlier !== undefined) return fail(`"${key}" is already set in item ${earlier}`);
    seen.set(key, item);
    const duration = parseDuration(
      part
        .slice(eq + 1)
        .trim()
        .toLowerCase(),
    );
    if (typeof duration === 'string') return fail(duration);
    policy[field] = duration;
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, policy };
}

/** One line per issue: `item 3 "high=30x": duration "30x" must be …`. */
export function formatSlaPolicyIssues(issues: readonly SlaPolicyIssue[]): string[] {
  return issues.map((i) => (i.item === 0 ? i.message : `item ${i.item} "${i.text}": ${i.message}`));
}

/** Zod schema turning a policy string into an `SlaPolicy`, with one zod issue per problem (for module config). */
export const slaPolicySchema = z.string().transform((text, ctx): SlaPolicy => {
  const parsed = parseSlaPolicy(text);
  if (parsed.ok) return parsed.policy;
  for (const message of formatSlaPolicyIssues(parsed.issues)) ctx.addIssue({ code: 'custom', message, input: text });
  return z.NEVER;
});

type Instant = Date | string;

function toDate(value: Instant, name: string): Date {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`${name} is not a valid time: ${String(value)}`);
  return d;
}

export interface SlaDeadlineInput {
  priority: Priority;
  /** Whether the vulnerability is in CISA's KEV catalog. */
  kev: boolean;
  exposure: AssetContext['exposure'];
  operatedBy: AssetContext['operatedBy'];
  /** When the vendor published the fix for this release; absent while there is none. */
  fixAvailableAt?: Instant | null | undefined;
  firstDetectedAt: Instant;
  /** `not_running` (only a non-booted kernel is affected) leaves the KEV window aside. */
  inForce?: InForce | undefined;
  policy?: SlaPolicy | undefined;
}

/**
 * The finding's SLA deadline, or null when no SLA runs: customer-managed (P14), no fix available, or a priority
 * without a window. Starts at the later of detection and fix availability (see the file header). Throws a RangeError
 * for an unparseable time (a caller bug).
 */
export function slaDeadline(input: SlaDeadlineInput): Date | null {
  if (input.operatedBy === 'customer') return null;
  if (input.fixAvailableAt === null || input.fixAvailableAt === undefined) return null;
  const policy = input.policy ?? DEFAULT_SLA_POLICY;
  const detected = toDate(input.firstDetectedAt, 'firstDetectedAt');
  const fixed = toDate(input.fixAvailableAt, 'fixAvailableAt');
  const start = Math.max(detected.getTime(), fixed.getTime());
  const windows: number[] = [];
  const own = policy[input.priority];
  if (own !== null) windows.push(own);
  if (input.kev && input.exposure !== 'internal' && input.inForce !== 'not_running' && policy.kevInternet !== null)
    windows.push(policy.kevInternet);
  if (windows.length === 0) return null;
  return new Date(start + Math.round(Math.min(...windows) * DAY_MS));
}

export type SlaState = 'none' | 'ok' | 'near' | 'breached';

export interface SlaStateOptions {
  /** When the window started (`slaDeadline`'s start); without it only `nearHours` decides. */
  start?: Instant | null | undefined;
  /** Near once this fraction of the window has passed (default 0.8: the last 20 %). */
  nearFraction?: number | undefined;
  /** Near within this many hours of the deadline in any case (default 24). */
  nearHours?: number | undefined;
}

/**
 * When a deadline turns near: the last 20 % of its window or the last 24 h before it, whichever is longer (both
 * thresholds are options); `null` without a deadline. The sweep asks the database for findings past this instant.
 */
export function slaNearAt(deadline: Instant | null | undefined, options: SlaStateOptions = {}): Date | null {
  if (deadline === null || deadline === undefined) return null;
  const due = toDate(deadline, 'deadline').getTime();
  const fraction = options.nearFraction ?? 0.8;
  let nearMs = (options.nearHours ?? 24) * HOUR_MS;
  if (options.start !== null && options.start !== undefined) {
    const window = due - toDate(options.start, 'start').getTime();
    if (window > 0) nearMs = Math.max(nearMs, window * (1 - fraction));
  }
  return new Date(due - nearMs);
}

/**
 * Where a deadline stands at `now`: `none` (no deadline), `breached` (now is after the deadline), `near` (from
 * `slaNearAt` on; at the deadline itself still `near`), else `ok`.
 */
export function slaState(deadline: Instant | null | undefined, now: Instant, options: SlaStateOptions = {}): SlaState {
  const nearAt = slaNearAt(deadline, options);
  if (nearAt === null || deadline === null || deadline === undefined) return 'none';
  const at = toDate(now, 'now').getTime();
  if (at > toDate(deadline, 'deadline').getTime()) return 'breached';
  return at >= nearAt.getTime() ? 'near' : 'ok';
}
