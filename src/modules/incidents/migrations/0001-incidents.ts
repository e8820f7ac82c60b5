import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Incidents, the signals registered on them, their append-only timeline, maintenance windows and the monitoring
 * half of the completeness record. Times are ISO 8601 UTC text from the injected clock; flags are 0/1 integers.
 */
export const m0001Incidents: ModuleMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('incidents_incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dedup_key', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('component', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('expected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('change_ref', 'text')
      .addColumn('flapping', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'text')
      .addColumn('acknowledged_by', 'text')
      .addColumn('resolved_at', 'text')
      .addColumn('resolved_by', 'text')
      .addColumn('last_signal_at', 'text', (c) => c.notNull())
      .addColumn('signal_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reopen_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('timeline_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('postmortem_summary', 'text')
      .addColumn('postmortem_root_cause', 'text')
      .addColumn('postmortem_actions', 'text')
      .addColumn('postmortem_updated_at', 'text')
      .addColumn('postmortem_updated_by', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // The guard behind "one open incident per dedup key": a partial unique index (both databases have them), so two
    // concurrent firing signals cannot both open one; the loser's INSERT … ON CONFLICT DO NOTHING joins the winner.
    await sql`CREATE UNIQUE INDEX incidents_one_open_per_key ON incidents_incidents (dedup_key) WHERE state <> 'resolved'`.execute(
      db,
    );
    await db.schema
      .createIndex('incidents_key_resolved')
      .on('incidents_incidents')
      .columns(['dedup_key', 'resolved_at'])
      .execute();
    await db.schema.createIndex('incidents_opened').on('incidents_incidents').columns(['opened_at', 'id']).execute();

    await db.schema
      .createTable('incidents_signals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents_incidents.id'))
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('dedup_key', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('details', 'text')
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('parent_key', 'text')
      .addColumn('component', 'text')
      .addColumn('effect', 'text', (c) => c.notNull())
      .addColumn('expected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('change_ref', 'text')
      .addColumn('window_id', 'text')
      .addColumn('page', 'integer', (c) => c.notNull())
      .addColumn('via_parent', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('incidents_signals_incident').on('incidents_signals').columns(['incident_id']).execute();
    await db.schema.createIndex('incidents_signals_received').on('incidents_signals').columns(['received_at']).execute();
    await db.schema.createIndex('incidents_signals_window').on('incidents_signals').columns(['window_id']).execute();

    await db.schema
      .createTable('incidents_timeline')
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents_incidents.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('actor_name', 'text')
      .addColumn('signal_id', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('incidents_timeline_pk', ['incident_id', 'seq'])
      .execute();
    await db.schema.createIndex('incidents_timeline_signal').on('incidents_timeline').columns(['signal_id']).execute();
    // Append-only in the database itself, not only by convention: evidence for an auditor.
    if (dialect === 'sqlite') {
      await sql`CREATE TRIGGER incidents_timeline_no_update BEFORE UPDATE ON incidents_timeline BEGIN SELECT RAISE(ABORT, 'incidents_timeline is append-only'); END`.execute(
        db,
      );
      await sql`CREATE TRIGGER incidents_timeline_no_delete BEFORE DELETE ON incidents_timeline BEGIN SELECT RAISE(ABORT, 'incidents_timeline is append-only'); END`.execute(
        db,
      );
    } else {
      await sql`CREATE FUNCTION incidents_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'incidents_timeline is append-only'; END $$`.execute(
        db,
      );
      await sql`CREATE TRIGGER incidents_timeline_no_change BEFORE UPDATE OR DELETE ON incidents_timeline FOR EACH ROW EXECUTE FUNCTION incidents_timeline_append_only()`.execute(
        db,
      );
    }

    await db.schema
      .createTable('incidents_maintenance_windows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('change_ref', 'text', (c) => c.notNull())
      .addColumn('key_prefixes', 'text', (c) => c.notNull())
      .addColumn('components', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text')
      .addColumn('weekdays', 'text')
      .addColumn('local_time', 'text')
      .addColumn('duration_minutes', 'integer')
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('incidents_completeness_checks')
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('checks_expected', 'integer', (c) => c.notNull())
      .addColumn('checks_executed', 'integer', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('incidents_completeness_checks_pk', ['day', 'source', 'subject'])
      .execute();
  },
};
