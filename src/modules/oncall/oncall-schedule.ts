import { localParts, zonedToUtc } from '../../core/time-zone.ts';

/**
 * Who is on call, computed lazily from a schedule's rules (no stored shifts). Layers are listed bottom to top: a later
 * layer wins wherever it has someone; overrides beat every layer (among overlapping overrides, the later-created one
 * wins). Hand-offs happen at a local wall-clock time in the schedule's zone, so a daily 08:00 hand-off stays 08:00 local
 * across DST changes; an "every N hours" rotation counts elapsed hours instead.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** How often a layer hands off: daily, weekly, every N days (at the hand-off time), or every N elapsed hours. */
export type RotationKind = 'daily' | 'weekly' | 'days' | 'hours';

/** Limit a layer to part of each day (and some weekdays), e.g. business hours. */
export interface LayerRestriction {
  /** ISO weekdays 1 (Monday) … 7 (Sunday) on which the window starts. */
  weekdays: readonly number[];
  /** `HH:MM` local start. */
  from: string;
  /** `HH:MM` local end; at or before `from` means the next day (17:00–08:00), equal means 24 hours. */
  to: string;
}

export interface ScheduleLayer {
  id: string;
  name: string;
  /** User ids in rotation order. */
  users: readonly string[];
  rotation: RotationKind;
  /** N for `days` and `hours` rotations (ignored otherwise). */
  every: number;
  /** `HH:MM` local time of each hand-off. */
  handoffTime: string;
  /** `YYYY-MM-DD` local date of the first hand-off (users[0] starts then; weekly rotations hand off on its weekday). */
  startDate: string;
  restriction: LayerRestriction | null;
}

export interface ScheduleOverride {
  id: string;
  userId: string;
  /** UTC ISO, inclusive. */
  startsAt: string;
  /** UTC ISO, exclusive. */
  endsAt: string;
}

/** What resolveSchedule needs: a zone, layers bottom to top, overrides in creation order. */
export interface ScheduleRules {
  timeZone: string;
  layers: readonly ScheduleLayer[];
  overrides: readonly ScheduleOverride[];
}

/** One stretch of time with one person on call. */
export interface Shift {
  userId: string;
  start: Date;
  end: Date;
  /** The layer id or override id that put the person there. */
  source: string;
  sourceType: 'layer' | 'override';
}

interface Seg {
  s: number;
  e: number;
  userId: string;
}

const hm = (t: string): [number, number] => t.split(':').map(Number) as [number, number];
const ymd = (d: string): [number, number, number] => d.split('-').map(Number) as [number, number, number];

/** Rotation shifts of a layer overlapping [from, to), in order. */
function rotationSegments(layer: ScheduleLayer, tz: string, from: number, to: number): Seg[] {
  const n = layer.users.length;
  if (n === 0) return [];
  const [y, mo, d] = ymd(layer.startDate);
  const [h, mi] = hm(layer.handoffTime);
  const anchor = zonedToUtc(y, mo, d, h, mi, tz);
  const out: Seg[] = [];
  const user = (k: number) => layer.users[k % n]!;
  if (layer.rotation === 'hours') {
    const len = layer.every * HOUR;
    let k = Math.max(0, Math.floor((from - anchor) / len));
    for (let s = anchor + k * len; s < to; k++, s = anchor + k * len) {
      if (s + len > from) out.push({ s, e: s + len, userId: user(k) });
    }
    return out;
  }
  const days = layer.rotation === 'daily' ? 1 : layer.rotation === 'weekly' ? 7 : layer.every;
  const startOf = (k: number) => zonedToUtc(y, mo, d + k * days, h, mi, tz);
  // Local days are 23–25 hours long: start a period early and walk forward.
  let k = Math.max(0, Math.floor((from - anchor) / (days * DAY)) - 1);
  let s = startOf(k);
  while (s < to) {
    const e = startOf(k + 1);
    if (e > from) out.push({ s, e, userId: user(k) });
    k++;
    s = e;
  }
  return out;
}

/** The windows [s, e) a restriction allows, overlapping [from, to). */
function restrictionWindows(r: LayerRestriction, tz: string, from: number, to: number): { s: number; e: number }[] {
  const [fh, fm] = hm(r.from);
  const [th, tm] = hm(r.to);
  const overnight = th * 60 + tm <= fh * 60 + fm;
  const first = localParts(from, tz);
  const out: { s: number; e: number }[] = [];
  // Start one local day early: yesterday's overnight window may still be open at `from`.
  for (let k = -1; ; k++) {
    const day = new Date(Date.UTC(first.y, first.mo - 1, first.d + k));
    const [yy, mm, dd] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const s = zonedToUtc(yy, mm, dd, fh, fm, tz);
    if (s >= to) break;
    const weekday = ((day.getUTCDay() + 6) % 7) + 1;
    if (!r.weekdays.includes(weekday)) continue;
    const e = zonedToUtc(yy, mm, dd + (overnight ? 1 : 0), th, tm, tz);
    if (e > from) {
      const last = out[out.length - 1];
      if (last && last.e >= s) last.e = Math.max(last.e, e);
      else out.push({ s, e });
    }
  }
  return out;
}

