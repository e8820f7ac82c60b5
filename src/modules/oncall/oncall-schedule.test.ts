import { describe, expect, it } from 'vitest';
import { findGaps, resolveSchedule, whoIsOnCall, type ScheduleLayer, type ScheduleRules } from './oncall-schedule.ts';

const TZ = 'Europe/Copenhagen';
const layer = (over: Partial<ScheduleLayer> = {}): ScheduleLayer => ({
  id: 'primary',
  name: 'Primary',
  users: ['ann', 'bob'],
  rotation: 'daily',
  every: 1,
  handoffTime: '08:00',
  startDate: '2026-01-05',
  restriction: null,
  ...over,
});
const rules = (layers: ScheduleLayer[], overrides: ScheduleRules['overrides'] = []): ScheduleRules => ({
  timeZone: TZ,
  layers,
  overrides,
});
const plain = (r: ScheduleRules, from: string, to: string) =>
  resolveSchedule(r, new Date(from), new Date(to)).map((s) => [s.userId, s.start.toISOString(), s.end.toISOString(), s.source]);

describe('resolveSchedule across DST changes (Europe/Copenhagen)', () => {
  it('keeps a daily 08:00 hand-off at 08:00 local across the March change (23-hour day)', () => {
    // 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST. 08:00 local is 07:00Z before, 06:00Z after.
    const r = rules([layer({ startDate: '2026-03-27' })]);
    expect(plain(r, '2026-03-27T07:00:00.000Z', '2026-03-30T06:00:00.000Z')).toEqual([
      ['ann', '2026-03-27T07:00:00.000Z', '2026-03-28T07:00:00.000Z', 'primary'],
      ['bob', '2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z', 'primary'],
      ['ann', '2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z', 'primary'],
    ]);
  });

  it('keeps a daily 08:00 hand-off at 08:00 local across the October change (25-hour day)', () => {
    // 2026-10-25 01:00Z: 03:00 CEST becomes 02:00 CET. 08:00 local is 06:00Z before, 07:00Z after.
    const r = rules([layer({ startDate: '2026-10-23' })]);
    expect(plain(r, '2026-10-23T06:00:00.000Z', '2026-10-26T07:00:00.000Z')).toEqual([
      ['ann', '2026-10-23T06:00:00.000Z', '2026-10-24T06:00:00.000Z', 'primary'],
      ['bob', '2026-10-24T06:00:00.000Z', '2026-10-25T07:00:00.000Z', 'primary'],
      ['ann', '2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z', 'primary'],
    ]);
  });

  it('hands a weekly rotation off on the start weekday at local time, far from its start date', () => {
    // Monday 2026-01-05 start; the week containing the March change: Mon 03-23 09:00 CET → Mon 03-30 09:00 CEST.
    const r = rules([layer({ rotation: 'weekly', handoffTime: '09:00', users: ['ann', 'bob', 'cid'] })]);
    const shifts = plain(r, '2026-03-25T00:00:00.000Z', '2026-03-31T00:00:00.000Z');
    // Weeks since 2026-01-05: 11 → index 11 % 3 = 2 (cid), then ann.
    expect(shifts).toEqual([
      ['cid', '2026-03-25T00:00:00.000Z', '2026-03-30T07:00:00.000Z', 'primary'],
      ['ann', '2026-03-30T07:00:00.000Z', '2026-03-31T00:00:00.000Z', 'primary'],
    ]);
  });

  it('counts elapsed hours for an every-N-hours rotation (12 h shifts straddle the change by the clock)', () => {
    const r = rules([layer({ rotation: 'hours', every: 12, startDate: '2026-03-28', handoffTime: '20:00' })]);
    // 20:00 CET on 03-28 = 19:00Z; +12 h = 07:00Z (09:00 CEST: wall time moved, elapsed time did not).
    expect(plain(r, '2026-03-28T19:00:00.000Z', '2026-03-29T19:00:00.000Z')).toEqual([
      ['ann', '2026-03-28T19:00:00.000Z', '2026-03-29T07:00:00.000Z', 'primary'],
      ['bob', '2026-03-29T07:00:00.000Z', '2026-03-29T19:00:00.000Z', 'primary'],
    ]);
  });

  it('rotates every N days', () => {
    const r = rules([layer({ rotation: 'days', every: 3, startDate: '2026-06-01' })]);
    expect(plain(r, '2026-06-01T06:00:00.000Z', '2026-06-07T06:00:00.000Z')).toEqual([
      ['ann', '2026-06-01T06:00:00.000Z', '2026-06-04T06:00:00.000Z', 'primary'],
      ['bob', '2026-06-04T06:00:00.000Z', '2026-06-07T06:00:00.000Z', 'primary'],
    ]);
  });

  it('has nobody before the first hand-off', () => {
    const r = rules([layer({ startDate: '2026-06-02' })]);
    expect(plain(r, '2026-06-01T00:00:00.000Z', '2026-06-02T07:00:00.000Z')).toEqual([
      ['ann', '2026-06-02T06:00:00.000Z', '2026-06-02T07:00:00.000Z', 'primary'],
    ]);
  });
});

