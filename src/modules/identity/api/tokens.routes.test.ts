import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken, signInAs, type TestSession } from '../../../../test/identity.ts';
import { allAuditText, auditOf } from './identity.test-support.ts';

const DAY = 86_400_000;

describe.each(DIALECTS)('API tokens on $dialect', ({ dialect, skip }) => {
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
  const get = (url: string, headers: Record<string, string>) => t.app.inject({ url, headers });
  const create = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload });

  it.skipIf(skip)(
    'shows a new token once, keeps only its hash, and lets it do what its scopes and its owner’s role allow',
    async () => {
      const res = await create(admin.headers, { name: 'ci users', scopes: ['users.read'] });
      expect(res.statusCode).toBe(201);
      const body = res.json<Record<string, unknown> & { token: string; id: string }>();
      expect(body.token).toMatch(/^skj_[A-Za-z0-9_-]{43}$/);
      expect(body).toEqual({
        token: body.token,
        id: body.id,
        name: 'ci users',
        userId: admin.user.id,
        username: admin.user.username,
        scopes: ['users.read'],
        createdAt: t.clock.now().toISOString(),
        expiresAt: new Date(t.clock.now().getTime() + 90 * DAY).toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      });
      const row = await t.database.db
        .selectFrom('identity_tokens')
        .selectAll()
        .where('id', '=', body.id)
        .executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(createHash('sha256').update(body.token).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(body.token.slice(4));
      expect(await allAuditText(t)).not.toContain(body.token.slice(4));

      const bearer = { authorization: `Bearer ${body.token}` };
      expect((await get('/api/v1/users', bearer)).statusCode).toBe(200);
      // Writes with a token need no CSRF header, but do need the scope.
      const denied = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: bearer,
        payload: { username: 'x1', role: 'viewer', password: 'long enough password' },
      });
      expect(denied.json()).toMatchObject({ status: 403, code: 'permission_denied' });
      expect((await get('/api/v1/auth/me', bearer)).json()).toMatchObject({
        user: { id: admin.user.id },
        csrfToken: null,
        permissions: ['users.read'],
      });
      const listed = await get('/api/v1/tokens', admin.headers);
      expect(listed.json()).toEqual({
        items: [{ ...body, token: undefined, lastUsedAt: t.clock.now().toISOString() }].map(({ token: _t, ...rest }) => rest),
      });
      const [rec] = (await auditOf(t, 'users.read')).filter((e) => e['actor'] === `token:${body.id}`);
      expect(rec).toMatchObject({ actorName: admin.user.username, outcome: 'allowed' });
    },
  );

  it.skipIf(skip)('refuses scopes that are unknown, beyond the owner’s role, or beyond the token making the token', async () => {
    const viewer = await signInAs(t, 'viewer');
    expect((await create(viewer.headers, { name: 'x', scopes: ['nothing.at.all'] })).json()).toMatchObject({
      status: 400,
      code: 'token_scope_invalid',
      errors: [{ path: 'scopes.0', message: 'unknown permission nothing.at.all' }],
    });
    expect((await create(viewer.headers, { name: 'x', scopes: ['system.read', 'users.read'] })).json()).toMatchObject({
      code: 'token_scope_invalid',
    });
    expect((await create(viewer.headers, { name: 'x', scopes: [] })).json()).toMatchObject({ code: 'validation_failed' });
    expect((await create(viewer.headers, { name: 'x', scopes: ['system.read'], expiresInDays: 366 })).json()).toMatchObject({
      code: 'token_expiry_invalid',
    });
    expect((await create(viewer.headers, { name: '   ', scopes: ['system.read'] })).json()).toMatchObject({
      code: 'token_name_invalid',
    });

    const minter = await createUserWithToken(t, 'operator', { scopes: ['tokens.create'] });
    expect((await create(minter.headers, { name: 'stronger', scopes: ['tokens.create', 'metrics.read'] })).json()).toMatchObject({
      code: 'token_scope_invalid',
    });
    const child = await create(minter.headers, { name: 'same', scopes: ['tokens.create'], expiresInDays: 7 });
    expect(child.statusCode).toBe(201);
    expect(child.json()).toMatchObject({ userId: minter.user.id, scopes: ['tokens.create'] });
    const plain = await createUserWithToken(t, 'operator', { scopes: ['metrics.read'] });
    expect((await create(plain.headers, { name: 'x', scopes: ['metrics.read'] })).json()).toMatchObject({
      status: 403,
      code: 'permission_denied',
    });
  });

  it.skipIf(skip)('answers 401 token_invalid for malformed, unknown, expired and revoked tokens', async () => {
    const { token, tokenId, headers } = await createUserWithToken(t, 'operator', { scopes: ['metrics.read'], expiresInDays: 1 });
    const status = async (authorization: string) => {
      const r = await t.app.inject({ url: '/api/v1/routes', headers: { authorization } });
      return `${r.statusCode} ${r.json<{ code?: string }>().code ?? ''}`;
    };
    expect(await status('Bearer skj_short')).toBe('401 token_invalid');
    expect(await status('Basic dXNlcjpwYXNz')).toBe('401 token_invalid');
    expect(await status(`Bearer skj_${'A'.repeat(43)}`)).toBe('401 token_invalid');
    expect(await status(`Bearer ${token}`)).toBe('403 permission_denied');
    expect((await t.app.inject({ url: '/metrics', headers })).statusCode).toBe(200);
    t.manualClock!.advance(DAY);
    expect(await status(`Bearer ${token}`)).toBe('401 token_invalid');

    const other = await createUserWithToken(t, 'operator', { scopes: ['metrics.read'] });
    await t.database.db
      .updateTable('identity_tokens')
      .set({ revoked_at: t.clock.now().toISOString() })
      .where('id', '=', other.tokenId)
      .execute();
    expect(await status(other.headers.authorization)).toBe('401 token_invalid');
    expect(tokenId).not.toBe(other.tokenId);
  });

  it.skipIf(skip)('revokes one’s own tokens; only tokens.revoke revokes someone else’s', async () => {
    const op = await signInAs(t, 'operator');
    const mine = (await create(op.headers, { name: 'mine', scopes: ['metrics.read'] })).json<{ id: string; token: string }>();
    const adminsToken = (await create(admin.headers, { name: 'admin’s', scopes: ['users.read'] })).json<{
      id: string;
      token: string;
    }>();
    const del = (id: string, headers: Record<string, string>) =>
      t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers });

    expect((await del(adminsToken.id, op.headers)).json()).toMatchObject({ status: 403, code: 'permission_denied' });
    expect((await del('00000000-0000-4000-8000-000000000000', op.headers)).json()).toMatchObject({
      status: 404,
      code: 'token_not_found',
    });
    expect((await del(mine.id, op.headers)).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${mine.token}` } })).json()).toMatchObject({
      code: 'token_invalid',
    });
    expect((await del(mine.id, op.headers)).statusCode).toBe(204);

    const opsOther = (await create(op.headers, { name: 'second', scopes: ['metrics.read'] })).json<{ id: string }>();
    expect((await del(opsOther.id, admin.headers)).statusCode).toBe(204);
    const row = await t.database.db
      .selectFrom('identity_tokens')
      .select('revoked_at')
      .where('id', '=', opsOther.id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBe(t.clock.now().toISOString());
    const records = (await auditOf(t, 'tokens.revoke')).filter((e) => e['outcome'] === 'allowed');
    expect(records.at(-1)).toMatchObject({
      actor: `user:${admin.user.id}`,
      target: `user:${op.user.id}`,
      changes: [{ type: 'token', id: opsOther.id, after: { revokedAt: row.revoked_at } }],
    });

    // A token may revoke itself, not its owner's other tokens.
    const a = await createUserWithToken(t, 'viewer', { scopes: ['system.read'] });
    const sibling = await t.identity.service.createToken(
      { username: a.user.username, name: 'sibling' },
      { type: 'system', id: 'system:test', name: 'test' },
    );
    expect((await del(sibling.id, a.headers)).statusCode).toBe(403);
    expect((await del(a.tokenId, a.headers)).statusCode).toBe(204);
  });

  it.skipIf(skip)('lists one’s own tokens, and everyone’s only with tokens.read', async () => {
    const op = await signInAs(t, 'operator');
    await create(op.headers, { name: 'op', scopes: ['metrics.read'] });
    await create(admin.headers, { name: 'adm', scopes: ['users.read'] });
    const names = async (url: string, headers: Record<string, string>) =>
      (await get(url, headers))
        .json<{ items: { name: string }[] }>()
        .items.map((i) => i.name)
        .sort();
    expect(await names('/api/v1/tokens', op.headers)).toEqual(['op']);
    expect((await get('/api/v1/tokens?all=true', op.headers)).json()).toMatchObject({ status: 403, code: 'permission_denied' });
    expect(await names('/api/v1/tokens?all=true', admin.headers)).toEqual(['adm', 'op']);
    const auditor = await createUserWithToken(t, 'auditor', { scopes: ['tokens.read'] });
    expect(await names('/api/v1/tokens?all=true', auditor.headers)).toEqual(['adm', 'op', 'test auditor']);
    expect((await get('/api/v1/tokens?all=yes', admin.headers)).json()).toMatchObject({ code: 'validation_failed' });
  });

  it.skipIf(skip)('follows the owner’s current role: a demoted owner’s token loses what the new role lacks', async () => {
    const other = await signInAs(t, 'admin');
    const tok = (await create(other.headers, { name: 'admin work', scopes: ['users.read'] })).json<{ token: string }>();
    const bearer = { authorization: `Bearer ${tok.token}` };
    expect((await get('/api/v1/users', bearer)).statusCode).toBe(200);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${other.user.id}`,
      headers: admin.headers,
      payload: { role: 'viewer' },
    });
    expect((await get('/api/v1/users', bearer)).json()).toMatchObject({ status: 403, code: 'permission_denied' });
  });
});
