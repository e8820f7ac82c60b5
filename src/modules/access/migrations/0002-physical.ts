import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Physical access (issue 6 items 4–5; P1, P3, P4, P5): sites with what they hold, doors and the cameras covering
 * them, badges, site grants, and badge events imported from the access-card system. Times are ISO 8601 UTC text.
 * Badge events keep the site and door names they were imported with, so a renamed or removed door keeps its history.
 */
export const m0002Physical: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('access_sites')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('address', 'text', (c) => c.notNull().defaultTo(''))
      // ISO 3166-1 alpha-2, upper case
      .addColumn('country', 'text', (c) => c.notNull())
      // JSON list of customer-data | backups | management | network | office
      .addColumn('holds', 'text', (c) => c.notNull().defaultTo('[]'))
      // The data-centre operator or provider
      .addColumn('operator', 'text', (c) => c.notNull().defaultTo(''))
      // The person responsible for the site (reviews its access)
      .addColumn('owner_id', 'text')
      .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('residency_signalled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_doors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      // 1 for an entrance into the site (P4: card reader; P5: must be under a camera)
      .addColumn('entrance', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('access_doors_site_name', ['site_id', 'name'])
      .execute();
    await db.schema
      .createTable('access_cameras')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      // The door the camera covers, if it covers one
      .addColumn('door_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('access_cameras_site_name', ['site_id', 'name'])
      .execute();
    await db.schema
      .createTable('access_badges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // The card's number as the access-card system reports it
      .addColumn('number', 'text', (c) => c.notNull().unique())
      .addColumn('person_id', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoke_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_site_grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull())
      .addColumn('site_id', 'text', (c) => c.notNull())
      // The work-related need (P3)
      .addColumn('justification', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('approved_by', 'text')
      .addColumn('approved_at', 'text')
      // pending | active | expired | revoked | rejected
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('ended_at', 'text')
      .addColumn('ended_by', 'text')
      .addColumn('end_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_site_grants_person').on('access_site_grants').columns(['person_id', 'site_id']).execute();
    await db.schema.createIndex('access_site_grants_expiry').on('access_site_grants').columns(['state', 'expires_at']).execute();
    await db.schema
      .createTable('access_badge_imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // csv | syslog
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('imported_at', 'text', (c) => c.notNull())
      .addColumn('lines', 'integer', (c) => c.notNull())
      .addColumn('accepted', 'integer', (c) => c.notNull())
      .addColumn('duplicates', 'integer', (c) => c.notNull())
      .addColumn('rejected', 'integer', (c) => c.notNull())
      .addColumn('rejected_rows', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_badge_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('badge', 'text', (c) => c.notNull())
      .addColumn('site_id', 'text', (c) => c.notNull())
      .addColumn('site_name', 'text', (c) => c.notNull())
      .addColumn('door_id', 'text', (c) => c.notNull())
      .addColumn('door_name', 'text', (c) => c.notNull())
      // granted | denied
      .addColumn('result', 'text', (c) => c.notNull())
      // The badge's holder when the event was imported (null: unknown badge)
      .addColumn('person_id', 'text')
      .addColumn('findings', 'text', (c) => c.notNull().defaultTo('[]'))
      // sha256 of time, badge, site, door and result: the same event imported twice is one row
      .addColumn('digest', 'text', (c) => c.notNull().unique())
      .addColumn('import_id', 'text', (c) => c.notNull())
      // Line of the event in its import
      .addColumn('line', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_badge_events_time').on('access_badge_events').columns(['occurred_at']).execute();
    await db.schema
      .createIndex('access_badge_events_badge')
      .on('access_badge_events')
      .columns(['badge', 'result', 'occurred_at'])
      .execute();
    await db.schema
      .createIndex('access_badge_events_door')
      .on('access_badge_events')
      .columns(['door_id', 'result', 'occurred_at'])
      .execute();
    await db.schema
      .createIndex('access_badge_events_site')
      .on('access_badge_events')
      .columns(['site_id', 'occurred_at'])
      .execute();
  },
  /** Drops what `up` created, newest first (the indexes go with their tables). */
  async down(db) {
    for (const table of [
      'access_badge_events',
      'access_badge_imports',
      'access_site_grants',
      'access_badges',
      'access_cameras',
      'access_doors',
      'access_sites',
    ])
      await db.schema.dropTable(table).execute();
  },
};