/** Intersect sorted, non-overlapping segments with sorted, non-overlapping windows. */
function intersect(segs: Seg[], wins: { s: number; e: number }[]): Seg[] {
  const out: Seg[] = [];
  let j = 0;
  for (const g of segs) {
    while (j < wins.length && wins[j]!.e <= g.s) j++;
    for (let w = j; w < wins.length && wins[w]!.s < g.e; w++) {
      const s = Math.max(g.s, wins[w]!.s);
      const e = Math.min(g.e, wins[w]!.e);
      if (s < e) out.push({ s, e, userId: g.userId });
    }
  }
  return out;
}

/** The shifts a layer contributes in [from, to), clipped. */
export function layerSegments(
  layer: ScheduleLayer,
  tz: string,
  from: number,
  to: number,
): { s: number; e: number; userId: string }[] {
  const rot = rotationSegments(layer, tz, from, to);
  const segs = layer.restriction ? intersect(rot, restrictionWindows(layer.restriction, tz, from, to)) : rot;
  return segs.map((g) => ({ s: Math.max(g.s, from), e: Math.min(g.e, to), userId: g.userId })).filter((g) => g.s < g.e);
}

/**
 * Everyone on call in [from, to): consecutive, non-overlapping shifts sorted by start, clipped to the range, each with
 * the layer or override that decided it. Time nobody covers is simply absent (see `findGaps`).
 */
export function resolveSchedule(schedule: ScheduleRules, from: Date, to: Date): Shift[] {
  const f = from.getTime();
  const t = to.getTime();
  if (!(t > f)) return [];
  // Highest priority first: overrides (latest first), then layers from the top down.
  const sources: { id: string; type: 'layer' | 'override'; segs: Seg[] }[] = [];
  for (const o of [...schedule.overrides].reverse()) {
    const s = Math.max(Date.parse(o.startsAt), f);
    const e = Math.min(Date.parse(o.endsAt), t);
    if (s < e) sources.push({ id: o.id, type: 'override', segs: [{ s, e, userId: o.userId }] });
  }
  for (const l of [...schedule.layers].reverse()) {
    sources.push({ id: l.id, type: 'layer', segs: layerSegments(l, schedule.timeZone, f, t) });
  }
  const cuts = new Set<number>([f, t]);
  for (const src of sources) for (const g of src.segs) cuts.add(g.s).add(g.e);
  const points = [...cuts].sort((a, b) => a - b);
  const idx = sources.map(() => 0);
  const out: Shift[] = [];
  for (let p = 0; p + 1 < points.length; p++) {
    const s = points[p]!;
    const e = points[p + 1]!;
    let chosen: { userId: string; source: string; type: 'layer' | 'override' } | null = null;
    for (let i = 0; i < sources.length; i++) {
      const src = sources[i]!;
      let j = idx[i]!;
      while (j < src.segs.length && src.segs[j]!.e <= s) j++;
      idx[i] = j;
      const g = src.segs[j];
      if (!chosen && g && g.s <= s) chosen = { userId: g.userId, source: src.id, type: src.type };
    }
    if (!chosen) continue;
    const last = out[out.length - 1];
    if (last && last.end.getTime() === s && last.userId === chosen.userId && last.source === chosen.source) {
      last.end = new Date(e);
    } else {
      out.push({ userId: chosen.userId, start: new Date(s), end: new Date(e), source: chosen.source, sourceType: chosen.type });
    }
  }
  return out;
}

/** The shift covering `at` (with its full extent within a week either side), or null when nobody is on call. */
export function whoIsOnCall(schedule: ScheduleRules, at: Date): Shift | null {
  const t = at.getTime();
  const shifts = resolveSchedule(schedule, new Date(t - 7 * DAY), new Date(t + 7 * DAY));
  return shifts.find((s) => s.start.getTime() <= t && t < s.end.getTime()) ?? null;
}

/** Stretches of [from, to) with nobody on call, in order. */
export function findGaps(schedule: ScheduleRules, from: Date, to: Date): { start: Date; end: Date }[] {
  const gaps: { start: Date; end: Date }[] = [];
  let cursor = from.getTime();
  for (const s of resolveSchedule(schedule, from, to)) {
    if (s.start.getTime() > cursor) gaps.push({ start: new Date(cursor), end: s.start });
    cursor = Math.max(cursor, s.end.getTime());
  }
  if (cursor < to.getTime()) gaps.push({ start: new Date(cursor), end: to });
  return gaps;
}
