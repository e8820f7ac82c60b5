import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { iso, type Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, invalid, notFound, type FieldError } from '../../core/errors.ts';
import type { OncallConfig } from './oncall.config.ts';
import { renderCalendar, type CalendarEvent } from './oncall.ical.ts';
import { findGaps, resolveSchedule, whoIsOnCall, type ScheduleLayer, type ScheduleRules, type Shift } from './oncall-schedule.ts';
import { oncallStore, type OverrideRow, type ScheduleRow } from './oncall.store.ts';
import { isTimeZone } from '../../core/time-zone.ts';
import type { AuditChange } from '../../core/audit.ts';
import type { ScheduleDefinition } from './api/oncall.schemas.ts';

const DAY = 86_400_000;
/** Longest range one shifts query may cover. */
const MAX_RANGE_DAYS = 93;
/** Longest single override. */
const MAX_OVERRIDE_DAYS = 90;

/** A person as on-call views show them; resolved through the identity module (passed in by app.ts). */
export interface OncallUser {
  id: string;
  username: string;
  displayName: string;
  disabled: boolean;
}

/**
 * Look users up by id, or by (normalised, lower-case) username when `by` is `username`; the map is keyed by what was
 * asked for, and keys without a user are absent from it.
 */
export type UserLookup = (db: Db, keys: readonly string[], by?: 'id' | 'username') => Promise<Map<string, OncallUser>>;

/** A layer as written by API callers: the id is assigned when absent. */
export type LayerInput = Omit<ScheduleLayer, 'id'> & { id?: string | undefined };

export interface ScheduleInput {
  name: string;
  description: string;
  timeZone: string;
  layers: LayerInput[];
}

/** A schedule as the API shows it (never its feed key). */
export interface Schedule {
  id: string;
  name: string;
  description: string;
  timeZone: string;
  layers: ScheduleLayer[];
  /** Whether a calendar feed key has been issued. */
  hasCalendarKey: boolean;
  /** A coverage-gap signal is firing. */
  gapFiring: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface Override {
  id: string;
  scheduleId: string;
  userId: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdAt: string;
  createdBy: string;
}

/** A shift with the person's name, as the API shows it. */
export interface ShiftView {
  userId: string;
  userName: string;
  start: string;
  end: string;
  source: string;
  sourceType: 'layer' | 'override';
}

export interface OnCallNow {
  scheduleId: string;
  scheduleName: string;
  timeZone: string;
  /** Who is on call now, or null (a gap). */
  current: ShiftView | null;
  /** The next shift after the current one (or after now when nobody is on call). */
  next: ShiftView | null;
}

export interface ScheduleGaps {
  scheduleId: string;
  scheduleName: string;
  timeZone: string;
  gaps: { start: string; end: string }[];
}

/** A newly issued feed key: shown once, stored only as its hash. */
export interface IssuedKey {
  key: string;
  /** Path of the feed with the key (prefix with the console's origin). */
  url: string;
}

/** What `applySchedules` did with one definition. */
export interface ScheduleApplyResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  id: string;
}

/** The one spelling of a username, as identity stores it (NFKC, trimmed, lower case). */
const normaliseUsername = (u: string) => u.normalize('NFKC').trim().toLowerCase();

/** The fields a definition file controls, in a fixed key order: equal JSON means unchanged. */
const comparable = (s: { name: string; description: string; timeZone: string; layers: ScheduleLayer[] }) =>
  JSON.stringify({
    name: s.name,
    description: s.description,
    timeZone: s.timeZone,
    layers: s.layers.map((l) => ({
      id: l.id,
      name: l.name,
      users: l.users,
      rotation: l.rotation,
      every: l.every,
      handoffTime: l.handoffTime,
      startDate: l.startDate,
      restriction: l.restriction,
    })),
  });

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function toSchedule(r: ScheduleRow): Schedule {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    timeZone: r.time_zone,
    layers: JSON.parse(r.layers) as ScheduleLayer[],
    hasCalendarKey: r.calendar_key_hash !== null,
    gapFiring: r.gap_firing === 1,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
  };
}

