/**
 * Wall-clock maths in an IANA time zone with nothing but Intl: maintenance windows, on-call hand-offs and anything
 * else that happens at a local time (02:00 Copenhagen is 01:00 UTC in winter and 00:00 UTC in summer).
 */

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
export interface LocalParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** The local calendar fields of the instant `ms` in `timeZone`. */
export function localParts(ms: number, timeZone: string): LocalParts {
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

function offsetAt(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone);
  return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC instant (ms) of a local wall-clock time. Day overflow is allowed (d = 32 is the next month). A time skipped
 * by spring-forward maps to the same wall time read with the offset before the change (02:30 → 03:30); an ambiguous
 * autumn time maps to its first occurrence.
 */
export function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const n = new Date(Date.UTC(y, mo - 1, d));
  const wall = Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate(), h, mi);
  const before = wall - offsetAt(wall - 86_400_000, timeZone);
  const after = wall - offsetAt(wall + 86_400_000, timeZone);
  const valid = [before, after].filter((c) => c + offsetAt(c, timeZone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  return before;
}

/** `YYYY-MM-DD HH:MM` local time of an instant, for summaries people read. */
export function formatLocal(ms: number, timeZone: string): string {
  const l = localParts(ms, timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${l.y}-${p(l.mo)}-${p(l.d)} ${p(l.h)}:${p(l.mi)}`;
}
