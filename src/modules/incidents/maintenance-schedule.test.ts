import { describe, expect, it } from 'vitest';
import { nextOccurrence, occurrenceAt, zonedToUtc, type WindowSchedule } from './maintenance-schedule.ts';

const weekly = (over: Partial<WindowSchedule> = {}): WindowSchedule => ({
  kind: 'weekly',
  startsAt: '2026-01-01T00:00:00.000Z',
  endsAt: null,
  weekdays: [7],
  localTime: '02:00',
  durationMinutes: 120,
  timeZone: 'Europe/Copenhagen',
  endedAt: null,
  ...over,
});

describe('maintenance window schedules', () => {
  it('maps local wall time to UTC on both sides of the DST changes', () => {
    expect(new Date(zonedToUtc(2026, 3, 22, 2, 0, 'Europe/Copenhagen')).toISOString()).toBe('2026-03-22T01:00:00.000Z');
    expect(new Date(zonedToUtc(2026, 3, 29, 4, 0, 'Europe/Copenhagen')).toISOString()).toBe('2026-03-29T02:00:00.000Z');
    // 02:30 does not exist on 29 March 2026 in Copenhagen: it becomes 03:30 CEST.
    expect(new Date(zonedToUtc(2026, 3, 29, 2, 30, 'Europe/Copenhagen')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice on 25 October 2026: the first one (CEST).
    expect(new Date(zonedToUtc(2026, 10, 25, 2, 30, 'Europe/Copenhagen')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('covers a weekly window at the same local time before and after spring forward', () => {
    const s = weekly({ localTime: '03:00' });
    // Sunday 22 March (CET, UTC+1): 03:00 local = 02:00 UTC.
    expect(occurrenceAt(s, new Date('2026-03-22T02:30:00Z'))?.start.toISOString()).toBe('2026-03-22T02:00:00.000Z');
    expect(occurrenceAt(s, new Date('2026-03-22T01:30:00Z'))).toBeNull();
    // Sunday 29 March (CEST, UTC+2): 03:00 local = 01:00 UTC.
    expect(occurrenceAt(s, new Date('2026-03-29T01:30:00Z'))?.start.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(occurrenceAt(s, new Date('2026-03-29T03:00:00Z'))).toBeNull();
    expect(occurrenceAt(s, new Date('2026-03-28T02:30:00Z'))).toBeNull();
  });

  it('covers an occurrence that crosses midnight from the day before', () => {
    const s = weekly({ weekdays: [6], localTime: '23:00', durationMinutes: 180 });
    expect(occurrenceAt(s, new Date('2026-06-06T23:30:00Z'))?.start.toISOString()).toBe('2026-06-06T21:00:00.000Z');
  });

  it('respects the rule’s bounds, the end of a one-off window and an ended window', () => {
    expect(occurrenceAt(weekly({ startsAt: '2026-04-01T00:00:00Z' }), new Date('2026-03-29T00:30:00Z'))).toBeNull();
    const once: WindowSchedule = { ...weekly(), kind: 'once', startsAt: '2026-05-01T10:00:00Z', endsAt: '2026-05-01T11:00:00Z' };
    expect(occurrenceAt(once, new Date('2026-05-01T10:59:59Z'))).not.toBeNull();
    expect(occurrenceAt(once, new Date('2026-05-01T11:00:00Z'))).toBeNull();
    expect(occurrenceAt({ ...once, endedAt: '2026-05-01T10:30:00Z' }, new Date('2026-05-01T10:45:00Z'))).toBeNull();
    expect(nextOccurrence(weekly(), new Date('2026-03-23T00:00:00Z'))?.start.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });
});