function toOverride(r: OverrideRow): Override {
  return {
    id: r.id,
    scheduleId: r.schedule_id,
    userId: r.user_id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    reason: r.reason,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/** Schedules, overrides, computed shifts, coverage gaps and calendar feeds. Every method takes the caller's `db`. */
export class OncallService {
  constructor(private readonly d: { clock: Clock; config: OncallConfig; lookupUsers: UserLookup }) {}

  async list(db: Db): Promise<Schedule[]> {
    return (await oncallStore.listSchedules(db)).map(toSchedule);
  }

  /** The schedule, or `oncall_schedule_not_found`. */
  async get(db: Db, id: string): Promise<Schedule> {
    return toSchedule(await this.#row(db, id));
  }

  async #row(db: Db, id: string): Promise<ScheduleRow> {
    const r = await oncallStore.schedule(db, id);
    if (!r) throw notFound('oncall_schedule_not_found', 'no such on-call schedule');
    return r;
  }

  /** Check the zone and every layer's users; assign missing layer ids. */
  async #validate(db: Db, input: ScheduleInput): Promise<ScheduleLayer[]> {
    if (!isTimeZone(input.timeZone)) {
      throw invalid('oncall_time_zone_unknown', `unknown time zone ${input.timeZone}`, [
        { path: 'body.timeZone', message: 'not an IANA time zone' },
      ]);
    }
    const layers = input.layers.map((l) => ({ ...l, id: l.id ?? randomUUID() }));
    const ids = new Set<string>();
    for (const [i, l] of layers.entries()) {
      if (ids.has(l.id))
        throw invalid('oncall_layer_id_duplicate', `layer id ${l.id} is used twice`, [
          { path: `body.layers.${i}.id`, message: 'duplicate' },
        ]);
      ids.add(l.id);
    }
    await this.#requireUsers(
      db,
      layers.flatMap((l, i) => l.users.map((u, j) => ({ id: u, path: `body.layers.${i}.users.${j}` }))),
    );
    return layers.map((l) => ({
      id: l.id,
      name: l.name,
      users: l.users,
      rotation: l.rotation,
      every: l.every,
      handoffTime: l.handoffTime,
      startDate: l.startDate,
      restriction: l.restriction,
    }));
  }

  async #requireUsers(db: Db, refs: { id: string; path: string }[]): Promise<void> {
    const found = await this.d.lookupUsers(db, [...new Set(refs.map((r) => r.id))]);
    const errors: FieldError[] = refs.filter((r) => !found.has(r.id)).map((r) => ({ path: r.path, message: `no user ${r.id}` }));
    if (errors.length) throw invalid('oncall_user_not_found', 'every person on a schedule must be an existing user', errors);
  }

  async create(db: Db, input: ScheduleInput, actor: string): Promise<Schedule> {
    const layers = await this.#validate(db, input);
    const now = iso(this.d.clock.now());
    const row: ScheduleRow = {
      id: randomUUID(),
      name: input.name,
      description: input.description,
      time_zone: input.timeZone,
      layers: JSON.stringify(layers),
      calendar_key_hash: null,
      gap_firing: 0,
      created_at: now,
      created_by: actor,
      updated_at: now,
    };
    await oncallStore.insertSchedule(db, row);
    return toSchedule(row);
  }

  async update(db: Db, id: string, patch: Partial<ScheduleInput>): Promise<{ before: Schedule; after: Schedule }> {
    const row = await this.#row(db, id);
    const before = toSchedule(row);
    const merged: ScheduleInput = {
      name: patch.name ?? before.name,
      description: patch.description ?? before.description,
      timeZone: patch.timeZone ?? before.timeZone,
      layers: patch.layers ?? before.layers,
    };
    const layers = await this.#validate(db, merged);
    const next = {
      name: merged.name,
      description: merged.description,
      time_zone: merged.timeZone,
      layers: JSON.stringify(layers),
      updated_at: iso(this.d.clock.now()),
    };
    await oncallStore.updateSchedule(db, id, next);
    return { before, after: toSchedule({ ...row, ...next }) };
  }

  /** Delete a schedule and its overrides; returns what it was (the caller resolves a firing gap signal). */
  async remove(db: Db, id: string): Promise<Schedule> {
    const before = toSchedule(await this.#row(db, id));
    await oncallStore.deleteSchedule(db, id);
    return before;
  }

  async listOverrides(db: Db, scheduleId: string): Promise<Override[]> {
    await this.#row(db, scheduleId);
    return (await oncallStore.overrides(db, [scheduleId], iso(this.d.clock.now()))).map(toOverride);
  }

  async addOverride(
    db: Db,
    scheduleId: string,
    input: { userId: string; startsAt: string; endsAt: string; reason: string },
    actor: string,
  ): Promise<Override> {
    await this.#row(db, scheduleId);
    const s = Date.parse(input.startsAt);
    const e = Date.parse(input.endsAt);
    if (!(e > s))
      throw invalid('oncall_override_range_invalid', 'endsAt must be after startsAt', [
        { path: 'body.endsAt', message: 'not after startsAt' },
      ]);
    if (e - s > MAX_OVERRIDE_DAYS * DAY) {
      throw invalid('oncall_override_too_long', `an override covers at most ${MAX_OVERRIDE_DAYS} days`, [
        { path: 'body.endsAt', message: 'too long' },
      ]);
    }
    if (e <= this.d.clock.now().getTime()) {
      throw invalid('oncall_override_in_past', 'the override ends in the past', [
        { path: 'body.endsAt', message: 'in the past' },
      ]);
    }
    await this.#requireUsers(db, [{ id: input.userId, path: 'body.userId' }]);
    const row: OverrideRow = {
      id: randomUUID(),
      schedule_id: scheduleId,
      user_id: input.userId,
      starts_at: new Date(s).toISOString(),
      ends_at: new Date(e).toISOString(),
      reason: input.reason,
      created_at: iso(this.d.clock.now()),
      created_by: actor,
    };
    await oncallStore.insertOverride(db, row);
    return toOverride(row);
  }

  async removeOverride(db: Db, scheduleId: string, overrideId: string): Promise<Override> {
    await this.#row(db, scheduleId);
    const row = await oncallStore.override(db, scheduleId, overrideId);
    if (!row) throw notFound('oncall_override_not_found', 'no such override on this schedule');
    await oncallStore.deleteOverride(db, overrideId);
    return toOverride(row);
  }

  /** The rules resolveSchedule needs, with overrides ending after `after`. */
  async rules(db: Db, rows: ScheduleRow[], after: Date): Promise<Map<string, ScheduleRules>> {
    const overrides = await oncallStore.overrides(
      db,
      rows.map((r) => r.id),
      iso(after),
    );
    const out = new Map<string, ScheduleRules>();
    for (const r of rows) {
      out.set(r.id, {
        timeZone: r.time_zone,
        layers: JSON.parse(r.layers) as ScheduleLayer[],
        overrides: overrides
          .filter((o) => o.schedule_id === r.id)
          .map((o) => ({ id: o.id, userId: o.user_id, startsAt: o.starts_at, endsAt: o.ends_at })),
      });
    }
    return out;
  }

  async #views(db: Db, shifts: Shift[]): Promise<ShiftView[]> {
    const users = await this.d.lookupUsers(db, [...new Set(shifts.map((s) => s.userId))]);
    return shifts.map((s) => {
      const u = users.get(s.userId);
      return {
        userId: s.userId,
        userName: u ? u.displayName || u.username : s.userId,
        start: s.start.toISOString(),
        end: s.end.toISOString(),
        source: s.source,
        sourceType: s.sourceType,
      };
    });
  }

  /** Shifts of one schedule in [from, to) (at most 93 days). */
  async shifts(db: Db, id: string, from: Date, to: Date): Promise<ShiftView[]> {
    if (!(to.getTime() > from.getTime()))
      throw invalid('oncall_range_invalid', 'to must be after from', [{ path: 'query.to', message: 'not after from' }]);
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY) {
      throw invalid('oncall_range_too_long', `a range covers at most ${MAX_RANGE_DAYS} days`, [
        { path: 'query.to', message: 'too far from from' },
      ]);
    }
    const row = await this.#row(db, id);
    const rules = (await this.rules(db, [row], from)).get(id)!;
    return this.#views(db, resolveSchedule(rules, from, to));
  }

  /** Who is on call now (and next) on every schedule. */
  async now(db: Db): Promise<OnCallNow[]> {
    const at = this.d.clock.now();
    const rows = await oncallStore.listSchedules(db);
    const all = await this.rules(db, rows, new Date(at.getTime() - 7 * DAY));
    const out: OnCallNow[] = [];
    for (const r of rows) {
      const rules = all.get(r.id)!;
      const current = whoIsOnCall(rules, at);
      const after = current ? current.end : at;
      const next =
        resolveSchedule(rules, after, new Date(after.getTime() + 14 * DAY)).find((s) => s.userId !== current?.userId) ?? null;
      const views = await this.#views(
        db,
        [current, next].filter((s): s is Shift => s !== null),
      );
      const c = current ? (views[0] ?? null) : null;
      const n = next ? (views[current ? 1 : 0] ?? null) : null;
      out.push({ scheduleId: r.id, scheduleName: r.name, timeZone: r.time_zone, current: c ?? null, next: n ?? null });
    }
    return out;
  }

  /** Coverage gaps of every schedule (or one) in the next gapHorizonDays. */
  async gaps(db: Db, onlyId?: string): Promise<ScheduleGaps[]> {
    const now = this.d.clock.now();
    const to = new Date(now.getTime() + this.d.config.gapHorizonDays * DAY);
    const rows = onlyId ? [await this.#row(db, onlyId)] : await oncallStore.listSchedules(db);
    const all = await this.rules(db, rows, now);
    return rows.map((r) => ({
      scheduleId: r.id,
      scheduleName: r.name,
      timeZone: r.time_zone,
      gaps: findGaps(all.get(r.id)!, now, to).map((g) => ({ start: g.start.toISOString(), end: g.end.toISOString() })),
    }));
  }

  /** Mark whether a schedule's gap signal is firing (the coverage job's memory). */
  async setGapFiring(db: Db, id: string, firing: boolean): Promise<void> {
    await oncallStore.updateSchedule(db, id, { gap_firing: firing ? 1 : 0 });
  }

  /** Issue a new feed key for a schedule (the old one stops working). */
  async rotateScheduleKey(db: Db, id: string): Promise<IssuedKey> {
    await this.#row(db, id);
    const key = randomBytes(32).toString('base64url');
    await oncallStore.updateSchedule(db, id, { calendar_key_hash: hashKey(key), updated_at: iso(this.d.clock.now()) });
    return { key, url: `/api/v1/oncall/schedules/${id}/calendar.ics?key=${key}` };
  }

  /** Issue a new personal feed key for a user (the old one stops working). */
  async rotateUserKey(db: Db, userId: string): Promise<IssuedKey> {
    await this.#requireUsers(db, [{ id: userId, path: 'params.id' }]).catch((e: unknown) => {
      throw e instanceof AppError ? notFound('oncall_user_not_found', 'no such user') : e;
    });
    const key = randomBytes(32).toString('base64url');
    await oncallStore.setUserFeed(db, { user_id: userId, key_hash: hashKey(key), created_at: iso(this.d.clock.now()) });
    return { key, url: `/api/v1/oncall/users/${userId}/calendar.ics?key=${key}` };
  }

  #feedWindow(): { now: Date; from: Date; to: Date } {
    const now = this.d.clock.now();
    return {
      now,
      from: new Date(now.getTime() - this.d.config.feedPastDays * DAY),
      to: new Date(now.getTime() + this.d.config.feedFutureDays * DAY),
    };
  }

  /** A schedule's iCalendar feed, if `key` is its current key; otherwise `oncall_calendar_not_found`. */
  async scheduleFeed(db: Db, id: string, key: string): Promise<string> {
    const row = await oncallStore.schedule(db, id);
    if (!row || row.calendar_key_hash === null || !sameHash(row.calendar_key_hash, hashKey(key))) {
      throw notFound('oncall_calendar_not_found', 'no such calendar');
    }
    const { now, from, to } = this.#feedWindow();
    const rules = (await this.rules(db, [row], from)).get(id)!;
    const shifts = await this.#views(db, resolveSchedule(rules, from, to));
    const events: CalendarEvent[] = shifts.map((s) => ({
      uid: `${row.id}-${s.userId}-${Date.parse(s.start)}@skjold`,
      start: new Date(s.start),
      end: new Date(s.end),
      summary: `On call: ${s.userName} (${row.name})`,
    }));
    return renderCalendar({ name: `On call: ${row.name}`, now, events });
  }

  /** A user's personal feed over every schedule, if `key` is their current key; otherwise `oncall_calendar_not_found`. */
  async userFeed(db: Db, userId: string, key: string): Promise<string> {
    const feed = await oncallStore.userFeedByHash(db, hashKey(key));
    if (!feed || feed.user_id !== userId) throw notFound('oncall_calendar_not_found', 'no such calendar');
    const { now, from, to } = this.#feedWindow();
    const rows = await oncallStore.listSchedules(db);
    const all = await this.rules(db, rows, from);
    const events: CalendarEvent[] = [];
    for (const r of rows) {
      for (const s of resolveSchedule(all.get(r.id)!, from, to)) {
        if (s.userId !== userId) continue;
        events.push({
          uid: `${r.id}-${userId}-${s.start.getTime()}@skjold`,
          start: s.start,
          end: s.end,
          summary: `On call: ${r.name}`,
        });
      }
    }
    events.sort((a, b) => a.start.getTime() - b.start.getTime());
    const user = (await this.d.lookupUsers(db, [userId])).get(userId);
    return renderCalendar({ name: `On call: ${user ? user.displayName || user.username : userId}`, now, events });
  }
  /**
   * Create or update schedules from definitions (a file kept in git), matched by name; people are named by username.
   * All or nothing: the first problem (unknown user or zone, a name twice, an ambiguous name) throws with the item's
   * path under `pathPrefix`, and the caller's transaction rolls back. Schedules missing from the list are kept.
   * Overrides and calendar keys are not part of a definition and are left as they are.
   */
  async applySchedules(
    db: Db,
    defs: readonly ScheduleDefinition[],
    opts: { actor: string; defaultTimeZone: string; pathPrefix: string; audit: { change(c: AuditChange): void } },
  ): Promise<ScheduleApplyResult[]> {
    const at = (i: number, rest = '') => `${opts.pathPrefix}.${i}${rest}`;
    const seen = new Map<string, number>();
    for (const [i, d] of defs.entries()) {
      const first = seen.get(d.name);
      if (first !== undefined)
        throw invalid('oncall_schedule_name_duplicate', `the schedule name ${d.name} appears twice`, [
          { path: at(i, '.name'), message: `also item ${first}` },
        ]);
      seen.set(d.name, i);
    }
    const wanted = [...new Set(defs.flatMap((d) => d.layers.flatMap((l) => l.users.map(normaliseUsername))))];
    const users = await this.d.lookupUsers(db, wanted, 'username');
    const missing: FieldError[] = defs.flatMap((d, i) =>
      d.layers.flatMap((l, j) =>
        l.users
          .map((u, k) => ({ u, path: at(i, `.layers.${j}.users.${k}`) }))
          .filter((x) => !users.has(normaliseUsername(x.u)))
          .map((x) => ({ path: x.path, message: `no user ${x.u}` })),
      ),
    );
    if (missing.length) throw invalid('oncall_user_not_found', 'every person on a schedule must be an existing user', missing);

    const existing = await oncallStore.listSchedules(db);
    const out: ScheduleApplyResult[] = [];
    for (const [i, d] of defs.entries()) {
      const matches = existing.filter((r) => r.name === d.name);
      if (matches.length > 1)
        throw invalid('oncall_schedule_name_ambiguous', `${matches.length} schedules are named ${d.name}: rename them first`, [
          { path: at(i, '.name'), message: 'several schedules have this name' },
        ]);
      const current = matches[0] ? toSchedule(matches[0]) : undefined;
      const timeZone = d.timeZone ?? current?.timeZone ?? opts.defaultTimeZone;
      // A layer without an id keeps the id of the current layer of the same name, so applying is idempotent.
      const taken = new Set(d.layers.flatMap((l) => (l.id ? [l.id] : [])));
      const idOf = (l: { id?: string | undefined; name: string }) => {
        if (l.id) return l.id;
        const same = current?.layers.find((c) => c.name === l.name && !taken.has(c.id));
        if (same) taken.add(same.id);
        return same?.id;
      };
      const layers: LayerInput[] = d.layers.map((l) => ({
        id: idOf(l),
        name: l.name,
        users: l.users.map((u) => users.get(normaliseUsername(u))!.id),
        rotation: l.rotation,
        every: l.every,
        handoffTime: l.handoffTime,
        startDate: l.startDate,
        restriction: l.restriction,
      }));
      const input: ScheduleInput = { name: d.name, description: d.description, timeZone, layers };
      try {
        if (!current) {
          const created = await this.create(db, input, opts.actor);
          opts.audit.change({ type: 'oncall_schedule', id: created.id, before: null, after: { ...created } });
          out.push({ name: d.name, action: 'created', id: created.id });
          continue;
        }
        const resolved = await this.#validate(db, input);
        if (comparable({ ...input, layers: resolved }) === comparable(current)) {
          out.push({ name: d.name, action: 'unchanged', id: current.id });
          continue;
        }
        const { before, after } = await this.update(db, current.id, { ...input, layers: resolved });
        opts.audit.change({ type: 'oncall_schedule', id: after.id, before: { ...before }, after: { ...after } });
        out.push({ name: d.name, action: 'updated', id: current.id });
      } catch (e) {
        // #validate names fields as `body.…`; point at the item in the list instead.
        if (e instanceof AppError && e.errors)
          throw new AppError(e.kind, e.code, e.message, {
            errors: e.errors.map((f) => ({ ...f, path: f.path.replace(/^body/, at(i)) })),
          });
        throw e;
      }
    }
    return out;
  }

  /** Every schedule as `applySchedules` takes it back, sorted by name, with people named by username. */
  async exportSchedules(db: Db): Promise<ScheduleDefinition[]> {
    const rows = (await this.list(db)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const users = await this.d.lookupUsers(db, [...new Set(rows.flatMap((s) => s.layers.flatMap((l) => l.users)))]);
    return rows.map((s) => ({
      name: s.name,
      description: s.description,
      timeZone: s.timeZone,
      layers: s.layers.map((l) => ({
        id: l.id,
        name: l.name,
        // A user that no longer exists stays visible by id (applying it back then names the problem).
        users: l.users.map((u) => users.get(u)?.username ?? u),
        rotation: l.rotation,
        every: l.every,
        handoffTime: l.handoffTime,
        startDate: l.startDate,
        restriction: l.restriction ? { ...l.restriction, weekdays: [...l.restriction.weekdays] } : null,
      })),
    }));
  }
}
