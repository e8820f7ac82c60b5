import { MFA_REQUIRED_ROLES, type Actor } from '../../core/auth.ts';
import { iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, forbidden, unauthenticated } from '../../core/errors.ts';
import { safeEqual } from './identity.crypto.ts';
import { mfaSecretContext, ok, refuse, type AuditNotes, type IdentityContext, type Outcome } from './identity.context.ts';
import { toUser, userRef, type User } from './identity.model.ts';
import { recoveryCodesStore, usersStore, type UserRow } from './identity.store.ts';
import { checkPasswordPolicy } from './passwords.ts';
import { hashRecoveryCode, looksLikeRecoveryCode } from './recovery-codes.ts';
import type { LiveSession, NewSession } from './sessions.ts';
import { checkTotp } from './totp.ts';
import { normaliseUsername } from './users.service.ts';
import type { ThrottleBlock } from './login-throttle.ts';

/** What the client learns after the password step: sign in fully, give the second factor, or enrol one first. */
export type MfaState = 'required' | 'enrol' | 'none';

export interface LoginInput {
  username: string;
  password: string;
  ip: string;
  userAgent?: string | undefined;
  /** The session cookie the client still holds, if any: replaced by the new one. */
  presentedCookie?: string | undefined;
}

/** The result of the password step, computed outside the write transaction. */
export interface PasswordCheck {
  username: string;
  /** Set when the throttle already refuses: no hash was computed. */
  blocked: boolean;
  userId: string | undefined;
  /** The hash the password was checked against; the login re-reads the user and trusts the check only if unchanged. */
  checkedHash: string | undefined;
  passwordOk: boolean;
}

export interface SignedIn {
  user: User;
  mfa: MfaState;
  session: NewSession;
  actor: Actor;
}

const invalidCredentials = (): AppError => unauthenticated('invalid_credentials', 'wrong username or password');

function throttled(b: ThrottleBlock): AppError {
  const what =
    b.reason === 'ip_throttled'
      ? 'too many failed sign-ins from this address'
      : b.reason === 'locked'
        ? 'this account is locked after too many failed sign-ins'
        : 'too many failed sign-ins';
  return new AppError('rate_limited', 'login_throttled', `${what}; try again in ${b.retryAfterSeconds} s`, {
    retryAfter: b.retryAfterSeconds,
  });
}

/** The actor a session stands for. */
export function sessionActor(
  u: { id: string; username: string; role: UserRow['role'] },
  sessionId: string,
  enrolling: boolean,
): Actor {
  return {
    type: 'user',
    id: userRef(u.id),
    userId: u.id,
    username: u.username,
    role: u.role,
    sessionId,
    ...(enrolling ? { mfaEnrolmentRequired: true } : {}),
  };
}

/**
 * Sign-in (password, then the second factor), sign-out and password change, throttled per username and address.
 * Refusals that must leave a trace (failure counters) come back as `ok: false` for the route to commit.
 */
export class SignInService {
  constructor(private readonly c: IdentityContext) {}

  /**
   * The password step's slow part (argon2, ~20 ms), with reads only, run before the write transaction so that a
   * flood of sign-ins does not hold the database. A throttled caller costs no hash at all.
   */
  async checkPassword(db: Db, input: { username: string; password: string; ip: string }): Promise<PasswordCheck> {
    const { clock, throttle, passwords } = this.c;
    const username = normaliseUsername(input.username).slice(0, 256);
    if (await throttle.check(db, username, input.ip, clock.now())) {
      return { username, blocked: true, userId: undefined, checkedHash: undefined, passwordOk: false };
    }
    const row = await usersStore.byUsername(db, username);
    // Hash something in every case, so timing does not tell which usernames exist.
    let passwordOk = false;
    if (row) passwordOk = await passwords.verify(row.password_hash, input.password);
    else await passwords.verifyDummy(input.password);
    return { username, blocked: false, userId: row?.id, checkedHash: row?.password_hash, passwordOk };
  }

