/**
 * Patching metrics from findings' timestamps (issue 5 item 11; P13, P14). Pure: the store loads the timestamps and
 * the console draws the result. Provider-operated and customer-managed findings are computed separately; the
 * customer figures have no SLA compliance, because customer-managed software is outside the provider's SLA (P14).
 *
 * Definitions:
 * - **Closed**: lifecycle `verified_resolved`, or triage `resolved`, `not_affected` or `false_positive`. Closed at
 *   `closedAt`, or `inForceAt` for a verified resolution when `closedAt` is absent. Everything else is **open**
 *   (risk-accepted findings too: the vulnerability is still there).
 * - **Dismissed**: triage `not_affected` or `false_positive`. They never needed a patch, so they are left out of
 *   time to detect, time to patch and SLA compliance (but counted as opened and closed in the weekly trend).
 * - **Time to detect** (detection latency): first detected − published, clipped at 0 (a host can report a package
 *   before the advisory exists; that is not negative latency). Findings without a publication date are left out.
 * - **Time to patch**: in force − max(first detected, fix available), clipped at 0, over findings with `inForceAt`.
 *   The clock starts where the SLA clock starts: nobody can patch before both the finding and the fix exist.
 * - **Percentiles** by nearest rank: the p-th percentile of n sorted values is the value at rank ⌈p/100 · n⌉
 *   (1-based), always an observed value; none for an empty set.
 * - **SLA compliance** over findings with a deadline, not dismissed, not risk-accepted (deliberately outside the SLA
 *   while accepted): compliant = closed at or before the deadline, or still open and not past it. A closed finding
 *   without a known close time cannot be judged and is left out. Percent = compliant / judged · 100.
 * - **Open by age**: whole days since first detected (rounded down), in buckets 0–7, 8–30, 31–90, 91–180, >180,
 *   per priority.
 * - **Weekly trend**: opened (first detected) and closed per ISO 8601 week (Monday 00:00 UTC), for the last
 *   `weeks` weeks including the current one, oldest first.
 *
 * Times that do not parse are treated as absent and counted in `invalidTimes`, so one bad row never breaks a chart.
 */
import type { AssetContext, Lifecycle, Priority, TriageState } from '../model.ts';

type Instant = Date | string;

/** The timestamps and states one finding contributes. */
export interface MetricsFinding {
  priority: Priority;
  operatedBy: AssetContext['operatedBy'];
  lifecycle: Lifecycle;
  triage: TriageState;
  publishedAt?: Instant | null | undefined;
  fixAvailableAt?: Instant | null | undefined;
  firstDetectedAt: Instant;
  patchedAt?: Instant | null | undefined;
  inForceAt?: Instant | null | undefined;
  slaDeadline?: Instant | null | undefined;
  /** When it stopped needing action (verified resolved, or triaged resolved / not affected / false positive). */
  closedAt?: Instant | null | undefined;
}

export interface DurationStats {
  /** How many findings the figure is over. */
  count: number;
  /** Milliseconds; null when `count` is 0. */
  p50Ms: number | null;
  p90Ms: number | null;
}

export interface SlaCompliance {
  /** Findings judged (see the file header). */
  judged: number;
  compliant: number;
  /** Closed late, or open past the deadline. */
  breached: number;
  /** 0..100 with two decimals; null when nothing was judged. */
  percent: number | null;
}

