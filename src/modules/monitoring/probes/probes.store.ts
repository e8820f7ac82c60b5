import type { Selectable } from 'kysely';
import type { Db } from '../../../core/db/database.ts';
import type { MonitorState } from '../monitoring.store.ts';

export interface ProbesTable {
  id: string;
  name: string;
  location: string;
  token_hash: string;
  poll_seconds: number;
  created_by: string;
  created_at: string;
  token_rotated_at: string | null;
  last_seen_at: string | null;
  last_ip: string | null;
  version: string | null;
  silent: number;
  silent_since: string | null;
}

export interface LocationStatesTable {
  monitor_id: string;
  location: string;
  state: MonitorState;
  consecutive_failures: number;
  consecutive_successes: number;
  last_check_at: string | null;
  last_ok: number | null;
  last_response_ms: number | null;
  last_error: string | null;
}

export interface ProbeBatchesTable {
  id: string;
  probe_id: string;
  batch_id: string;
  location: string;
  received_at: string;
  count: number;
  items: string;
  consumed_at: string | null;
}

declare module '../../../core/db/tables.ts' {
  interface Tables {
    monitoring_probes: ProbesTable;
    monitoring_location_states: LocationStatesTable;
    monitoring_probe_batches: ProbeBatchesTable;
  }
}

export type ProbeRow = Selectable<ProbesTable>;
export type LocationStateRow = Selectable<LocationStatesTable>;

/** One location's streak counters and last result, as the engine writes them. */
export interface LocationStateRecord {
  monitorId: string;
  location: string;
  state: MonitorState;
  failures: number;
  successes: number;
  at: string | null;
  ok: boolean | null;
  responseMs: number | null;
  error: string | null;
}

const CHUNK = 500;

/** The probe tables. Every function takes the caller's handle (a transaction or the database). */
export const probesStore = {
  get: (db: Db, id: string) => db.selectFrom('monitoring_probes').selectAll().where('id', '=', id).executeTakeFirst(),
  list: (db: Db) => db.selectFrom('monitoring_probes').selectAll().orderBy('name').orderBy('id').execute(),
  byTokenHash: (db: Db, hash: string) =>
    db.selectFrom('monitoring_probes').selectAll().where('token_hash', '=', hash).executeTakeFirst(),

  locationStates: (db: Db) => db.selectFrom('monitoring_location_states').selectAll().execute(),

  async upsertLocationStates(db: Db, rows: readonly LocationStateRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await db
        .insertInto('monitoring_location_states')
        .values(
          rows.slice(i, i + CHUNK).map((r) => ({
            monitor_id: r.monitorId,
            location: r.location,
            state: r.state,
            consecutive_failures: r.failures,
            consecutive_successes: r.successes,
            last_check_at: r.at,
            last_ok: r.ok === null ? null : r.ok ? 1 : 0,
            last_response_ms: r.responseMs,
            last_error: r.error,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['monitor_id', 'location']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            consecutive_failures: eb.ref('excluded.consecutive_failures'),
            consecutive_successes: eb.ref('excluded.consecutive_successes'),
            last_check_at: eb.ref('excluded.last_check_at'),
            last_ok: eb.ref('excluded.last_ok'),
            last_response_ms: eb.ref('excluded.last_response_ms'),
            last_error: eb.ref('excluded.last_error'),
          })),
        )
        .execute();
    }
  },
};