  /** The password step's writes, in the request transaction: throttle counters, session, audit notes. */
  async login(db: Db, input: LoginInput, notes: AuditNotes, checked: PasswordCheck): Promise<Outcome<SignedIn>> {
    const { clock, throttle, passwords, sessions } = this.c;
    const now = clock.now();
    const username = checked.username;
    const block = await throttle.check(db, username, input.ip, now);
    if (block) {
      notes.detail({ reason: block.reason, username });
      return refuse(throttled(block));
    }
    const row = await usersStore.byUsername(db, username);
    // The check counts only against the hash it was made with (a password changed in between makes it void).
    const passwordOk = !!row && checked.passwordOk && row.id === checked.userId && row.password_hash === checked.checkedHash;
    if (!row || !passwordOk || row.disabled === 1) {
      const streak = await throttle.recordFailure(db, username, input.ip, now);
      await throttle.prune(db, now);
      if (row) notes.target(userRef(row.id));
      notes.detail({ reason: !row ? 'unknown_user' : !passwordOk ? 'bad_password' : 'disabled', username, failures: streak });
      return refuse(invalidCredentials());
    }
    await throttle.recordSuccess(db, username);
    if (passwords.needsRehash(row.password_hash)) {
      await usersStore.update(db, row.id, { password_hash: await passwords.hash(input.password) });
    }
    if (input.presentedCookie) await sessions.revokeByCookie(db, input.presentedCookie, now);
    await sessions.prune(db, now);

    const mfa: MfaState = row.mfa_secret !== null ? 'required' : MFA_REQUIRED_ROLES.includes(row.role) ? 'enrol' : 'none';
    const stage = mfa === 'required' ? 'pending_mfa' : mfa === 'enrol' ? 'enrol' : 'full';
    const session = await sessions.create(db, { userId: row.id, stage, ip: input.ip, userAgent: input.userAgent }, now);
    // The sign-in counts as done when the second factor (if any) is given.
    if (mfa !== 'required') await usersStore.update(db, row.id, { last_login_at: iso(now) });
    notes.target(userRef(row.id));
    notes.detail(mfa === 'required' ? { mfa, reason: 'mfa_required' } : { mfa });
    const user = toUser(mfa === 'required' ? row : { ...row, last_login_at: iso(now) });
    return ok({ user, mfa, session, actor: sessionActor(row, session.id, mfa === 'enrol') });
  }

