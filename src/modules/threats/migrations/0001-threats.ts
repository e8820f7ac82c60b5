import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Alerts (a scenario overflowed, with evidence lines), decisions (bans with an end, for firewalls and bouncers),
 * the allowlist, bouncer API keys, feed status, and repeat-offender counts for escalating bans. Raw log lines are not
 * stored: an alert keeps up to 10 sample lines as evidence. Times are ISO 8601 UTC text.
 */
export const m0001Threats: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('threats_alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('scenario', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('scope_value', 'text')
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('tier', 'text', (c) => c.notNull())
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('ips', 'text', (c) => c.notNull())
      .addColumn('listed_by', 'text', (c) => c.notNull())
      .addColumn('events', 'integer', (c) => c.notNull())
      .addColumn('overflows', 'integer', (c) => c.notNull())
      .addColumn('first_at', 'text', (c) => c.notNull())
      .addColumn('last_at', 'text', (c) => c.notNull())
      .addColumn('samples', 'text', (c) => c.notNull())
      .addColumn('decision_id', 'text')
      .addColumn('simulated', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('threats_alerts_created').on('threats_alerts').column('created_at').execute();
    await db.schema.createIndex('threats_alerts_ip').on('threats_alerts').columns(['ip', 'created_at']).execute();
    await db.schema
      .createTable('threats_decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('scenario', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('alert_id', 'text')
      .addColumn('offence', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('simulated', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('until', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'text')
      .addColumn('deleted_by', 'text')
      // A monotonically increasing change number: bouncers pull "what changed since N".
      .addColumn('seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('threats_decisions_value').on('threats_decisions').columns(['value', 'until']).execute();
    await db.schema.createIndex('threats_decisions_until').on('threats_decisions').column('until').execute();
    await db.schema.createIndex('threats_decisions_seq').on('threats_decisions').column('seq').execute();
    await db.schema
      .createTable('threats_allowlist')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('cidr', 'text', (c) => c.notNull().unique())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('threats_bouncers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('last_pull_at', 'text')
      .addColumn('last_pull_seq', 'integer')
      .addColumn('last_ip', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    // Change numbers for decisions (`UPDATE … SET value = value + 1 RETURNING value` locks the row on PostgreSQL).
    await db.schema
      .createTable('threats_counters')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'integer', (c) => c.notNull())
      .execute();
    await db.insertInto('threats_counters').values({ name: 'decisions', value: 0 }).execute();
    await db.schema
      .createTable('threats_feeds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('entries', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_attempt_at', 'text')
      .addColumn('last_success_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
