import { describe, expect, it } from 'vitest';

import { computeMetrics, isoWeekLabel, nearestRank, type MetricsFinding } from './metrics.ts';

const DAY = 86_400_000;
const now = new Date('2026-04-01T12:00:00.000Z'); // a Wednesday, ISO week 2026-W14
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY).toISOString();

function f(over: Partial<MetricsFinding> = {}): MetricsFinding {
  return {
    priority: 'high',
    operatedBy: 'provider',
    lifecycle: 'open',
    triage: 'in_triage',
    firstDetectedAt: daysAgo(1),
    ...over,
  };
}

describe('nearestRank', () => {
  it('takes observed values at rank ⌈p·n⌉', () => {
    const five = [15, 20, 35, 40, 50];
    expect([5, 30, 40, 50, 90, 100].map((p) => nearestRank(five, p))).toEqual([15, 20, 20, 35, 50, 50]);
    const ten = [3, 6, 7, 8, 8, 10, 13, 15, 16, 20];
    expect([25, 50, 75, 90, 100].map((p) => nearestRank(ten, p))).toEqual([7, 8, 15, 16, 20]);
    expect(nearestRank([42], 90)).toBe(42);
    expect(nearestRank([1, 2], 0)).toBe(1);
  });

  it('is null for no values and rejects a percentile outside 0..100', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(() => nearestRank([1], 101)).toThrow(RangeError);
  });
});

describe('isoWeekLabel', () => {
  it('names weeks by their Thursday, across year ends', () => {
    expect(isoWeekLabel(Date.UTC(2026, 2, 30))).toBe('2026-W14');
    expect(isoWeekLabel(Date.UTC(2024, 11, 30))).toBe('2025-W01');
    expect(isoWeekLabel(Date.UTC(2020, 11, 28))).toBe('2020-W53');
    expect(isoWeekLabel(Date.UTC(2021, 0, 4))).toBe('2021-W01');
  });
});

