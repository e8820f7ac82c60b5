import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import { type Closable, httpServer } from '../checks/check.test-servers.ts';
import { MonitoringEngine } from '../monitoring.engine.ts';
import type { CreatedMonitor } from '../monitoring.service.ts';
import type { Assignments, Probe, ProbeWithToken, ResultsAnswer } from '../probes/probes.service.ts';

const anyString = () => expect.any(String) as unknown;

describe.each(DIALECTS)('remote probes on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: { authorization: string };
  let operator: { authorization: string };

  beforeEach(async () => {
    if (skip) return;
    // The silence job is driven by hand here (its timer would race the moved clock).
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_MONITORING_PROBE_SILENCE_CHECK_SECONDS: '3600' } });
    admin = (await createUserWithToken(t, 'admin')).headers;
    operator = (await createUserWithToken(t, 'operator')).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const db = () => t.database.db;
  const now = () => t.manualClock!.now();

  const createProbe = async (location: string, extra: Record<string, unknown> = {}): Promise<ProbeWithToken> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/probes',
      headers: admin,
      payload: { name: `probe ${location}`, location, ...extra },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ProbeWithToken>();
  };
  const createMonitor = async (payload: Record<string, unknown>): Promise<CreatedMonitor> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/monitors', headers: operator, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedMonitor>();
  };
  const tcp = (name: string, locations: string[], quorum?: number) => ({
    type: 'tcp',
    name,
    host: '127.0.0.1',
    port: 9,
    intervalSeconds: 10,
    timeoutSeconds: 2,
    locations,
    ...(quorum ? { quorum } : {}),
  });
  const assignments = (token: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: '/api/v1/probe/assignments', headers: { 'x-skjold-probe-token': token, ...headers } });
  const post = (token: string, results: unknown[], batchId: string = randomUUID()) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/probe/results',
      headers: { 'x-skjold-probe-token': token },
      payload: { batchId, results },
    });
  const result = (monitorId: string, ok: boolean, at = now().toISOString()) => ({
    monitorId,
    at,
    ok,
    responseMs: ok ? 12 : null,
    error: ok ? null : 'ECONNREFUSED',
  });
  const incident = async (dedupKey: string) =>
    db().selectFrom('incidents_incidents').select(['id', 'state']).where('dedup_key', '=', dedupKey).executeTakeFirst();

  it.skipIf(skip)(
    'registers a probe with a token shown once; only admins may; bad, rotated and deleted tokens get 401',
    async () => {
      const denied = await t.app.inject({
        method: 'POST',
        url: '/api/v1/probes',
        headers: operator,
        payload: { name: 'x', location: 'x-1' },
      });
      expect(denied.statusCode).toBe(403);

      const p = await createProbe('cph-2', { pollSeconds: 10 });
      expect(p).toMatchObject({ location: 'cph-2', pollSeconds: 10, silent: false, lastSeenAt: null });
      expect(p.token).toMatch(/^skp_[A-Za-z0-9_-]{43}$/);
      const stored = await db().selectFrom('monitoring_probes').selectAll().executeTakeFirstOrThrow();
      expect(stored.token_hash).not.toContain(p.token.slice(4));
      const listed = await t.app.inject({ url: '/api/v1/probes', headers: operator });
      expect(listed.json<{ items: Probe[] }>().items).toEqual([expect.not.objectContaining({ token: anyString() })]);

      const dup = await t.app.inject({
        method: 'POST',
        url: '/api/v1/probes',
        headers: admin,
        payload: { name: 'other', location: 'cph-2' },
      });
      expect(dup.json()).toMatchObject({ status: 409, code: 'probe_location_taken' });
      const local = await t.app.inject({
        method: 'POST',
        url: '/api/v1/probes',
        headers: admin,
        payload: { name: 'other', location: 'local' },
      });
      expect(local.json()).toMatchObject({ status: 400, errors: [{ path: 'body.location' }] });

      expect((await assignments(p.token)).statusCode).toBe(200);
      for (const bad of [undefined, 'skp_wrong', `skp_${'A'.repeat(43)}`, 'skj_x']) {
        const res = await t.app.inject({
          url: '/api/v1/probe/assignments',
          headers: bad ? { 'x-skjold-probe-token': bad } : {},
        });
        expect(res.statusCode).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ status: 401, code: 'probe_token_invalid' });
      }
      // An API token is not a probe token.
      expect((await t.app.inject({ url: '/api/v1/probe/assignments', headers: admin })).statusCode).toBe(401);

      const rotated = await t.app.inject({ method: 'POST', url: `/api/v1/probes/${p.id}/rotate`, headers: admin });
      expect(rotated.statusCode).toBe(200);
      const fresh = rotated.json<ProbeWithToken>().token;
      expect(fresh).not.toBe(p.token);
      expect((await assignments(p.token)).statusCode).toBe(401);
      expect((await post(p.token, [])).statusCode).toBe(400); // the envelope is checked first…
      expect((await post(p.token, [{}])).json()).toMatchObject({ status: 401, code: 'probe_token_invalid' }); // …then the token
      expect((await assignments(fresh)).statusCode).toBe(200);

      const gone = await t.app.inject({ method: 'DELETE', url: `/api/v1/probes/${p.id}`, headers: admin });
      expect(gone.statusCode).toBe(204);
      expect((await assignments(fresh)).statusCode).toBe(401);

      // Admin changes are audited; probe calls are not (a refused one is, as every refusal).
      await t.audit.sink.flush();
      const actions = (await db().selectFrom('audit_entries').select(['action', 'outcome']).execute()).map(
        (e) => `${e.action}:${e.outcome}`,
      );
      expect(actions).toEqual(
        expect.arrayContaining(['probes.create:allowed', 'probes.rotate:allowed', 'probes.delete:allowed']),
      );
      expect(actions.filter((a) => a.startsWith('GET /api/v1/probe/assignments'))).toEqual(
        expect.not.arrayContaining([expect.stringMatching(/allowed$/)]),
      );
    },
  );

  it.skipIf(skip)('assigns the active monitors of the probe’s location, without engine-only fields, with an ETag', async () => {
    const p = await createProbe('cph-2');
    const both = await createMonitor(tcp('both', ['local', 'cph-2']));
    await createMonitor(tcp('elsewhere', ['aar-1']));
    await createMonitor(tcp('local only', ['local']));
    const paused = await createMonitor(tcp('paused', ['cph-2']));
    await t.app.inject({ method: 'POST', url: `/api/v1/monitors/${paused.id}/pause`, headers: operator });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/monitors',
      headers: operator,
      payload: { type: 'heartbeat', name: 'hb', locations: ['cph-2'] },
    });
    expect(bad.json()).toMatchObject({ status: 400, errors: [{ path: 'body.locations' }] });
    const quorum = await t.app.inject({
      method: 'POST',
      url: '/api/v1/monitors',
      headers: operator,
      payload: tcp('q', ['local'], 2),
    });
    expect(quorum.json()).toMatchObject({ status: 400, errors: [{ path: 'body.quorum' }] });

    const res = await assignments(p.token);
    expect(res.statusCode).toBe(200);
    const a = res.json<Assignments>();
    expect(a).toMatchObject({ location: 'cph-2', pollSeconds: 30, serverTime: now().toISOString() });
    expect(a.monitors).toEqual([
      {
        id: both.id,
        definition: { type: 'tcp', name: 'both', host: '127.0.0.1', port: 9, intervalSeconds: 10, timeoutSeconds: 2 },
      },
    ]);
    expect(res.headers.etag).toBe(`"${a.version}"`);

    const same = await assignments(p.token, { 'if-none-match': res.headers.etag as string });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    await t.app.inject({ method: 'PATCH', url: `/api/v1/monitors/${both.id}`, headers: operator, payload: { port: 10 } });
    const changed = await assignments(p.token, { 'if-none-match': res.headers.etag as string });
    expect(changed.statusCode).toBe(200);
    expect(changed.json<Assignments>().monitors[0]!.definition).toMatchObject({ port: 10 });

    const seen = await t.monitoring.probes.get(db(), p.id);
    expect(seen.lastSeenAt).toBe(now().toISOString());
  });

  it.skipIf(skip)(
    'takes a batch of results under the probe’s location; a bad item refuses the batch and writes nothing',
    async () => {
      const p = await createProbe('cph-2');
      const m = await createMonitor(tcp('remote', ['cph-2']));
      const other = await createMonitor(tcp('other', ['aar-1']));

      const bad = await post(p.token, [
        result(m.id, true),
        { ...result(m.id, false), ok: 'no' },
        { ...result(m.id, true), at: 'yesterday', extra: 1 },
        result(m.id, true, new Date(now().getTime() + 3_600_000).toISOString()),
      ]);
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({
        code: 'validation_failed',
        errors: expect.arrayContaining([
          { path: 'body.results.1.ok', message: 'ok must be true or false' },
          { path: 'body.results.2.at', message: 'at must be an ISO 8601 time' },
          expect.objectContaining({ path: 'body.results.2' }),
          { path: 'body.results.3.at', message: 'at is more than 5 minutes ahead of the server’s clock' },
        ]) as unknown,
      });
      expect(await db().selectFrom('monitoring_probe_batches').selectAll().execute()).toEqual([]);
      const tooMany = await post(
        p.token,
        Array.from({ length: 1001 }, () => result(m.id, true)),
      );
      expect(tooMany.json()).toMatchObject({ status: 400, errors: [{ path: 'body.results' }] });

      const batchId = randomUUID();
      const old = new Date(now().getTime() - 2 * 86_400_000).toISOString();
      const ok = await post(p.token, [result(m.id, true), result(other.id, false), result(m.id, true, old)], batchId);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json<ResultsAnswer>()).toEqual({
        batchId,
        duplicate: false,
        accepted: 1,
        skipped: [
          { index: 1, monitorId: other.id, reason: 'not_assigned' },
          { index: 2, monitorId: m.id, reason: 'too_old' },
        ],
      });
      // A retry of the same batch (its answer was lost) is not counted twice.
      expect((await post(p.token, [result(m.id, true)], batchId)).json()).toMatchObject({ duplicate: true, accepted: 0 });

      await t.monitoring.engine.flush();
      const rows = await db().selectFrom('monitoring_results').selectAll().where('monitor_id', '=', m.id).execute();
      expect(rows).toEqual([
        { monitor_id: m.id, location: 'cph-2', at: now().toISOString(), ok: 1, response_ms: 12, error: null },
      ]);
      expect((await t.monitoring.service.get(db(), m.id)).state).toBe('up');
    },
  );

  it.skipIf(skip)('opens an incident only when k of n locations fail, names them, and resolves when fewer fail', async () => {
    const cph = await createProbe('cph-2');
    const aar = await createProbe('aar-1');
    // The engine's own check passes throughout (whenever the scheduler gets to it).
    const web: Closable = await httpServer((_req, res) => res.end('ok'));
    const m = await createMonitor({ ...tcp('web', ['local', 'cph-2', 'aar-1'], 2), port: web.port });
    expect(m).toMatchObject({ locations: ['local', 'cph-2', 'aar-1'], quorum: 2 });
    const report = async (token: string, ok: boolean) => {
      t.manualClock!.advance(1000);
      expect((await post(token, [result(m.id, ok)])).statusCode).toBe(200);
      await t.monitoring.engine.flush();
    };
    await report(cph.token, true);
    expect((await t.monitoring.service.get(db(), m.id)).state).toBe('up');
    // cph-2 fails past its own threshold (2): one location of the two needed.
    await report(cph.token, false);
    await report(cph.token, false);
    expect((await t.monitoring.service.get(db(), m.id)).state).toBe('up');
    expect(await incident(`monitor:${m.id}`)).toBeUndefined();
    // aar-1's first failure is below its threshold; the second makes two locations down.
    await report(aar.token, false);
    expect(await incident(`monitor:${m.id}`)).toBeUndefined();
    await report(aar.token, false);
    const down = await t.monitoring.service.get(db(), m.id);
    expect(down.state).toBe('down');
    const opened = await incident(`monitor:${m.id}`);
    expect(opened?.state).toBe('triggered');
    const signal = await db()
      .selectFrom('incidents_signals')
      .select(['summary', 'details', 'status'])
      .where('dedup_key', '=', `monitor:${m.id}`)
      .executeTakeFirstOrThrow();
    expect(signal.summary).toMatch(/^web is down from 2 of 3 locations \(cph-2, aar-1\): ECONNREFUSED/);
    expect(JSON.parse(signal.details!)).toMatchObject({ failingLocations: ['cph-2', 'aar-1'], quorum: 2 });
    const states = await db()
      .selectFrom('monitoring_location_states')
      .select(['location', 'state'])
      .where('monitor_id', '=', m.id)
      .orderBy('location')
      .execute();
    expect(states).toEqual([
      { location: 'aar-1', state: 'down' },
      { location: 'cph-2', state: 'down' },
    ]);

    // aar-1 recovers past its success threshold: one location down, fewer than two.
    await report(aar.token, true);
    expect((await t.monitoring.service.get(db(), m.id)).state).toBe('down');
    await report(aar.token, true);
    expect((await t.monitoring.service.get(db(), m.id)).state).toBe('up');
    expect((await incident(`monitor:${m.id}`))?.state).toBe('resolved');

    // After a restart of the engine, each location's streak continues where it was.
    await t.monitoring.engine.stop();
    const engine = new MonitoringEngine({
      database: t.database,
      clock: t.clock,
      log: t.log,
      config: t.config.monitoring,
      signals: t.incidents.sink,
    });
    await engine.load();
    t.manualClock!.advance(1000);
    expect((await post(aar.token, [result(m.id, false)])).statusCode).toBe(200);
    await engine.flush();
    t.manualClock!.advance(1000);
    expect((await post(aar.token, [result(m.id, false)])).statusCode).toBe(200);
    await engine.flush();
    expect((await t.monitoring.service.get(db(), m.id)).state).toBe('down');
    await engine.stop();
    await web.close();
  });

  it.skipIf(skip)('a probe silent for 3 poll intervals raises probe:<id>; it resolves when the probe reports again', async () => {
    const p = await createProbe('cph-2', { pollSeconds: 10 });
    expect((await assignments(p.token)).statusCode).toBe(200);
    t.manualClock!.advance(30_000);
    expect(await t.monitoring.probeSilence.perform()).toEqual([{ probeId: p.id, outcome: 'unchanged' }]);
    t.manualClock!.advance(1_000);
    expect(await t.monitoring.probeSilence.perform()).toEqual([{ probeId: p.id, outcome: 'silent' }]);
    expect(await t.monitoring.probeSilence.perform()).toEqual([{ probeId: p.id, outcome: 'unchanged' }]);
    const opened = await incident(`probe:${p.id}`);
    expect(opened?.state).toBe('triggered');
    const listed = await t.app.inject({ url: '/api/v1/probes', headers: operator });
    expect(listed.json<{ items: Probe[] }>().items[0]).toMatchObject({ silent: true, silentSince: now().toISOString() });
    const signal = await db()
      .selectFrom('incidents_signals')
      .select(['source', 'summary'])
      .where('dedup_key', '=', `probe:${p.id}`)
      .executeTakeFirstOrThrow();
    expect(signal).toEqual({ source: 'monitoring', summary: 'Probe probe cph-2 (cph-2) has not reported for 31 s (limit 30 s)' });

    t.manualClock!.advance(60_000);
    expect((await assignments(p.token)).statusCode).toBe(200);
    expect(await t.monitoring.probeSilence.perform()).toEqual([{ probeId: p.id, outcome: 'back' }]);
    expect((await incident(`probe:${p.id}`))?.state).toBe('resolved');
    expect((await t.monitoring.probes.get(db(), p.id)).silent).toBe(false);
  });
});