export const AGE_BUCKETS = ['0-7', '8-30', '31-90', '91-180', '>180'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

export interface WeekPoint {
  /** ISO week, `2026-W48`. */
  week: string;
  /** Monday 00:00 UTC of the week, ISO. */
  start: string;
  opened: number;
  closed: number;
}

export interface MetricsReport {
  findings: number;
  open: number;
  closed: number;
  timeToDetect: DurationStats;
  timeToPatch: DurationStats;
  /** Null for customer-managed findings (P14: outside the provider's SLA). */
  sla: SlaCompliance | null;
  openByAge: Record<Priority, Record<AgeBucket, number>>;
  weekly: WeekPoint[];
  /** Timestamps that did not parse and were treated as absent. */
  invalidTimes: number;
}

export interface MetricsOptions {
  now: Date;
  /** Weeks in the trend, 1..520 (default 12). */
  weeks?: number | undefined;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const PRIORITY_KEYS: readonly Priority[] = ['critical', 'high', 'medium', 'low', 'info'];

/**
 * Nearest-rank percentile of values already sorted ascending: the value at rank ⌈p/100 · n⌉ (1-based; p = 0 gives
 * the smallest). Null for an empty list. Throws a RangeError for p outside 0..100.
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

function stats(values: number[]): DurationStats {
  const sorted = values.sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: nearestRank(sorted, 50), p90Ms: nearestRank(sorted, 90) };
}

/** Monday 00:00 UTC of the ISO week containing `t`. */
function weekStart(t: number): number {
  const d = new Date(t);
  const day = (d.getUTCDay() + 6) % 7;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day);
}

/** ISO 8601 week label (`2026-W01`) of the week starting at `monday`: the week belongs to its Thursday's year. */
export function isoWeekLabel(monday: number): string {
  const thursday = new Date(monday + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS) + 1;
  return `${year}-W${String(Math.ceil(dayOfYear / 7)).padStart(2, '0')}`;
}

function ageBucket(days: number): AgeBucket {
  if (days <= 7) return '0-7';
  if (days <= 30) return '8-30';
  if (days <= 90) return '31-90';
  if (days <= 180) return '91-180';
  return '>180';
}

function report(findings: readonly MetricsFinding[], now: Date, weeks: number, withSla: boolean): MetricsReport {
  let invalidTimes = 0;
  const time = (value: Instant | null | undefined): number | null => {
    if (value === null || value === undefined) return null;
    const t = value instanceof Date ? value.getTime() : Date.parse(value);
    if (Number.isNaN(t)) {
      invalidTimes++;
      return null;
    }
    return t;
  };
  const nowMs = now.getTime();
  const detect: number[] = [];
  const patch: number[] = [];
  const sla: SlaCompliance = { judged: 0, compliant: 0, breached: 0, percent: null };
  const openByAge = Object.fromEntries(
    PRIORITY_KEYS.map((p) => [p, Object.fromEntries(AGE_BUCKETS.map((b) => [b, 0]))]),
  ) as Record<Priority, Record<AgeBucket, number>>;
  const firstWeek = weekStart(nowMs) - (weeks - 1) * WEEK_MS;
  const weekly: WeekPoint[] = Array.from({ length: weeks }, (_, i) => {
    const start = firstWeek + i * WEEK_MS;
    return { week: isoWeekLabel(start), start: new Date(start).toISOString(), opened: 0, closed: 0 };
  });
  const weekOf = (t: number): WeekPoint | undefined => weekly[Math.floor((weekStart(t) - firstWeek) / WEEK_MS)];
  let open = 0;

  for (const f of findings) {
    const dismissed = f.triage === 'not_affected' || f.triage === 'false_positive';
    const closed = f.lifecycle === 'verified_resolved' || f.triage === 'resolved' || dismissed;
    const detected = time(f.firstDetectedAt);
    const published = time(f.publishedAt);
    const fixAvailable = time(f.fixAvailableAt);
    const inForce = time(f.inForceAt);
    const deadline = time(f.slaDeadline);
    const closedAt = time(f.closedAt) ?? (f.lifecycle === 'verified_resolved' ? inForce : null);

    if (detected !== null) {
      const week = weekOf(detected);
      if (week && detected <= nowMs) week.opened++;
    }
    if (closed && closedAt !== null) {
      const week = weekOf(closedAt);
      if (week && closedAt <= nowMs) week.closed++;
    }
    if (!closed) {
      open++;
      if (detected !== null) openByAge[f.priority][ageBucket(Math.max(0, Math.floor((nowMs - detected) / DAY_MS)))]++;
    }
    if (dismissed) continue;

    if (detected !== null && published !== null) detect.push(Math.max(0, detected - published));
    if (detected !== null && inForce !== null) patch.push(Math.max(0, inForce - Math.max(detected, fixAvailable ?? detected)));

    if (withSla && deadline !== null && f.triage !== 'risk_accepted') {
      const end = closed ? closedAt : nowMs;
      if (end === null) continue;
      sla.judged++;
      if (end <= deadline) sla.compliant++;
      else sla.breached++;
    }
  }
  if (sla.judged > 0) sla.percent = Math.round((sla.compliant / sla.judged) * 10_000) / 100;
  return {
    findings: findings.length,
    open,
    closed: findings.length - open,
    timeToDetect: stats(detect),
    timeToPatch: stats(patch),
    sla: withSla ? sla : null,
    openByAge,
    weekly,
    invalidTimes,
  };
}

/**
 * Metrics for provider-operated findings and, separately, customer-managed ones (P14), as defined in the file
 * header. `weeks` outside 1..520 is clamped (not a number: 12).
 */
export function computeMetrics(
  findings: readonly MetricsFinding[],
  options: MetricsOptions,
): { provider: MetricsReport; customer: MetricsReport } {
  const requested = options.weeks ?? 12;
  const weeks = Number.isFinite(requested) ? Math.min(520, Math.max(1, Math.floor(requested))) : 12;
  const provider = findings.filter((f) => f.operatedBy !== 'customer');
  const customer = findings.filter((f) => f.operatedBy === 'customer');
  return {
    provider: report(provider, options.now, weeks, true),
    customer: report(customer, options.now, weeks, false),
  };
}
