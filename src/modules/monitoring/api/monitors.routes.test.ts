import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { Monitor, MonitorListItem } from '../monitoring.model.ts';
import type { CreatedMonitor } from '../monitoring.service.ts';

// vitest's asymmetric matchers are typed `any`; these keep the lint rule against unsafe `any` meaningful.
const objectWith = (o: Record<string, unknown>) => expect.objectContaining(o) as unknown;

describe.each(DIALECTS)('monitors API on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let op: { authorization: string };
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ROLES: 'api' } });
    op = (await createUserWithToken(t, 'operator')).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const post = (url: string, payload?: Record<string, unknown>, headers: Record<string, string> = op) =>
    t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
  const get = (url: string, headers: Record<string, string> = op) => t.app.inject({ method: 'GET', url, headers });
  const audits = async (action: string) => {
    await t.audit.sink.flush();
    return t.database.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('action', '=', action)
      .where('outcome', '=', 'allowed')
      .execute();
  };

  it.skipIf(skip)('rejects invalid definitions with one precise message per field', async () => {
    const cases: [Record<string, unknown>, { path: string; message: string }[]][] = [
      [
        { type: 'tcp', name: 'x', host: '127.0.0.1', port: 70000 },
        [{ path: 'body.port', message: 'port must be between 1 and 65535' }],
      ],
      [
        { type: 'ftp', name: 'x' },
        [{ path: 'body.type', message: 'type must be one of http, tcp, dns, tls, smtp, imap, pop3, heartbeat' }],
      ],
      [
        { type: 'http', name: 'x', url: 'ftp://example.test/' },
        [{ path: 'body.url', message: 'url must be an http:// or https:// URL' }],
      ],
      [
        { type: 'http', name: 'x', url: 'http://a.test/', intervalSeconds: 5 },
        [{ path: 'body.intervalSeconds', message: 'the interval is at least 10 seconds' }],
      ],
      [
        { type: 'http', name: 'x', url: 'http://a.test/', intervalSeconds: 10, timeoutSeconds: 10 },
        [{ path: 'body.timeoutSeconds', message: 'the timeout must be shorter than the interval' }],
      ],
      [
        { type: 'http', name: 'x', url: 'http://a.test/', expectedStatus: ['299-200'] },
        [{ path: 'body.expectedStatus.0', message: 'a range must run from low to high' }],
      ],
      [
        { type: 'dns', name: 'x', query: 'a.test', recordType: 'ANY' },
        [{ path: 'body.recordType', message: 'record type must be one of A, AAAA, CNAME, MX, NS, TXT, PTR, SRV, CAA' }],
      ],
      [
        { type: 'tls', name: 'x', host: 'bad host!', port: 443 },
        [{ path: 'body.host', message: 'host must be a DNS name or an IP address' }],
      ],
      [{ type: 'tcp', name: '', host: 'a.test', port: 22 }, [{ path: 'body.name', message: 'name is required' }]],
      [
        { type: 'tcp', name: 'x' },
        [
          { path: 'body.host', message: 'host is required' },
          { path: 'body.port', message: 'port is required' },
        ],
      ],
      [{ type: 'tcp', name: 'x', host: 'a.test', port: '22' }, [{ path: 'body.port', message: 'port must be a number' }]],
      [
        { type: 'dns', name: 'x', query: 'bad name!' },
        [{ path: 'body.query', message: 'query must be a DNS name or an IP address' }],
      ],
    ];
    for (const [payload, errors] of cases) {
      const res = await post('/api/v1/monitors', payload);
      expect({ payload, status: res.statusCode, body: res.json<Record<string, unknown>>() }).toMatchObject({
        payload,
        status: 400,
        body: { code: 'validation_failed', errors },
      });
    }
    const extra = await post('/api/v1/monitors', { type: 'tcp', name: 'x', host: 'a.test', port: 22, colour: 'red' });
    expect(extra.json()).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ path: 'body' }] });
    expect(await t.database.db.selectFrom('monitoring_monitors').select('id').execute()).toEqual([]);
  });

  it.skipIf(skip)('creates, reads, lists, changes, pauses, resumes and deletes, auditing each change', async () => {
    const res = await post('/api/v1/monitors', {
      type: 'http',
      name: 'shop',
      url: 'http://127.0.0.1:9/',
      headers: { authorization: 'Basic c2VjcmV0' },
      keyword: { text: 'Welcome' },
    });
    expect(res.statusCode).toBe(201);
    const m = res.json<CreatedMonitor>();
    expect(m).toMatchObject({
      name: 'shop',
      type: 'http',
      state: 'unknown',
      paused: false,
      locations: ['local'],
      quorum: 1,
      definition: {
        intervalSeconds: 60,
        timeoutSeconds: 10,
        failureThreshold: 2,
        successThreshold: 2,
        method: 'GET',
        expectedStatus: ['200-399'],
        keyword: { text: 'Welcome', absent: false },
      },
    });
    expect(m.heartbeatToken).toBeUndefined();
    expect((await get(`/api/v1/monitors/${m.id}`)).json()).toEqual(Object.fromEntries(Object.entries(m)));
    const list = (await get('/api/v1/monitors')).json<{ items: MonitorListItem[] }>();
    expect(list.items).toEqual([objectWith({ id: m.id, uptime24h: null, spark: new Array(24).fill(null) })]);
    expect((await get('/api/v1/monitors?type=tcp')).json()).toEqual({ items: [] });

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/monitors/${m.id}`,
      headers: op,
      payload: { name: 'shop front', intervalSeconds: 30 },
    });
    expect(patched.json<Monitor>()).toMatchObject({
      name: 'shop front',
      definition: { intervalSeconds: 30, url: 'http://127.0.0.1:9/' },
    });
    const badPatch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/monitors/${m.id}`,
      headers: op,
      payload: { timeoutSeconds: 30 },
    });
    expect(badPatch.json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ path: 'body.timeoutSeconds', message: 'the timeout must be shorter than the interval' }],
    });
    const typePatch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/monitors/${m.id}`,
      headers: op,
      payload: { type: 'tcp' },
    });
    expect(typePatch.json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ path: 'body', message: 'a monitor’s type cannot change: create a new monitor' }],
    });

    expect((await post(`/api/v1/monitors/${m.id}/pause`)).json()).toMatchObject({ paused: true });
    expect((await get('/api/v1/monitors?state=paused')).json<{ items: unknown[] }>().items).toHaveLength(1);
    expect((await post(`/api/v1/monitors/${m.id}/resume`)).json()).toMatchObject({ paused: false });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/monitors/${m.id}`, headers: op })).statusCode).toBe(204);
    expect((await get(`/api/v1/monitors/${m.id}`)).json()).toMatchObject({ status: 404, code: 'monitor_not_found' });

    const [created] = await audits('monitors.create');
    expect(created).toMatchObject({ outcome: 'allowed', target: `monitor:${m.id}` });
    expect(JSON.stringify(created)).not.toContain('c2VjcmV0');
    expect(await audits('monitors.update')).toHaveLength(1);
    expect(await audits('monitors.pause')).toHaveLength(1);
    expect(await audits('monitors.delete')).toHaveLength(1);
  });

  it.skipIf(skip)('shows a heartbeat URL once and never writes the token to the audit log', async () => {
    const res = await post('/api/v1/monitors', { type: 'heartbeat', name: 'backup', intervalSeconds: 3600, graceSeconds: 600 });
    const m = res.json<CreatedMonitor>();
    expect(m.heartbeatUrl).toBe(`/api/v1/heartbeat/${m.heartbeatToken!}`);
    expect((await get(`/api/v1/monitors/${m.id}`)).json()).not.toHaveProperty('heartbeatToken');
    expect((await t.app.inject({ method: 'GET', url: m.heartbeatUrl! })).json()).toMatchObject({
      ok: true,
      at: t.clock.now().toISOString(),
    });
    expect((await get(`/api/v1/monitors/${m.id}`)).json()).toMatchObject({ lastHeartbeatAt: t.clock.now().toISOString() });
    await t.audit.sink.flush();
    const all = await t.database.db.selectFrom('audit_entries').selectAll().execute();
    expect(JSON.stringify(all)).not.toContain(m.heartbeatToken!.slice(3));
  });

  it.skipIf(skip)('answers results, uptime and completeness; refuses bad ranges with exact codes', async () => {
    // The next noon UTC, so the ten minutes advanced below stay on one day whenever the suite runs (it failed when
    // run just before midnight: the completeness report then had a second day).
    const noon = t.clock.now();
    noon.setUTCHours(12, 0, 0, 0);
    if (noon <= t.clock.now()) noon.setUTCDate(noon.getUTCDate() + 1);
    t.manualClock!.set(noon);
    const m = (await post('/api/v1/monitors', { type: 'tcp', name: 'db', host: '127.0.0.1', port: 5432 })).json<Monitor>();
    const res = await get(`/api/v1/monitors/${m.id}/results`);
    expect(res.json()).toMatchObject({ resolution: 'raw', items: [] });
    expect(
      (await get(`/api/v1/monitors/${m.id}/results?from=2026-01-01T00:00:00Z&to=2026-01-20T00:00:00Z`)).json(),
    ).toMatchObject({ resolution: 'hour' });
    expect(
      (await get(`/api/v1/monitors/${m.id}/results?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`)).json(),
    ).toMatchObject({ status: 400, code: 'range_invalid' });
    expect((await get(`/api/v1/monitors/${m.id}/results?from=yesterday`)).json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ path: 'query.from', message: 'must be an ISO 8601 time' }],
    });
    expect((await get(`/api/v1/monitors/${m.id}/results?resolution=week`)).json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect((await get(`/api/v1/monitors/not-a-uuid/results`)).json()).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ path: 'params.id' }],
    });
    const up = (await get(`/api/v1/monitors/${m.id}/uptime`)).json<{ windows: { window: string }[] }>();
    expect(up.windows.map((w) => w.window)).toEqual(['24h', '7d', '30d', '90d']);
    t.manualClock!.advance(600_000);
    await t.monitoring.rollup.perform();
    const comp = (await get('/api/v1/monitors/completeness')).json<{ items: { monitorId: string; name: string }[] }>();
    expect(comp.items).toEqual([objectWith({ monitorId: m.id, name: 'db', executed: 0 })]);
    expect((await get('/api/v1/monitors/completeness?from=2026-02-01&to=2026-01-01')).json()).toMatchObject({
      status: 400,
      code: 'range_invalid',
    });
    // This test app runs the API role only: no scheduler here.
    expect((await get('/api/v1/monitors/scheduler')).json()).toEqual({ engine: false, stats: null });
  });
});

