import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignalInput } from '../../core/signals.ts';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';

const MIN = 60_000;

describe.each(DIALECTS)('the incidents SignalSink on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    t.manualClock!.set('2026-06-01T10:00:00.000Z');
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const sig = (over: Partial<SignalInput> = {}): SignalInput => ({
    source: 'monitoring',
    dedupKey: 'monitor:web1',
    status: 'firing',
    severity: 'major',
    summary: 'web1 does not answer',
    ...over,
  });
  const raise = (over: Partial<SignalInput> = {}) => t.incidents.sink.raise(t.database.db, sig(over));
  const incident = (id: string) => t.incidents.service.get(t.database.db, id);
  const advance = (ms: number) => t.manualClock!.advance(ms);

  it.skipIf(skip)('opens one incident per key, joins later signals, and resolves it from a recovery', async () => {
    const a = await raise();
    expect(a).toMatchObject({ effect: 'opened', expected: false, page: true });
    advance(MIN);
    const b = await raise({ severity: 'critical' });
    expect(b).toMatchObject({ effect: 'joined', incidentId: a.incidentId, page: false });
    const other = await raise({ dedupKey: 'monitor:web2' });
    expect(other.incidentId).not.toBe(a.incidentId);
    advance(MIN);
    const r = await raise({ status: 'resolved', summary: 'web1 answers again' });
    expect(r).toMatchObject({ effect: 'resolved', incidentId: a.incidentId, page: false });
    const inc = await incident(a.incidentId);
    expect(inc).toMatchObject({ state: 'resolved', resolvedBy: 'signal', severity: 'critical', signalCount: 3 });
    // The escalation entry: no policy is set up here, and the timeline says that nobody was paged.
    expect(inc.timeline.map((e) => e.kind)).toEqual(['state', 'signal', 'escalation', 'signal', 'resolution', 'signal']);
    expect(inc.timeline[2]?.body).toMatchObject({ target: 'nobody' });
    const stored = await t.database.db
      .selectFrom('incidents_signals')
      .select(['id', 'effect'])
      .where('incident_id', '=', a.incidentId)
      .execute();
    expect(stored).toHaveLength(3);
  });

  it.skipIf(skip)('reopens within the reopen window, and opens a new incident after it', async () => {
    const a = await raise();
    await raise({ status: 'resolved' });
    advance(29 * MIN);
    const again = await raise();
    expect(again).toMatchObject({ effect: 'reopened', incidentId: a.incidentId, page: true });
    expect(await incident(a.incidentId)).toMatchObject({ state: 'triggered', reopenCount: 1, resolvedAt: null });
    await raise({ status: 'resolved' });
    advance(31 * MIN);
    const fresh = await raise();
    expect(fresh.effect).toBe('opened');
    expect(fresh.incidentId).not.toBe(a.incidentId);
  });

  it.skipIf(skip)('only notes a recovery for sources that do not auto-resolve, unless the signal asks to', async () => {
    const a = await raise({ source: 'backup', dedupKey: 'backup:db1' });
    const r = await raise({ source: 'backup', dedupKey: 'backup:db1', status: 'resolved' });
    expect(r).toMatchObject({ effect: 'recorded', incidentId: a.incidentId });
    expect((await incident(a.incidentId)).state).toBe('triggered');
    const r2 = await raise({ source: 'backup', dedupKey: 'backup:db1', status: 'resolved', autoResolve: true });
    expect(r2.effect).toBe('resolved');
  });

  it.skipIf(skip)('registers a recovery that has no incident (nothing is dropped)', async () => {
    const r = await raise({ dedupKey: 'monitor:never-failed', status: 'resolved' });
    expect(r.effect).toBe('recorded');
    expect(await incident(r.incidentId)).toMatchObject({ state: 'resolved', signalCount: 1 });
  });

  it.skipIf(skip)('marks a flapping incident and stops paging until it settles', async () => {
    const pages: boolean[] = [];
    const a = await raise();
    pages.push(a.page);
    for (let i = 0; i < 4; i++) {
      advance(MIN);
      const r = await raise({ status: i % 2 === 0 ? 'resolved' : 'firing' });
      pages.push(r.page);
    }
    // open, resolve, reopen, resolve, reopen … the fifth state change (a reopen) is not paged.
    advance(MIN);
    const fifth = await raise({ status: 'firing' });
    expect(fifth).toMatchObject({ effect: 'joined' });
    expect(pages).toEqual([true, false, true, false, false]);
    const inc = await incident(a.incidentId);
    expect(inc.flapping).toBe(true);
    expect(inc.timeline.filter((e) => e.kind === 'flapping').map((e) => e.body['flapping'])).toEqual([true]);
    // Quiet for longer than the flap window: the next change clears the flag and pages again.
    await raise({ status: 'resolved' });
    advance(20 * MIN);
    const settled = await raise();
    expect(settled).toMatchObject({ effect: 'reopened', page: true });
    expect((await incident(a.incidentId)).flapping).toBe(false);
  });

  it.skipIf(skip)('records a child’s signals on its down parent’s incident without paging', async () => {
    const host = await raise({ dedupKey: 'host:h1', summary: 'h1 down' });
    const child = await raise({ dedupKey: 'monitor:h1-http', parentKey: 'host:h1' });
    expect(child).toMatchObject({ incidentId: host.incidentId, effect: 'recorded', page: false });
    const inc = await incident(host.incidentId);
    expect(inc.childKeys).toEqual(['monitor:h1-http']);
    expect(inc.timeline.at(-1)).toMatchObject({ kind: 'child', body: { childKey: 'monitor:h1-http', parentKey: 'host:h1' } });
    // Parent up again: the child opens its own incident.
    await raise({ dedupKey: 'host:h1', status: 'resolved' });
    const alone = await raise({ dedupKey: 'monitor:h1-http', parentKey: 'host:h1' });
    expect(alone).toMatchObject({ effect: 'opened', page: true });
  });

  it.skipIf(skip)('registers signals inside a one-off window as expected with the change reference, unpaged', async () => {
    const w = await t.incidents.maintenance.create(
      t.database.db,
      {
        title: 'kernel upgrade',
        changeRef: 'CHG-42',
        keyPrefixes: ['monitor:web'],
        components: ['mail'],
        kind: 'once',
        startsAt: '2026-06-01T09:00:00.000Z',
        endsAt: '2026-06-01T11:00:00.000Z',
        weekdays: [],
        localTime: null,
        durationMinutes: null,
        timeZone: 'Europe/Copenhagen',
      },
      'system:test',
    );
    const inside = await raise();
    expect(inside).toMatchObject({ effect: 'opened', expected: true, page: false });
    expect(await incident(inside.incidentId)).toMatchObject({ expected: true, changeRef: 'CHG-42' });
    const byComponent = await raise({ dedupKey: 'monitor:imap', component: 'mail' });
    expect(byComponent.expected).toBe(true);
    const outOfScope = await raise({ dedupKey: 'monitor:db' });
    expect(outOfScope).toMatchObject({ expected: false, page: true });
    const row = await t.database.db
      .selectFrom('incidents_signals')
      .selectAll()
      .where('id', '=', inside.signalId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ expected: 1, change_ref: 'CHG-42', window_id: w.id, page: 0 });
    t.manualClock!.set('2026-06-01T11:00:00.000Z');
    expect((await raise({ dedupKey: 'monitor:web9' })).expected).toBe(false);
  });

  it.skipIf(skip)('applies a weekly Copenhagen window at the same local time across the DST change', async () => {
    await t.incidents.maintenance.create(
      t.database.db,
      {
        title: 'Sunday patching',
        changeRef: 'STD-7',
        keyPrefixes: ['monitor:'],
        components: [],
        kind: 'weekly',
        startsAt: '2026-03-01T00:00:00.000Z',
        endsAt: null,
        weekdays: [7],
        localTime: '03:00',
        durationMinutes: 60,
        timeZone: 'Europe/Copenhagen',
      },
      'system:test',
    );
    const at = async (when: string, key: string) => {
      t.manualClock!.set(when);
      return (await raise({ dedupKey: key })).expected;
    };
    // 22 March: CET, 03:00 local = 02:00 UTC. 29 March: CEST, 03:00 local = 01:00 UTC.
    expect(await at('2026-03-22T02:30:00.000Z', 'monitor:a')).toBe(true);
    expect(await at('2026-03-22T01:30:00.000Z', 'monitor:b')).toBe(false);
    expect(await at('2026-03-29T01:30:00.000Z', 'monitor:c')).toBe(true);
    expect(await at('2026-03-29T02:30:00.000Z', 'monitor:d')).toBe(false);
  });

  it.skipIf(skip)('keeps the timeline append-only in the database itself', async () => {
    const a = await raise();
    await expect(
      sql`UPDATE incidents_timeline SET kind = 'note' WHERE incident_id = ${a.incidentId}`.execute(t.database.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM incidents_timeline WHERE incident_id = ${a.incidentId}`.execute(t.database.db)).rejects.toThrow(
      /append-only/,
    );
    expect((await incident(a.incidentId)).timeline.map((e) => e.kind)).toEqual(['state', 'signal', 'escalation']);
  });

  it.skipIf(skip)('lets on-call put notifications and escalations on the timeline', async () => {
    const a = await raise();
    await t.incidents.recordNotification(t.database.db, {
      incidentId: a.incidentId,
      channel: 'email',
      recipient: 'oncall@example.net',
      outcome: 'sent',
      receipt: '<id@mx>',
      level: 1,
    });
    await t.incidents.recordNotification(t.database.db, {
      incidentId: a.incidentId,
      channel: 'sms',
      recipient: '+4512345678',
      outcome: 'failed',
      error: 'gateway 502',
    });
    await t.incidents.recordEscalation(t.database.db, { incidentId: a.incidentId, level: 2, target: 'schedule:secondary' });
    // After the opening state, the signal and the "nobody paged: no policy" escalation entry.
    const tl = (await incident(a.incidentId)).timeline.slice(3);
    expect(tl.map((e) => [e.seq, e.kind, e.body])).toEqual([
      [4, 'notification', { channel: 'email', recipient: 'oncall@example.net', outcome: 'sent', receipt: '<id@mx>', level: 1 }],
      [5, 'notification', { channel: 'sms', recipient: '+4512345678', outcome: 'failed', error: 'gateway 502' }],
      [6, 'escalation', { level: 2, target: 'schedule:secondary' }],
    ]);
  });

  it.skipIf(skip)('counts deviations against signals registered on incidents, per day and source', async () => {
    await raise();
    await raise();
    await raise({ source: 'backup', dedupKey: 'backup:x' });
    await raise({ status: 'resolved' });
    advance(24 * 60 * MIN);
    await raise({ dedupKey: 'monitor:web3' });
    await t.incidents.recordCheckCompleteness(t.database.db, {
      day: '2026-06-01',
      source: 'monitoring',
      subject: 'monitor:web1',
      expected: 1440,
      executed: 1438,
    });
    const c = await t.incidents.service.completeness(t.database.db, '2026-06-01', '2026-06-02');
    expect(c.rows).toEqual([
      { day: '2026-06-02', source: 'monitoring', deviations: 1, registered: 1, checksExpected: null, checksExecuted: null },
      { day: '2026-06-01', source: 'backup', deviations: 1, registered: 1, checksExpected: null, checksExecuted: null },
      { day: '2026-06-01', source: 'monitoring', deviations: 2, registered: 2, checksExpected: 1440, checksExecuted: 1438 },
    ]);
    expect(c.totals).toEqual({ deviations: 4, registered: 4 });
  });

  it.skipIf(skip || dialect !== 'postgres')(
    'ends concurrent firing signals of one key in ONE open incident (PostgreSQL)',
    async () => {
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => raise({ summary: `probe ${i}` })));
      expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
      expect(results.filter((r) => r.effect === 'opened')).toHaveLength(1);
      const open = await t.database.db
        .selectFrom('incidents_incidents')
        .select('id')
        .where('dedup_key', '=', 'monitor:web1')
        .execute();
      expect(open).toHaveLength(1);
      expect((await incident(open[0]!.id)).signalCount).toBe(16);
      // Concurrent reopen after a recovery: still one incident.
      await raise({ status: 'resolved' });
      const again = await Promise.all(Array.from({ length: 8 }, () => raise()));
      expect(new Set(again.map((r) => r.incidentId))).toEqual(new Set([open[0]!.id]));
      expect(again.filter((r) => r.effect === 'reopened')).toHaveLength(1);
    },
  );
});
