import { randomUUID } from 'node:crypto';
import { ROLES, type Actor, type Role } from '../../core/auth.ts';
import { iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, conflict, invalid, notFound } from '../../core/errors.ts';
import type { AuditNotes, IdentityContext } from './identity.context.ts';
import { toUser, userRef, type User } from './identity.model.ts';
import { recoveryCodesStore, usersStore, type UserRow } from './identity.store.ts';
import { checkPasswordPolicy } from './passwords.ts';

/** Usernames: 2–64 characters, lower-case letters, digits and `. _ @ -`, starting with a letter or digit. */
const USERNAME_RE = /^[a-z0-9][a-z0-9._@-]{1,63}$/;
const DISPLAY_NAME_MAX = 128;

/** The one spelling of a username (trimmed, NFKC, lower case): uniqueness and sign-in ignore case. */
export function normaliseUsername(input: string): string {
  return input.normalize('NFKC').trim().toLowerCase();
}

/** Normalise and validate a username; throws `username_invalid`. */
export function parseUsername(input: string): string {
  const u = normaliseUsername(input);
  if (!USERNAME_RE.test(u)) {
    throw invalid(
      'username_invalid',
      'a username has 2–64 characters: letters, digits, and . _ @ -, starting with a letter or digit',
      [{ path: 'username', message: 'invalid username' }],
    );
  }
  return u;
}

function parseDisplayName(input: string | undefined, fallback: string): string {
  const d = (input ?? '').normalize('NFC').trim();
  // Control characters would let a display name forge lines in logs and exports.
  if (d.length > DISPLAY_NAME_MAX || /[\u0000-\u001f\u007f]/.test(d)) {
    throw invalid('display_name_invalid', `a display name has at most ${DISPLAY_NAME_MAX} printable characters`, [
      { path: 'displayName', message: 'invalid display name' },
    ]);
  }
  return d === '' ? fallback : d;
}

function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role))
    throw invalid('role_invalid', `role must be one of ${ROLES.join(', ')}`, [{ path: 'role', message: 'unknown role' }]);
  return role as Role;
}

const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(err?.message ?? '');
};

export interface CreateUserInput {
  username: string;
  password: string;
  role: Role;
  displayName?: string | undefined;
}

export interface UpdateUserInput {
  displayName?: string | undefined;
  role?: Role | undefined;
  disabled?: boolean | undefined;
}

/** Users: create, read, change, reset MFA. Every write describes itself in `notes` for the audit record. */
export class UsersService {
  constructor(private readonly c: IdentityContext) {}

  async list(db: Db): Promise<User[]> {
    return (await usersStore.list(db)).map(toUser);
  }

  async get(db: Db, id: string): Promise<User> {
    return toUser(await this.row(db, id));
  }

  /** The row, or `user_not_found`. */
  async row(db: Db, id: string): Promise<UserRow> {
    const r = await usersStore.byId(db, id);
    if (!r) throw notFound('user_not_found', 'no such user');
    return r;
  }

  async create(db: Db, input: CreateUserInput, notes: AuditNotes): Promise<User> {
    const username = parseUsername(input.username);
    const role = parseRole(input.role);
    const displayName = parseDisplayName(input.displayName, username);
    checkPasswordPolicy(input.password);
    if (await usersStore.byUsername(db, username)) throw conflict('username_taken', `the username ${username} is taken`);
    const now = iso(this.c.clock.now());
    const row: UserRow = {
      id: randomUUID(),
      username,
      display_name: displayName,
      role,
      password_hash: await this.c.passwords.hash(input.password),
      disabled: 0,
      mfa_secret: null,
      mfa_pending_secret: null,
      mfa_enabled_at: null,
      mfa_last_step: null,
      created_at: now,
      updated_at: now,
      password_changed_at: now,
      last_login_at: null,
    };
    try {
      await usersStore.insert(db, row);
    } catch (e) {
      // Two creators racing for one name: the unique index decides.
      if (isUniqueViolation(e)) throw conflict('username_taken', `the username ${username} is taken`);
      throw e;
    }
    const user = toUser(row);
    notes.target(userRef(user.id));
    notes.change({ type: 'user', id: user.id, before: null, after: { ...user } });
    return user;
  }

  /**
   * Change display name, role or disabled flag. A role change or disabling ends the user's sessions (their tokens
   * follow the new role, or stop while disabled). The last enabled admin cannot be demoted or disabled.
   */
  async update(db: Db, id: string, patch: UpdateUserInput, notes: AuditNotes): Promise<User> {
    const row = await this.row(db, id);
    notes.target(userRef(id));
    const before = toUser(row);
    const set: Partial<UserRow> = {};
    if (patch.displayName !== undefined) set.display_name = parseDisplayName(patch.displayName, row.username);
    if (patch.role !== undefined) set.role = parseRole(patch.role);
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    const losesAdmin =
      row.role === 'admin' && row.disabled === 0 && ((set.role !== undefined && set.role !== 'admin') || set.disabled === 1);
    if (losesAdmin && (await usersStore.countOtherActiveAdmins(db, id)) === 0) {
      throw conflict('last_admin', 'this is the last enabled admin: make another admin first');
    }
    const now = this.c.clock.now();
    await usersStore.update(db, id, { ...set, updated_at: iso(now) });
    const after = toUser({ ...row, ...set });
    const roleChanged = set.role !== undefined && set.role !== row.role;
    const disabledNow = set.disabled === 1 && row.disabled === 0;
    if (roleChanged || disabledNow) {
      const n = await this.c.sessions.revokeAllForUser(db, id, now);
      notes.detail({ sessionsRevoked: n });
    }
    notes.change({ type: 'user', id, before: { ...before }, after: { ...after } });
    return after;
  }

  /** Remove a user's second factor and recovery codes and end their sessions; privileged roles must enrol again. */
  async resetMfa(db: Db, id: string, notes: AuditNotes): Promise<void> {
    const row = await this.row(db, id);
    notes.target(userRef(id));
    const now = this.c.clock.now();
    await usersStore.update(db, id, {
      mfa_secret: null,
      mfa_pending_secret: null,
      mfa_enabled_at: null,
      mfa_last_step: null,
      updated_at: iso(now),
    });
    await recoveryCodesStore.replace(db, id, [], iso(now));
    const n = await this.c.sessions.revokeAllForUser(db, id, now);
    notes.detail({ sessionsRevoked: n });
    notes.change({ type: 'user', id, before: { mfaEnabled: row.mfa_secret !== null }, after: { mfaEnabled: false } });
  }

  /** The user behind an actor (sessions and tokens), or unauthenticated if it vanished. */
  async ofActor(db: Db, actor: Actor): Promise<UserRow> {
    if (actor.type !== 'user' && actor.type !== 'token')
      throw new AppError('unauthenticated', 'authentication_required', 'sign in first');
    const r = await usersStore.byId(db, actor.userId);
    if (!r || r.disabled === 1) throw new AppError('unauthenticated', 'authentication_required', 'sign in first');
    return r;
  }
}
