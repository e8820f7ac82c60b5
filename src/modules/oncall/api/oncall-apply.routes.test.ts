import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { Schedule } from '../index.ts';

type Headers = Record<string, string>;
interface Result {
  name: string;
  action: string;
  id: string;
}
interface Problem {
  code: string;
  errors?: { path: string; message: string }[];
}

describe.each(DIALECTS)('on-call schedules apply/export on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let operator: Headers;
  let viewer: Headers;
  let ann: { id: string; username: string };
  let bob: { id: string; username: string };
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect);
    const op = await createUserWithToken(t, 'operator');
    operator = op.headers;
    ann = op.user;
    const v = await createUserWithToken(t, 'viewer');
    viewer = v.headers;
    bob = v.user;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const apply = (schedules: unknown[], headers = operator) =>
    t.app.inject({ method: 'POST', url: '/api/v1/oncall/schedules/apply', headers, payload: { schedules } });
  const exported = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/oncall/schedules/export', headers: viewer });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ schedules: Record<string, unknown>[] }>().schedules;
  };
  const results = async (schedules: unknown[]) => {
    const res = await apply(schedules);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ results: Result[] }>().results.map((r) => [r.action, r.name]);
  };
  const layer = (over: Record<string, unknown> = {}) => ({
    name: 'Primary',
    users: [ann.username, bob.username.toUpperCase()],
    rotation: 'weekly',
    handoffTime: '09:00',
    startDate: '2026-01-05',
    ...over,
  });
  const applyChanges = async () => {
    await t.audit.sink.flush();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', 'oncall.schedules.apply')
      .orderBy('seq')
      .execute();
    return rows.map((r) => JSON.parse(r.entry) as { outcome: string; changes?: { id: string; before: unknown }[] });
  };

  it.skipIf(skip)('creates, leaves alone and updates by name, audits each change, and exports what it takes back', async () => {
    const file = [
      { name: 'Zulu', layers: [layer()] },
      {
        name: 'Alpha',
        description: 'day shift',
        timeZone: 'UTC',
        layers: [layer({ restriction: { weekdays: [1, 2], from: '08:00', to: '17:00' } })],
      },
    ];
    expect(await results(file)).toEqual([
      ['created', 'Zulu'],
      ['created', 'Alpha'],
    ]);
    const list = (await t.app.inject({ url: '/api/v1/oncall/schedules', headers: viewer })).json<{ items: Schedule[] }>().items;
    const zulu = list.find((s) => s.name === 'Zulu')!;
    expect(zulu).toMatchObject({ timeZone: 'Europe/Copenhagen', layers: [{ name: 'Primary', users: [ann.id, bob.id] }] });
    expect((await applyChanges()).at(-1)?.changes).toHaveLength(2);

    // Layers without ids keep theirs: applying the same file again changes nothing and records no change.
    expect(await results(file)).toEqual([
      ['unchanged', 'Zulu'],
      ['unchanged', 'Alpha'],
    ]);
    expect((await applyChanges()).at(-1)?.changes ?? []).toEqual([]);

    const edited = [file[0], { ...file[1], description: 'day shift, weekdays' }];
    const res = await apply(edited);
    expect(res.json<{ results: Result[] }>().results.map((r) => [r.action, r.name])).toEqual([
      ['unchanged', 'Zulu'],
      ['updated', 'Alpha'],
    ]);
    const alphaId = res.json<{ results: Result[] }>().results[1]!.id;
    expect((await applyChanges()).at(-1)?.changes).toMatchObject([{ id: alphaId, before: { description: 'day shift' } }]);

    const out = await exported();
    expect(out.map((s) => s.name)).toEqual(['Alpha', 'Zulu']);
    expect(out[1]).toEqual({
      name: 'Zulu',
      description: '',
      timeZone: 'Europe/Copenhagen',
      layers: [
        {
          id: zulu.layers[0]!.id,
          name: 'Primary',
          users: [ann.username, bob.username],
          rotation: 'weekly',
          every: 1,
          handoffTime: '09:00',
          startDate: '2026-01-05',
          restriction: null,
        },
      ],
    });
    expect(await results(out)).toEqual([
      ['unchanged', 'Alpha'],
      ['unchanged', 'Zulu'],
    ]);
  });

  it.skipIf(skip)('rejects the whole list at the first bad item, naming its path; readers may export but not apply', async () => {
    const before = await exported();
    const bad = async (schedules: unknown[]) => {
      const res = await apply(schedules);
      expect(res.statusCode).toBe(400);
      const p = res.json<Problem>();
      return [p.code, p.errors?.[0]?.path];
    };
    expect(
      await bad([
        { name: 'New one', layers: [layer()] },
        { name: 'Ghost', layers: [layer({ users: ['nobody'] })] },
      ]),
    ).toEqual(['oncall_user_not_found', 'body.schedules.1.layers.0.users.0']);
    expect(await bad([{ name: 'New one' }, { name: 'Late', layers: [layer({ handoffTime: '25:00' })] }])).toEqual([
      'validation_failed',
      'body.schedules.1.layers.0.handoffTime',
    ]);
    expect(await bad([{ name: 'New one' }, { name: 'Mars', timeZone: 'Mars/Olympus' }])).toEqual([
      'oncall_time_zone_unknown',
      'body.schedules.1.timeZone',
    ]);
    expect(await bad([{ name: 'Twice' }, { name: 'Twice' }])).toEqual([
      'oncall_schedule_name_duplicate',
      'body.schedules.1.name',
    ]);
    expect(await bad([{ name: 'x', colour: 'red' }])).toEqual(['validation_failed', 'body.schedules.0']);
    expect(await exported()).toEqual(before);

    const denied = await apply([{ name: 'Viewer' }], viewer);
    expect([denied.statusCode, denied.json<Problem>().code]).toEqual([403, 'permission_denied']);
  });
});
