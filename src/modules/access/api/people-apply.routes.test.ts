import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { ApplyResult } from '../people.apply.ts';
import type { GrantWithActions } from './people.routes.ts';

type Headers = Record<string, string>;
interface Problem {
  code: string;
  errors?: { path: string; message: string }[];
}

describe.each(DIALECTS)('access apply/export of people, systems and grants on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let ann: Headers;
  let bob: Headers;
  let writer: Headers;
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect);
    ann = (await createUserWithToken(t, 'security-officer')).headers;
    bob = (await createUserWithToken(t, 'admin')).headers;
    // May register and request, not approve.
    writer = (await createUserWithToken(t, 'admin', { scopes: ['access.write', 'access.read'] })).headers;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const apply = (key: 'people' | 'systems' | 'grants', items: unknown[], headers = ann) =>
    t.app.inject({ method: 'POST', url: `/api/v1/access/${key}/apply`, headers, payload: { [key]: items } });
  const results = async (key: 'people' | 'systems' | 'grants', items: unknown[], headers = ann) => {
    const res = await apply(key, items, headers);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ results: ApplyResult[] }>().results;
  };
  const exported = async <T>(key: 'people' | 'systems' | 'grants') => {
    const res = await t.app.inject({ url: `/api/v1/access/${key}/export`, headers: ann });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Record<string, T[]>>()[key]!;
  };
  const changesOf = async (action: string) => {
    await t.audit.sink.flush();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
    return rows.map((r) => (JSON.parse(r.entry) as { changes?: unknown[] }).changes ?? []);
  };

  const people = [
    // Managed by someone later in the file: created manager-first.
    { name: 'Ida Ops', email: 'ida@example.dk', team: 'ops', manager: 'mia@example.dk', identifiers: ['ida', 'adm-ida'] },
    { name: 'Mia Manager', email: 'MIA@example.dk', team: 'ops' },
    { name: 'Carl Consultant', email: 'carl@example.dk', kind: 'contractor', manager: 'mia@example.dk' },
  ];
  const systems = [
    {
      name: 'db1.example.dk',
      kind: 'database',
      classification: 'customer',
      owner: 'mia@example.dk',
      levels: [{ name: 'read' }, { name: 'dba', privileged: true }],
    },
    { name: 'panel', kind: 'control-panel', classification: 'management', levels: [{ name: 'user' }] },
  ];
  const grants = [
    { person: 'ida@example.dk', system: 'db1.example.dk', level: 'read', justification: 'reads replication status' },
    { person: 'ida@example.dk', system: 'db1.example.dk', level: 'dba', justification: 'database on-call' },
    {
      person: 'carl@example.dk',
      system: 'panel',
      level: 'user',
      justification: 'migration project',
      expiresAt: '2099-01-01T00:00:00Z',
    },
  ];

  it.skipIf(skip)('creates, then changes nothing on a second apply, and exports what it takes back', async () => {
    expect((await results('people', people)).map((r) => [r.action, r.name])).toEqual([
      ['created', 'ida@example.dk'],
      ['created', 'mia@example.dk'],
      ['created', 'carl@example.dk'],
    ]);
    const ida = (await t.access.people.byEmail(t.database.db, 'ida@example.dk'))!;
    const mia = (await t.access.people.byEmail(t.database.db, 'mia@example.dk'))!;
    expect(ida.manager_id).toBe(mia.id);
    expect((await changesOf('access.people.apply')).at(-1)).toHaveLength(3);
    expect((await results('systems', systems)).map((r) => r.action)).toEqual(['created', 'created']);

    // A privileged person must be listed before a file can grant them a privileged level.
    const refused = await apply('grants', grants);
    expect(refused.statusCode).toBe(409);
    expect(refused.json<Problem>()).toMatchObject({
      code: 'access_grant_not_privileged_person',
      errors: [{ path: 'body.grants.1' }],
    });
    // All or nothing: the first grant of the refused file was not kept.
    expect(await t.database.db.selectFrom('access_grants').select('id').execute()).toEqual([]);

    await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/privileged',
      headers: ann,
      payload: { personId: ida.id, reason: 'DBA' },
    });
    const first = await results('grants', grants);
    expect(first.map((r) => [r.action, r.state])).toEqual([
      ['created', 'active'],
      // Four eyes: the applying approver counts once; a second one decides in the console.
      ['created', 'pending'],
      ['created', 'active'],
    ]);

    // Applying the same files again changes nothing and records no change.
    expect((await results('people', people)).map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect((await results('systems', systems)).map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    expect((await results('grants', grants)).map((r) => [r.action, r.state])).toEqual([
      ['unchanged', 'active'],
      ['unchanged', 'pending'],
      ['unchanged', 'active'],
    ]);
    for (const a of ['access.people.apply', 'access.systems.apply', 'access.grants.apply'])
      expect((await changesOf(a)).at(-1)).toEqual([]);
    const dba = (await t.app.inject({ url: `/api/v1/access/grants/${first[1]!.id}`, headers: ann })).json<GrantWithActions>();
    expect(dba).toMatchObject({ state: 'pending', approvalsGiven: 1, actions: { approve: false } });
    const second = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/grants/${first[1]!.id}/approve`,
      headers: bob,
      payload: {},
    });
    expect(second.json<GrantWithActions>().state).toBe('active');

    const outPeople = await exported<Record<string, unknown>>('people');
    expect(outPeople.find((p) => p['email'] === 'ida@example.dk')).toEqual({
      name: 'Ida Ops',
      email: 'ida@example.dk',
      kind: 'employee',
      team: 'ops',
      manager: 'mia@example.dk',
      identifiers: ['ida', 'adm-ida'],
      status: 'active',
    });
    const outSystems = await exported('systems');
    const outGrants = await exported<Record<string, unknown>>('grants');
    expect(outGrants).toEqual([
      {
        person: 'carl@example.dk',
        system: 'panel',
        level: 'user',
        justification: 'migration project',
        expiresAt: '2099-01-01T00:00:00.000Z',
      },
      { person: 'ida@example.dk', system: 'db1.example.dk', level: 'dba', justification: 'database on-call', expiresAt: null },
      {
        person: 'ida@example.dk',
        system: 'db1.example.dk',
        level: 'read',
        justification: 'reads replication status',
        expiresAt: null,
      },
    ]);
    expect((await results('people', outPeople)).every((r) => r.action === 'unchanged')).toBe(true);
    expect((await results('systems', outSystems)).every((r) => r.action === 'unchanged')).toBe(true);
    expect((await results('grants', outGrants)).every((r) => r.action === 'unchanged')).toBe(true);
  });

  it.skipIf(skip)('updates what changed, marks leavers from the file, and names the path of a bad item', async () => {
    const edited = [{ ...people[0], team: 'platform' }, people[1], { ...people[2], status: 'left' }];
    expect((await results('people', edited)).map((r) => r.action)).toEqual(['updated', 'unchanged', 'updated']);
    const carl = (await t.access.people.byEmail(t.database.db, 'carl@example.dk'))!;
    expect(carl.status).toBe('left');
    const carlGrants = await t.database.db
      .selectFrom('access_grants')
      .select(['state', 'end_reason'])
      .where('person_id', '=', carl.id)
      .execute();
    expect(carlGrants).toEqual([{ state: 'revoked', end_reason: 'person left: applied from a set-up file' }]);
    // A leaver is not made active again by a file.
    const back = await apply('people', [{ ...people[2], status: 'active' }]);
    expect(back.statusCode).toBe(409);
    expect(back.json<Problem>()).toMatchObject({ code: 'access_person_left', errors: [{ path: 'body.people.0.status' }] });

    const bad = async (key: 'people' | 'systems' | 'grants', items: unknown[]) => {
      const res = await apply(key, items);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      const p = res.json<Problem>();
      return [p.code, p.errors?.[0]?.path];
    };
    expect(await bad('people', [people[1], { name: 'X', email: 'x@example.dk', manager: 'ghost@example.dk' }])).toEqual([
      'access_manager_invalid',
      'body.people.1.manager',
    ]);
    expect(await bad('people', [people[1], people[1]])).toEqual(['access_apply_duplicate', 'body.people.1.email']);
    expect(await bad('systems', [{ ...systems[0], owner: 'ghost@example.dk' }])).toEqual([
      'access_owner_not_found',
      'body.systems.0.owner',
    ]);
    expect(await bad('grants', [{ ...grants[0], level: 'superuser' }])).toEqual(['access_level_unknown', 'body.grants.0.level']);
    expect(await bad('grants', [{ ...grants[0], person: 'ghost@example.dk' }])).toEqual([
      'access_person_not_found',
      'body.grants.0.person',
    ]);
    expect(await bad('grants', [{ ...grants[0], justification: 'x' }])).toEqual([
      'validation_failed',
      'body.grants.0.justification',
    ]);

    // A new grant applied by someone who may not approve waits for an approver.
    await results('systems', [...systems, { name: 'wiki', kind: 'saas', classification: 'other', levels: [{ name: 'edit' }] }]);
    const asWriter = await results(
      'grants',
      [{ person: 'ida@example.dk', system: 'wiki', level: 'edit', justification: 'writes runbooks' }],
      writer,
    );
    expect(asWriter.map((r) => [r.action, r.state])).toEqual([['created', 'pending']]);
    // A changed need is an update, made by an approver only.
    const changed = [{ ...grants[0], justification: 'reads replication status and slow log' }];
    expect((await apply('grants', changed, writer)).statusCode).toBe(403);
    expect((await results('grants', changed)).map((r) => r.action)).toEqual(['updated']);
  });
});
