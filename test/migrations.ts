import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type ModuleMigration } from '../src/core/db/database.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.ts';

/**
 * The migration test any module can use: for each registered migration, on SQLite and PostgreSQL, a fresh database
 * gets the migrations before it (through the server's own `migrate`), then this one goes up, down to exactly the schema
 * it started from (tables, columns, indexes, constraints), and up again to exactly the schema of its first run. Rows
 * written before the migration (the `data` hooks) must survive all three steps.
 *
 *   describeMigrations('access', accessMigrations);
 *
 * Pass the module's registered list (its `index.ts` export), not a copy, so a migration added later is tested too.
 */

/** Rows to keep across one migration: `seed` runs before it goes up, `check` after each of up, down and up again. */
export interface MigrationDataCheck {
  // Migrations run against an untyped handle: the typed schema describes the latest state only.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  seed(db: Kysely<any>): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  check(db: Kysely<any>, after: 'up' | 'down' | 'up again'): Promise<void>;
}

export interface MigrationTestOptions {
  /**
   * A migration without `down` fails its test (true, the default), or is only tested going up, with a todo naming the
   * missing `down` (false: for a module whose migrations are not yours to change).
   */
  requireDown?: boolean;
  /** Other modules' migrations this module's need first (run before, never undone). */
  prerequisites?: { name: string; migrations: Record<string, ModuleMigration> }[];
  /** Per migration name: rows to seed before it and check after each step. */
  data?: Record<string, MigrationDataCheck>;
}

type Schema = Record<string, unknown[]>;

const BOOKKEEPING = ['core_migrations', 'core_migrations_lock'];

