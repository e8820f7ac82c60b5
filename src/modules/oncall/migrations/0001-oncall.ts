import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * On-call schedules (layers kept as JSON on the schedule: they are always read and written together), overrides and
 * per-user calendar feed keys. Shifts are never stored: they are computed from the rules. Times are ISO 8601 UTC text.
 */
export const m0001Oncall: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('oncall_schedules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('layers', 'text', (c) => c.notNull())
      .addColumn('calendar_key_hash', 'text')
      .addColumn('gap_firing', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oncall_schedules_key').on('oncall_schedules').column('calendar_key_hash').execute();
    await db.schema
      .createTable('oncall_overrides')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('schedule_id', 'text', (c) => c.notNull().references('oncall_schedules.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oncall_overrides_schedule').on('oncall_overrides').columns(['schedule_id', 'ends_at']).execute();
    await db.schema
      .createTable('oncall_user_feeds')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};
