import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * The audit log. `entry` holds the canonical JSON of one record and is the only thing hashed;
 * the search columns are generated from it by the database, so they cannot be edited apart from it.
 */
export const m0001Entries: ModuleMigration = {
  async up(db, dialect) {
    if (dialect === 'sqlite') {
      await sql`CREATE TABLE audit_entries (
        seq INTEGER PRIMARY KEY,
        entry TEXT NOT NULL,
        leaf BLOB NOT NULL,
        ts TEXT GENERATED ALWAYS AS (json_extract(entry, '$.ts')) VIRTUAL,
        actor TEXT GENERATED ALWAYS AS (json_extract(entry, '$.actor')) VIRTUAL,
        action TEXT GENERATED ALWAYS AS (json_extract(entry, '$.action')) VIRTUAL,
        target TEXT GENERATED ALWAYS AS (json_extract(entry, '$.target')) VIRTUAL,
        outcome TEXT GENERATED ALWAYS AS (json_extract(entry, '$.outcome')) VIRTUAL
      )`.execute(db);
    } else {
      await sql`CREATE TABLE audit_entries (
        seq BIGINT PRIMARY KEY,
        entry TEXT NOT NULL,
        leaf BYTEA NOT NULL,
        ts TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'ts') STORED,
        actor TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'actor') STORED,
        action TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'action') STORED,
        target TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'target') STORED,
        outcome TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'outcome') STORED
      )`.execute(db);
    }
    await sql`CREATE INDEX audit_entries_ts ON audit_entries (ts, seq)`.execute(db);
    await sql`CREATE INDEX audit_entries_actor ON audit_entries (actor, seq)`.execute(db);
    await sql`CREATE INDEX audit_entries_action ON audit_entries (action, seq)`.execute(db);
    await sql`CREATE INDEX audit_entries_target ON audit_entries (target, seq)`.execute(db);
    await sql`CREATE INDEX audit_entries_outcome ON audit_entries (outcome, seq)`.execute(db);
    // One row: the next sequence number. Taking it is an UPDATE, so concurrent writers serialize on it
    // and a rolled-back transaction gives its numbers back: the sequence stays gap-free.
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('next_seq', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('audit_head').values({ id: 1, next_seq: 1 }).execute();
    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('tree_size', 'bigint', (c) => c.primaryKey())
      .addColumn('root', 'text', (c) => c.notNull())
      .addColumn('ts', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('frontier', 'text', (c) => c.notNull())
      .execute();
  },
};
