import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * The advisory index the fleet was last brought in line with, kept across restarts: the digest of every (ecosystem,
 * package) statement list (gzip JSON, base64), the ecosystems, the feed versions and the assets whose last run failed.
 * A feed change after a restart then re-matches only the lists that changed since, not every package of every host
 * (at 1,000 hosts a full match keeps the machine busy for many minutes). One row, replaced after each fleet run.
 */
export const m0003FleetBaseline: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('vulns_fleet_baseline')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // The matcher's rules at the time; another version means a full match (the digests do not cover code changes)
      .addColumn('matcher_version', 'integer', (c) => c.notNull())
      // JSON array of ecosystems held
      .addColumn('ecosystems', 'text', (c) => c.notNull())
      // gzip(JSON [listKey, digest][]) as base64
      .addColumn('prints', 'text', (c) => c.notNull())
      // JSON of the feed versions the index was built from (a start compares them with the current ones)
      .addColumn('feed_versions', 'text', (c) => c.notNull())
      // JSON array of asset ids the run could not bring in line (matched whole on the next run)
      .addColumn('retry', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('vulns_fleet_baseline').execute();
  },
};
