import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/** The advisory tables whose rows belong to one feed's import. */
export const FEED_DATA_TABLES = [
  'vulns_statements',
  'vulns_vulnerabilities',
  'vulns_kev',
  'vulns_epss',
  'vulns_debian_advisories',
] as const;

/**
 * A feed's rows are written under a dataset of their own, and the feed points at the one in force
 * (`vulns_feeds.dataset`). An import writes a new dataset in short transactions beside the one in force, then one small
 * transaction points the feed at it; the old dataset is deleted afterwards in short transactions too. Before, an import
 * deleted and rewrote half a million rows in one transaction, which on SQLite held the only connection (every request)
 * for as long as the import took. `vulns_feed_datasets` lists the datasets being written (`staging`) or waiting to be
 * deleted (`retired`), so that one left by a stop or a crash is found and deleted.
 *
 * The rows' `feed_id` column becomes `dataset`; the feeds' data in force keep their rows (dataset = the feed's id).
 */
export const m0006FeedDatasets: ModuleMigration = {
  async up(db) {
    await db.schema
      .alterTable('vulns_feeds')
      .addColumn('dataset', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db
      .updateTable('vulns_feeds')
      .set({ dataset: sql.ref('id') })
      .execute();
    for (const table of FEED_DATA_TABLES) await db.schema.alterTable(table).renameColumn('feed_id', 'dataset').execute();
    await db.schema
      .createTable('vulns_feed_datasets')
      .addColumn('dataset', 'text', (c) => c.primaryKey())
      .addColumn('feed_id', 'text', (c) => c.notNull())
      // staging (an import writing it) | retired (replaced or its feed removed: to be deleted)
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    // Only the data in force goes back under its feed's id; datasets being written or waiting for deletion go.
    for (const table of FEED_DATA_TABLES) {
      await db.deleteFrom(table).where('dataset', 'not in', db.selectFrom('vulns_feeds').select('dataset')).execute();
      await db
        .updateTable(table)
        .set({
          dataset: db
            .selectFrom('vulns_feeds')
            .select('id')
            .whereRef('vulns_feeds.dataset', '=', sql.ref(`${table}.dataset`)),
        })
        .execute();
      await db.schema.alterTable(table).renameColumn('dataset', 'feed_id').execute();
    }
    await db.schema.dropTable('vulns_feed_datasets').execute();
    await db.schema.alterTable('vulns_feeds').dropColumn('dataset').execute();
  },
};
