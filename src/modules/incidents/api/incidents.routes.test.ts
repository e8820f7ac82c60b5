import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { Incident, IncidentDetail, MaintenanceWindow } from '../index.ts';

type Headers = Record<string, string>;

describe.each(DIALECTS)('incidents API on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let operator: Headers;
  let viewer: Headers;
  let auditor: Headers;
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    t.manualClock!.set('2026-06-01T10:00:00.000Z');
    operator = (await createUserWithToken(t, 'operator')).headers;
    viewer = (await createUserWithToken(t, 'viewer')).headers;
    auditor = (await createUserWithToken(t, 'auditor')).headers;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers: Headers, payload?: unknown) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const signal = (over: Record<string, unknown> = {}) =>
    api('POST', '/api/v1/signals', operator, {
      source: 'backup',
      dedupKey: `backup:${Math.random()}`,
      status: 'firing',
      severity: 'major',
      summary: 'nightly dump failed',
      ...over,
    });
  const auditChanges = async (action: string) => {
    await t.audit.sink.flush();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
    return rows.map(
      (r) => JSON.parse(r.entry) as { outcome: string; changes?: { type: string; before: unknown; after: unknown }[] },
    );
  };

  it.skipIf(skip)('raises a signal over the API, acknowledges and resolves its incident, with audit records', async () => {
    const raised = await signal({ dedupKey: 'backup:db1', details: { exitCode: 3 } });
    expect(raised.statusCode).toBe(201);
    const { incidentId } = raised.json<{ incidentId: string; effect: string }>();
    expect(raised.json()).toMatchObject({ effect: 'opened', page: true, expected: false });

    expect((await api('POST', `/api/v1/incidents/${incidentId}/ack`, viewer)).json()).toMatchObject({
      status: 403,
      code: 'permission_denied',
    });
    const ack = await api('POST', `/api/v1/incidents/${incidentId}/ack`, operator);
    expect(ack.statusCode).toBe(200);
    expect(ack.json<Incident>().state).toBe('acknowledged');
    expect(ack.json<Incident>().acknowledgedBy).toMatch(/^token:/);
    expect((await api('POST', `/api/v1/incidents/${incidentId}/ack`, operator)).json()).toMatchObject({
      status: 409,
      code: 'incident_already_acknowledged',
    });

    expect(
      (await api('PUT', `/api/v1/incidents/${incidentId}/postmortem`, operator, { summary: 's', rootCause: 'r' })).json(),
    ).toMatchObject({ status: 409, code: 'incident_not_resolved' });
    expect(
      (await api('POST', `/api/v1/incidents/${incidentId}/notes`, operator, { text: 'restarting the dump\nwith more disk' }))
        .statusCode,
    ).toBe(201);
    expect((await api('POST', `/api/v1/incidents/${incidentId}/resolve`, viewer, {})).statusCode).toBe(403);
    const res = await api('POST', `/api/v1/incidents/${incidentId}/resolve`, operator, { note: 'disk extended' });
    expect(res.json<Incident>().state).toBe('resolved');
    expect(res.json<Incident>().resolvedBy).toMatch(/^token:/);
    expect((await api('POST', `/api/v1/incidents/${incidentId}/resolve`, operator, {})).json()).toMatchObject({
      status: 409,
      code: 'incident_already_resolved',
    });
    expect((await api('POST', `/api/v1/incidents/${incidentId}/ack`, operator)).json()).toMatchObject({
      status: 409,
      code: 'incident_resolved',
    });

    const pm = await api('PUT', `/api/v1/incidents/${incidentId}/postmortem`, operator, {
      summary: 'dump failed',
      rootCause: 'disk full',
      actions: [{ text: 'alert at 80 %', owner: 'ops' }],
    });
    expect(pm.statusCode).toBe(200);
    expect(pm.json<Incident>().postmortem).toMatchObject({
      summary: 'dump failed',
      rootCause: 'disk full',
      actions: [{ text: 'alert at 80 %', owner: 'ops', done: false }],
    });

    const detail = await api('GET', `/api/v1/incidents/${incidentId}`, auditor);
    expect(detail.statusCode).toBe(200);
    expect(detail.json<IncidentDetail>().timeline.map((e) => e.kind)).toEqual([
      'state',
      'signal',
      'escalation',
      'ack',
      'note',
      'resolution',
      'postmortem',
    ]);
    expect(detail.json<IncidentDetail>().timeline[4]).toMatchObject({ body: { text: 'restarting the dump\nwith more disk' } });
    expect(detail.json<IncidentDetail>().timeline[4]?.actorName).toMatch(/^operator-/);

    const [ackAudit] = (await auditChanges('incidents.ack')).filter((a) => a.outcome === 'allowed');
    expect(ackAudit?.changes?.[0]).toMatchObject({
      type: 'incident',
      before: { state: 'triggered' },
      after: { state: 'acknowledged' },
    });
    expect((await auditChanges('signals.create')).at(-1)?.changes?.[0]).toMatchObject({
      type: 'signal',
      before: null,
      after: { incidentId, effect: 'opened' },
    });
    expect((await auditChanges('incidents.postmortem')).find((a) => a.outcome === 'allowed')?.changes?.[0]).toMatchObject({
      after: { postmortem: { rootCause: 'disk full' } },
    });
  });

  it.skipIf(skip)('refuses bad input with exact codes', async () => {
    const bad = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
      (await api(method, url, operator, payload)).json<{ status: number; code: string }>();
    expect(
      await bad('POST', '/api/v1/signals', { source: 'x', dedupKey: 'k', status: 'burning', severity: 'major', summary: 's' }),
    ).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(
      await bad('POST', '/api/v1/signals', {
        source: 'x',
        dedupKey: 'k',
        status: 'firing',
        severity: 'major',
        summary: 's',
        extra: 1,
      }),
    ).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(
      await bad('POST', '/api/v1/signals', {
        source: 'x',
        dedupKey: 'a'.repeat(513),
        status: 'firing',
        severity: 'major',
        summary: 's',
      }),
    ).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(
      await bad('POST', '/api/v1/signals', {
        source: 'x',
        dedupKey: 'k',
        status: 'firing',
        severity: 'major',
        summary: 'line\nbreak',
      }),
    ).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await bad('GET', '/api/v1/incidents/not-a-uuid')).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await bad('GET', '/api/v1/incidents/00000000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      code: 'incident_not_found',
    });
    expect(await bad('POST', '/api/v1/incidents/00000000-0000-4000-8000-000000000000/ack')).toMatchObject({
      status: 404,
      code: 'incident_not_found',
    });
    expect(await bad('POST', '/api/v1/incidents/00000000-0000-4000-8000-000000000000/notes', { text: '' })).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(await bad('GET', '/api/v1/incidents?cursor=bm9wZQ')).toMatchObject({ status: 400, code: 'cursor_invalid' });
    expect(await bad('GET', '/api/v1/incidents?state=sleeping')).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(await bad('GET', '/api/v1/incidents/completeness?from=2026-06-02&to=2026-06-01')).toMatchObject({
      status: 400,
      code: 'range_invalid',
    });
    const win = (b: Record<string, unknown>) =>
      bad('POST', '/api/v1/maintenance-windows', {
        title: 'w',
        changeRef: 'CHG-1',
        keyPrefixes: ['monitor:'],
        kind: 'once',
        startsAt: '2026-06-01T10:00:00Z',
        endsAt: '2026-06-01T11:00:00Z',
        ...b,
      });
    expect(await win({ keyPrefixes: [] })).toMatchObject({ status: 400, code: 'window_scope_required' });
    expect(await win({ endsAt: '2026-06-01T09:00:00Z' })).toMatchObject({ status: 400, code: 'window_schedule_invalid' });
    expect(await win({ kind: 'weekly', endsAt: null })).toMatchObject({ status: 400, code: 'window_schedule_invalid' });
    expect(await win({ kind: 'weekly', weekdays: [1], localTime: '25:00', durationMinutes: 60 })).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(
      await win({ kind: 'weekly', weekdays: [1], localTime: '02:00', durationMinutes: 60, timeZone: 'Mars/Olympus' }),
    ).toMatchObject({ status: 400, code: 'time_zone_invalid' });
  });

  it.skipIf(skip)('lists incidents newest first with filters and keyset pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.manualClock!.advance(1000);
      ids.push(
        (await signal({ source: 'listing', severity: i % 2 ? 'minor' : 'critical' })).json<{ incidentId: string }>().incidentId,
      );
    }
    const page1 = (await api('GET', '/api/v1/incidents?source=listing&limit=2', viewer)).json<{
      items: Incident[];
      nextCursor: string;
    }>();
    expect(page1.items.map((i) => i.id)).toEqual([ids[4], ids[3]]);
    const page2 = (await api('GET', `/api/v1/incidents?source=listing&limit=2&cursor=${page1.nextCursor}`, viewer)).json<{
      items: Incident[];
      nextCursor: string;
    }>();
    expect(page2.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    const page3 = (await api('GET', `/api/v1/incidents?source=listing&limit=2&cursor=${page2.nextCursor}`, viewer)).json<{
      items: Incident[];
      nextCursor: string | null;
    }>();
    expect(page3).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    const crit = (await api('GET', '/api/v1/incidents?source=listing&severity=critical&state=open', viewer)).json<{
      items: Incident[];
    }>();
    expect(crit.items.map((i) => i.id)).toEqual([ids[4], ids[2], ids[0]]);
    const none = (await api('GET', '/api/v1/incidents?source=listing&to=2026-01-01T00:00:00Z', viewer)).json<{
      items: Incident[];
    }>();
    expect(none.items).toEqual([]);
  });

  it.skipIf(skip)('manages maintenance windows: deleting one that covered signals ends it instead', async () => {
    const create = await api('POST', '/api/v1/maintenance-windows', operator, {
      title: 'switch swap',
      changeRef: 'CHG-9',
      keyPrefixes: ['net:'],
      kind: 'weekly',
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      localTime: '00:00',
      durationMinutes: 1440,
      startsAt: '2026-01-01T00:00:00Z',
    });
    expect(create.statusCode).toBe(201);
    const w = create.json<MaintenanceWindow>();
    expect(w).toMatchObject({ timeZone: 'Europe/Copenhagen', activeNow: true, weekdays: [1, 2, 3, 4, 5, 6, 7] });
    expect((await api('POST', '/api/v1/maintenance-windows', viewer, {})).statusCode).toBe(403);
    const patched = await api('PATCH', `/api/v1/maintenance-windows/${w.id}`, operator, { title: 'core switch swap' });
    expect(patched.json<MaintenanceWindow>().title).toBe('core switch swap');
    expect((await signal({ dedupKey: 'net:sw1' })).json()).toMatchObject({ expected: true, page: false });
    const del = await api('DELETE', `/api/v1/maintenance-windows/${w.id}`, operator);
    const ended = del.json<{ outcome: string; window: MaintenanceWindow }>();
    expect(ended).toMatchObject({
      outcome: 'ended',
      window: { id: w.id, endedAt: t.clock.now().toISOString(), activeNow: false },
    });
    expect((await api('GET', `/api/v1/maintenance-windows/${w.id}`, viewer)).json()).toMatchObject({
      endedAt: ended.window.endedAt,
    });
    expect((await signal({ dedupKey: 'net:sw2' })).json()).toMatchObject({ expected: false });
    const list = (await api('GET', '/api/v1/maintenance-windows', viewer)).json<{ items: MaintenanceWindow[] }>();
    expect(list.items.map((i) => i.id)).not.toContain(w.id);
    const unused = (
      await api('POST', '/api/v1/maintenance-windows', operator, {
        title: 'x',
        changeRef: 'y',
        components: ['dns'],
        kind: 'once',
        startsAt: '2027-01-01T00:00:00Z',
        endsAt: '2027-01-01T01:00:00Z',
      })
    ).json<MaintenanceWindow>();
    expect((await api('DELETE', `/api/v1/maintenance-windows/${unused.id}`, operator)).json()).toMatchObject({
      outcome: 'deleted',
      window: null,
    });
    expect((await api('GET', `/api/v1/maintenance-windows/${unused.id}`, viewer)).json()).toMatchObject({
      status: 404,
      code: 'maintenance_window_not_found',
    });
  });

  it.skipIf(skip)('describes every incidents and maintenance route in the OpenAPI document', async () => {
    const doc = (await api('GET', '/api/v1/openapi.json', viewer)).json<{
      paths: Record<string, Record<string, { 'x-permission': string }>>;
    }>();
    expect(doc.paths['/api/v1/incidents/{id}/ack']?.['post']?.['x-permission']).toBe('incidents.ack');
    expect(doc.paths['/api/v1/incidents/{id}/resolve']?.['post']?.['x-permission']).toBe('incidents.resolve');
    expect(doc.paths['/api/v1/signals']?.['post']?.['x-permission']).toBe('signals.create');
    expect(Object.keys(doc.paths['/api/v1/maintenance-windows/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(doc.paths['/api/v1/incidents/completeness']?.['get']).toBeDefined();
  });

  it.skipIf(skip)('shows the completeness record to readers', async () => {
    const res = await api('GET', '/api/v1/incidents/completeness?from=2026-06-01&to=2026-06-01', auditor);
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      rows: { source: string; deviations: number; registered: number }[];
      totals: { deviations: number; registered: number };
    }>();
    expect(body.totals.deviations).toBeGreaterThan(0);
    expect(body.totals.registered).toBe(body.totals.deviations);
    const stored = await t.database.db.selectFrom('incidents_signals').select('id').where('status', '=', 'firing').execute();
    expect(body.totals.deviations).toBe(stored.length);
  });
});
