import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Database, ModuleMigration } from './database.ts';

/** Migrations of every module, keyed `<module>/<name>`; names sort in the order they must run. */
export type MigrationSet = Record<string, ModuleMigration>;

/**
 * Run pending migrations of all modules, forward-only, each recorded in `core_migrations`.
 * Returns Kysely's result set (one result per migration, never throws for a failed one).
 */
export async function migrate(
  database: Database,
  modules: { name: string; migrations: Record<string, ModuleMigration> }[],
): Promise<MigrationResultSet> {
  const all: Record<string, Migration> = {};
  for (const m of modules) {
    for (const [name, mig] of Object.entries(m.migrations)) {
      all[`${m.name}/${name}`] = { up: (db) => mig.up(db, database.dialect) };
    }
  }
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve(all) },
    migrationTableName: 'core_migrations',
    migrationLockTableName: 'core_migrations_lock',
    // Modules add migrations independently; a later module's older-named migration may arrive after.
    allowUnorderedMigrations: true,
  });
  return migrator.migrateToLatest();
}
