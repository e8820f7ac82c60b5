import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import {
  DEFAULT_SLA_POLICY,
  formatSlaPolicyIssues,
  parseSlaPolicy,
  slaDeadline,
  slaNearAt,
  slaPolicySchema,
  slaState,
  type SlaDeadlineInput,
} from './sla.ts';

const detected = '2026-03-10T08:00:00.000Z';

function deadline(over: Partial<SlaDeadlineInput>): string | null {
  const d = slaDeadline({
    priority: 'high',
    kev: false,
    exposure: 'internal',
    operatedBy: 'provider',
    fixAvailableAt: '2026-03-01T00:00:00.000Z',
    firstDetectedAt: detected,
    ...over,
  });
  return d ? d.toISOString() : null;
}

describe('slaDeadline', () => {
  it('runs the priority window from detection when the fix came first', () => {
    expect(deadline({ priority: 'high' })).toBe('2026-04-09T08:00:00.000Z');
    expect(deadline({ priority: 'critical' })).toBe('2026-03-17T08:00:00.000Z');
    expect(deadline({ priority: 'medium' })).toBe('2026-06-08T08:00:00.000Z');
    expect(deadline({ priority: 'low' })).toBe('2026-09-06T08:00:00.000Z');
  });

  it('starts when the fix is published, when that is after detection', () => {
    expect(deadline({ priority: 'critical', fixAvailableAt: '2026-03-20T12:00:00.000Z' })).toBe('2026-03-27T12:00:00.000Z');
  });

  it('does not run without a fix', () => {
    expect(deadline({ fixAvailableAt: null })).toBeNull();
    expect(deadline({ fixAvailableAt: undefined })).toBeNull();
  });

  it('does not run for customer-managed software (P14), KEV included', () => {
    expect(deadline({ operatedBy: 'customer', priority: 'critical', kev: true, exposure: 'internet' })).toBeNull();
  });

  it('gives info no deadline by default', () => {
    expect(deadline({ priority: 'info' })).toBeNull();
  });

  it('gives KEV on an internet-facing asset 2 days; exposure unknown counts as internet-facing', () => {
    expect(deadline({ priority: 'critical', kev: true, exposure: 'internet' })).toBe('2026-03-12T08:00:00.000Z');
    expect(deadline({ priority: 'critical', kev: true, exposure: 'unknown' })).toBe('2026-03-12T08:00:00.000Z');
    expect(deadline({ priority: 'high', kev: true, exposure: 'internal' })).toBe('2026-04-09T08:00:00.000Z');
  });

  it('leaves the KEV window aside when only a non-running kernel is affected', () => {
    expect(deadline({ priority: 'low', kev: true, exposure: 'internet', inForce: 'not_running' })).toBe(
      '2026-09-06T08:00:00.000Z',
    );
  });

  it('uses the shorter window when the policy makes the priority shorter than kev-internet', () => {
    const policy = { ...DEFAULT_SLA_POLICY, kevInternet: 5, critical: 1 };
    expect(deadline({ priority: 'critical', kev: true, exposure: 'internet', policy })).toBe('2026-03-11T08:00:00.000Z');
  });

  it('accepts Dates and throws a RangeError for a time that does not parse', () => {
    expect(deadline({ firstDetectedAt: new Date(detected) })).toBe('2026-04-09T08:00:00.000Z');
    expect(() => deadline({ firstDetectedAt: 'yesterday' })).toThrow(/firstDetectedAt is not a valid time/);
  });
});

