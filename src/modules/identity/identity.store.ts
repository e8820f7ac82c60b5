import type { Selectable } from 'kysely';
import type { Role } from '../../core/auth.ts';
import type { Db } from '../../core/db/database.ts';

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled: number;
  mfa_secret: string | null;
  mfa_pending_secret: string | null;
  mfa_enabled_at: string | null;
  mfa_last_step: number | null;
  created_at: string;
  updated_at: string;
  password_changed_at: string;
  last_login_at: string | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  stage: SessionStage;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface TokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  name: string;
  scopes: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface LoginThrottleTable {
  subject: string;
  failures: number;
  window_start: string;
  last_failure_at: string;
  blocked_until: string | null;
}

/** pending_mfa: password checked, second factor awaited; enrol: must enrol MFA before anything else; full. */
export type SessionStage = 'pending_mfa' | 'enrol' | 'full';

declare module '../../core/db/tables.ts' {
  interface Tables {
    identity_users: UsersTable;
    identity_recovery_codes: RecoveryCodesTable;
    identity_sessions: SessionsTable;
    identity_tokens: TokensTable;
    identity_login_throttle: LoginThrottleTable;
  }
}

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<TokensTable>;

/** Users: the rows behind sign-in. Every function takes the caller's handle (usually the request transaction). */
export const usersStore = {
  byId(db: Db, id: string): Promise<UserRow | undefined> {
    return db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** By the normalised (lower-case) username. */
  byUsername(db: Db, username: string): Promise<UserRow | undefined> {
    return db.selectFrom('identity_users').selectAll().where('username', '=', username).executeTakeFirst();
  },

  list(db: Db): Promise<UserRow[]> {
    return db.selectFrom('identity_users').selectAll().orderBy('username').execute();
  },

  async insert(db: Db, row: UserRow): Promise<void> {
    await db.insertInto('identity_users').values(row).execute();
  },

  async update(db: Db, id: string, set: Partial<Omit<UserRow, 'id'>>): Promise<void> {
    await db.updateTable('identity_users').set(set).where('id', '=', id).execute();
  },

  /** Enabled admins other than `exceptId`: the last one may not be disabled or demoted. */
  async countOtherActiveAdmins(db: Db, exceptId: string): Promise<number> {
    const r = await db
      .selectFrom('identity_users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled', '=', 0)
      .where('id', '!=', exceptId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  async countActiveAdmins(db: Db): Promise<number> {
    const r = await db
      .selectFrom('identity_users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /**
   * Record an accepted TOTP step, only if it is later than the last one. Returns false when a concurrent request
   * used this step (or a later one) first: the code counts as reused.
   */
  async advanceTotpStep(db: Db, id: string, step: number, now: string): Promise<boolean> {
    const r = await db
      .updateTable('identity_users')
      .set({ mfa_last_step: step, updated_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('mfa_last_step', 'is', null), eb('mfa_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};

/** Recovery codes: stored hashed, each usable once. */
export const recoveryCodesStore = {
  async replace(db: Db, userId: string, hashes: string[], now: string): Promise<void> {
    await db.deleteFrom('identity_recovery_codes').where('user_id', '=', userId).execute();
    if (hashes.length === 0) return;
    await db
      .insertInto('identity_recovery_codes')
      .values(hashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: now, used_at: null })))
      .execute();
  },

  /** Mark a code used; false if it does not exist or was used already (atomic, so it works exactly once). */
  async consume(db: Db, userId: string, hash: string, now: string): Promise<boolean> {
    const r = await db
      .updateTable('identity_recovery_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async remaining(db: Db, userId: string): Promise<number> {
    const r = await db
      .selectFrom('identity_recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
};

/** API tokens: stored hashed. */
export const tokensStore = {
  async insert(db: Db, row: TokenRow): Promise<void> {
    await db.insertInto('identity_tokens').values(row).execute();
  },

  byId(db: Db, id: string): Promise<(TokenRow & { username: string }) | undefined> {
    return db
      .selectFrom('identity_tokens as t')
      .innerJoin('identity_users as u', 'u.id', 't.user_id')
      .selectAll('t')
      .select('u.username')
      .where('t.id', '=', id)
      .executeTakeFirst();
  },

  /** With the owner, for authentication: one query per request. */
  byHash(db: Db, hash: string): Promise<(TokenRow & { username: string; role: Role; disabled: number }) | undefined> {
    return db
      .selectFrom('identity_tokens as t')
      .innerJoin('identity_users as u', 'u.id', 't.user_id')
      .selectAll('t')
      .select(['u.username', 'u.role', 'u.disabled'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
  },

  /** Tokens of one user, or of everyone when userId is undefined; newest first. */
  list(db: Db, userId: string | undefined): Promise<(TokenRow & { username: string })[]> {
    let q = db
      .selectFrom('identity_tokens as t')
      .innerJoin('identity_users as u', 'u.id', 't.user_id')
      .selectAll('t')
      .select('u.username');
    if (userId !== undefined) q = q.where('t.user_id', '=', userId);
    return q.orderBy('t.created_at', 'desc').orderBy('t.id').execute();
  },

  async revoke(db: Db, id: string, now: string): Promise<void> {
    await db
      .updateTable('identity_tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  },

  async touch(db: Db, id: string, now: string): Promise<void> {
    await db.updateTable('identity_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  },
};
