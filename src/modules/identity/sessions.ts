import { randomUUID } from 'node:crypto';
import { iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { Role } from '../../core/auth.ts';
import { randomSecret, sha256Hex } from './identity.crypto.ts';
import type { SessionStage } from './identity.store.ts';

/** The session cookie. Its value is an opaque random id; the database keeps only its SHA-256. */
export const SESSION_COOKIE = 'skjold_session';

/** HttpOnly (no script reads it), Secure (HTTPS only), SameSite=Strict (no cross-site sends), whole site. */
export const SESSION_COOKIE_OPTIONS = { path: '/', httpOnly: true, secure: true, sameSite: 'strict' } as const;

export interface SessionTimeouts {
  idleMinutes: number;
  absoluteHours: number;
  /** Lifetime of a pending_mfa session. */
  challengeMinutes: number;
}

/** A session just made: `cookieValue` goes to the client once and is never stored. */
export interface NewSession {
  id: string;
  cookieValue: string;
  csrfToken: string;
  stage: SessionStage;
}

/** A live session with the bits of its user that authentication needs. */
export interface LiveSession {
  id: string;
  userId: string;
  username: string;
  role: Role;
  stage: SessionStage;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

const MINUTE = 60_000;

type SessionJoin = {
  id: string;
  user_id: string;
  stage: SessionStage;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  username: string;
  role: Role;
};

const toLive = (r: SessionJoin): LiveSession => ({
  id: r.id,
  userId: r.user_id,
  username: r.username,
  role: r.role,
  stage: r.stage,
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
});

/** Session lifecycle: create, find (with idle and absolute timeouts), touch, rotate, revoke. */
export class Sessions {
  constructor(private readonly t: SessionTimeouts) {}

  async create(
    db: Db,
    s: {
      userId: string;
      stage: SessionStage;
      ip?: string | undefined;
      userAgent?: string | undefined;
      csrfToken?: string;
      expiresAt?: string;
    },
    now: Date,
  ): Promise<NewSession> {
    const id = randomUUID();
    const cookieValue = randomSecret();
    const csrfToken = s.csrfToken ?? randomSecret();
    const lifetime = s.stage === 'pending_mfa' ? this.t.challengeMinutes * MINUTE : this.t.absoluteHours * 60 * MINUTE;
    await db
      .insertInto('identity_sessions')
      .values({
        id,
        token_hash: sha256Hex(cookieValue),
        user_id: s.userId,
        stage: s.stage,
        csrf_token: csrfToken,
        created_at: iso(now),
        last_seen_at: iso(now),
        expires_at: s.expiresAt ?? iso(new Date(now.getTime() + lifetime)),
        revoked_at: null,
        ip: s.ip ?? null,
        user_agent: s.userAgent?.slice(0, 512) ?? null,
      })
      .execute();
    return { id, cookieValue, csrfToken, stage: s.stage };
  }

  /** The live session behind a cookie value: not revoked, not past its absolute end, not idle too long, user enabled. */
  async find(db: Db, cookieValue: string, now: Date): Promise<LiveSession | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return undefined;
    const r = await selectLive(db)
      .where('s.token_hash', '=', sha256Hex(cookieValue))
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', iso(now))
      .where('s.last_seen_at', '>', iso(new Date(now.getTime() - this.t.idleMinutes * MINUTE)))
      .where('u.disabled', '=', 0)
      .executeTakeFirst();
    return r && toLive(r);
  }

  /** A session by id, if not revoked (the authenticator has already checked its timeouts for this request). */
  async get(db: Db, id: string): Promise<LiveSession | undefined> {
    const r = await selectLive(db).where('s.id', '=', id).where('s.revoked_at', 'is', null).executeTakeFirst();
    return r && toLive(r);
  }

  /**
   * Note activity for the idle timeout. Written at most every minute (or a quarter of the idle timeout) per
   * session, so reads do not each cost a write.
   */
  async touch(db: Db, s: LiveSession, now: Date): Promise<void> {
    const every = Math.min(MINUTE, (this.t.idleMinutes * MINUTE) / 4);
    if (now.getTime() - Date.parse(s.lastSeenAt) < every) return;
    await db
      .updateTable('identity_sessions')
      .set({ last_seen_at: iso(now) })
      .where('id', '=', s.id)
      .execute();
  }

  /**
   * Replace a session by a new one (new cookie value) at a change of privilege, so an id seen before the change is
   * worthless after it. The CSRF token is kept unless `newCsrf`, and the absolute end unless the stage leaves
   * pending_mfa (the real sign-in starts when the second factor is given).
   */
  async rotate(
    db: Db,
    old: LiveSession,
    stage: SessionStage,
    now: Date,
    opts: { newCsrf?: boolean; ip?: string; userAgent?: string } = {},
  ): Promise<NewSession> {
    await this.revoke(db, old.id, now);
    return this.create(
      db,
      {
        userId: old.userId,
        stage,
        ip: opts.ip,
        userAgent: opts.userAgent,
        ...(opts.newCsrf ? {} : { csrfToken: old.csrfToken }),
        ...(old.stage === 'pending_mfa' ? {} : { expiresAt: old.expiresAt }),
      },
      now,
    );
  }

  /** Revoke the session behind a cookie value (sign-out); unknown values are ignored. */
  async revokeByCookie(db: Db, cookieValue: string, now: Date): Promise<string | undefined> {
    const r = await db
      .updateTable('identity_sessions')
      .set({ revoked_at: iso(now) })
      .where('token_hash', '=', sha256Hex(cookieValue))
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return r?.id;
  }

  async revoke(db: Db, id: string, now: Date): Promise<void> {
    await db
      .updateTable('identity_sessions')
      .set({ revoked_at: iso(now) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** End every session of a user (disabled, role or password changed, MFA reset), optionally but one. Returns how many. */
  async revokeAllForUser(db: Db, userId: string, now: Date, exceptId?: string): Promise<number> {
    let q = db
      .updateTable('identity_sessions')
      .set({ revoked_at: iso(now) })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Delete sessions that ended more than a day ago (the audit log keeps the story). */
  async prune(db: Db, now: Date): Promise<void> {
    const dayAgo = iso(new Date(now.getTime() - 24 * 60 * MINUTE));
    await db
      .deleteFrom('identity_sessions')
      .where((eb) => eb.or([eb('expires_at', '<', dayAgo), eb('revoked_at', '<', dayAgo), eb('last_seen_at', '<', dayAgo)]))
      .execute();
  }
}

/** Sessions joined with their user: the columns a LiveSession is made of. */
function selectLive(db: Db) {
  return db
    .selectFrom('identity_sessions as s')
    .innerJoin('identity_users as u', 'u.id', 's.user_id')
    .select([
      's.id',
      's.user_id',
      's.stage',
      's.csrf_token',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      'u.username',
      'u.role',
    ]);
}
