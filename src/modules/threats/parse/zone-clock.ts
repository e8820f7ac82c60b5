/**
 * Wall-clock time in an IANA zone → UTC, for log timestamps that carry no offset (RFC 3164 syslog, vsftpd). `Intl` is
 * only asked on a cache miss: offsets are cached per 15-minute bucket of local time (every DST rule in use changes on
 * a quarter hour), and the last bucket is checked first, so a log read in order costs two comparisons per line.
 */

const DAY_MS = 86_400_000;
const BUCKET_MS = 15 * 60_000;
/** How far back an ambiguous (repeated) local time may be from the previous line before we take its later reading. */
const AMBIGUITY_TOLERANCE_MS = 2 * 60_000;
const MAX_CACHED_BUCKETS = 4096;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12); Howard Hinnant's `days_from_civil`. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Days in a month (1–12) of a Gregorian year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export interface ZoneClock {
  readonly timeZone: string;
  /** UTC offset (ms, east positive) in force at a UTC instant. */
  offsetAt(utcMs: number): number;
  /**
   * The UTC instant of a local wall-clock time given as "local ms" (the wall time read as if it were UTC). In the
   * repeated hour when clocks go back, the earlier reading is taken unless `previousUtc` (the time of the line before)
   * is already past it by more than two minutes: a log read in order then moves on to the second pass of that hour
   * instead of jumping back. A wall time skipped when clocks go forward is read with the offset before the change.
   */
  localToUtc(localMs: number, previousUtc: number): number;
}

/** A zone clock for `timeZone`; throws a RangeError for a zone Intl does not know (checked once, at creation). */
export function createZoneClock(timeZone: string): ZoneClock {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const fixedUtc = /^(?:UTC|Etc\/UTC|Etc\/GMT|GMT)$/i.test(timeZone);

  const utcCache = new Map<number, number>();
  const computeOffset = (utcMs: number): number => {
    const f: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(utcMs))) {
      if (part.type !== 'literal') f[part.type] = Number(part.value);
    }
    const wall = Date.UTC(
      f['year'] ?? 1970,
      (f['month'] ?? 1) - 1,
      f['day'] ?? 1,
      f['hour'] ?? 0,
      f['minute'] ?? 0,
      f['second'] ?? 0,
    );
    return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
  };
  const offsetAt = (utcMs: number): number => {
    if (fixedUtc) return 0;
    const bucket = Math.floor(utcMs / BUCKET_MS);
    let off = utcCache.get(bucket);
    if (off === undefined) {
      off = computeOffset(bucket * BUCKET_MS);
      if (utcCache.size >= MAX_CACHED_BUCKETS) utcCache.clear();
      utcCache.set(bucket, off);
    }
    return off;
  };

  // Per local bucket: the offset of the earlier reading (a) and of the later one (b); equal when unambiguous.
  const localCache = new Map<number, { a: number; b: number }>();
  let lastBucket = Number.NaN;
  let lastA = 0;
  let lastB = 0;
  const resolveBucket = (bucket: number): { a: number; b: number } => {
    const local = bucket * BUCKET_MS;
    const before = offsetAt(local - 1.5 * DAY_MS);
    const after = offsetAt(local + 1.5 * DAY_MS);
    const beforeOk = offsetAt(local - before) === before;
    const afterOk = offsetAt(local - after) === after;
    if (beforeOk && afterOk) {
      // Both readings exist: the larger offset gives the earlier instant.
      return before >= after ? { a: before, b: after } : { a: after, b: before };
    }
    if (beforeOk) return { a: before, b: before };
    if (afterOk) return { a: after, b: after };
    return { a: before, b: before }; // skipped wall time (spring forward)
  };

  return {
    timeZone,
    offsetAt,
    localToUtc(localMs: number, previousUtc: number): number {
      if (fixedUtc) return localMs;
      const bucket = Math.floor(localMs / BUCKET_MS);
      if (bucket !== lastBucket) {
        let entry = localCache.get(bucket);
        if (entry === undefined) {
          entry = resolveBucket(bucket);
          if (localCache.size >= MAX_CACHED_BUCKETS) localCache.clear();
          localCache.set(bucket, entry);
        }
        lastBucket = bucket;
        lastA = entry.a;
        lastB = entry.b;
      }
      const early = localMs - lastA;
      if (lastA === lastB) return early;
      return previousUtc > early + AMBIGUITY_TOLERANCE_MS ? localMs - lastB : early;
    },
  };
}
