/**
 * When a maintenance window applies, computed lazily from its rule (no stored occurrences). Weekly windows start at a
 * local wall-clock time in their time zone, so 02:00 Copenhagen is 01:00 UTC in winter and 00:00 UTC in summer.
 */

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

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = fmtCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    fmtCache.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows the IANA time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Local calendar fields of an instant in a zone. */
function localParts(ms: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return {
    y: p['year'] ?? 0,
    mo: p['month'] ?? 1,
    d: p['day'] ?? 1,
    h: p['hour'] ?? 0,
    mi: p['minute'] ?? 0,
    s: p['second'] ?? 0,
  };
}

/** Offset (local − UTC) in ms of a zone at an instant. */
function offsetAt(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone);
  return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC instant of a local wall-clock time. A time skipped by a spring-forward change maps to the same
 * wall time after the change (02:30 → 03:30); an ambiguous autumn time maps to its first occurrence.
 */
export function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // The offsets a day either side bracket any change; whichever candidate really shows this wall time wins.
  const before = wall - offsetAt(wall - 86_400_000, timeZone);
  const after = wall - offsetAt(wall + 86_400_000, timeZone);
  const valid = [before, after].filter((c) => c + offsetAt(c, timeZone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  // Skipped by spring forward: the same wall time read with the offset from before the change.
  return before;
}

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
