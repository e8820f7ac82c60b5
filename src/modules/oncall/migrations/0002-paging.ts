import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Paging: escalation policies, notification channels (secrets sealed), people's contact details, escalations in
 * progress and the durable outbox. A page is a row in `oncall_outbox` before anything is sent; the unique key
 * (escalation, round, level, recipient) makes "once per recipient and level" a database rule.
 */
export const m0002Paging: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('oncall_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('levels', 'text', (c) => c.notNull())
      .addColumn('repeat', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('match', 'text', (c) => c.notNull())
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('oncall_channels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('secrets', 'text')
      .addColumn('for_users', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('oncall_contacts')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text')
      .addColumn('phone', 'text')
      .addColumn('channels', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('oncall_escalations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('policy_id', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('round', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('next_at', 'text')
      .addColumn('stop_reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oncall_escalations_due').on('oncall_escalations').columns(['state', 'next_at']).execute();
    await db.schema.createIndex('oncall_escalations_incident').on('oncall_escalations').column('incident_id').execute();
    await db.schema
      .createTable('oncall_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('escalation_id', 'text', (c) => c.notNull())
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('round', 'integer', (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('recipient_name', 'text', (c) => c.notNull())
      .addColumn('channels', 'text', (c) => c.notNull())
      .addColumn('channel_index', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('lease_until', 'text')
      .addColumn('receipt', 'text')
      .addColumn('last_error', 'text')
      .addColumn('sent_channel', 'text')
      .addColumn('ack_used_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .addUniqueConstraint('oncall_outbox_once', ['escalation_id', 'round', 'level', 'recipient'])
      .execute();
    await db.schema.createIndex('oncall_outbox_due').on('oncall_outbox').columns(['state', 'next_attempt_at']).execute();
    await db.schema.createIndex('oncall_outbox_incident').on('oncall_outbox').column('incident_id').execute();
  },
};