describe('computeMetrics', () => {
  it('computes time to detect as detection minus publication, clipped at 0', () => {
    const findings = [
      f({ publishedAt: daysAgo(10), firstDetectedAt: daysAgo(9) }), // 1 day
      f({ publishedAt: daysAgo(10), firstDetectedAt: daysAgo(7) }), // 3 days
      f({ publishedAt: daysAgo(10), firstDetectedAt: daysAgo(0) }), // 10 days
      f({ publishedAt: daysAgo(2), firstDetectedAt: daysAgo(5) }), // seen before published: 0
      f({ firstDetectedAt: daysAgo(5) }), // no publication date: left out
      f({ publishedAt: daysAgo(30), firstDetectedAt: daysAgo(1), triage: 'false_positive' }), // dismissed
    ];
    const { provider } = computeMetrics(findings, { now });
    expect(provider.timeToDetect).toEqual({ count: 4, p50Ms: 1 * DAY, p90Ms: 10 * DAY });
  });

  it('computes time to patch from the later of detection and fix to in force', () => {
    const findings = [
      // Fix before detection: clock starts at detection (day 20 ago), in force 18 days ago → 2 days.
      f({ lifecycle: 'verified_resolved', fixAvailableAt: daysAgo(30), firstDetectedAt: daysAgo(20), inForceAt: daysAgo(18) }),
      // Fix after detection: clock starts at the fix (10 days ago), in force 4 days ago → 6 days.
      f({ lifecycle: 'verified_resolved', fixAvailableAt: daysAgo(10), firstDetectedAt: daysAgo(20), inForceAt: daysAgo(4) }),
      // No fix date known: from detection → 5 days.
      f({ lifecycle: 'verified_resolved', firstDetectedAt: daysAgo(6), inForceAt: daysAgo(1) }),
      f({ lifecycle: 'patched_on_disk', firstDetectedAt: daysAgo(6), patchedAt: daysAgo(1) }), // not in force: left out
    ];
    const { provider } = computeMetrics(findings, { now });
    expect(provider.timeToPatch).toEqual({ count: 3, p50Ms: 5 * DAY, p90Ms: 6 * DAY });
    expect(provider.closed).toBe(3);
    expect(provider.open).toBe(1);
  });

  it('computes SLA compliance over judged findings only', () => {
    const findings = [
      f({ lifecycle: 'verified_resolved', slaDeadline: daysAgo(5), inForceAt: daysAgo(6) }), // closed on time
      f({ lifecycle: 'verified_resolved', slaDeadline: daysAgo(5), inForceAt: daysAgo(5) }), // closed at the deadline
      f({ lifecycle: 'verified_resolved', slaDeadline: daysAgo(5), inForceAt: daysAgo(4) }), // closed late
      f({ slaDeadline: daysAgo(-3) }), // open, not yet due
      f({ slaDeadline: daysAgo(1) }), // open, breached
      f({ triage: 'risk_accepted', slaDeadline: daysAgo(30) }), // accepted: left out
      f({ triage: 'not_affected', slaDeadline: daysAgo(30), closedAt: daysAgo(1) }), // dismissed: left out
      f({ triage: 'resolved', slaDeadline: daysAgo(30) }), // closed, close time unknown: left out
      f({}), // no deadline: left out
      f({ operatedBy: 'customer', slaDeadline: daysAgo(30) }), // customer-managed: not a provider figure
    ];
    const { provider, customer } = computeMetrics(findings, { now });
    expect(provider.sla).toEqual({ judged: 5, compliant: 3, breached: 2, percent: 60 });
    expect(provider.findings).toBe(9);
    expect(customer.sla).toBeNull();
    expect(customer.findings).toBe(1);
    expect(customer.open).toBe(1);
  });

  it('rounds the percentage to two decimals', () => {
    const findings = [f({ slaDeadline: daysAgo(-1) }), f({ slaDeadline: daysAgo(-1) }), f({ slaDeadline: daysAgo(1) })];
    expect(computeMetrics(findings, { now }).provider.sla?.percent).toBe(66.67);
  });

  it('buckets open findings by whole days of age, per priority', () => {
    const ages: [number, MetricsFinding['priority']][] = [
      [0, 'critical'],
      [7.9, 'critical'],
      [8, 'critical'],
      [30, 'high'],
      [31, 'high'],
      [90, 'medium'],
      [91, 'medium'],
      [180, 'low'],
      [181, 'low'],
      [400, 'info'],
    ];
    const findings = [
      ...ages.map(([age, priority]) => f({ priority, firstDetectedAt: daysAgo(age) })),
      f({ priority: 'critical', firstDetectedAt: daysAgo(3), lifecycle: 'verified_resolved' }), // closed: not open
    ];
    const { openByAge } = computeMetrics(findings, { now }).provider;
    expect(openByAge.critical).toEqual({ '0-7': 2, '8-30': 1, '31-90': 0, '91-180': 0, '>180': 0 });
    expect(openByAge.high).toEqual({ '0-7': 0, '8-30': 1, '31-90': 1, '91-180': 0, '>180': 0 });
    expect(openByAge.medium).toEqual({ '0-7': 0, '8-30': 0, '31-90': 1, '91-180': 1, '>180': 0 });
    expect(openByAge.low).toEqual({ '0-7': 0, '8-30': 0, '31-90': 0, '91-180': 1, '>180': 1 });
    expect(openByAge.info['>180']).toBe(1);
  });

  it('counts opened and closed per ISO week for the last N weeks, oldest first', () => {
    const findings = [
      f({ firstDetectedAt: '2026-03-30T00:00:00.000Z' }), // Monday of this week
      f({ firstDetectedAt: '2026-03-29T23:59:59.999Z' }), // Sunday: last week
      f({ firstDetectedAt: '2026-03-16T10:00:00.000Z', lifecycle: 'verified_resolved', inForceAt: '2026-03-31T10:00:00.000Z' }),
      f({ firstDetectedAt: '2026-01-01T00:00:00.000Z', triage: 'false_positive', closedAt: '2026-03-24T00:00:00.000Z' }), // before the window
      f({ firstDetectedAt: '2026-04-05T00:00:00.000Z' }), // in the future: not counted
    ];
    const { weekly } = computeMetrics(findings, { now, weeks: 3 }).provider;
    expect(weekly).toEqual([
      { week: '2026-W12', start: '2026-03-16T00:00:00.000Z', opened: 1, closed: 0 },
      { week: '2026-W13', start: '2026-03-23T00:00:00.000Z', opened: 1, closed: 1 },
      { week: '2026-W14', start: '2026-03-30T00:00:00.000Z', opened: 1, closed: 1 },
    ]);
  });

  it('defaults to 12 weeks and clamps the count', () => {
    expect(computeMetrics([], { now }).provider.weekly).toHaveLength(12);
    expect(computeMetrics([], { now, weeks: 0 }).provider.weekly).toHaveLength(1);
    expect(computeMetrics([], { now, weeks: 10_000 }).provider.weekly).toHaveLength(520);
    expect(computeMetrics([], { now, weeks: Number.NaN }).provider.weekly).toHaveLength(12);
  });

  it('reports empty figures as null, not zero', () => {
    const { provider } = computeMetrics([], { now });
    expect(provider.timeToDetect).toEqual({ count: 0, p50Ms: null, p90Ms: null });
    expect(provider.sla).toEqual({ judged: 0, compliant: 0, breached: 0, percent: null });
  });

  it('treats unparseable times as absent and counts them', () => {
    const { provider } = computeMetrics([f({ firstDetectedAt: 'not a time', publishedAt: 'nor this' })], { now });
    expect(provider.invalidTimes).toBe(2);
    expect(provider.open).toBe(1);
    expect(provider.timeToDetect.count).toBe(0);
  });
});
