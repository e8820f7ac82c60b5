/**
 * When a maintenance window applies, computed lazily from its rule (no stored occurrences). Weekly windows start at a
 * local wall-clock time in their time zone, so 02:00 Copenhagen is 01:00 UTC in winter and 00:00 UTC in summer.
 */

import { isTimeZone, localParts, zonedToUtc } from '../../core/time-zone.ts';

export interface WindowSchedule {
  kind: 'once' | 'weekly';
  /** once: start; weekly: first moment the rule applies. UTC ISO. */
  startsAt: string;
  /** once: end (exclusive); weekly: last moment the rule applies, or null for open-ended. UTC ISO. */
  endsAt: string | null;
  /** ISO weekdays 1 (Monday) … 7 (Sunday) on which a weekly window starts. */
  weekdays: readonly number[];
  /** `HH:MM` local start time. */
  localTime: string;
  durationMinutes: number;
  timeZone: string;
  /** Ended (deleted after covering signals): applies to nothing at or after this moment. */
  endedAt: string | null;
}

export { isTimeZone, zonedToUtc };

/** The occurrence [start, end) of the window that covers `at`, or null. */
export function occurrenceAt(s: WindowSchedule, at: Date): { start: Date; end: Date } | null {
  const t = at.getTime();
  if (s.endedAt !== null && t >= Date.parse(s.endedAt)) return null;
  if (s.kind === 'once') {
    const start = Date.parse(s.startsAt);
    const end = Date.parse(s.endsAt ?? s.startsAt);
    return t >= start && t < end ? { start: new Date(start), end: new Date(end) } : null;
  }
  if (t < Date.parse(s.startsAt) || (s.endsAt !== null && t >= Date.parse(s.endsAt))) return null;
  const [hh, mm] = s.localTime.split(':').map(Number) as [number, number];
  const durMs = s.durationMinutes * 60_000;
  const today = localParts(t, s.timeZone);
  // An occurrence that started up to `duration` ago may still cover t: look back that many local days.
  const back = Math.ceil(s.durationMinutes / 1440) + 1;
  for (let k = 0; k <= back; k++) {
    const day = new Date(Date.UTC(today.y, today.mo - 1, today.d - k));
    const isoWeekday = ((day.getUTCDay() + 6) % 7) + 1;
    if (!s.weekdays.includes(isoWeekday)) continue;
    const start = zonedToUtc(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), hh, mm, s.timeZone);
    if (t >= start && t < start + durMs) return { start: new Date(start), end: new Date(start + durMs) };
  }
  return null;
}

/** The next occurrence starting after `from` (within 8 weeks), for display. */
export function nextOccurrence(s: WindowSchedule, from: Date): { start: Date; end: Date } | null {
  const t = from.getTime();
  const ended = s.endedAt !== null ? Date.parse(s.endedAt) : Infinity;
  if (s.kind === 'once') {
    const start = Date.parse(s.startsAt);
    return start > t && start < ended ? { start: new Date(start), end: new Date(Date.parse(s.endsAt ?? s.startsAt)) } : null;
  }
  const [hh, mm] = s.localTime.split(':').map(Number) as [number, number];
  const today = localParts(t, s.timeZone);
  const until = Math.min(ended, s.endsAt !== null ? Date.parse(s.endsAt) : Infinity);
  for (let k = 0; k <= 56; k++) {
    const day = new Date(Date.UTC(today.y, today.mo - 1, today.d + k));
    if (!s.weekdays.includes(((day.getUTCDay() + 6) % 7) + 1)) continue;
    const start = zonedToUtc(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), hh, mm, s.timeZone);
    if (start <= t || start < Date.parse(s.startsAt)) continue;
    if (start >= until) return null;
    return { start: new Date(start), end: new Date(start + s.durationMinutes * 60_000) };
  }
  return null;
}
