import { randomUUID } from 'node:crypto';
import { iso, type Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { invalid, notFound } from '../../core/errors.ts';
import type { WindowRow } from './incidents.store.ts';
import { isTimeZone, nextOccurrence, occurrenceAt, type WindowSchedule } from './maintenance-schedule.ts';

/** A maintenance window as the API shows it. */
export interface MaintenanceWindow {
  id: string;
  title: string;
  changeRef: string;
  keyPrefixes: string[];
  components: string[];
  kind: 'once' | 'weekly';
  startsAt: string;
  endsAt: string | null;
  weekdays: number[];
  localTime: string | null;
  durationMinutes: number | null;
  timeZone: string;
  endedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Covering now. */
  activeNow: boolean;
  /** Start of the next occurrence, if any within 8 weeks. */
  nextStart: string | null;
}

export interface WindowInput {
  title: string;
  changeRef: string;
  keyPrefixes: string[];
  components: string[];
  kind: 'once' | 'weekly';
  startsAt: string;
  endsAt: string | null;
  weekdays: number[];
  localTime: string | null;
  durationMinutes: number | null;
  timeZone: string;
}

const MAX_WEEKLY_MINUTES = 7 * 24 * 60;

export function scheduleOf(r: WindowRow): WindowSchedule {
  return {
    kind: r.kind,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    weekdays: r.weekdays ? (JSON.parse(r.weekdays) as number[]) : [],
    localTime: r.local_time ?? '00:00',
    durationMinutes: r.duration_minutes ?? 0,
    timeZone: r.time_zone,
    endedAt: r.ended_at,
  };
}

/** Whether a window's scope takes in a dedup key or component. */
export function inScope(r: WindowRow, dedupKey: string, component: string | undefined): boolean {
  const prefixes = JSON.parse(r.key_prefixes) as string[];
  const components = JSON.parse(r.components) as string[];
  return prefixes.some((p) => dedupKey.startsWith(p)) || (component !== undefined && components.includes(component));
}

/** Check the rules zod cannot express alone; throws stable codes. */
function checkWindow(w: WindowInput): void {
  if (w.keyPrefixes.length === 0 && w.components.length === 0)
    throw invalid('window_scope_required', 'name at least one dedup-key prefix or component the window covers', [
      { path: 'body.keyPrefixes', message: 'empty scope' },
    ]);
  if (!isTimeZone(w.timeZone))
    throw invalid('time_zone_invalid', `unknown time zone ${w.timeZone}`, [
      { path: 'body.timeZone', message: 'unknown time zone' },
    ]);
  if (w.kind === 'once') {
    if (w.endsAt === null || Date.parse(w.endsAt) <= Date.parse(w.startsAt))
      throw invalid('window_schedule_invalid', 'a one-off window needs endsAt after startsAt', [
        { path: 'body.endsAt', message: 'must be after startsAt' },
      ]);
    return;
  }
  if (w.weekdays.length === 0 || w.localTime === null || w.durationMinutes === null)
    throw invalid('window_schedule_invalid', 'a weekly window needs weekdays, localTime and durationMinutes', [
      { path: 'body.weekdays', message: 'required for weekly windows' },
    ]);
  if (w.durationMinutes < 1 || w.durationMinutes > MAX_WEEKLY_MINUTES)
    throw invalid('window_schedule_invalid', `durationMinutes must be 1–${MAX_WEEKLY_MINUTES}`, [
      { path: 'body.durationMinutes', message: 'out of range' },
    ]);
  if (w.endsAt !== null && Date.parse(w.endsAt) <= Date.parse(w.startsAt))
    throw invalid('window_schedule_invalid', 'endsAt must be after startsAt', [
      { path: 'body.endsAt', message: 'must be after startsAt' },
    ]);
}

/** Maintenance windows: created, changed and ended by people; consulted by the sink for every signal. */
export class MaintenanceService {
  constructor(private readonly clock: Clock) {}

  toView(r: WindowRow): MaintenanceWindow {
    const s = scheduleOf(r);
    const now = this.clock.now();
    const next = nextOccurrence(s, now);
    return {
      id: r.id,
      title: r.title,
      changeRef: r.change_ref,
      keyPrefixes: JSON.parse(r.key_prefixes) as string[],
      components: JSON.parse(r.components) as string[],
      kind: r.kind,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      weekdays: s.weekdays.slice(),
      localTime: r.local_time,
      durationMinutes: r.duration_minutes === null ? null : Number(r.duration_minutes),
      timeZone: r.time_zone,
      endedAt: r.ended_at,
      createdBy: r.created_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      activeNow: occurrenceAt(s, now) !== null,
      nextStart: next ? iso(next.start) : null,
    };
  }

  async list(db: Db, includeEnded: boolean): Promise<MaintenanceWindow[]> {
    let q = db
      .selectFrom('incidents_maintenance_windows')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(500);
    if (!includeEnded) q = q.where('ended_at', 'is', null);
    return (await q.execute()).map((r) => this.toView(r));
  }

  async row(db: Db, id: string): Promise<WindowRow> {
    const r = await db.selectFrom('incidents_maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('maintenance_window_not_found', `no maintenance window ${id}`);
    return r;
  }

  async create(db: Db, w: WindowInput, actor: string): Promise<MaintenanceWindow> {
    checkWindow(w);
    const now = iso(this.clock.now());
    const row: WindowRow = {
      id: randomUUID(),
      title: w.title,
      change_ref: w.changeRef,
      key_prefixes: JSON.stringify(w.keyPrefixes),
      components: JSON.stringify(w.components),
      kind: w.kind,
      starts_at: w.startsAt,
      ends_at: w.endsAt,
      weekdays: w.kind === 'weekly' ? JSON.stringify([...new Set(w.weekdays)].sort()) : null,
      local_time: w.kind === 'weekly' ? w.localTime : null,
      duration_minutes: w.kind === 'weekly' ? w.durationMinutes : null,
      time_zone: w.timeZone,
      ended_at: null,
      created_by: actor,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('incidents_maintenance_windows').values(row).execute();
    return this.toView(row);
  }

  /** Change a window; the merged result is checked as a whole. */
  async update(
    db: Db,
    id: string,
    patch: Partial<WindowInput>,
  ): Promise<{ before: MaintenanceWindow; after: MaintenanceWindow }> {
    const r = await this.row(db, id);
    if (r.ended_at !== null) throw invalid('maintenance_window_ended', 'an ended window cannot be changed');
    const before = this.toView(r);
    const merged: WindowInput = {
      title: patch.title ?? r.title,
      changeRef: patch.changeRef ?? r.change_ref,
      keyPrefixes: patch.keyPrefixes ?? before.keyPrefixes,
      components: patch.components ?? before.components,
      kind: r.kind,
      startsAt: patch.startsAt ?? r.starts_at,
      endsAt: patch.endsAt !== undefined ? patch.endsAt : r.ends_at,
      weekdays: patch.weekdays ?? before.weekdays,
      localTime: patch.localTime ?? r.local_time,
      durationMinutes: patch.durationMinutes ?? before.durationMinutes,
      timeZone: patch.timeZone ?? r.time_zone,
    };
    checkWindow(merged);
    const updated = await db
      .updateTable('incidents_maintenance_windows')
      .set({
        title: merged.title,
        change_ref: merged.changeRef,
        key_prefixes: JSON.stringify(merged.keyPrefixes),
        components: JSON.stringify(merged.components),
        starts_at: merged.startsAt,
        ends_at: merged.endsAt,
        weekdays: r.kind === 'weekly' ? JSON.stringify([...new Set(merged.weekdays)].sort()) : null,
        local_time: r.kind === 'weekly' ? merged.localTime : null,
        duration_minutes: r.kind === 'weekly' ? merged.durationMinutes : null,
        time_zone: merged.timeZone,
        updated_at: iso(this.clock.now()),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { before, after: this.toView(updated) };
  }

  /**
   * Delete a window that never covered a signal; end one that did (it stops applying now, but stays as the
   * evidence of why those signals were expected).
   */
  async remove(
    db: Db,
    id: string,
  ): Promise<{ outcome: 'deleted' | 'ended'; before: MaintenanceWindow; after: MaintenanceWindow | null }> {
    const r = await this.row(db, id);
    const before = this.toView(r);
    const covered = await db.selectFrom('incidents_signals').select('id').where('window_id', '=', id).limit(1).executeTakeFirst();
    if (!covered) {
      await db.deleteFrom('incidents_maintenance_windows').where('id', '=', id).execute();
      return { outcome: 'deleted', before, after: null };
    }
    if (r.ended_at !== null) return { outcome: 'ended', before, after: before };
    const now = iso(this.clock.now());
    const updated = await db
      .updateTable('incidents_maintenance_windows')
      .set({ ended_at: now, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { outcome: 'ended', before, after: this.toView(updated) };
  }

  /** The window (if any) that covers a signal with this key/component at this moment. */
  async covering(db: Db, dedupKey: string, component: string | undefined, at: Date): Promise<WindowRow | null> {
    const t = iso(at);
    // Coarse filter in SQL (started, not over, not ended); the weekly rule and the scope are checked here.
    const rows = await db
      .selectFrom('incidents_maintenance_windows')
      .selectAll()
      .where('starts_at', '<=', t)
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', t)]))
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', t)]))
      .orderBy('created_at', 'asc')
      .execute();
    for (const r of rows) if (inScope(r, dedupKey, component) && occurrenceAt(scheduleOf(r), at)) return r;
    return null;
  }
}
