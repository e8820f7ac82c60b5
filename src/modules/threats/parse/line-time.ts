/**
 * Event time from the log line, so a replay behaves like live. Shared by every timestamp shape (syslog, access log,
 * vsftpd): it fills in the year RFC 3164 leaves out, applies the configured zone where the line has none, and clamps
 * times from the future.
 *
 * Future timestamps: a line dated more than `skewMs` (default 5 minutes) after now is accepted, but its time is
 * clamped to now + skew and counted as `future`. Dropping it would let a wrong clock on a sender hide attacks; keeping
 * the forged time would let an attacker who writes log lines (a forged syslog header on a network input) push
 * detection windows ahead and make every later real event look old.
 */
import { createZoneClock, daysFromCivil, daysInMonth, type ZoneClock } from './zone-clock.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface LineTimeOptions {
  timeZone: string;
  now: () => number;
  skewMs: number;
}

export interface LineTime {
  readonly zone: ZoneClock;
  /** Lines whose time was clamped to now + skew. */
  future: number;
  /** UTC ms of a local wall time with a year (month 1–12); NaN when the fields are out of range. */
  fromLocal(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number;
  /** Same without a year (RFC 3164): the local year of now, or the year before when that lands over a day ahead. */
  fromLocalNoYear(month: number, day: number, hour: number, minute: number, second: number, ms: number): number;
  /** UTC ms of a wall time with an explicit offset (ms east of UTC); NaN when out of range. */
  fromOffset(
    year: number,
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
    ms: number,
    offsetMs: number,
  ): number;
  /** Final step for every parsed time: clamps the future (counting it) and remembers the time for DST ambiguity. */
  accept(utcMs: number): number;
  /** Now, per the injected clock. */
  now(): number;
}

/** Validates wall-clock fields; a leap second (60) is read as 59. Returns local ms (wall time read as UTC) or NaN. */
function wallMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 60 || year < 1970 || year > 9999) return Number.NaN;
  return daysFromCivil(year, month, day) * DAY_MS + hour * HOUR_MS + minute * 60_000 + Math.min(second, 59) * 1000 + ms;
}

/** The time context of one line parser. */
export function createLineTime(options: LineTimeOptions): LineTime {
  const zone = createZoneClock(options.timeZone);
  const now = options.now;
  const skewMs = options.skewMs;
  let previous = Number.NEGATIVE_INFINITY;
  // The local year of now is cached with the UTC range it holds for, so RFC 3164 lines cost one comparison.
  let yearFrom = 1;
  let yearUntil = 0;
  let year = 1970;
  const localYearOf = (t: number): number => {
    if (t >= yearFrom && t < yearUntil) return year;
    const local = new Date(t + zone.offsetAt(t));
    year = local.getUTCFullYear();
    yearFrom = zone.localToUtc(daysFromCivil(year, 1, 1) * DAY_MS, Number.NEGATIVE_INFINITY);
    yearUntil = zone.localToUtc(daysFromCivil(year + 1, 1, 1) * DAY_MS, Number.NEGATIVE_INFINITY);
    return year;
  };

  const self: LineTime = {
    zone,
    future: 0,
    now,
    fromLocal(y, mo, d, h, mi, s, ms) {
      const local = wallMs(y, mo, d, h, mi, s, ms);
      return Number.isNaN(local) ? local : zone.localToUtc(local, previous);
    },
    fromLocalNoYear(mo, d, h, mi, s, ms) {
      const n = now();
      const y = localYearOf(n);
      let t = self.fromLocal(y, mo, d, h, mi, s, ms);
      // Feb 29 of a non-leap year is only valid as last year's… which is not leap either: NaN stays NaN.
      if (Number.isNaN(t) || t > n + DAY_MS) {
        const last = self.fromLocal(y - 1, mo, d, h, mi, s, ms);
        if (!Number.isNaN(last) || Number.isNaN(t)) t = last;
      }
      return t;
    },
    fromOffset(y, mo, d, h, mi, s, ms, offsetMs) {
      return wallMs(y, mo, d, h, mi, s, ms) - offsetMs;
    },
    accept(t) {
      const limit = now() + skewMs;
      if (t > limit) {
        self.future++;
        t = limit;
      }
      previous = t;
      return t;
    },
  };
  return self;
}