describe('layers, restrictions and overrides', () => {
  const base = layer({ id: 'base', users: ['night'], rotation: 'weekly' });
  const business = layer({
    id: 'business',
    users: ['day1', 'day2'],
    handoffTime: '00:00',
    restriction: { weekdays: [1, 2, 3, 4, 5], from: '08:00', to: '17:00' },
  });

  it('lets a higher layer win in its business-hours window, weekdays only, in local time', () => {
    // Fri 2026-06-05 and Sat 06-06 (CEST: 08:00 local = 06:00Z, 17:00 = 15:00Z).
    expect(plain(rules([base, business]), '2026-06-05T00:00:00.000Z', '2026-06-07T00:00:00.000Z')).toEqual([
      ['night', '2026-06-05T00:00:00.000Z', '2026-06-05T06:00:00.000Z', 'base'],
      ['day2', '2026-06-05T06:00:00.000Z', '2026-06-05T15:00:00.000Z', 'business'],
      ['night', '2026-06-05T15:00:00.000Z', '2026-06-07T00:00:00.000Z', 'base'],
    ]);
  });

  it('restricts a layer to an overnight window (17:00–08:00) and leaves the rest as gaps', () => {
    const nights = layer({
      id: 'nights',
      users: ['owl'],
      restriction: { weekdays: [1, 2, 3, 4, 5, 6, 7], from: '17:00', to: '08:00' },
    });
    const r = rules([nights]);
    expect(plain(r, '2026-01-12T00:00:00.000Z', '2026-01-13T00:00:00.000Z')).toEqual([
      ['owl', '2026-01-12T00:00:00.000Z', '2026-01-12T07:00:00.000Z', 'nights'],
      ['owl', '2026-01-12T16:00:00.000Z', '2026-01-13T00:00:00.000Z', 'nights'],
    ]);
    expect(findGaps(r, new Date('2026-01-12T00:00:00.000Z'), new Date('2026-01-13T00:00:00.000Z'))).toEqual([
      { start: new Date('2026-01-12T07:00:00.000Z'), end: new Date('2026-01-12T16:00:00.000Z') },
    ]);
  });

  it('keeps a business-hours window at 08:00–17:00 local on both sides of the October change', () => {
    // Fri 2026-10-23 (CEST: 06:00Z–15:00Z) and Mon 2026-10-26 (CET: 07:00Z–16:00Z); the weekend is a gap.
    const r = rules([business]);
    expect(plain(r, '2026-10-23T00:00:00.000Z', '2026-10-27T00:00:00.000Z').map(([, s, e]) => [s, e])).toEqual([
      ['2026-10-23T06:00:00.000Z', '2026-10-23T15:00:00.000Z'],
      ['2026-10-26T07:00:00.000Z', '2026-10-26T16:00:00.000Z'],
    ]);
  });

  it('lets an override beat every layer, the later override beating an earlier one', () => {
    const r = rules(
      [base, business],
      [
        { id: 'o1', userId: 'sub', startsAt: '2026-06-05T10:00:00.000Z', endsAt: '2026-06-05T20:00:00.000Z' },
        { id: 'o2', userId: 'sub2', startsAt: '2026-06-05T12:00:00.000Z', endsAt: '2026-06-05T13:00:00.000Z' },
      ],
    );
    expect(plain(r, '2026-06-05T06:00:00.000Z', '2026-06-06T00:00:00.000Z')).toEqual([
      ['day2', '2026-06-05T06:00:00.000Z', '2026-06-05T10:00:00.000Z', 'business'],
      ['sub', '2026-06-05T10:00:00.000Z', '2026-06-05T12:00:00.000Z', 'o1'],
      ['sub2', '2026-06-05T12:00:00.000Z', '2026-06-05T13:00:00.000Z', 'o2'],
      ['sub', '2026-06-05T13:00:00.000Z', '2026-06-05T20:00:00.000Z', 'o1'],
      ['night', '2026-06-05T20:00:00.000Z', '2026-06-06T00:00:00.000Z', 'base'],
    ]);
  });

  it('answers who is on call with the whole shift', () => {
    const r = rules([layer({ startDate: '2026-03-27' })]);
    const s = whoIsOnCall(r, new Date('2026-03-28T23:00:00.000Z'));
    expect(s).toMatchObject({ userId: 'bob', source: 'primary', sourceType: 'layer' });
    expect([s?.start.toISOString(), s?.end.toISOString()]).toEqual(['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z']);
    expect(whoIsOnCall(rules([]), new Date('2026-03-28T23:00:00.000Z'))).toBeNull();
  });

  it('reports the whole range as a gap for an empty schedule, and none for a 24/7 rotation', () => {
    const from = new Date('2026-06-01T00:00:00.000Z');
    const to = new Date('2026-06-15T00:00:00.000Z');
    expect(findGaps(rules([]), from, to)).toEqual([{ start: from, end: to }]);
    expect(findGaps(rules([layer({ startDate: '2026-05-01' })]), from, to)).toEqual([]);
  });
});
