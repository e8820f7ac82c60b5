/** Source of the current time. Injected everywhere so tests can move time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.#t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#t);
  }
  advance(ms: number): void {
    this.#t += ms;
  }
  set(t: Date | string): void {
    this.#t = new Date(t).getTime();
  }
}

/** Project-wide time format in storage: ISO 8601 UTC with milliseconds (sorts as text). */
export function iso(d: Date): string {
  return d.toISOString();
}

/** The later of two stored times (`iso` format, compared as text); a missing one does not count. */
export const later = (a: string | null, b: string | null | undefined): string | null => (!b ? a : !a || b > a ? b : a);
/** The earlier of two stored times (`iso` format, compared as text); a missing one does not count. */
export const earlier = (a: string | null, b: string | null | undefined): string | null => (!b ? a : !a || b < a ? b : a);