/** The schema as the database itself reports it, in a stable order (SQLite: its own DDL; PostgreSQL: the catalogs). */
export async function schemaOf(database: Database): Promise<Schema> {
  const db = database.db;
  if (database.dialect === 'sqlite') {
    const rows = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
      SELECT type, name, tbl_name, sql FROM sqlite_master
      WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT IN (${sql.join(BOOKKEEPING)})
      ORDER BY type, name`.execute(db);
    return { objects: rows.rows };
  }
  // The column's place among the table's live columns: PostgreSQL never reuses a dropped column's ordinal_position,
  // so a column dropped and added again would otherwise look moved.
  const columns = await sql`
    SELECT table_name, column_name,
      row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) AS position,
      data_type, is_nullable, column_default
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name NOT IN (${sql.join(BOOKKEEPING)})
    ORDER BY table_name, ordinal_position`.execute(db);
  const indexes = await sql`
    SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename NOT IN (${sql.join(BOOKKEEPING)})
    ORDER BY tablename, indexname`.execute(db);
  const constraints = await sql`
    SELECT c.conrelid::regclass::text AS table_name, c.conname, c.contype, pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname = current_schema() AND c.conrelid <> 0 AND c.conrelid::regclass::text NOT IN (${sql.join(BOOKKEEPING)})
    ORDER BY 1, 2`.execute(db);
  const sequences = await sql`
    SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema() ORDER BY 1`.execute(db);
  return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows, sequences: sequences.rows };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : JSON.stringify(e));

/** Names of the migrations the database has recorded as applied. */
async function applied(database: Database): Promise<string[]> {
  const r = await sql<{ name: string }>`SELECT name FROM core_migrations ORDER BY name`.execute(database.db);
  return r.rows.map((x) => x.name);
}

/** Undo the last applied migration (`key`, which must be it) with the same bookkeeping tables the server uses. */
async function migrateDown(database: Database, key: string, migration: ModuleMigration): Promise<void> {
  const one: Migration = { up: () => Promise.reject(new Error('not run')) };
  if (migration.down) one.down = (db) => migration.down!(db, database.dialect);
  const provider: Record<string, Migration> = {};
  for (const name of await applied(database)) provider[name] = name === key ? one : { up: () => Promise.resolve() };
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve(provider) },
    migrationTableName: 'core_migrations',
    migrationLockTableName: 'core_migrations_lock',
    allowUnorderedMigrations: true,
  });
  const res = await migrator.migrateDown();
  if (res.error) throw new Error(`${key} failed going down: ${message(res.error)}`, { cause: res.error });
  expect(res.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([[key, 'Down', 'Success']]);
}

/** The up / down / up test of every migration of `moduleName`, once per database. */
export function describeMigrations(
  moduleName: string,
  migrations: Record<string, ModuleMigration>,
  opts: MigrationTestOptions = {},
): void {
  const requireDown = opts.requireDown ?? true;
  const names = Object.keys(migrations).sort();

  describe.each(DIALECTS)(`${moduleName} migrations up, down and up again ($dialect)`, ({ dialect, skip }) => {
    let fresh: TestDatabase | undefined;
    let database: Database | undefined;
    afterEach(async () => {
      await database?.close();
      await fresh?.drop();
      database = undefined;
      fresh = undefined;
    });

    const run = async (list: Record<string, ModuleMigration>) => {
      const res = await migrate(database!, [...(opts.prerequisites ?? []), { name: moduleName, migrations: list }]);
      if (res.error) {
        const failed = res.results?.find((r) => r.status === 'Error')?.migrationName ?? '?';
        throw new Error(`${failed} failed going up: ${message(res.error)}`, { cause: res.error });
      }
      return res.results ?? [];
    };

    it('the module registers its migrations in order, each with an up', () => {
      expect(names.length).toBeGreaterThan(0);
      expect(Object.keys(migrations)).toEqual(names);
      for (const n of names) expect(typeof migrations[n]?.up, n).toBe('function');
    });

    for (const [i, name] of names.entries()) {
      const key = `${moduleName}/${name}`;
      const migration = migrations[name]!;
      const before = Object.fromEntries(names.slice(0, i).map((n) => [n, migrations[n]!]));
      const withIt = { ...before, [name]: migration };
      const data = opts.data?.[name];
      const hasDown = typeof migration.down === 'function';

      const title =
        hasDown || requireDown ? `${name}: up on a fresh database, down cleanly, up again` : `${name}: up on a fresh database`;
      it.skipIf(skip)(title, async () => {
        if (requireDown) expect(hasDown, `${key} has no down(): it cannot be undone`).toBe(true);
        fresh = await freshDatabase(dialect);
        database = openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl, poolMax: 2 });
        await run(before);
        const start = await schemaOf(database);
        await data?.seed(database.db);

        const up = await run(withIt);
        expect(up.map((r) => [r.migrationName, r.status])).toEqual([[key, 'Success']]);
        const first = await schemaOf(database);
        expect(await applied(database)).toContain(key);
        await data?.check(database.db, 'up');
        // Applied once: running the server's migrate again changes nothing.
        expect(await run(withIt)).toEqual([]);
        if (!hasDown) return;

        await migrateDown(database, key, migration);
        expect(await schemaOf(database), `${key} down leaves the schema as before it`).toEqual(start);
        expect(await applied(database)).not.toContain(key);
        await data?.check(database.db, 'down');

        const again = await run(withIt);
        expect(again.map((r) => [r.migrationName, r.status])).toEqual([[key, 'Success']]);
        expect(await schemaOf(database), `${key} up again gives the schema of its first run`).toEqual(first);
        await data?.check(database.db, 'up again');
      });
      if (!hasDown && !requireDown) it.todo(`${name}: down (it has no down() yet)`);
    }

    if (names.every((n) => typeof migrations[n]?.down === 'function'))
      it.skipIf(skip)('all of them up, all down to an empty schema, all up again', async () => {
        fresh = await freshDatabase(dialect);
        database = openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl, poolMax: 2 });
        await run({});
        const empty = await schemaOf(database);
        await run(migrations);
        const full = await schemaOf(database);
        for (const name of [...names].reverse()) await migrateDown(database, `${moduleName}/${name}`, migrations[name]!);
        expect(await schemaOf(database)).toEqual(empty);
        await run(migrations);
        expect(await schemaOf(database)).toEqual(full);
      });
  });
}
