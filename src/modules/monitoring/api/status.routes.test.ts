import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../core/clock.ts';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { Monitor } from '../monitoring.model.ts';
import type { StatusDocument } from '../status-page.service.ts';

const NOW = '2026-03-31T12:00:00.000Z';

describe.each(DIALECTS)('public status page on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let op: { authorization: string };
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, {
      manualClock: true,
      env: { SKJOLD_ROLES: 'api', SKJOLD_MONITORING_STATUS_TITLE: 'Hosting A/S' },
    });
    (t.clock as ManualClock).set(NOW);
    op = (await createUserWithToken(t, 'operator')).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const create = async (body: Record<string, unknown>): Promise<Monitor> => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/monitors', headers: op, payload: body });
    expect(r.statusCode).toBe(201);
    return r.json<Monitor>();
  };
  const rollup = (monitorId: string, bucket: 'hour' | 'day', start: string, count: number, failures: number) =>
    t.database.db
      .insertInto('monitoring_rollups')
      .values({
        monitor_id: monitorId,
        location: 'local',
        bucket,
        start,
        count,
        failures,
        min_ms: 1,
        avg_ms: 2,
        max_ms: 3,
        p95_ms: 3,
      })
      .execute();
  const status = () => t.app.inject({ method: 'GET', url: '/api/v1/status' });

  it.skipIf(skip)('accepts, changes and clears publicComponent on monitors, bounded', async () => {
    const m = await create({ type: 'tcp', name: 'web1', host: 'web1.internal', port: 443, publicComponent: ' Webhotel ' });
    expect(m.publicComponent).toBe('Webhotel');
    const tooLong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/monitors',
      headers: op,
      payload: { type: 'tcp', name: 'x', host: 'a.test', port: 1, publicComponent: 'x'.repeat(81) },
    });
    expect(tooLong.statusCode).toBe(400);
    expect(JSON.stringify(tooLong.json())).toContain('publicComponent is at most 80 characters');
    const cleared = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/monitors/${m.id}`,
      headers: op,
      payload: { publicComponent: null },
    });
    expect(cleared.json<Monitor>().publicComponent).toBeNull();
    const row = await t.database.db
      .selectFrom('monitoring_monitors')
      .select('public_component')
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(row.public_component).toBeNull();
  });

  it.skipIf(skip)('answers without sign-in: components, 90 worst-of-monitor day bars, state, open incidents', async () => {
    const web1 = await create({ type: 'tcp', name: 'web1', host: 'web1.internal', port: 443, publicComponent: 'Webhotel' });
    const web2 = await create({ type: 'tcp', name: 'web2', host: 'web2.internal', port: 443, publicComponent: 'Webhotel' });
    const mail = await create({ type: 'smtp', name: 'mx1', host: 'mx1.internal', publicComponent: 'E-mail' });
    await create({ type: 'tcp', name: 'private db', host: 'db7.internal', port: 5432 });
    // Yesterday: web1 99 %, web2 90 % → the component shows the worst, 90 %.
    await rollup(web1.id, 'day', '2026-03-30T00:00:00.000Z', 100, 1);
    await rollup(web2.id, 'day', '2026-03-30T00:00:00.000Z', 100, 10);
    // Today has no daily aggregate yet: summed from the hourly ones (200 checks, 50 failures).
    await rollup(mail.id, 'hour', '2026-03-31T09:00:00.000Z', 100, 0);
    await rollup(mail.id, 'hour', '2026-03-31T10:00:00.000Z', 100, 50);
    // Outside the 90 days: ignored.
    await rollup(mail.id, 'day', '2025-12-31T00:00:00.000Z', 100, 100);
    await t.database.db.updateTable('monitoring_monitors').set({ state: 'down' }).where('id', '=', web2.id).execute();
    const raised = await t.incidents.sink.raise(t.database.db, {
      source: 'monitoring',
      dedupKey: `monitor:${web2.id}`,
      status: 'firing',
      severity: 'major',
      summary: 'TCP web2.internal:443 (10.0.0.7) down: connection refused',
      details: { target: 'web2.internal:443', ip: '10.0.0.7' },
      component: 'Webhotel',
    });
    // An incident on a private component is not shown.
    await t.incidents.sink.raise(t.database.db, {
      source: 'monitoring',
      dedupKey: 'monitor:private',
      status: 'firing',
      severity: 'critical',
      summary: 'db7.internal down',
      component: 'Database cluster',
    });

    const r = await status();
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const doc = r.json<StatusDocument>();
    expect(doc.title).toBe('Hosting A/S');
    expect(doc.generatedAt).toBe(NOW);
    expect(doc.state).toBe('degraded');
    expect(doc.components.map((c) => [c.name, c.state])).toEqual([
      ['E-mail', 'operational'],
      ['Webhotel', 'degraded'],
    ]);
    const [email, webhotel] = doc.components;
    for (const c of doc.components) {
      expect(c.days).toHaveLength(90);
      expect(c.days[0]?.date).toBe('2026-01-01');
      expect(c.days[89]?.date).toBe('2026-03-31');
    }
    expect(email?.days[89]).toEqual({ date: '2026-03-31', uptime: 75 });
    expect(email?.days.filter((d) => d.uptime !== null)).toHaveLength(1);
    expect(email?.uptime90).toBe(75);
    expect(webhotel?.days[88]).toEqual({ date: '2026-03-30', uptime: 90 });
    expect(webhotel?.uptime90).toBe(90);

    expect(doc.incidents).toHaveLength(1);
    const inc = doc.incidents[0];
    expect(inc).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) as unknown,
      component: 'Webhotel',
      title: 'Webhotel: service disruption',
      state: 'investigating',
      startedAt: NOW,
      updatedAt: null,
    });

    // Nothing internal leaks: ids, dedup keys, targets, hosts, IPs, summaries, actors, private components.
    const text = r.body;
    for (const secret of [
      raised.incidentId,
      web1.id,
      web2.id,
      'monitor:',
      'internal',
      '10.0.0.7',
      'connection refused',
      'web2',
      'db7',
      'Database cluster',
      'private db',
      'operator',
      'dedup',
      'severity',
      'summary',
      'details',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it.skipIf(skip)('serves the document from memory for 30 seconds, is not audited, needs no console session', async () => {
    const first = (await status()).json<StatusDocument>();
    expect(first.components).toEqual([]);
    expect(first.state).toBe('operational');
    await create({ type: 'tcp', name: 'cp', host: 'cp.internal', port: 443, publicComponent: 'Control panel' });
    (t.clock as ManualClock).advance(29_000);
    expect((await status()).json<StatusDocument>().components).toEqual([]);
    (t.clock as ManualClock).advance(1_000);
    const later = (await status()).json<StatusDocument>();
    expect(later.components.map((c) => c.name)).toEqual(['Control panel']);
    expect(later.components[0]?.uptime90).toBeNull();
    await t.audit.sink.flush();
    const audited = await t.database.db
      .selectFrom('audit_entries')
      .select('action')
      .where('action', 'like', '%status%')
      .execute();
    expect(audited).toEqual([]);
  });
});