  /**
   * Second step: a TOTP code (never the same time step twice) or an unused recovery code turns a pending_mfa
   * session into a full one under a new id and CSRF token. The CSRF token from the login answer is required.
   */
  async verifyMfa(
    db: Db,
    input: {
      cookie: string | undefined;
      csrfToken: string | undefined;
      code: string;
      ip: string;
      userAgent?: string | undefined;
    },
    notes: AuditNotes,
  ): Promise<Outcome<{ user: User; session: NewSession; actor: Actor }>> {
    const { clock, throttle, sessions, secrets } = this.c;
    const now = clock.now();
    const pending = input.cookie ? await sessions.find(db, input.cookie, now) : undefined;
    if (!pending || pending.stage !== 'pending_mfa') {
      notes.detail({ reason: 'no_pending_sign_in' });
      throw unauthenticated('mfa_session_invalid', 'no sign-in is waiting for a second factor: sign in with your password again');
    }
    if (!input.csrfToken || !safeEqual(input.csrfToken, pending.csrfToken)) {
      throw forbidden('csrf_token_invalid', 'missing or wrong X-CSRF-Token header');
    }
    const row = await usersStore.byId(db, pending.userId);
    notes.target(userRef(pending.userId));
    if (!row || row.disabled === 1 || row.mfa_secret === null) {
      await sessions.revoke(db, pending.id, now);
      notes.detail({ reason: 'mfa_not_available' });
      return refuse(unauthenticated('mfa_session_invalid', 'sign in with your password again'));
    }
    const block = await throttle.check(db, row.username, input.ip, now);
    if (block) {
      notes.detail({ reason: block.reason });
      return refuse(throttled(block));
    }

    let method: 'totp' | 'recovery_code';
    let failure: string | null = null;
    if (looksLikeRecoveryCode(input.code)) {
      method = 'recovery_code';
      if (!(await recoveryCodesStore.consume(db, row.id, hashRecoveryCode(input.code), iso(now)))) failure = 'bad_recovery_code';
    } else {
      method = 'totp';
      const secret = secrets.open(row.mfa_secret, mfaSecretContext(row.id));
      const check = checkTotp(secret, input.code.trim(), now, row.mfa_last_step);
      if (!check.ok) failure = check.reason === 'reused' ? 'code_reused' : 'bad_totp';
      else if (!(await usersStore.advanceTotpStep(db, row.id, check.step, iso(now)))) failure = 'code_reused';
    }
    if (failure) {
      const streak = await throttle.recordFailure(db, row.username, input.ip, now);
      notes.detail({ reason: failure, method, failures: streak });
      return refuse(unauthenticated('mfa_code_invalid', 'wrong or already used code'));
    }

    await throttle.recordSuccess(db, row.username);
    const session = await sessions.rotate(db, pending, 'full', now, {
      newCsrf: true,
      ip: input.ip,
      ...(input.userAgent ? { userAgent: input.userAgent } : {}),
    });
    await usersStore.update(db, row.id, { last_login_at: iso(now) });
    notes.detail(
      method === 'recovery_code' ? { method, recoveryCodesLeft: await recoveryCodesStore.remaining(db, row.id) } : { method },
    );
    return ok({ user: toUser({ ...row, last_login_at: iso(now) }), session, actor: sessionActor(row, session.id, false) });
  }

  /** End the session behind the cookie (any stage). */
  async logout(db: Db, cookie: string | undefined): Promise<string | undefined> {
    if (!cookie) return undefined;
    return this.c.sessions.revokeByCookie(db, cookie, this.c.clock.now());
  }

  /**
   * Change one's own password. The current password is required and throttled like a sign-in; every other session
   * of the user ends and the current one gets a new id (same CSRF token).
   */
  async changePassword(
    db: Db,
    session: LiveSession,
    input: { currentPassword: string; newPassword: string; ip: string },
    notes: AuditNotes,
  ): Promise<Outcome<NewSession>> {
    const { clock, throttle, passwords, sessions } = this.c;
    const now = clock.now();
    const row = await usersStore.byId(db, session.userId);
    if (!row) throw unauthenticated('authentication_required', 'sign in first');
    notes.target(userRef(row.id));
    const block = await throttle.check(db, row.username, input.ip, now);
    if (block) {
      notes.detail({ reason: block.reason });
      return refuse(throttled(block));
    }
    if (!(await passwords.verify(row.password_hash, input.currentPassword))) {
      const streak = await throttle.recordFailure(db, row.username, input.ip, now);
      notes.detail({ reason: 'bad_password', failures: streak });
      return refuse(forbidden('current_password_invalid', 'the current password is wrong'));
    }
    checkPasswordPolicy(input.newPassword, 'newPassword');
    await throttle.recordSuccess(db, row.username);
    await usersStore.update(db, row.id, {
      password_hash: await passwords.hash(input.newPassword),
      password_changed_at: iso(now),
      updated_at: iso(now),
    });
    const revoked = await sessions.revokeAllForUser(db, row.id, now, session.id);
    const next = await sessions.rotate(db, session, session.stage, now, { ip: input.ip });
    notes.detail({ sessionsRevoked: revoked });
    notes.change({ type: 'user', id: row.id, after: { changed: ['password'] } });
    return ok(next);
  }
}
