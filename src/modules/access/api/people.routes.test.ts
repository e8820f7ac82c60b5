import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { TaskView } from '../accounts.service.ts';
import type { GrantEvent } from '../grants.service.ts';
import type { PersonView } from '../people.service.ts';
import type { PrivilegedEntry } from '../privileged.service.ts';
import type { SystemView } from '../systems.service.ts';
import type { GrantWithActions } from './people.routes.ts';

type Headers = Record<string, string>;
interface Problem {
  status: number;
  code: string;
  errors?: { path: string; message: string }[];
}
interface AuditRecord {
  actor: string;
  action: string;
  outcome: string;
  changes?: { type: string; id: string; before?: Record<string, unknown> | null; after?: Record<string, unknown> | null }[];
}
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe.each(DIALECTS)('access: people, systems, privileged list and grants on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  /** Two approvers (security officers), the grantee's own user (also an approver), and a read-only viewer. */
  let ann: Headers;
  let bob: Headers;
  let gus: Headers;
  let gusUserId: string;
  let viewer: Headers;
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    ann = (await createUserWithToken(t, 'security-officer')).headers;
    bob = (await createUserWithToken(t, 'admin')).headers;
    const g = await createUserWithToken(t, 'security-officer');
    gus = g.headers;
    gusUserId = g.user.id;
    viewer = (await createUserWithToken(t, 'viewer')).headers;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers = ann) =>
    t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  const ok = async <T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers = ann) => {
    const res = await call(method, url, payload, headers);
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json<T>();
  };
  const refused = async (
    status: number,
    method: 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    headers = ann,
  ) => {
    const res = await call(method, url, payload, headers);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return res.json<Problem>();
  };
  let n = 0;
  const person = (over: Record<string, unknown> = {}) =>
    ok<PersonView>('POST', '/api/v1/access/people', { name: `Person ${++n}`, email: `p${n}-${dialect}@example.dk`, ...over });
  const system = (over: Record<string, unknown> = {}) =>
    ok<SystemView>('POST', '/api/v1/access/systems', {
      name: `sys-${++n}`,
      kind: 'server',
      classification: 'customer',
      levels: [{ name: 'read' }, { name: 'root', privileged: true }],
      ...over,
    });
  const request = (personId: string, systemId: string, level: string, over: Record<string, unknown> = {}, headers = ann) =>
    ok<GrantWithActions>(
      'POST',
      '/api/v1/access/grants',
      { personId, systemId, level, justification: 'runs the backups', ...over },
      headers,
    );
  const grant = (id: string, headers = ann) =>
    ok<GrantWithActions & { history: GrantEvent[] }>('GET', `/api/v1/access/grants/${id}`, undefined, headers);
  const audits = async (action: string) => {
    await t.audit.sink.flush();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
    return rows.map((r) => JSON.parse(r.entry) as AuditRecord);
  };

  it.skipIf(skip)('registers people with unique e-mail and account names, filters them, and refuses manager loops', async () => {
    const boss = await person({
      name: 'Birgit Boss',
      email: 'Birgit@Example.DK',
      team: 'ops',
      identifiers: ['BIRGIT', 'adm-birgit', 'birgit'],
    });
    expect(boss).toMatchObject({
      email: 'birgit@example.dk',
      identifiers: ['birgit', 'adm-birgit'],
      status: 'active',
      privileged: false,
    });
    const worker = await person({
      name: 'Carl Contractor',
      kind: 'contractor',
      team: 'ops',
      managerId: boss.id,
      identifiers: ['carl'],
    });
    expect(worker).toMatchObject({ managerId: boss.id, managerName: 'Birgit Boss', kind: 'contractor' });

    const taken = await refused(409, 'POST', '/api/v1/access/people', { name: 'Other', identifiers: ['x', 'Carl'] });
    expect([taken.code, taken.errors?.[0]?.path]).toEqual(['access_identifier_taken', 'body.identifiers.1']);
    expect((await refused(409, 'POST', '/api/v1/access/people', { name: 'Dup', email: 'birgit@example.dk' })).code).toBe(
      'access_person_email_taken',
    );
    // Birgit managed by Carl, who is managed by Birgit: a loop.
    const loop = await refused(400, 'PATCH', `/api/v1/access/people/${boss.id}`, { managerId: worker.id });
    expect([loop.code, loop.errors?.[0]?.path]).toEqual(['access_manager_invalid', 'body.managerId']);

    const contractors = await ok<{ items: PersonView[] }>(
      'GET',
      '/api/v1/access/people?kind=contractor&team=ops',
      undefined,
      viewer,
    );
    expect(contractors.items.map((p) => p.name)).toEqual(['Carl Contractor']);
    const managed = await ok<{ items: PersonView[] }>('GET', `/api/v1/access/people?managerId=${boss.id}`, undefined, viewer);
    expect(managed.items.map((p) => p.id)).toEqual([worker.id]);
    expect((await t.access.people.findByIdentifier(t.database.db, 'ADM-Birgit'))?.id).toBe(boss.id);
    expect((await t.access.people.findByIdentifier(t.database.db, 'birgit@example.dk'))?.id).toBe(boss.id);
    expect(await t.access.people.findByIdentifier(t.database.db, 'nobody')).toBeUndefined();

    // A manager has history: not deleted. Someone without any is.
    expect((await refused(409, 'DELETE', `/api/v1/access/people/${boss.id}`)).code).toBe('access_person_has_history');
    const mistake = await person();
    expect((await call('DELETE', `/api/v1/access/people/${mistake.id}`)).statusCode).toBe(204);
    expect((await refused(403, 'POST', '/api/v1/access/people', { name: 'Nope' }, viewer)).code).toBe('permission_denied');
  });

  it.skipIf(skip)('answers bad bodies with problem JSON naming each field, and writes nothing', async () => {
    const before = await t.database.db.selectFrom('access_grants').select('id').execute();
    const p = await refused(400, 'POST', '/api/v1/access/grants', {
      personId: 'x',
      level: '',
      jitHours: 2,
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(p.code).toBe('validation_failed');
    expect(p.errors?.map((e) => e.path).sort()).toEqual(
      expect.arrayContaining(['body.personId', 'body.systemId', 'body.justification', 'body.level']),
    );
    const s = await refused(400, 'POST', '/api/v1/access/systems', {
      name: 'x',
      kind: 'mainframe',
      classification: 'customer',
      levels: [{ name: 'a' }, { name: 'A' }],
    });
    expect(s.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(['body.kind', 'body.levels.1.name']));
    expect(
      (await refused(400, 'POST', '/api/v1/access/systems', { name: 's', kind: 'server', classification: 'other', levels: [] }))
        .code,
    ).toBe('validation_failed');
    expect(await t.database.db.selectFrom('access_grants').select('id').execute()).toEqual(before);
  });

  it.skipIf(skip)(
    'needs one approver other than the grantee for a normal level, and audits it in the same transaction',
    async () => {
      const g = await person({ name: 'Gus Grantee', userId: gusUserId });
      const sys = await system();
      const req = await request(g.id, sys.id, 'read', {}, gus);
      expect(req).toMatchObject({ state: 'pending', effective: false, approvalsNeeded: 1, approvalsGiven: 0, privileged: false });
      // Gus may approve grants, but never his own: the button is not offered and the call is refused.
      expect(req.actions).toEqual({ approve: false, reject: true, revoke: false });
      expect(await refused(403, 'POST', `/api/v1/access/grants/${req.id}/approve`, {}, gus)).toMatchObject({
        code: 'access_grant_self_approval',
        detail: `Gus Grantee cannot approve grant ${req.id} (read on ${sys.name}): it is their own access, another approver must decide`,
      });
      expect((await refused(403, 'POST', `/api/v1/access/grants/${req.id}/approve`, {}, viewer)).code).toBe('permission_denied');
      expect((await grant(req.id)).state).toBe('pending');
      const dup = await refused(409, 'POST', '/api/v1/access/grants', {
        personId: g.id,
        systemId: sys.id,
        level: 'read',
        justification: 'again',
      });
      expect(dup.code).toBe('access_grant_exists');

      const approved = await ok<GrantWithActions>('POST', `/api/v1/access/grants/${req.id}/approve`, { note: 'fine' });
      expect(approved).toMatchObject({ state: 'active', effective: true, approvalsGiven: 1 });
      expect(approved.actions).toEqual({ approve: false, reject: false, revoke: true });
      expect((await t.access.grants.activeFor(t.database.db, g.id, sys.id)).map((r) => r.id)).toEqual([req.id]);

      const [rec] = (await audits('access.grant.approve')).filter((a) => a.changes?.some((c) => c.id === req.id));
      expect(rec).toMatchObject({
        outcome: 'allowed',
        changes: [{ type: 'access_grant', id: req.id, before: { state: 'pending' }, after: { state: 'active' } }],
      });
      // The refused self-approval left an audit record of its own, with no change.
      const refusedRecs = (await audits('access.grant.approve')).filter((a) => a.outcome !== 'allowed');
      expect(refusedRecs.every((a) => !a.changes)).toBe(true);
      expect((await grant(req.id)).history.map((h) => h.event)).toEqual(['requested', 'approved', 'activated']);

      const revoked = await ok<GrantWithActions>('POST', `/api/v1/access/grants/${req.id}/revoke`, { reason: 'moved team' }, bob);
      expect(revoked).toMatchObject({ state: 'revoked', effective: false, endReason: 'moved team' });
      expect((await refused(409, 'POST', `/api/v1/access/grants/${req.id}/revoke`, { reason: 'twice' })).code).toBe(
        'access_grant_state',
      );
    },
  );

  it.skipIf(skip)('gives privileged levels only to listed people, with two different approvers (four eyes)', async () => {
    const p = await person({ name: 'Petra Privileged' });
    const sys = await system();
    const notListed = await refused(409, 'POST', '/api/v1/access/grants', {
      personId: p.id,
      systemId: sys.id,
      level: 'root',
      justification: 'on call',
    });
    expect(notListed.code).toBe('access_grant_not_privileged_person');

    expect(
      (await refused(403, 'POST', '/api/v1/access/privileged', { personId: p.id, reason: 'on-call lead' }, viewer)).code,
    ).toBe('permission_denied');
    await ok<PrivilegedEntry>('POST', '/api/v1/access/privileged', { personId: p.id, reason: 'on-call lead' });
    expect((await refused(409, 'POST', '/api/v1/access/privileged', { personId: p.id, reason: 'again' })).code).toBe(
      'access_already_privileged',
    );
    const list = await ok<{ items: PrivilegedEntry[] }>('GET', '/api/v1/access/privileged', undefined, viewer);
    expect(list.items.find((e) => e.personId === p.id)).toMatchObject({
      reason: 'on-call lead',
      addedBy: expect.stringMatching(/^token:/) as unknown,
    });

    const req = await request(p.id, sys.id, 'root');
    expect(req).toMatchObject({ privileged: true, approvalsNeeded: 2, state: 'pending' });
    // The requester may give the first approval …
    const first = await ok<GrantWithActions>('POST', `/api/v1/access/grants/${req.id}/approve`, {});
    expect(first).toMatchObject({ state: 'pending', approvalsGiven: 1, effective: false });
    expect(first.actions.approve).toBe(false);
    // … but not the second.
    expect((await refused(403, 'POST', `/api/v1/access/grants/${req.id}/approve`, {})).code).toBe('access_grant_same_approver');
    expect((await grant(req.id, bob)).actions.approve).toBe(true);
    const second = await ok<GrantWithActions>('POST', `/api/v1/access/grants/${req.id}/approve`, {}, bob);
    expect(second).toMatchObject({ state: 'active', effective: true, approvalsGiven: 2 });
    expect(second.approvedBy).not.toBe(second.secondApprovedBy);
    expect((await grant(req.id)).history.map((h) => h.event)).toEqual(['requested', 'approved', 'second-approved', 'activated']);

    // A pending privileged request and the active grant both end when the person leaves the list.
    const sys2 = await system();
    const pending = await request(p.id, sys2.id, 'root');
    const removed = await ok<{ endedGrants: number }>('POST', `/api/v1/access/privileged/${p.id}/remove`, {
      reason: 'no longer on call',
    });
    expect(removed.endedGrants).toBe(2);
    expect(await grant(req.id)).toMatchObject({
      state: 'revoked',
      endReason: 'removed from the privileged list: no longer on call',
    });
    expect((await grant(pending.id)).state).toBe('rejected');
    const rec = (await audits('access.privileged.remove')).at(-1)!;
    expect(rec.changes?.map((c) => c.type).sort()).toEqual(['access_grant', 'access_grant', 'access_privileged']);
  });

  it.skipIf(skip)('lets just-in-time access expire by itself through the sweep, audited as system:access', async () => {
    const clock = t.manualClock!;
    const p = await person();
    const sys = await system();
    await ok('POST', '/api/v1/access/privileged', { personId: p.id, reason: 'incident responder' });
    const tooLong = await refused(400, 'POST', '/api/v1/access/grants', {
      personId: p.id,
      systemId: sys.id,
      level: 'root',
      justification: 'incident',
      jitHours: 9,
    });
    expect([tooLong.code, tooLong.errors?.[0]?.path]).toEqual(['access_jit_too_long', 'body.jitHours']);
    const req = await request(p.id, sys.id, 'root', { jitHours: 2, justification: 'incident INC-42' });
    // Approvals take an hour: the two-hour window starts at the final approval, not at the request.
    clock.advance(HOUR);
    await ok('POST', `/api/v1/access/grants/${req.id}/approve`, {});
    const active = await ok<GrantWithActions>('POST', `/api/v1/access/grants/${req.id}/approve`, {}, bob);
    expect(active).toMatchObject({ state: 'active', effective: true, jitHours: 2, expiringSoon: true });
    expect(Date.parse(active.expiresAt!) - Date.parse(active.startsAt)).toBe(2 * HOUR);
    expect(Date.parse(active.startsAt)).toBe(clock.now().getTime());

    clock.advance(HOUR + 59 * 60_000);
    await t.access.sweep();
    expect((await grant(req.id)).state).toBe('active');
    clock.advance(2 * 60_000);
    // Past its end but not yet swept: it gives no access already.
    expect((await grant(req.id)).effective).toBe(false);
    expect(await t.access.grants.activeFor(t.database.db, p.id, sys.id)).toEqual([]);
    await t.access.sweep();
    const expired = await grant(req.id);
    expect(expired).toMatchObject({ state: 'expired', endedBy: 'system:access', effective: false });
    expect(expired.history.at(-1)).toMatchObject({ event: 'expired', actor: 'system:access' });
    const rec = (await audits('access.grant.expire')).find((a) => a.changes?.[0]?.id === req.id);
    expect(rec).toMatchObject({ actor: 'system:access', outcome: 'allowed', changes: [{ after: { state: 'expired' } }] });
    // A second sweep finds nothing more to do.
    await t.access.sweep();
    expect((await audits('access.grant.expire')).filter((a) => a.changes?.[0]?.id === req.id)).toHaveLength(1);
  });

  it.skipIf(skip)('lists grants expiring soon', async () => {
    const clock = t.manualClock!;
    const p = await person();
    const sys = await system();
    const soon = await request(p.id, sys.id, 'read', { expiresAt: new Date(clock.now().getTime() + 3 * DAY).toISOString() });
    await ok('POST', `/api/v1/access/grants/${soon.id}/approve`, {});
    const sys2 = await system();
    const later = await request(p.id, sys2.id, 'read', { expiresAt: new Date(clock.now().getTime() + 60 * DAY).toISOString() });
    await ok('POST', `/api/v1/access/grants/${later.id}/approve`, {});
    const within = await ok<{ items: GrantWithActions[] }>('GET', `/api/v1/access/grants?personId=${p.id}&expiringWithinDays=7`);
    expect(within.items.map((g) => [g.id, g.expiringSoon])).toEqual([[soon.id, true]]);
    const all = await ok<{ items: GrantWithActions[] }>('GET', `/api/v1/access/grants?personId=${p.id}`);
    expect(all.items.map((g) => g.id).sort()).toEqual([soon.id, later.id].sort());
  });

  it.skipIf(skip)('ends every grant of a leaver and takes them off the privileged list, in one audited change', async () => {
    const p = await person({ identifiers: ['leaver'] });
    const sys = await system();
    await ok('POST', '/api/v1/access/privileged', { personId: p.id, reason: 'dba' });
    const read = await request(p.id, sys.id, 'read');
    await ok('POST', `/api/v1/access/grants/${read.id}/approve`, {});
    const root = await request(p.id, sys.id, 'root');
    await ok('POST', `/api/v1/access/grants/${root.id}/approve`, {});
    await ok('POST', `/api/v1/access/grants/${root.id}/approve`, {}, bob);
    const sys2 = await system();
    const waiting = await request(p.id, sys2.id, 'read');

    const left = await ok<PersonView>('POST', `/api/v1/access/people/${p.id}/leave`, { reason: 'contract ended' });
    expect(left).toMatchObject({ status: 'left', privileged: false, activeGrants: 0 });
    expect(left.leftAt).toBe(t.manualClock!.now().toISOString());
    for (const id of [read.id, root.id])
      expect(await grant(id)).toMatchObject({ state: 'revoked', endReason: 'person left: contract ended' });
    expect((await grant(waiting.id)).state).toBe('rejected');
    const rec = (await audits('access.person.leave')).at(-1)!;
    expect(
      rec.changes
        ?.filter((c) => c.type === 'access_grant')
        .map((c) => c.id)
        .sort(),
    ).toEqual([read.id, root.id, waiting.id].sort());
    expect(rec.changes?.find((c) => c.type === 'access_person')).toMatchObject({
      before: { status: 'active' },
      after: { status: 'left' },
    });

    expect(
      (
        await refused(409, 'POST', '/api/v1/access/grants', {
          personId: p.id,
          systemId: sys.id,
          level: 'read',
          justification: 'back?',
        })
      ).code,
    ).toBe('access_person_left');
    expect((await refused(409, 'POST', `/api/v1/access/people/${p.id}/leave`, {})).code).toBe('access_person_already_left');
    // Their grants are history: the person is never deleted, nor is the system.
    expect((await refused(409, 'DELETE', `/api/v1/access/people/${p.id}`)).code).toBe('access_person_has_history');
    expect((await refused(409, 'DELETE', `/api/v1/access/systems/${sys.id}`)).code).toBe('access_system_has_grants');
    // The leaver is still found by their account name (imports must see leavers' accounts).
    expect((await t.access.people.findByIdentifier(t.database.db, 'leaver'))?.status).toBe('left');
  });

  it.skipIf(skip)('keeps levels with current grants and reduces a grant to a lesser level', async () => {
    const p = await person();
    const sys = await system({ levels: [{ name: 'read' }, { name: 'write' }, { name: 'root', privileged: true }] });
    const w = await request(p.id, sys.id, 'write');
    await ok('POST', `/api/v1/access/grants/${w.id}/approve`, {});
    const drop = await refused(409, 'PUT', `/api/v1/access/systems/${sys.id}`, {
      name: sys.name,
      kind: 'server',
      classification: 'customer',
      levels: [{ name: 'read' }],
    });
    expect([drop.code, drop.errors?.[0]?.path]).toEqual(['access_level_in_use', 'body.levels']);
    expect(
      (await refused(400, 'POST', `/api/v1/access/grants/${w.id}/reduce`, { level: 'root', reason: 'less please' })).code,
    ).toBe('access_grant_reduce_invalid');
    const r = await ok<{ ended: GrantWithActions; replacement: GrantWithActions }>(
      'POST',
      `/api/v1/access/grants/${w.id}/reduce`,
      {
        level: 'read',
        reason: 'only reads logs',
      },
    );
    expect(r.ended).toMatchObject({ state: 'revoked', endReason: 'reduced to read: only reads logs' });
    expect(r.replacement).toMatchObject({ state: 'active', level: 'read', effective: true, justification: 'runs the backups' });
    const removable = await system();
    expect((await call('DELETE', `/api/v1/access/systems/${removable.id}`)).statusCode).toBe(204);
  });

  it.skipIf(skip)('opens removal tasks for accounts still on a system when access ends outside a review', async () => {
    const clock = t.manualClock!;
    const importList = async (systemId: string, accounts: string[]) => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/access/systems/${systemId}/accounts/import`,
        headers: { ...ann, 'content-type': 'text/plain' },
        payload: ['account', ...accounts, ''].join('\n'),
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
    };
    const tasks = async (systemId: string) =>
      (await ok<{ items: TaskView[] }>('GET', `/api/v1/access/tasks?system=${systemId}`)).items.map((x) => ({
        account: x.account,
        personId: x.personId,
        grantId: x.grantId,
        state: x.state,
        openedBy: x.openedBy,
        reason: x.reason,
      }));
    const active = async (personId: string, systemId: string, level: string, over: Record<string, unknown> = {}) => {
      const g = await request(personId, systemId, level, over);
      await ok('POST', `/api/v1/access/grants/${g.id}/approve`, {}, bob);
      return g;
    };
    const levels = [{ name: 'read' }, { name: 'write' }];
    const remy = await person({ identifiers: ['remy'] });
    const quinn = await person({ identifiers: ['quinn'] });
    const lena = await person({ identifiers: ['lena'] });
    const web = await system({ levels });
    const db = await system({ levels });
    const noAccounts = await system({ levels });
    await importList(web.id, ['remy', 'lena', 'someone-else']);
    await importList(db.id, ['quinn', 'lena']);

    // Revoked by hand: no task while another grant of Remy's on the system remains, then one for his account there.
    const read = await active(remy.id, web.id, 'read');
    const write = await active(remy.id, web.id, 'write');
    const elsewhere = await active(remy.id, noAccounts.id, 'read');
    await ok('POST', `/api/v1/access/grants/${write.id}/revoke`, { reason: 'no longer deploys' });
    expect(await tasks(web.id)).toEqual([]);
    await ok('POST', `/api/v1/access/grants/${read.id}/revoke`, { reason: 'moved to sales' });
    expect(await tasks(web.id)).toEqual([
      {
        account: 'remy',
        personId: remy.id,
        grantId: read.id,
        state: 'open',
        openedBy: (await grant(read.id)).endedBy,
        reason: 'grant read ended: moved to sales',
      },
    ]);
    const revokeRec = (await audits('access.grant.revoke')).at(-1)!;
    expect(revokeRec.changes?.map((c) => c.type)).toEqual(['access_grant', 'access-task']);
    // No account of his on that system: nothing to remove.
    await ok('POST', `/api/v1/access/grants/${elsewhere.id}/revoke`, { reason: 'moved to sales' });
    expect(await tasks(noAccounts.id)).toEqual([]);

    // Expired in the sweep: a task opened by system:access, in the expiry's own audit record.
    const temp = await active(quinn.id, db.id, 'read', { expiresAt: new Date(clock.now().getTime() + DAY).toISOString() });
    await t.access.sweep();
    expect(await tasks(db.id)).toEqual([]);
    clock.advance(DAY + 1000);
    await t.access.sweep();
    expect(await tasks(db.id)).toEqual([
      {
        account: 'quinn',
        personId: quinn.id,
        grantId: temp.id,
        state: 'open',
        openedBy: 'system:access',
        reason: 'grant read ended: its end passed',
      },
    ]);
    const expireRec = (await audits('access.grant.expire')).find((a) => a.changes?.[0]?.id === temp.id)!;
    expect(expireRec.changes?.map((c) => c.type)).toEqual(['access_grant', 'access-task']);

    // A leaver: a task for each account still there (even without a grant), in the leave's audit record; Remy's open
    // task is reused, not doubled.
    await ok('POST', `/api/v1/access/people/${lena.id}/leave`, { reason: 'resigned' });
    await ok('POST', `/api/v1/access/people/${remy.id}/leave`, {});
    const webTasks = await tasks(web.id);
    expect(webTasks.map((x) => [x.account, x.personId, x.state, x.reason]).sort()).toEqual([
      ['lena', lena.id, 'open', 'person left: resigned'],
      ['remy', remy.id, 'open', 'grant read ended: moved to sales'],
    ]);
    expect((await tasks(db.id)).map((x) => [x.account, x.state]).sort()).toEqual([
      ['lena', 'open'],
      ['quinn', 'open'],
    ]);
    const leaveRec = (await audits('access.person.leave')).at(-2)!;
    expect(leaveRec.changes?.filter((c) => c.type === 'access-task')).toHaveLength(2);

    // The next import without Lena's and Remy's accounts closes their tasks.
    await importList(web.id, ['someone-else']);
    expect((await tasks(web.id)).map((x) => x.state)).toEqual(['done', 'done']);
  });
});
