import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * The public status page: `public_component` names the component a monitor feeds (null: not public). Existing
 * monitors stay private; the definition JSON remains the source of truth and this column is its queryable copy.
 */
export const m0002PublicComponent: ModuleMigration = {
  async up(db) {
    await db.schema.alterTable('monitoring_monitors').addColumn('public_component', 'text').execute();
    await db.schema
      .createIndex('monitoring_monitors_public_component')
      .on('monitoring_monitors')
      .column('public_component')
      .execute();
  },
};
