import { isIP } from 'node:net';
import { sql } from 'kysely';
import { iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { IdentityConfig } from './identity.config.ts';

/** Why a sign-in attempt is refused before its password is even looked at. */
export interface ThrottleBlock {
  reason: 'locked' | 'backoff' | 'ip_throttled';
  retryAfterSeconds: number;
}

type Limits = Pick<
  IdentityConfig,
  | 'loginBackoffAfter'
  | 'loginBackoffMaxSeconds'
  | 'loginLockoutAfter'
  | 'loginLockoutMinutes'
  | 'loginFailureMemoryHours'
  | 'loginIpMaxFailures'
  | 'loginIpWindowMinutes'
>;

const MINUTE = 60_000;

/**
 * The subject an address is counted under. IPv6 counts per /64, the block one customer usually gets: counting single
 * addresses would let one attacker rotate through 2^64 of them.
 */
export function ipSubject(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return `ip:${mapped[1]}`;
  if (isIP(ip) !== 6) return `ip:${ip}`;
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `ip:${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Sign-in throttling, per username and per source IP, in the database so that it holds across restarts and API
 * nodes. Per username: after `loginBackoffAfter` consecutive failures each attempt waits 1 s, 2 s, 4 s … (capped),
 * and after `loginLockoutAfter` the username is locked for `loginLockoutMinutes`. Unknown usernames are counted
 * the same way, so lockouts reveal nothing. Per IP: at most `loginIpMaxFailures` failures per window.
 */
export class LoginThrottle {
  constructor(private readonly limits: Limits) {}

  /** A block in force for this username or address, the longest one if both are blocked. */
  async check(db: Db, username: string, ip: string, now: Date): Promise<ThrottleBlock | null> {
    const userSubject = `user:${username}`;
    const rows = await db
      .selectFrom('identity_login_throttle')
      .select(['subject', 'failures', 'blocked_until'])
      .where('subject', 'in', [userSubject, ipSubject(ip)])
      .where('blocked_until', '>', iso(now))
      .execute();
    let block: ThrottleBlock | null = null;
    for (const r of rows) {
      const retryAfterSeconds = Math.max(1, Math.ceil((Date.parse(r.blocked_until ?? '') - now.getTime()) / 1000));
      const reason =
        r.subject !== userSubject ? 'ip_throttled' : r.failures >= this.limits.loginLockoutAfter ? 'locked' : 'backoff';
      if (!block || retryAfterSeconds > block.retryAfterSeconds) block = { reason, retryAfterSeconds };
    }
    return block;
  }

  /** Count a failed attempt against both the username and the address; returns the username's streak. */
  async recordFailure(db: Db, username: string, ip: string, now: Date): Promise<number> {
    const l = this.limits;
    const user = await this.#bump(
      db,
      `user:${username}`,
      'last_failure_at',
      new Date(now.getTime() - l.loginFailureMemoryHours * 60 * MINUTE),
      now,
    );
    let userBlock: Date | null = null;
    if (user.failures >= l.loginLockoutAfter) userBlock = new Date(now.getTime() + l.loginLockoutMinutes * MINUTE);
    else if (user.failures >= l.loginBackoffAfter) {
      const seconds = Math.min(2 ** (user.failures - l.loginBackoffAfter), l.loginBackoffMaxSeconds);
      userBlock = new Date(now.getTime() + seconds * 1000);
    }
    await this.#block(db, `user:${username}`, userBlock);

    const windowMs = l.loginIpWindowMinutes * MINUTE;
    const addr = await this.#bump(db, ipSubject(ip), 'window_start', new Date(now.getTime() - windowMs), now);
    if (addr.failures >= l.loginIpMaxFailures)
      await this.#block(db, ipSubject(ip), new Date(Date.parse(addr.window_start) + windowMs));
    return user.failures;
  }

  /** A successful sign-in ends the username's failure streak (not the address's: one good account must not reset it). */
  async recordSuccess(db: Db, username: string): Promise<void> {
    await db.deleteFrom('identity_login_throttle').where('subject', '=', `user:${username}`).execute();
  }

  /** Forget counters nobody has touched for longer than any limit remembers them. */
  async prune(db: Db, now: Date): Promise<void> {
    const l = this.limits;
    const keepMs = Math.max(l.loginFailureMemoryHours * 60, l.loginIpWindowMinutes, l.loginLockoutMinutes) * MINUTE;
    await db
      .deleteFrom('identity_login_throttle')
      .where('last_failure_at', '<', iso(new Date(now.getTime() - keepMs)))
      .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', iso(now))]))
      .execute();
  }

  // One atomic upsert, so concurrent failures on PostgreSQL never lose a count; a streak older than `cutoff` restarts.
  async #bump(
    db: Db,
    subject: string,
    since: 'last_failure_at' | 'window_start',
    cutoff: Date,
    now: Date,
  ): Promise<{ failures: number; window_start: string }> {
    const n = iso(now);
    const stale = sql<boolean>`${sql.ref(`identity_login_throttle.${since}`)} < ${iso(cutoff)}`;
    return db
      .insertInto('identity_login_throttle')
      .values({ subject, failures: 1, window_start: n, last_failure_at: n, blocked_until: null })
      .onConflict((oc) =>
        oc.column('subject').doUpdateSet({
          failures: sql<number>`CASE WHEN ${stale} THEN 1 ELSE identity_login_throttle.failures + 1 END`,
          window_start: sql<string>`CASE WHEN ${stale} THEN ${n} ELSE identity_login_throttle.window_start END`,
          last_failure_at: n,
        }),
      )
      .returning(['failures', 'window_start'])
      .executeTakeFirstOrThrow();
  }

  async #block(db: Db, subject: string, until: Date | null): Promise<void> {
    await db
      .updateTable('identity_login_throttle')
      .set({ blocked_until: until ? iso(until) : null })
      .where('subject', '=', subject)
      .execute();
  }
}