describe.each(DIALECTS)('monitors apply/export on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let op: { authorization: string };
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { env: { SKJOLD_ROLES: 'api' } });
    op = (await createUserWithToken(t, 'operator')).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const apply = (monitors: unknown[]) =>
    t.app.inject({ method: 'POST', url: '/api/v1/monitors/apply', headers: op, payload: { monitors } });

  it.skipIf(skip)('creates, updates and leaves alone by name; a bad item fails alone; export round-trips', async () => {
    const file = [
      { type: 'http', name: 'shop', url: 'http://127.0.0.1:9/', keyword: { text: 'Welcome' } },
      { type: 'tcp', name: 'ssh', host: '127.0.0.1', port: 22 },
      { type: 'tcp', name: 'broken', host: '127.0.0.1', port: 0 },
      { type: 'heartbeat', name: 'backup', intervalSeconds: 3600 },
    ];
    const first = (await apply(file)).json<{ results: { name: string; outcome: string; heartbeatUrl?: string }[] }>().results;
    expect(first.map((r) => [r.name, r.outcome])).toEqual([
      ['shop', 'created'],
      ['ssh', 'created'],
      ['broken', 'failed'],
      ['backup', 'created'],
    ]);
    expect(first[2]).toMatchObject({ errors: [{ path: 'monitors.2.port', message: 'port must be between 1 and 65535' }] });
    expect(first[3]!.heartbeatUrl).toMatch(/^\/api\/v1\/heartbeat\/hb_/);

    // The same file again changes nothing; a changed item is updated, with fields it leaves out reset.
    const again = (await apply(file.slice(0, 2))).json<{ results: { outcome: string }[] }>().results;
    expect(again.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
    const changed = (
      await apply([
        { type: 'http', name: 'shop', url: 'http://127.0.0.1:9/' },
        { type: 'http', name: 'ssh', url: 'http://x.test/' },
      ])
    ).json<{
      results: { outcome: string; errors?: unknown }[];
    }>().results;
    expect(changed.map((r) => r.outcome)).toEqual(['updated', 'failed']);
    const exported = (await t.app.inject({ url: '/api/v1/monitors/export', headers: op })).json<{
      monitors: Record<string, unknown>[];
    }>();
    expect(exported.monitors.map((m) => m['name'])).toEqual(['backup', 'shop', 'ssh']);
    expect(exported.monitors.find((m) => m['name'] === 'shop')).not.toHaveProperty('keyword');
    expect((await apply(exported.monitors)).json<{ results: { outcome: string }[] }>().results.map((r) => r.outcome)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });
});
