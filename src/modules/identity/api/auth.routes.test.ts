import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createTestUser, signIn, signInAs, TEST_PASSWORD } from '../../../../test/identity.ts';
import { snapshotDatabase } from '../../../../test/snapshot.ts';
import { totpCode } from '../totp.ts';
import { allAuditText, auditOf, cookieFrom, login, MINUTE } from './identity.test-support.ts';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe.each(DIALECTS)('sign-in and sessions on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (!skip) t = await createTestApp(dialect, { manualClock: true });
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const clock = () => t.manualClock!;

  it.skipIf(skip)(
    'signs in (any case) with a Secure, HttpOnly, SameSite=Strict cookie kept only hashed, and answers /me',
    async () => {
      const u = await createTestUser(t, 'viewer', { username: 'vera' });
      const res = await login(t, 'VERA', u.password);
      expect(res.statusCode).toBe(200);
      const body = res.json<{ user: Record<string, unknown>; mfa: string; csrfToken: string }>();
      expect(body.mfa).toBe('none');
      expect(Object.keys(body.user).sort()).toEqual([
        'createdAt',
        'disabled',
        'displayName',
        'id',
        'lastLoginAt',
        'mfaEnabled',
        'role',
        'username',
      ]);
      expect(body.user).toMatchObject({
        id: u.id,
        username: 'vera',
        role: 'viewer',
        mfaEnabled: false,
        disabled: false,
        lastLoginAt: clock().now().toISOString(),
      });
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.body).not.toContain(u.password);

      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/^skjold_session=[A-Za-z0-9_-]{43};/);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('Secure');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');
      const cookie = cookieFrom(res);
      const raw = cookie.split('=')[1] ?? '';
      const rows = await t.database.db.selectFrom('identity_sessions').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ token_hash: sha256(raw), user_id: u.id, stage: 'full', csrf_token: body.csrfToken });
      expect(JSON.stringify(rows)).not.toContain(raw);

      const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie } });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toEqual({
        user: body.user,
        csrfToken: body.csrfToken,
        mfaEnrolmentRequired: false,
        // Every permission the role holds, from whichever modules are wired in (viewer: system.read, tokens.create, …).
        permissions: t.policy.forRole(u.role),
      });
      expect(t.policy.forRole(u.role)).toEqual(expect.arrayContaining(['system.read', 'tokens.create']));
      expect((await t.app.inject({ url: '/api/v1/auth/me' })).json()).toMatchObject({
        status: 401,
        code: 'authentication_required',
      });
    },
  );

  it.skipIf(skip)('refuses cookie-authenticated writes without the right X-CSRF-Token, changing nothing', async () => {
    const s = await signInAs(t, 'operator');
    const before = await snapshotDatabase(t.database, (tb) => tb === 'audit_entries' || tb === 'audit_head');
    const payload = { name: 'ci', scopes: ['system.read'] };
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie: s.headers.cookie }, payload });
    expect(none.statusCode).toBe(403);
    expect(none.json()).toMatchObject({ code: 'csrf_token_invalid' });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { ...s.headers, 'x-csrf-token': 'x'.repeat(43) },
      payload,
    });
    expect(wrong.json()).toMatchObject({ code: 'csrf_token_invalid' });
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: s.headers.cookie } });
    expect(out.statusCode).toBe(403);
    expect(await snapshotDatabase(t.database, (tb) => tb === 'audit_entries' || tb === 'audit_head')).toEqual(before);
    const right = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: s.headers, payload });
    expect(right.statusCode).toBe(201);
    const denied = await auditOf(t, 'tokens.create');
    expect(
      denied.map((e) => `${String(e['outcome'])} ${String((e['detail'] as { code?: string } | undefined)?.code)}`).sort(),
    ).toEqual(['allowed undefined', 'denied csrf_token_invalid', 'denied csrf_token_invalid']);
  });

  it.skipIf(skip)('ends a session after 30 idle minutes, and after 12 hours however active', async () => {
    const u = await createTestUser(t, 'viewer');
    const idle = cookieFrom(await login(t, u.username, u.password));
    const me = (cookie: string) => t.app.inject({ url: '/api/v1/auth/me', headers: { cookie } }).then((r) => r.statusCode);
    clock().advance(29 * MINUTE);
    expect(await me(idle)).toBe(200);
    clock().advance(29 * MINUTE);
    expect(await me(idle)).toBe(200);
    clock().advance(30 * MINUTE + 1000);
    expect(await me(idle)).toBe(401);

    const busy = cookieFrom(await login(t, u.username, u.password));
    for (let elapsed = 0; elapsed < 12 * 60 - 25; elapsed += 25) {
      clock().advance(25 * MINUTE);
      expect(await me(busy)).toBe(200);
    }
    clock().advance(25 * MINUTE);
    expect(await me(busy)).toBe(401);
  });

  it.skipIf(skip)('replaces the session the browser still holds when it signs in again', async () => {
    const u = await createTestUser(t, 'viewer');
    const first = await signIn(t, u.username, u.password);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: first.headers,
      payload: { username: u.username, password: u.password },
    });
    expect(again.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: first.headers })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: cookieFrom(again) } })).statusCode).toBe(200);
  });

  it.skipIf(skip)('signs out: the session is revoked and the cookie cleared', async () => {
    const s = await signInAs(t, 'viewer');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: s.headers });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/skjold_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: s.headers })).statusCode).toBe(401);
    const row = await t.database.db.selectFrom('identity_sessions').select('revoked_at').executeTakeFirstOrThrow();
    expect(row.revoked_at).toBe(clock().now().toISOString());
    expect(await auditOf(t, 'auth.logout')).toEqual([
      expect.objectContaining({ actor: `user:${s.user.id}`, outcome: 'allowed', status: 204 }),
    ]);
  });

  it.skipIf(skip)(
    'answers unknown users, wrong passwords and disabled users alike, and audits each with its reason but never the password',
    async () => {
      const u = await createTestUser(t, 'operator', { username: 'otto' });
      const off = await createTestUser(t, 'viewer', { username: 'offline' });
      await t.database.db.updateTable('identity_users').set({ disabled: 1 }).where('id', '=', off.id).execute();
      const secretGuess = 'hunter2-but-longer-guess';
      for (const [name, pw] of [
        ['nobody', secretGuess],
        ['otto', secretGuess],
        ['offline', off.password],
      ] as const) {
        const r = await login(t, name, pw);
        expect(r.statusCode).toBe(401);
        expect(r.json()).toMatchObject({ code: 'invalid_credentials', detail: 'wrong username or password' });
      }
      expect((await login(t, 'otto', u.password)).statusCode).toBe(200);
      const records = await auditOf(t, 'auth.login');
      expect(
        records.map((e) => [
          e['actor'],
          e['outcome'],
          e['status'],
          e['target'],
          (e['detail'] as Record<string, unknown>)['reason'],
        ]),
      ).toEqual([
        ['anonymous', 'denied', 401, undefined, 'unknown_user'],
        ['anonymous', 'denied', 401, `user:${u.id}`, 'bad_password'],
        ['anonymous', 'denied', 401, `user:${off.id}`, 'disabled'],
        [`user:${u.id}`, 'allowed', 200, `user:${u.id}`, undefined],
      ]);
      expect(records[0]?.['detail']).toMatchObject({ username: 'nobody', code: 'invalid_credentials' });
      const text = await allAuditText(t);
      expect(text).not.toContain(secretGuess);
      expect(text).not.toContain(TEST_PASSWORD);
      expect(text).not.toContain('$argon2id$');
    },
  );

  it.skipIf(skip)(
    'changes the password: other sessions end, this one continues under a new id, the old password stops working',
    async () => {
      const u = await createTestUser(t, 'viewer');
      const a = await signIn(t, u.username, u.password);
      const b = await signIn(t, u.username, u.password);
      const change = (currentPassword: string, newPassword: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/password',
          headers: a.headers,
          payload: { currentPassword, newPassword },
        });
      const wrong = await change('not the password', 'a brand new passphrase');
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toMatchObject({ code: 'current_password_invalid' });
      expect((await change(u.password, 'too short')).json()).toMatchObject({ status: 400, code: 'password_too_short' });
      const ok = await change(u.password, 'a brand new passphrase');
      expect(ok.statusCode).toBe(204);
      const rotated = cookieFrom(ok);
      expect(rotated).not.toBe(a.headers.cookie);
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers: b.headers })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers: a.headers })).statusCode).toBe(401);
      const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: rotated } });
      expect(me.json()).toMatchObject({ csrfToken: a.headers['x-csrf-token'] });
      expect((await login(t, u.username, u.password)).statusCode).toBe(401);
      expect((await login(t, u.username, 'a brand new passphrase')).statusCode).toBe(200);
      const [rec] = (await auditOf(t, 'auth.password.change')).filter((e) => e['outcome'] === 'allowed');
      expect(rec).toMatchObject({
        target: `user:${u.id}`,
        changes: [{ type: 'user', id: u.id, after: { changed: ['password'] } }],
        detail: { sessionsRevoked: 1 },
      });
      expect(await allAuditText(t)).not.toContain('a brand new passphrase');
    },
  );
});

