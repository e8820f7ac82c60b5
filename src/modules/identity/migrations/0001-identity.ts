import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Users, their recovery codes, sessions, API tokens and the sign-in throttle. Times are ISO 8601 UTC text from
 * the injected clock; flags are integers 0/1 on both databases so the rows read the same everywhere.
 */
export const m0001Identity: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('identity_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // Stored lower-cased: the unique index makes usernames unique regardless of case.
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      // Sealed with the secrets box (key outside the database).
      .addColumn('mfa_secret', 'text')
      .addColumn('mfa_pending_secret', 'text')
      .addColumn('mfa_enabled_at', 'text')
      // Last accepted TOTP time step: a code is never accepted twice.
      .addColumn('mfa_last_step', 'bigint')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('password_changed_at', 'text', (c) => c.notNull())
      .addColumn('last_login_at', 'text')
      .execute();

    await db.schema
      .createTable('identity_recovery_codes')
      .addColumn('user_id', 'text', (c) => c.notNull().references('identity_users.id'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addPrimaryKeyConstraint('identity_recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();

    await db.schema
      .createTable('identity_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.notNull().references('identity_users.id'))
      // pending_mfa: password checked, waiting for the second factor; enrol: must enrol MFA first; full.
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('identity_sessions_user').on('identity_sessions').columns(['user_id']).execute();
    await db.schema.createIndex('identity_sessions_expires').on('identity_sessions').columns(['expires_at']).execute();

    await db.schema
      .createTable('identity_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.notNull().references('identity_users.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      // JSON array of permissions.
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('identity_tokens_user').on('identity_tokens').columns(['user_id']).execute();

    await db.schema
      .createTable('identity_login_throttle')
      // `user:<username>` (known or not, so lockouts do not reveal which usernames exist) or `ip:<address>`.
      .addColumn('subject', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('window_start', 'text', (c) => c.notNull())
      .addColumn('last_failure_at', 'text', (c) => c.notNull())
      .addColumn('blocked_until', 'text')
      .execute();
    await db.schema
      .createIndex('identity_login_throttle_last')
      .on('identity_login_throttle')
      .columns(['last_failure_at'])
      .execute();
  },
};
