import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { monitoringStore, type CheckRecord } from '../monitoring.store.ts';
import { summarize } from './rollup.job.ts';

// vitest's asymmetric matchers are typed `any`; these keep the lint rule against unsafe `any` meaningful.
const objectWith = (o: Record<string, unknown>) => expect.objectContaining(o) as unknown;

const HOUR = 3_600_000;
const DAY = 86_400_000;
const noAudit = { target: () => undefined, change: () => undefined };

describe('summarize', () => {
  it('computes count, failures, min/avg/max and nearest-rank p95', () => {
    const s = Array.from({ length: 100 }, (_, i) => ({ ok: i < 3 ? 0 : 1, ms: i + 1 }));
    expect(summarize(s)).toEqual({ count: 100, failures: 3, min_ms: 1, avg_ms: 51, max_ms: 100, p95_ms: 95 });
    expect(summarize([{ ok: 0, ms: null }])).toEqual({
      count: 1,
      failures: 1,
      min_ms: null,
      avg_ms: null,
      max_ms: null,
      p95_ms: null,
    });
  });
});

describe.each(DIALECTS)('rollup and retention on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (skip) return;
    // API role only: no engine running beside the test.
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ROLES: 'api' } });
    t.manualClock!.set('2026-04-10T00:00:00.000Z');
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)('aggregates by hour and day, records completeness, then prunes raw rows past retention', async () => {
    const db = t.database.db;
    const m = await t.monitoring.service.create(
      db,
      { type: 'tcp', name: 'ssh', host: '127.0.0.1', port: 22, intervalSeconds: 60 },
      'system:test',
      noAudit,
    );
    const start = t.clock.now().getTime();
    // Two full days, one check a minute; the second day loses 60 checks (an outage of the engine) and fails 30.
    const rows: CheckRecord[] = [];
    for (let i = 0; i < 2 * 1440; i++) {
      if (i >= 1440 + 600 && i < 1440 + 660) continue;
      const failing = i >= 1440 + 100 && i < 1440 + 130;
      rows.push({
        monitorId: m.id,
        location: 'local',
        at: new Date(start + i * 60_000).toISOString(),
        ok: !failing,
        responseMs: failing ? null : 10 + (i % 20),
        error: failing ? 'boom' : null,
      });
    }
    await monitoringStore.insertResults(db, rows);
    t.manualClock!.set(new Date(start + 2 * DAY + 5 * 60_000));
    const r = await t.monitoring.rollup.perform();
    expect(r).toMatchObject({ hoursRolled: 49, daysRolled: 2, rawDeleted: 0 });
    const hour0 = await monitoringStore.rollups(
      db,
      m.id,
      'hour',
      new Date(start).toISOString(),
      new Date(start + HOUR).toISOString(),
    );
    expect(hour0).toEqual([objectWith({ count: 60, failures: 0, min_ms: 10, max_ms: 29, avg_ms: 20, p95_ms: 28 })]);
    const days = await monitoringStore.rollups(
      db,
      m.id,
      'day',
      new Date(start).toISOString(),
      new Date(start + 2 * DAY).toISOString(),
    );
    expect(days.map((d) => [d.count, d.failures])).toEqual([
      [1440, 0],
      [1380, 30],
    ]);
    const comp = await t.monitoring.service.completeness(db, { from: '2026-04-10', to: '2026-04-12' });
    expect(comp.items.map((i) => [i.day, i.expected, i.executed, i.missing])).toEqual([
      ['2026-04-10', 1440, 1440, 0],
      ['2026-04-11', 1440, 1380, 60],
      ['2026-04-12', 5, 0, 5],
    ]);
    // The incidents module's completeness record got the same figures.
    const theirs = await t.incidents.service.completeness(db, '2026-04-11', '2026-04-11');
    expect(JSON.stringify(theirs)).toContain('1380');

    // Eight days later the raw rows are gone; the aggregates and the uptime figures remain.
    t.manualClock!.set(new Date(start + 10 * DAY));
    const later = await t.monitoring.rollup.perform();
    expect(later.rawDeleted).toBe(rows.length);
    expect(await db.selectFrom('monitoring_results').select('at').execute()).toEqual([]);
    const up = await t.monitoring.service.uptime(db, m.id);
    expect(up.windows.find((w) => w.window === '30d')).toMatchObject({ checks: 2820, failures: 30, uptimePercent: 98.94 });
    expect(up.windows.find((w) => w.window === '24h')).toMatchObject({ checks: 0, uptimePercent: null });
    const page = await t.monitoring.service.results(db, m.id, {
      from: new Date(start).toISOString(),
      to: new Date(start + 2 * DAY).toISOString(),
      resolution: 'auto',
    });
    expect(page).toMatchObject({ resolution: 'hour' });
    // 48 hours, one of them without a single check (the outage): no row for it.
    expect(page.items).toHaveLength(47);
  });

  it.skipIf(skip)('paused time is not expected', async () => {
    const db = t.database.db;
    const m = await t.monitoring.service.create(
      db,
      { type: 'heartbeat', name: 'cron', intervalSeconds: 60 },
      'system:test',
      noAudit,
    );
    t.manualClock!.advance(6 * HOUR);
    await t.monitoring.service.setPaused(db, m.id, true, noAudit);
    t.manualClock!.advance(12 * HOUR);
    await t.monitoring.service.setPaused(db, m.id, false, noAudit);
    t.manualClock!.advance(7 * HOUR);
    await t.monitoring.rollup.perform();
    const comp = await t.monitoring.service.completeness(db, { from: '2026-04-10', to: '2026-04-10' });
    expect(comp.items).toEqual([objectWith({ monitorId: m.id, expected: 12 * 60, executed: 0, missing: 720 })]);
  });
});
