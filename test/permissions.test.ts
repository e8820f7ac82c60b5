import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Permission, type Role } from '../src/core/auth.ts';
import type { RegisteredRoute } from '../src/core/http/routes.ts';
import { createTestApp, type TestApp } from './app.ts';
import { DIALECTS } from './databases.ts';
import { TEST_PASSWORD, createUserWithToken, signInAs, type TestSession } from './identity.ts';
import { snapshotDatabase } from './snapshot.ts';

/**
 * Deny by default, proven over every registered route: a caller whose role lacks the route's permission gets 403
 * and nothing in the database changes; a token whose scopes lack it gets 403 too; nobody signed in gets 401.
 *
 * Write routes get a request that WOULD change something for an allowed caller (checked at the end), so a missing
 * check cannot hide behind a validation error. A new write route without a sample here fails this test.
 */
interface Ids {
  victimId: string;
  victimTokenId: string;
}
const WRITE_SAMPLES: Record<string, (ids: Ids) => { url?: string; payload?: unknown }> = {
  'POST /api/v1/users': () => ({ payload: { username: `walk-${randomUUID().slice(0, 8)}`, role: 'viewer', password: TEST_PASSWORD } }),
  'PATCH /api/v1/users/:id': (ids) => ({ url: `/api/v1/users/${ids.victimId}`, payload: { disabled: true, role: 'viewer' } }),
  'POST /api/v1/users/:id/mfa/reset': (ids) => ({ url: `/api/v1/users/${ids.victimId}/mfa/reset` }),
  'DELETE /api/v1/tokens/:id': (ids) => ({ url: `/api/v1/tokens/${ids.victimTokenId}` }),
  'POST /api/v1/audit/verify': () => ({ payload: {} }),
};

const isWrite = (r: RegisteredRoute) => r.method !== 'GET';
const key = (r: RegisteredRoute) => `${r.method} ${r.url}`;
const fillParams = (url: string) => url.replace(/:[A-Za-z]+/g, '1').replace('*', 'x');
const auditOrSession = (t: string) => t.startsWith('audit_') || t === 'identity_sessions';

describe.each(DIALECTS)('every route denies callers without its permission ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  const sessions = new Map<Role, TestSession>();
  let ids: Ids;

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect);
    for (const role of ROLES) sessions.set(role, await signInAs(t, role));
    const victim = await signInAs(t, 'security-officer');
    const victimToken = await createUserWithToken(t, 'operator');
    ids = { victimId: victim.user.id, victimTokenId: victimToken.tokenId };
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const request = (r: RegisteredRoute, headers: Record<string, string>) => {
    const sample = WRITE_SAMPLES[key(r)]?.(ids) ?? {};
    return t.app.inject({
      method: r.method,
      url: sample.url ?? fillParams(r.url),
      headers,
      ...(isWrite(r) ? { payload: (sample.payload ?? {}) as Record<string, unknown> } : {}),
    });
  };

  it.skipIf(skip)('covers every route, and every write route has a meaningful sample request', () => {
    const guarded = t.routes.filter((r) => r.permission !== 'public' && r.permission !== 'authenticated');
    expect(guarded.length).toBeGreaterThan(5);
    const missing = guarded.filter((r) => isWrite(r) && ROLES.some((role) => !t.policy.roleHas(role, r.permission as Permission)) && !WRITE_SAMPLES[key(r)]);
    expect(missing.map(key)).toEqual([]);
  });

  it.skipIf(skip)('answers 403 to every role lacking the permission, and changes nothing', async () => {
    let checked = 0;
    for (const r of t.routes) {
      if (r.permission === 'public' || r.permission === 'authenticated') continue;
      for (const role of ROLES) {
        if (t.policy.roleHas(role, r.permission)) continue;
        const before = await snapshotDatabase(t.database, auditOrSession);
        const res = await request(r, sessions.get(role)!.headers);
        expect({ route: key(r), role, status: res.statusCode, code: res.json<{ code?: string }>().code }).toEqual({
          route: key(r),
          role,
          status: 403,
          code: 'permission_denied',
        });
        expect(await snapshotDatabase(t.database, auditOrSession)).toEqual(before);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
    // Each refusal is itself in the audit log (refusals are group-committed: wait for the commit).
    await t.audit.sink.flush();
    const denied = await t.database.db.selectFrom('audit_entries').select('seq').where('outcome', '=', 'denied').execute();
    expect(denied.length).toBeGreaterThanOrEqual(checked);
  });

  it.skipIf(skip)('answers 403 to a token whose scopes lack the permission, even when its owner holds it', async () => {
    for (const r of t.routes) {
      if (r.permission === 'public' || r.permission === 'authenticated') continue;
      const perm = r.permission;
      const owner = ROLES.find((role) => t.policy.roleHas(role, perm))!;
      const other = t.policy.forRole(owner).find((p) => p !== perm);
      if (!other) continue;
      const { headers } = await createUserWithToken(t, owner, { scopes: [other] });
      const before = await snapshotDatabase(t.database, auditOrSession);
      const res = await request(r, headers);
      expect({ route: key(r), status: res.statusCode }).toEqual({ route: key(r), status: 403 });
      expect(await snapshotDatabase(t.database, auditOrSession)).toEqual(before);
    }
  });

  it.skipIf(skip)('answers 401 to a caller who is not signed in, on every non-public route', async () => {
    for (const r of t.routes) {
      if (r.permission === 'public') continue;
      const before = await snapshotDatabase(t.database, auditOrSession);
      const res = await request(r, {});
      expect({ route: key(r), status: res.statusCode }).toEqual({ route: key(r), status: 401 });
      expect(await snapshotDatabase(t.database, auditOrSession)).toEqual(before);
    }
  });

  it.skipIf(skip)('lets a caller holding the permission make each sampled change (so the refusals above mean something)', async () => {
    for (const r of t.routes.filter((x) => WRITE_SAMPLES[key(x)] && x.permission !== 'public' && x.permission !== 'authenticated')) {
      const role = ROLES.find((ro) => t.policy.roleHas(ro, r.permission as Permission))!;
      const before = await snapshotDatabase(t.database, (n) => n.startsWith('audit_'));
      const res = await request(r, sessions.get(role)!.headers);
      expect({ route: key(r), ok: res.statusCode < 300 }).toEqual({ route: key(r), ok: true });
      if (r.url !== '/api/v1/audit/verify') expect(await snapshotDatabase(t.database, (n) => n.startsWith('audit_'))).not.toEqual(before);
    }
  });
});