describe.each(DIALECTS)('multi-factor sign-in on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (!skip) t = await createTestApp(dialect, { manualClock: true });
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const clock = () => t.manualClock!;
  const mfa = (cookie: string, csrf: string | undefined, code: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      payload: { code },
    });

  it.skipIf(skip)('makes an admin without MFA enrol before anything else, with the secret sealed at rest', async () => {
    const u = await createTestUser(t, 'admin');
    const res = await login(t, u.username, u.password);
    expect(res.json()).toMatchObject({ mfa: 'enrol' });
    const headers = { cookie: cookieFrom(res), 'x-csrf-token': res.json<{ csrfToken: string }>().csrfToken };
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers })).json()).toMatchObject({
      mfaEnrolmentRequired: true,
      permissions: [],
    });
    const users = await t.app.inject({ url: '/api/v1/users', headers });
    expect(users.statusCode).toBe(403);
    expect(users.json()).toMatchObject({ code: 'mfa_enrolment_required' });
    expect(
      (
        await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'x', scopes: ['users.read'] } })
      ).json(),
    ).toMatchObject({ code: 'mfa_enrolment_required' });

    const start = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enrol/start', headers });
    expect(start.statusCode).toBe(200);
    const { secret, otpauthUrl, qrDataUrl } = start.json<{ secret: string; otpauthUrl: string; qrDataUrl: string }>();
    expect(otpauthUrl).toBe(`otpauth://totp/Skjold:${u.username}?secret=${secret}&issuer=Skjold`);
    expect(qrDataUrl).toMatch(/^data:image\/png;base64,/);
    const pending = await t.database.db
      .selectFrom('identity_users')
      .select(['mfa_secret', 'mfa_pending_secret'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(pending.mfa_secret).toBeNull();
    expect(pending.mfa_pending_secret).toMatch(/^v1\./);
    expect(pending.mfa_pending_secret).not.toContain(secret);

    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/enrol/confirm',
      headers,
      payload: { code: '000000' },
    });
    expect(bad.json()).toMatchObject({ status: 400, code: 'mfa_code_invalid' });
    const confirm = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/enrol/confirm',
      headers,
      payload: { code: totpCode(secret, clock().now()) },
    });
    expect(confirm.statusCode).toBe(200);
    const { recoveryCodes } = confirm.json<{ recoveryCodes: string[] }>();
    expect(recoveryCodes).toHaveLength(10);
    const full = { cookie: cookieFrom(confirm), 'x-csrf-token': headers['x-csrf-token'] };
    expect(full.cookie).not.toBe(headers.cookie);
    expect((await t.app.inject({ url: '/api/v1/users', headers })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/users', headers: full })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: full })).json()).toMatchObject({
      mfaEnrolmentRequired: false,
      user: { mfaEnabled: true },
    });

    const stored = await t.database.db
      .selectFrom('identity_users')
      .select(['mfa_secret', 'mfa_pending_secret'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(stored.mfa_pending_secret).toBeNull();
    expect(stored.mfa_secret).toMatch(/^v1\./);
    expect(stored.mfa_secret).not.toContain(secret);
    const codes = await t.database.db
      .selectFrom('identity_recovery_codes')
      .select('code_hash')
      .where('user_id', '=', u.id)
      .execute();
    expect(codes).toHaveLength(10);
    expect(JSON.stringify(codes)).not.toContain(recoveryCodes[0]!.replace(/-/g, ''));
    const text = await allAuditText(t);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(recoveryCodes[0]!);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/enrol/start', headers: full })).json()).toMatchObject({
      code: 'mfa_already_enabled',
    });
  });

  it.skipIf(skip)('asks for the second factor after the password, and never accepts a code twice', async () => {
    const admin = await signInAs(t, 'admin');
    const secret = admin.totpSecret!;
    clock().advance(60_000);
    const res = await login(t, admin.user.username, admin.password);
    expect(res.json()).toMatchObject({ mfa: 'required', user: { id: admin.user.id } });
    const pre = cookieFrom(res);
    const csrf = res.json<{ csrfToken: string }>().csrfToken;
    // Half signed in is not signed in.
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: pre } })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/users', headers: { cookie: pre, 'x-csrf-token': csrf } })).statusCode).toBe(401);
    expect((await mfa(pre, undefined, totpCode(secret, clock().now()))).json()).toMatchObject({
      status: 403,
      code: 'csrf_token_invalid',
    });
    expect((await mfa(pre, csrf, '000000')).json()).toMatchObject({ status: 401, code: 'mfa_code_invalid' });

    const code = totpCode(secret, clock().now());
    const ok = await mfa(pre, csrf, code);
    expect(ok.statusCode).toBe(200);
    const body = ok.json<{ user: { id: string }; csrfToken: string }>();
    expect(body.user.id).toBe(admin.user.id);
    expect(body.csrfToken).not.toBe(csrf);
    const full = cookieFrom(ok);
    expect(full).not.toBe(pre);
    expect((await t.app.inject({ url: '/api/v1/users', headers: { cookie: full } })).statusCode).toBe(200);
    expect((await mfa(pre, csrf, code)).json()).toMatchObject({ code: 'mfa_session_invalid' });

    // The same code again (same 30-second step) in a new sign-in: refused as reused.
    const again = await login(t, admin.user.username, admin.password);
    const replay = await mfa(cookieFrom(again), again.json<{ csrfToken: string }>().csrfToken, code);
    expect(replay.json()).toMatchObject({ status: 401, code: 'mfa_code_invalid' });
    const previous = totpCode(secret, new Date(clock().now().getTime() - 30_000));
    expect((await mfa(cookieFrom(again), again.json<{ csrfToken: string }>().csrfToken, previous)).statusCode).toBe(401);
    clock().advance(30_000);
    expect(
      (await mfa(cookieFrom(again), again.json<{ csrfToken: string }>().csrfToken, totpCode(secret, clock().now()))).statusCode,
    ).toBe(200);

    // Refusals that roll back are group-committed after the fact, so compare without order.
    const reasons = (await auditOf(t, 'auth.mfa')).map(
      (e) =>
        `${String(e['outcome'])} ${String((e['detail'] as Record<string, unknown> | undefined)?.['reason'] ?? (e['detail'] as Record<string, unknown> | undefined)?.['code'])}`,
    );
    expect(reasons.sort()).toEqual(
      [
        'denied csrf_token_invalid',
        'denied bad_totp',
        'allowed undefined',
        'denied no_pending_sign_in',
        'denied code_reused',
        'denied code_reused',
        'allowed undefined',
      ].sort(),
    );
    const logins = await auditOf(t, 'auth.login');
    expect(logins.at(-1)).toMatchObject({
      actor: `user:${admin.user.id}`,
      outcome: 'allowed',
      detail: { mfa: 'required', reason: 'mfa_required' },
    });
  });

  it.skipIf(skip)('accepts one code once even when two sign-ins race with it', async () => {
    const admin = await signInAs(t, 'admin');
    clock().advance(60_000);
    const pending = await Promise.all(
      [1, 2].map(async () => {
        const r = await login(t, admin.user.username, admin.password);
        return { cookie: cookieFrom(r), csrf: r.json<{ csrfToken: string }>().csrfToken };
      }),
    );
    const code = totpCode(admin.totpSecret!, clock().now());
    const results = await Promise.all(pending.map((p) => mfa(p.cookie, p.csrf, code)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it.skipIf(skip)('accepts each recovery code once, however it is typed', async () => {
    const admin = await signInAs(t, 'security-officer');
    const [first, second] = admin.recoveryCodes!;
    const start = async () => {
      const r = await login(t, admin.user.username, admin.password);
      return { cookie: cookieFrom(r), csrf: r.json<{ csrfToken: string }>().csrfToken };
    };
    const a = await start();
    expect((await mfa(a.cookie, a.csrf, first!.toUpperCase().replace(/-/g, ' '))).statusCode).toBe(200);
    const b = await start();
    expect((await mfa(b.cookie, b.csrf, first!)).json()).toMatchObject({ code: 'mfa_code_invalid' });
    expect((await mfa(b.cookie, b.csrf, second!)).statusCode).toBe(200);
    const used = await t.database.db
      .selectFrom('identity_recovery_codes')
      .select('used_at')
      .where('user_id', '=', admin.user.id)
      .where('used_at', 'is not', null)
      .execute();
    expect(used).toHaveLength(2);
    const records = (await auditOf(t, 'auth.mfa')).filter(
      (e) => (e['detail'] as Record<string, unknown>)['method'] === 'recovery_code',
    );
    // Committed in request order: the refusal commits its failure counter with its record.
    expect(
      records.map((e) => [
        e['outcome'],
        (e['detail'] as Record<string, unknown>)['reason'] ?? (e['detail'] as Record<string, unknown>)['recoveryCodesLeft'],
      ]),
    ).toEqual([
      ['allowed', 9],
      ['denied', 'bad_recovery_code'],
      ['allowed', 8],
    ]);
  });

  it.skipIf(skip)('lets a password-verified sign-in wait 5 minutes for its second factor, no longer', async () => {
    const admin = await signInAs(t, 'admin');
    clock().advance(60_000);
    const r = await login(t, admin.user.username, admin.password);
    clock().advance(5 * MINUTE + 1000);
    const late = await mfa(cookieFrom(r), r.json<{ csrfToken: string }>().csrfToken, totpCode(admin.totpSecret!, clock().now()));
    expect(late.json()).toMatchObject({ status: 401, code: 'mfa_session_invalid' });
  });
});
