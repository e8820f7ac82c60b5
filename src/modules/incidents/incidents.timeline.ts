import type { Db } from '../../core/db/database.ts';
import { notFound } from '../../core/errors.ts';
import type { Severity } from '../../core/signals.ts';
import type { TimelineKind, TimelineRow } from './incidents.store.ts';

export interface TimelineInput {
  kind: TimelineKind;
  at: string;
  actor?: string | null | undefined;
  actorName?: string | null | undefined;
  signalId?: string | null | undefined;
  body: Record<string, unknown>;
}

/** One timeline entry as the API shows it. */
export interface TimelineEntry {
  seq: number;
  at: string;
  kind: TimelineKind;
  actor: string | null;
  actorName: string | null;
  signalId: string | null;
  body: Record<string, unknown>;
}

/**
 * Append an entry to an incident's timeline. The seq comes from bumping the incident's counter, which also takes the
 * incident row's lock (PostgreSQL) so concurrent appends get consecutive numbers. Never updates or deletes an entry.
 * `signal` counts a registered signal in the same row update (one round trip less on the hot path).
 */
export async function appendTimeline(
  db: Db,
  incidentId: string,
  e: TimelineInput,
  signal?: { at: string; severity?: Severity | undefined },
): Promise<number> {
  const row = await db
    .updateTable('incidents_incidents')
    .set((eb) => ({
      timeline_count: eb('timeline_count', '+', 1),
      ...(signal
        ? {
            signal_count: eb('signal_count', '+', 1),
            last_signal_at: signal.at,
            updated_at: signal.at,
            ...(signal.severity ? { severity: signal.severity } : {}),
          }
        : {}),
    }))
    .where('id', '=', incidentId)
    .returning('timeline_count')
    .executeTakeFirst();
  if (!row) throw notFound('incident_not_found', `no incident ${incidentId}`);
  await db
    .insertInto('incidents_timeline')
    .values({
      incident_id: incidentId,
      seq: row.timeline_count,
      at: e.at,
      kind: e.kind,
      actor: e.actor ?? null,
      actor_name: e.actorName ?? null,
      signal_id: e.signalId ?? null,
      body: JSON.stringify(e.body),
    })
    .execute();
  return row.timeline_count;
}

/** The whole timeline of an incident, oldest first. */
export async function readTimeline(db: Db, incidentId: string): Promise<TimelineEntry[]> {
  const rows = await db
    .selectFrom('incidents_timeline')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('seq', 'asc')
    .execute();
  return rows.map(toEntry);
}

function toEntry(r: TimelineRow): TimelineEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    kind: r.kind,
    actor: r.actor,
    actorName: r.actor_name,
    signalId: r.signal_id,
    body: JSON.parse(r.body) as Record<string, unknown>,
  };
}
