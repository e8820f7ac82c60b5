import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * What actually exists on the systems (issue 6 item 3; P6, P11): imported account lists, their imports, login events
 * ingested into the audit log, LDAP sources, removal tasks (opened by revokes and reviews, closed when an import shows
 * the account gone) and the last state of each comparison signal. Times are ISO 8601 UTC text; JSON is text.
 */
export const m0003Accounts: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('access_accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('system_id', 'text', (c) => c.notNull())
      // lower-case account name as the system reports it
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('email', 'text')
      // null = orphaned (no person matches the account name or e-mail)
      .addColumn('person_id', 'text')
      .addColumn('privileged', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      // from the import's last-login column or from login events, whichever is later
      .addColumn('last_used_at', 'text')
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_import', 'text')
      // set when an import no longer lists the account; cleared if it comes back
      .addColumn('gone_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('access_accounts_system_account', ['system_id', 'account'])
      .execute();
    await db.schema.createIndex('access_accounts_person').on('access_accounts').columns(['person_id']).execute();
    await db.schema
      .createTable('access_account_imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('system_id', 'text', (c) => c.notNull())
      // csv | json | ldap
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      // sha256 of the list as received (LDAP: of the entries read): the same list twice changes nothing
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('rows', 'integer', (c) => c.notNull())
      .addColumn('added', 'integer', (c) => c.notNull())
      .addColumn('updated', 'integer', (c) => c.notNull())
      .addColumn('unchanged', 'integer', (c) => c.notNull())
      .addColumn('gone', 'integer', (c) => c.notNull())
      .addColumn('rejected', 'integer', (c) => c.notNull())
      .addColumn('errors', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('access_account_imports_system')
      .on('access_account_imports')
      .columns(['system_id', 'received_at'])
      .execute();
    await db.schema
      .createTable('access_login_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('system_id', 'text', (c) => c.notNull())
      .addColumn('account', 'text', (c) => c.notNull())
      .addColumn('person_id', 'text')
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('method', 'text', (c) => c.notNull())
      // succeeded | failed
      .addColumn('outcome', 'text', (c) => c.notNull())
      // sshd | panel
      .addColumn('source', 'text', (c) => c.notNull())
      // sha256 of the system and the event as received: the same line imported twice is one event
      .addColumn('digest', 'text', (c) => c.notNull().unique())
      // the audit log entry the event became (P11)
      .addColumn('audit_seq', 'integer')
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_login_events_time').on('access_login_events').columns(['occurred_at']).execute();
    await db.schema
      .createIndex('access_login_events_account')
      .on('access_login_events')
      .columns(['system_id', 'account', 'occurred_at'])
      .execute();
    await db.schema
      .createTable('access_ldap_sources')
      .addColumn('system_id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('bind_dn', 'text', (c) => c.notNull())
      // sealed (AES-256-GCM, key in <dataDir>/secrets.key): never stored in clear
      .addColumn('bind_password', 'text', (c) => c.notNull())
      .addColumn('base_dn', 'text', (c) => c.notNull())
      .addColumn('filter', 'text', (c) => c.notNull())
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('privileged_groups', 'text', (c) => c.notNull())
      .addColumn('interval_minutes', 'integer')
      .addColumn('last_pull_at', 'text')
      .addColumn('last_result', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // remove-account
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('system_id', 'text', (c) => c.notNull())
      .addColumn('account', 'text')
      .addColumn('person_id', 'text')
      .addColumn('grant_id', 'text')
      // the review entry whose revoke opened it (the reviews area opens these)
      .addColumn('review_entry_id', 'text')
      // open | done
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('opened_by', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('closed_by', 'text')
      .addColumn('closed_reason', 'text')
      .execute();
    await db.schema.createIndex('access_tasks_open').on('access_tasks').columns(['state', 'system_id']).execute();
    await db.schema
      .createTable('access_account_signals')
      .addColumn('dedup_key', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  /** Drops what `up` created, newest first (the indexes go with their tables). */
  async down(db) {
    for (const table of [
      'access_account_signals',
      'access_tasks',
      'access_ldap_sources',
      'access_login_events',
      'access_account_imports',
      'access_accounts',
    ])
      await db.schema.dropTable(table).execute();
  },
};
