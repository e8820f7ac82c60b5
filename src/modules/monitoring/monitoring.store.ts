import { type Selectable, sql } from 'kysely';
import type { Db } from '../../core/db/database.ts';

export interface MonitorsTable {
  id: string;
  name: string;
  type: string;
  definition: string;
  interval_s: number;
  paused: number;
  heartbeat_token_hash: string | null;
  last_heartbeat_at: string | null;
  locations: string;
  quorum: number;
  state: MonitorState;
  state_changed_at: string | null;
  consecutive_failures: number;
  consecutive_successes: number;
  last_check_at: string | null;
  last_ok: number | null;
  last_response_ms: number | null;
  last_error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  /** Status-page component name (migration 0002); null: not public. Duplicates `definition.publicComponent`. */
  public_component: string | null;
}

export interface ResultsTable {
  monitor_id: string;
  location: string;
  at: string;
  ok: number;
  response_ms: number | null;
  error: string | null;
}

export interface RollupsTable {
  monitor_id: string;
  location: string;
  bucket: 'hour' | 'day';
  start: string;
  count: number;
  failures: number;
  min_ms: number | null;
  avg_ms: number | null;
  max_ms: number | null;
  p95_ms: number | null;
}

export interface EventsTable {
  id: string;
  monitor_id: string;
  at: string;
  from_state: string;
  to_state: string;
  summary: string;
  signal_id: string | null;
  incident_id: string | null;
}

export interface PausesTable {
  monitor_id: string;
  from_at: string;
  to_at: string | null;
}

export interface CompletenessTable {
  monitor_id: string;
  day: string;
  expected: number;
  executed: number;
  deviations: number;
  registered: number;
}

export interface JobsTable {
  name: string;
  done_until: string;
}

/** unknown until the first verdict; up or down only after the thresholds are met. */
export type MonitorState = 'unknown' | 'up' | 'down';

declare module '../../core/db/tables.ts' {
  interface Tables {
    monitoring_monitors: MonitorsTable;
    monitoring_results: ResultsTable;
    monitoring_rollups: RollupsTable;
    monitoring_events: EventsTable;
    monitoring_pauses: PausesTable;
    monitoring_completeness: CompletenessTable;
    monitoring_jobs: JobsTable;
  }
}

export type MonitorRow = Selectable<MonitorsTable>;
export type ResultRow = Selectable<ResultsTable>;
export type RollupRow = Selectable<RollupsTable>;

/** One check outcome as written to monitoring_results. */
export interface CheckRecord {
  monitorId: string;
  location: string;
  at: string;
  ok: boolean;
  responseMs: number | null;
  error: string | null;
}

/** The engine's per-monitor bookkeeping after a check. */
export interface LastCheck {
  id: string;
  failures: number;
  successes: number;
  at: string;
  ok: boolean;
  responseMs: number | null;
  error: string | null;
}

/** Raw rows per insert statement (SQLite allows 32766 bound parameters; 6 per row). */
const INSERT_CHUNK = 500;

/** Monitoring's tables. Every function takes the caller's handle (a transaction or the database). */
export const monitoringStore = {
  get: (db: Db, id: string) => db.selectFrom('monitoring_monitors').selectAll().where('id', '=', id).executeTakeFirst(),

  list: (db: Db) => db.selectFrom('monitoring_monitors').selectAll().orderBy('name').orderBy('id').execute(),

  byTokenHash: (db: Db, hash: string) =>
    db.selectFrom('monitoring_monitors').selectAll().where('heartbeat_token_hash', '=', hash).executeTakeFirst(),

  async insertResults(db: Db, rows: readonly CheckRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await db
        .insertInto('monitoring_results')
        .values(
          rows.slice(i, i + INSERT_CHUNK).map((r) => ({
            monitor_id: r.monitorId,
            location: r.location,
            at: r.at,
            ok: r.ok ? 1 : 0,
            response_ms: r.responseMs,
            error: r.error,
          })),
        )
        .execute();
    }
  },

  results: (db: Db, id: string, from: string, to: string, limit: number) =>
    db
      .selectFrom('monitoring_results')
      .select(['at', 'location', 'ok', 'response_ms', 'error'])
      .where('monitor_id', '=', id)
      .where('at', '>=', from)
      .where('at', '<', to)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute(),

  rollups: (db: Db, id: string, bucket: 'hour' | 'day', from: string, to: string) =>
    db
      .selectFrom('monitoring_rollups')
      .selectAll()
      .where('monitor_id', '=', id)
      .where('bucket', '=', bucket)
      .where('start', '>=', from)
      .where('start', '<', to)
      .orderBy('start')
      .execute(),

  /** Check count and failures of one monitor in [from, to) from raw results. */
  async rawCounts(db: Db, id: string, from: string, to: string): Promise<{ count: number; failures: number }> {
    const r = await db
      .selectFrom('monitoring_results')
      .select((eb) => [
        eb.fn.countAll<number>().as('count'),
        eb.fn.sum<number | null>(eb.case().when('ok', '=', 0).then(1).else(0).end()).as('failures'),
      ])
      .where('monitor_id', '=', id)
      .where('at', '>=', from)
      .where('at', '<', to)
      .executeTakeFirstOrThrow();
    return { count: Number(r.count), failures: Number(r.failures ?? 0) };
  },

  /**
   * Streak counters and last result of many monitors in one statement (UPDATE … FROM VALUES, on both databases):
   * one statement per flush instead of one per monitor keeps the writer off the scheduler's event loop.
   */
  async updateLastChecks(db: Db, rows: readonly LastCheck[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const values = sql.join(
        rows
          .slice(i, i + INSERT_CHUNK)
          .map(
            (r) =>
              sql`(${r.id}, CAST(${r.failures} AS integer), CAST(${r.successes} AS integer), ${r.at}, CAST(${r.ok ? 1 : 0} AS integer), CAST(${r.responseMs} AS integer), CAST(${r.error} AS text))`,
          ),
      );
      await sql`UPDATE monitoring_monitors SET consecutive_failures = v.f, consecutive_successes = v.s, last_check_at = v.at, last_ok = v.ok, last_response_ms = v.ms, last_error = v.err
        FROM (SELECT column1 AS id, column2 AS f, column3 AS s, column4 AS at, column5 AS ok, column6 AS ms, column7 AS err FROM (VALUES ${values}) AS x) AS v
        WHERE monitoring_monitors.id = v.id`.execute(db);
    }
  },

  async getWatermark(db: Db, name: string): Promise<string | undefined> {
    const r = await db.selectFrom('monitoring_jobs').select('done_until').where('name', '=', name).executeTakeFirst();
    return r?.done_until;
  },

  async setWatermark(db: Db, name: string, doneUntil: string): Promise<void> {
    await db
      .insertInto('monitoring_jobs')
      .values({ name, done_until: doneUntil })
      .onConflict((oc) => oc.column('name').doUpdateSet({ done_until: doneUntil }))
      .execute();
  },
};
