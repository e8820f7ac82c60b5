import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import { type Closable, closedPort, httpServer } from './checks/check.test-servers.ts';
import { MonitoringEngine } from './monitoring.engine.ts';
import type { CreatedMonitor } from './monitoring.service.ts';

// vitest's asymmetric matchers are typed `any`; these keep the lint rule against unsafe `any` meaningful.
const matching = (re: RegExp) => expect.stringMatching(re) as unknown;
const notMatching = (re: RegExp) => expect.not.stringMatching(re) as unknown;
const anyString = () => expect.any(String) as unknown;

describe.each(DIALECTS)('monitoring engine on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let headers: { authorization: string };
  let web: Closable;
  let status = 200;
  const servers: Closable[] = [];

  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    headers = (await createUserWithToken(t, 'operator')).headers;
    status = 200;
    web = await httpServer((req, res) => {
      if (req.url === '/hang') return void res.flushHeaders();
      if (req.url === '/huge') {
        // 50 MB as fast as the client reads it.
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < 50) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        return pump();
      }
      res.statusCode = status;
      res.end('ok');
    });
    servers.push(web);
  });
  afterEach(async () => {
    if (skip) return;
    await t.dispose();
    for (const s of servers.splice(0)) await s.close();
  });

  const create = async (payload: Record<string, unknown>): Promise<CreatedMonitor> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/monitors', headers, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedMonitor>();
  };
  /** Move the clock one interval and run what is due (the app's engine, driven by hand). */
  const step = async (ms = 10_000) => {
    t.manualClock!.advance(ms);
    await t.monitoring.engine.runDue();
  };
  const incidents = async () =>
    (await sql<{ dedup_key: string; state: string }>`SELECT dedup_key, state FROM incidents_incidents`.execute(t.database.db))
      .rows;

  it.skipIf(skip)('goes down after two failures, raises one firing signal, and resolves it after two successes', async () => {
    const m = await create({
      type: 'http',
      name: 'web',
      url: `http://127.0.0.1:${web.port}/`,
      intervalSeconds: 10,
      timeoutSeconds: 2,
    });
    await step();
    expect((await t.monitoring.service.get(t.database.db, m.id)).state).toBe('up');
    const sched = await t.app.inject({ url: '/api/v1/monitors/scheduler', headers });
    expect(sched.json()).toMatchObject({ engine: true, stats: { running: true, monitors: 1, started: 1, inFlight: 0 } });
    status = 503;
    await step();
    // One failure: nobody is paged.
    expect((await t.monitoring.service.get(t.database.db, m.id)).state).toBe('up');
    expect(await incidents()).toEqual([]);
    await step();
    const down = await t.monitoring.service.get(t.database.db, m.id);
    expect(down).toMatchObject({ state: 'down', lastOk: false, lastError: 'status 503, expected 200-399' });
    expect(await incidents()).toEqual([{ dedup_key: `monitor:${m.id}`, state: notMatching(/resolved/) }]);
    await step();
    expect(await incidents()).toHaveLength(1);
    status = 200;
    await step();
    expect((await t.monitoring.service.get(t.database.db, m.id)).state).toBe('down');
    await step();
    expect((await t.monitoring.service.get(t.database.db, m.id)).state).toBe('up');
    const events = await t.database.db
      .selectFrom('monitoring_events')
      .selectAll()
      .where('monitor_id', '=', m.id)
      .orderBy('at')
      .execute();
    expect(events.map((e) => `${e.from_state}→${e.to_state}`)).toEqual(['unknown→up', 'up→down', 'down→up']);
    expect(events[1]).toMatchObject({
      summary: matching(/^web is down: status 503/),
      signal_id: anyString(),
      incident_id: anyString(),
    });
    expect(events[2]!.incident_id).toBe(events[1]!.incident_id);
    const raw = await t.database.db
      .selectFrom('monitoring_results')
      .select(['ok'])
      .where('monitor_id', '=', m.id)
      .orderBy('at')
      .execute();
    expect(raw.map((r) => r.ok)).toEqual([1, 0, 0, 0, 1, 1]);
  });

  it.skipIf(skip)('heartbeat: silence past interval + grace goes down; pings bring it back', async () => {
    const m = await create({
      type: 'heartbeat',
      name: 'nightly backup',
      intervalSeconds: 60,
      timeoutSeconds: 5,
      graceSeconds: 30,
    });
    expect(m.heartbeatToken).toMatch(/^hb_/);
    const ping = () => t.app.inject({ method: 'POST', url: `/api/v1/heartbeat/${m.heartbeatToken!}` });
    expect((await ping()).json()).toMatchObject({ ok: true });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/heartbeat/hb_wrong' })).json()).toMatchObject({
      status: 404,
      code: 'heartbeat_not_found',
    });
    await step(60_000);
    expect((await t.monitoring.service.get(t.database.db, m.id)).state).toBe('up');
    await step(60_000);
    await step(60_000);
    const down = await t.monitoring.service.get(t.database.db, m.id);
    expect(down).toMatchObject({ state: 'down', lastError: matching(/^no heartbeat for \d+ s \(limit 90 s\)$/) });
    await ping();
    await step(60_000);
    await ping();
    await step(60_000);
    expect((await t.monitoring.service.get(t.database.db, m.id)).state).toBe('up');
    // Only the hash of the token is stored.
    const row = await t.database.db
      .selectFrom('monitoring_monitors')
      .selectAll()
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(m.heartbeatToken!.slice(3));
  });

  it.skipIf(skip)('a hanging target, a 50 MB body and a refused port do not hold back other checks', async () => {
    const hang = await create({
      type: 'http',
      name: 'hang',
      url: `http://127.0.0.1:${web.port}/hang`,
      keyword: { text: 'x' },
      intervalSeconds: 10,
      timeoutSeconds: 1,
    });
    const huge = await create({
      type: 'http',
      name: 'huge',
      url: `http://127.0.0.1:${web.port}/huge`,
      keyword: { text: 'needle' },
      intervalSeconds: 10,
      timeoutSeconds: 5,
    });
    const refused = await create({
      type: 'tcp',
      name: 'refused',
      host: '127.0.0.1',
      port: await closedPort(),
      intervalSeconds: 10,
      timeoutSeconds: 1,
    });
    const fast = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        create({ type: 'http', name: `fast ${i}`, url: `http://127.0.0.1:${web.port}/`, intervalSeconds: 10, timeoutSeconds: 2 }),
      ),
    );
    const t0 = Date.now();
    await step();
    expect(Date.now() - t0).toBeLessThan(2500);
    const rows = await t.database.db.selectFrom('monitoring_results').select(['monitor_id', 'ok', 'error']).execute();
    expect(rows).toHaveLength(23);
    expect(rows.find((r) => r.monitor_id === huge.id)).toMatchObject({ ok: 0, error: 'keyword "needle" not found' });
    expect(rows.find((r) => r.monitor_id === hang.id)).toMatchObject({ ok: 0, error: 'timed out after 1 s' });
    expect(rows.find((r) => r.monitor_id === refused.id)).toMatchObject({ ok: 0 });
    expect(rows.filter((r) => fast.some((f) => f.id === r.monitor_id) && r.ok === 1)).toHaveLength(20);
  });

  it.skipIf(skip)('a restarted engine reschedules every monitor within one interval and keeps the streak counters', async () => {
    status = 500;
    const ms = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        create({ type: 'http', name: `m${i}`, url: `http://127.0.0.1:${web.port}/`, intervalSeconds: 60, timeoutSeconds: 2 }),
      ),
    );
    await step(60_000);
    // The old engine stops; a new one (same database) starts ten minutes later.
    await t.monitoring.engine.stop();
    t.manualClock!.advance(600_000);
    const engine = new MonitoringEngine({
      database: t.database,
      clock: t.clock,
      log: t.log,
      config: t.config.monitoring,
      signals: t.incidents.sink,
    });
    await engine.load();
    await engine.restoreCounters();
    expect(engine.scheduler.size).toBe(12);
    t.manualClock!.advance(60_000);
    await engine.runDue();
    // The second failure in a row (the first was before the restart): every monitor is now down.
    const states = await t.database.db.selectFrom('monitoring_monitors').select('state').execute();
    expect(states.map((s) => s.state)).toEqual(ms.map(() => 'down'));
    expect(engine.stats().started).toBe(12);
    await engine.stop();
  });
});