describe('slaState', () => {
  const start = '2026-03-01T00:00:00.000Z';
  const due = '2026-03-31T00:00:00.000Z'; // a 30-day window: the last 20 % is 6 days.

  it('is none without a deadline', () => {
    expect(slaState(null, '2026-03-10T00:00:00.000Z')).toBe('none');
  });

  it('is near in the last 20 % of the window, not before', () => {
    expect(slaState(due, '2026-03-24T23:59:59.999Z', { start })).toBe('ok');
    expect(slaState(due, '2026-03-25T00:00:00.000Z', { start })).toBe('near');
  });

  it('is near at the deadline itself and breached one millisecond later', () => {
    expect(slaState(due, due, { start })).toBe('near');
    expect(slaState(due, '2026-03-31T00:00:00.001Z', { start })).toBe('breached');
  });

  it('uses the last 24 h when that is longer than 20 % of a short window', () => {
    const shortDue = '2026-03-03T00:00:00.000Z'; // 2 days: 20 % is 9.6 h, so 24 h wins.
    expect(slaState(shortDue, '2026-03-01T23:59:59.999Z', { start })).toBe('ok');
    expect(slaState(shortDue, '2026-03-02T00:00:00.000Z', { start })).toBe('near');
  });

  it('uses only the 24 h rule without a start, and honours options', () => {
    expect(slaState(due, '2026-03-29T23:59:59.999Z')).toBe('ok');
    expect(slaState(due, '2026-03-30T00:00:00.000Z')).toBe('near');
    expect(slaState(due, '2026-03-28T00:00:00.000Z', { nearHours: 72 })).toBe('near');
    expect(slaState(due, '2026-03-16T00:00:00.000Z', { start, nearFraction: 0.5 })).toBe('near');
  });

  it('turns near at slaNearAt (the instant the sweep asks the database about), whatever the window', () => {
    expect(slaNearAt(null)).toBeNull();
    expect(slaNearAt(due, { start })?.toISOString()).toBe('2026-03-25T00:00:00.000Z');
    expect(slaNearAt('2026-03-03T00:00:00.000Z', { start })?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    // A deadline before its start (moved by hand): the 24 h rule alone.
    expect(slaNearAt(start, { start: due })?.toISOString()).toBe('2026-02-28T00:00:00.000Z');
    for (const [d, s] of [
      [due, start],
      ['2026-03-03T00:00:00.000Z', start],
      ['2026-06-08T13:17:01.123Z', '2026-03-10T08:00:00.000Z'],
    ] as const) {
      const near = slaNearAt(d, { start: s }) as Date;
      expect(slaState(d, new Date(near.getTime() - 1), { start: s })).toBe('ok');
      expect(slaState(d, near, { start: s })).toBe('near');
    }
  });
});

describe('parseSlaPolicy', () => {
  it('parses the default string into the default policy', () => {
    expect(parseSlaPolicy('kev-internet=2d,critical=7d,high=30d,medium=90d,low=180d')).toEqual({
      ok: true,
      policy: DEFAULT_SLA_POLICY,
    });
  });

  it('keeps defaults for keys left out, and accepts hours, none, spaces and any case', () => {
    expect(parseSlaPolicy(' KEV-Internet = 12h , info=30d, low=none ')).toEqual({
      ok: true,
      policy: { ...DEFAULT_SLA_POLICY, kevInternet: 0.5, info: 30, low: null },
    });
  });

  it('reports every problem with its item number', () => {
    const parsed = parseSlaPolicy('critical=7d,high=30x,urgent=1d,,medium,critical=5d,low=0d,info=4000d');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(formatSlaPolicyIssues(parsed.issues)).toEqual([
      'item 2 "high=30x": duration "30x" must be a number of days or hours such as 30d or 12h, or "none"',
      'item 3 "urgent=1d": unknown key "urgent"; expected one of kev-internet, critical, high, medium, low, info',
      'item 4 "": empty item (two commas in a row, or a trailing comma)',
      'item 5 "medium": expected key=duration',
      'item 6 "critical=5d": "critical" is already set in item 1',
      'item 7 "low=0d": duration "0d" must be more than zero (use "none" for no SLA)',
      'item 8 "info=4000d": duration "4000d" is longer than 3650 days',
    ]);
  });

  it('rejects an empty string', () => {
    expect(parseSlaPolicy('  ')).toEqual({
      ok: false,
      issues: [{ item: 0, text: '  ', message: 'empty policy: expected items such as critical=7d' }],
    });
  });

  it('works as a zod schema for module configuration', () => {
    expect(slaPolicySchema.parse('high=14d')).toEqual({ ...DEFAULT_SLA_POLICY, high: 14 });
    const bad = slaPolicySchema.safeParse('high=14,low=2w');
    expect(bad.success).toBe(false);
    if (!bad.success)
      expect(z.flattenError(bad.error).formErrors).toEqual([
        'item 1 "high=14": duration "14" must be a number of days or hours such as 30d or 12h, or "none"',
        'item 2 "low=2w": duration "2w" must be a number of days or hours such as 30d or 12h, or "none"',
      ]);
  });
});
