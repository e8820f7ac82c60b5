import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../../core/auth.ts';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import {
  createTestUser,
  createUserWithToken,
  signIn,
  signInAs,
  TEST_PASSWORD,
  type TestSession,
} from '../../../../test/identity.ts';
import { allAuditText, auditOf, login } from './identity.test-support.ts';

describe.each(DIALECTS)('user administration on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: TestSession;
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    admin = await signInAs(t, 'admin');
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const api = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = admin.headers,
  ) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  it.skipIf(skip)('creates a user with an argon2id hash and audits it without the password', async () => {
    const res = await api('POST', '/api/v1/users', {
      username: 'Mette.Hansen',
      displayName: 'Mette Hansen',
      role: 'operator',
      password: 'a long enough passphrase',
    });
    expect(res.statusCode).toBe(201);
    const user = res.json<Record<string, unknown>>();
    expect(user['id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(user).toEqual({
      id: user['id'],
      username: 'mette.hansen',
      displayName: 'Mette Hansen',
      role: 'operator',
      mfaEnabled: false,
      disabled: false,
      createdAt: t.clock.now().toISOString(),
      lastLoginAt: null,
    });
    const row = await t.database.db
      .selectFrom('identity_users')
      .select('password_hash')
      .where('id', '=', String(user['id']))
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const [rec] = await auditOf(t, 'users.create').then((r) => r.filter((e) => e['actor'] === `user:${admin.user.id}`));
    expect(rec).toMatchObject({
      outcome: 'allowed',
      status: 201,
      target: `user:${String(user['id'])}`,
      changes: [{ type: 'user', id: user['id'], before: null, after: user }],
    });
    expect(await allAuditText(t)).not.toContain('a long enough passphrase');
    expect((await login(t, 'METTE.HANSEN', 'a long enough passphrase')).statusCode).toBe(200);
  });

  it.skipIf(skip)('validates usernames, passwords and bodies with stable codes', async () => {
    const create = (body: Record<string, unknown>) =>
      api('POST', '/api/v1/users', { role: 'viewer', password: TEST_PASSWORD, ...body });
    expect((await create({ username: 'kim' })).statusCode).toBe(201);
    expect((await create({ username: 'KIM' })).json()).toMatchObject({ status: 409, code: 'username_taken' });
    expect((await create({ username: 'has space' })).json()).toMatchObject({ status: 400, code: 'username_invalid' });
    expect((await create({ username: '-dash' })).json()).toMatchObject({ status: 400, code: 'username_invalid' });
    expect((await create({ username: 'shorty', password: 'eleven chrs' })).json()).toMatchObject({
      status: 400,
      code: 'password_too_short',
    });
    expect((await create({ username: 'longy', password: 'x'.repeat(1025) })).json()).toMatchObject({
      status: 400,
      code: 'password_too_long',
    });
    expect((await create({ username: 'roley', role: 'root' })).json()).toMatchObject({ status: 400, code: 'validation_failed' });
    const extra = await create({ username: 'extra', isAdmin: true });
    expect(extra.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(extra.body).not.toContain(TEST_PASSWORD);
    expect((await api('GET', '/api/v1/users/not-a-uuid')).json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await api('GET', '/api/v1/users/00000000-0000-4000-8000-000000000000')).json()).toMatchObject({
      status: 404,
      code: 'user_not_found',
    });
    expect((await api('PATCH', `/api/v1/users/${admin.user.id}`, {})).json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it.skipIf(skip)('lets admins manage users, security officers and auditors read them, and nobody else', async () => {
    const target = await createTestUser(t, 'viewer');
    const expected: Record<Role, { read: number; create: number; update: number }> = {
      admin: { read: 200, create: 201, update: 200 },
      'security-officer': { read: 200, create: 403, update: 403 },
      auditor: { read: 200, create: 403, update: 403 },
      operator: { read: 403, create: 403, update: 403 },
      viewer: { read: 403, create: 403, update: 403 },
    };
    for (const [role, want] of Object.entries(expected) as [Role, (typeof expected)[Role]][]) {
      const { headers } = await createUserWithToken(t, role);
      const read = await api('GET', '/api/v1/users', undefined, headers);
      const one = await api('GET', `/api/v1/users/${target.id}`, undefined, headers);
      const create = await api(
        'POST',
        '/api/v1/users',
        { username: `made-by-${role}`, role: 'viewer', password: TEST_PASSWORD },
        headers,
      );
      const update = await api('PATCH', `/api/v1/users/${target.id}`, { displayName: `renamed by ${role}` }, headers);
      expect([role, read.statusCode, one.statusCode, create.statusCode, update.statusCode]).toEqual([
        role,
        want.read,
        want.read,
        want.create,
        want.update,
      ]);
      if (want.read === 403) expect(read.json()).toMatchObject({ code: 'permission_denied' });
    }
    expect((await t.app.inject({ url: '/api/v1/users' })).statusCode).toBe(401);
    const list = await api('GET', '/api/v1/users');
    expect(list.json<{ items: { username: string }[] }>().items.map((u) => u.username)).toEqual(
      expect.arrayContaining([target.username, 'made-by-admin']),
    );
    expect(list.body).not.toMatch(/argon2|password|secret/i);
  });

  it.skipIf(skip)('ends sessions on a role change, and sessions and tokens while disabled', async () => {
    const u = await createTestUser(t, 'operator');
    const s1 = await signIn(t, u.username, u.password);
    const bot = await t.identity.service.createToken(
      { username: u.username, name: 'bot', scopes: ['system.read'] },
      { type: 'system', id: 'system:test', name: 'test' },
    );
    const bearer = { authorization: `Bearer ${bot.token}` };
    const promote = await api('PATCH', `/api/v1/users/${u.id}`, { role: 'security-officer' });
    expect(promote.json()).toMatchObject({ role: 'security-officer' });
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: s1.headers })).statusCode).toBe(401);
    // A role that needs MFA now: the next sign-in must enrol.
    expect((await login(t, u.username, u.password)).json()).toMatchObject({ mfa: 'enrol' });
    expect((await t.app.inject({ url: '/api/v1/routes', headers: bearer })).statusCode).toBe(200);

    const s2 = await signIn(t, u.username, u.password);
    const off = await api('PATCH', `/api/v1/users/${u.id}`, { disabled: true });
    expect(off.json()).toMatchObject({ disabled: true });
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: s2.headers })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/routes', headers: bearer })).json()).toMatchObject({
      status: 401,
      code: 'token_invalid',
    });
    expect((await login(t, u.username, u.password)).json()).toMatchObject({ code: 'invalid_credentials' });
    await api('PATCH', `/api/v1/users/${u.id}`, { disabled: false });
    expect((await t.app.inject({ url: '/api/v1/routes', headers: bearer })).statusCode).toBe(200);

    const records = await auditOf(t, 'users.update');
    expect(records[0]).toMatchObject({
      actor: `user:${admin.user.id}`,
      target: `user:${u.id}`,
      changes: [{ type: 'user', id: u.id, before: { role: 'operator' }, after: { role: 'security-officer' } }],
      detail: { sessionsRevoked: 1 },
    });
    expect(records[1]).toMatchObject({ changes: [{ before: { disabled: false }, after: { disabled: true } }] });
  });

  it.skipIf(skip)('keeps at least one enabled admin', async () => {
    const self = `/api/v1/users/${admin.user.id}`;
    expect((await api('PATCH', self, { role: 'viewer' })).json()).toMatchObject({ status: 409, code: 'last_admin' });
    expect((await api('PATCH', self, { disabled: true })).json()).toMatchObject({ status: 409, code: 'last_admin' });
    const other = await createTestUser(t, 'admin');
    expect((await api('PATCH', `/api/v1/users/${other.id}`, { disabled: true })).statusCode).toBe(200);
    expect((await api('PATCH', self, { role: 'viewer' })).json()).toMatchObject({ code: 'last_admin' });
    expect((await api('PATCH', `/api/v1/users/${other.id}`, { disabled: false })).statusCode).toBe(200);
    expect((await api('PATCH', self, { displayName: 'Former admin', role: 'viewer' })).json()).toMatchObject({
      role: 'viewer',
      displayName: 'Former admin',
    });
  });

  it.skipIf(skip)('resets a user’s MFA: factor and recovery codes gone, sessions ended, enrolment required again', async () => {
    const officer = await signInAs(t, 'security-officer');
    const res = await api('POST', `/api/v1/users/${officer.user.id}/mfa/reset`);
    expect(res.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: officer.headers })).statusCode).toBe(401);
    const row = await t.database.db
      .selectFrom('identity_users')
      .select(['mfa_secret', 'mfa_last_step'])
      .where('id', '=', officer.user.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ mfa_secret: null, mfa_last_step: null });
    expect(
      await t.database.db
        .selectFrom('identity_recovery_codes')
        .select('code_hash')
        .where('user_id', '=', officer.user.id)
        .execute(),
    ).toEqual([]);
    expect((await login(t, officer.user.username, officer.password)).json()).toMatchObject({
      mfa: 'enrol',
      user: { mfaEnabled: false },
    });
    const [rec] = await auditOf(t, 'users.mfa.reset');
    expect(rec).toMatchObject({
      actor: `user:${admin.user.id}`,
      target: `user:${officer.user.id}`,
      changes: [{ before: { mfaEnabled: true }, after: { mfaEnabled: false } }],
    });
    const { headers } = await createUserWithToken(t, 'security-officer');
    expect((await api('POST', `/api/v1/users/${admin.user.id}/mfa/reset`, undefined, headers)).statusCode).toBe(403);
  });
});
