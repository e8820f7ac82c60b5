import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createTestUser } from '../../../../test/identity.ts';
import { auditOf, login, MINUTE } from './identity.test-support.ts';

describe.each(DIALECTS)('sign-in throttling on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    // Cheaper hashes: these tests make dozens of attempts; the throttle does not depend on the hash cost.
    if (!skip)
      t = await createTestApp(dialect, {
        manualClock: true,
        env: { SKJOLD_IDENTITY_PASSWORD_MEMORY_KIB: '1024', SKJOLD_IDENTITY_PASSWORD_TIME_COST: '1' },
      });
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const clock = () => t.manualClock!;
  const wrong = 'definitely not it!';

  it.skipIf(skip)('backs off 1 s, 2 s, 4 s … after 5 failures and locks for 15 minutes after 10, with Retry-After', async () => {
    const u = await createTestUser(t, 'operator');
    for (let i = 0; i < 5; i++) expect((await login(t, u.username, wrong)).statusCode).toBe(401);
    const seen: string[] = [];
    for (const wait of [1, 2, 4, 8, 16]) {
      // Even the right password is refused while the back-off runs, without being checked.
      const early = await login(t, u.username, u.password);
      expect(early.statusCode).toBe(429);
      expect(early.json()).toMatchObject({ code: 'login_throttled', status: 429 });
      seen.push(String(early.headers['retry-after']));
      clock().advance(wait * 1000);
      expect((await login(t, u.username, wrong)).statusCode).toBe(401);
    }
    expect(seen).toEqual(['1', '2', '4', '8', '16']);
    // Ten failures: locked.
    const locked = await login(t, u.username, u.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('900');
    clock().advance(14 * MINUTE);
    expect((await login(t, u.username, u.password)).headers['retry-after']).toBe('60');
    clock().advance(MINUTE);
    expect((await login(t, u.username, u.password)).statusCode).toBe(200);
    // Success ends the streak: the next failure is an ordinary one.
    expect((await login(t, u.username, wrong)).statusCode).toBe(401);
    expect((await login(t, u.username, u.password)).statusCode).toBe(200);

    const records = await auditOf(t, 'auth.login');
    const reasons = records.map((e) => (e['detail'] as Record<string, unknown>)['reason'] ?? 'ok');
    expect(reasons.filter((r) => r === 'backoff')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'locked')).toHaveLength(2);
    expect(records.filter((e) => e['status'] === 429).every((e) => e['outcome'] === 'denied')).toBe(true);
    expect(records.at(-1)).toMatchObject({ outcome: 'allowed', actor: `user:${u.id}` });
  });

  it.skipIf(skip)('keeps the counters although the failing request is refused (they commit with the refusal)', async () => {
    const u = await createTestUser(t, 'viewer');
    for (let i = 0; i < 3; i++) await login(t, u.username, wrong, { ip: '198.51.100.9' });
    const rows = await t.database.db
      .selectFrom('identity_login_throttle')
      .select(['subject', 'failures'])
      .orderBy('subject')
      .execute();
    expect(rows).toEqual([
      { subject: 'ip:198.51.100.9', failures: 3 },
      { subject: `user:${u.username}`, failures: 3 },
    ]);
  });

  it.skipIf(skip)('locks unknown usernames exactly like real ones, so lockouts reveal nothing', async () => {
    for (let i = 0; i < 10; i++) {
      clock().advance(60_000);
      expect((await login(t, 'ghost', wrong)).statusCode).toBe(401);
    }
    const r = await login(t, 'GHOST', wrong);
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('900');
  });

  it.skipIf(skip)('limits failures per source address across usernames (IPv6 per /64)', async () => {
    const u = await createTestUser(t, 'viewer');
    for (let i = 0; i < 20; i++) {
      expect((await login(t, `spray-${i}`, wrong, { ip: '2001:db8:1:2::10' })).statusCode).toBe(401);
      clock().advance(10_000);
    }
    const blocked = await login(t, u.username, u.password, { ip: '2001:db8:1:2:ffff::99' });
    expect(blocked.statusCode).toBe(429);
    // The window opened with the first failure, 200 s ago.
    expect(blocked.headers['retry-after']).toBe(String(15 * 60 - 200));
    expect((await login(t, u.username, u.password, { ip: '203.0.113.5' })).statusCode).toBe(200);
    const [rec] = (await auditOf(t, 'auth.login')).filter((e) => e['status'] === 429);
    expect(rec).toMatchObject({ ip: '2001:db8:1:2:ffff::99', detail: { reason: 'ip_throttled', code: 'login_throttled' } });
    clock().advance(15 * MINUTE);
    expect((await login(t, u.username, u.password, { ip: '2001:db8:1:2::10' })).statusCode).toBe(200);
  });

  it.skipIf(skip)('takes about as long for an unknown username as for a wrong password', async () => {
    const t2 = await createTestApp(dialect, {
      env: {
        SKJOLD_IDENTITY_LOGIN_BACKOFF_AFTER: '100',
        SKJOLD_IDENTITY_LOGIN_LOCKOUT_AFTER: '1000',
        SKJOLD_IDENTITY_LOGIN_IP_MAX_FAILURES: '1000',
      },
    });
    try {
      const u = await createTestUser(t2, 'viewer');
      const time = async (name: string): Promise<number> => {
        const started = performance.now();
        expect((await login(t2, name, wrong)).statusCode).toBe(401);
        return performance.now() - started;
      };
      await time('warm-up');
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const unknown: number[] = [];
      const known: number[] = [];
      for (let i = 0; i < 7; i++) {
        unknown.push(await time(`nobody-${i}`));
        known.push(await time(u.username));
      }
      // Both pay for one argon2id verification at the production cost; loose bounds keep this stable on busy CI.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
      expect(median(unknown)).toBeLessThan(median(known) * 2);
    } finally {
      await t2.dispose();
    }
  });
});
