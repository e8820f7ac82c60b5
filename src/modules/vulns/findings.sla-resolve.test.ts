import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import type { AuditRecorder } from '../../core/audit.ts';
import { assetBody, feedBody } from './api/vulns.schemas.ts';
import { triageBody } from './api/findings.schemas.ts';
import { sweepQueries } from './findings.store.ts';
import { parseAgentUpload } from './inventory.service.ts';
import { agentUpload, kevJson, trackerJson, type TestPackage } from './vulns.test-data.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = '2026-03-02T08:00:00.000Z';
const recorder: AuditRecorder = { target: () => undefined, change: () => undefined };

const OPENSSL_OLD: TestPackage[] = [
  { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
  { name: 'openssl', version: '3.0.11-1~deb12u1' },
];
const OPENSSL_NEW: TestPackage[] = [
  { name: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl' },
  { name: 'openssl', version: '3.0.11-1~deb12u2' },
];
const NGINX_OLD: TestPackage[] = [{ name: 'nginx', version: '1.22.1-9' }];
const NGINX_NEW: TestPackage[] = [{ name: 'nginx', version: '1.22.1-9+deb12u1' }];
const TRACKER = trackerJson([
  { pkg: 'openssl', cve: 'CVE-2024-1001', fixed: '3.0.11-1~deb12u2', urgency: 'high' },
  { pkg: 'nginx', cve: 'CVE-2024-1005', fixed: '1.22.1-9+deb12u1', urgency: 'medium' },
]);

/**
 * SLA and KEV signals end when what they were about is over: the asset's findings near or past their deadline are
 * patched (verified in force) or triaged away, or the KEV CVE no longer needs action on any internet-facing host. The
 * incident the signal opened closes; an asset still in breach keeps its signal.
 */
describe.each(DIALECTS)('SLA and KEV signals resolve on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let clock: NonNullable<TestApp['manualClock']>;
  let feedDir: string;
  const feeds: Record<string, string> = {};
  const tx = <T>(fn: (db: TestApp['database']['db']) => Promise<T>): Promise<T> => t.database.db.transaction().execute(fn);

  async function importFeed(kind: 'debian-tracker' | 'kev', content: string): Promise<void> {
    const file = join(feedDir, `${kind}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, content);
    const body = feedBody.parse({ kind, name: kind, path: file });
    const known = feeds[kind];
    const id = known ?? (feeds[kind] = (await tx((db) => t.vulns.feeds.create(db, body, recorder))).id);
    if (known !== undefined) await tx((db) => t.vulns.feeds.update(db, id, body, recorder));
    const r = await t.vulns.feeds.refresh(id);
    expect(r.status, JSON.stringify(r)).toBe('updated');
    await t.vulns.idle();
  }

  async function createAsset(name: string, exposure: string): Promise<string> {
    return (await tx((db) => t.vulns.assets.create(db, assetBody.parse({ name, exposure }), recorder))).id;
  }

  async function upload(host: string, packages: TestPackage[]): Promise<void> {
    const collectedAt = clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    await tx((db) =>
      t.vulns.inventory.recordHostReport(
        db,
        parseAgentUpload(agentUpload({ hostname: host, packages, collectedAt })),
        'test',
        recorder,
      ),
    );
  }

  async function findingOf(assetId: string, vuln: string) {
    return t.database.db
      .selectFrom('vulns_findings')
      .selectAll()
      .where('asset_id', '=', assetId)
      .where('vuln', '=', vuln)
      .executeTakeFirstOrThrow();
  }

  /** The signals of a key, oldest first, with the state of the incident each went to. */
  async function signalsOf(key: string) {
    return t.database.db
      .selectFrom('incidents_signals as s')
      .innerJoin('incidents_incidents as i', 'i.id', 's.incident_id')
      .select(['s.status', 's.severity', 's.summary', 's.incident_id', 'i.state as incident_state'])
      .where('s.dedup_key', '=', key)
      .orderBy('s.occurred_at')
      .orderBy('s.id')
      .execute();
  }

  async function incidentState(key: string): Promise<string | undefined> {
    const last = await signalsOf(key);
    const id = last.at(-1)?.incident_id;
    if (id === undefined) return undefined;
    const inc = await t.database.db
      .selectFrom('incidents_incidents')
      .select('state')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return inc.state;
  }

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ROLES: 'api' } });
    clock = t.manualClock as NonNullable<TestApp['manualClock']>;
    clock.set(START);
    feedDir = join(t.testDb.dataDir, 'feed-sources');
    mkdirSync(feedDir, { recursive: true });
    await importFeed('debian-tracker', TRACKER);
    await importFeed('kev', kevJson([]));
  }, 60_000);
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)(
    'a breach signal resolves when the patch is in force or the finding is triaged away; a host still in breach keeps firing',
    async () => {
      const patched = await createAsset('sla-patched', 'internal');
      const triaged = await createAsset('sla-triaged', 'internal');
      const breached = await createAsset('sla-breached', 'internal');
      for (const h of ['sla-patched', 'sla-triaged', 'sla-breached']) await upload(h, OPENSSL_OLD);
      const f = await findingOf(breached, 'CVE-2024-1001');
      // Vendor high on an internal host: 30 days. An hour past the deadline, all three are in breach.
      expect(Date.parse(f.sla_due_at ?? '') - Date.parse(f.first_detected_at)).toBe(30 * DAY);
      clock.set(new Date(Date.parse(f.sla_due_at ?? '') + HOUR));
      const first = await t.vulns.findings.runSweep();
      expect(first).toMatchObject({ slaSignals: 3 });
      expect(first.slaResolved ?? 0).toBe(0);
      for (const id of [patched, triaged, breached]) {
        const s = await signalsOf(`vulns:sla:${id}`);
        expect(s.map((x) => [x.status, x.severity])).toEqual([['firing', 'major']]);
        expect(await incidentState(`vulns:sla:${id}`)).not.toBe('resolved');
      }
      // A sweep with nothing changed neither raises nor resolves.
      expect(await t.vulns.findings.runSweep()).toMatchObject({ slaSignals: 0 });

      // The fixed openssl is installed and nothing needs a restart: verified resolved, the signal ends.
      clock.advance(HOUR);
      await upload('sla-patched', OPENSSL_NEW);
      expect((await findingOf(patched, 'CVE-2024-1001')).lifecycle).toBe('verified_resolved');
      const second = await t.vulns.findings.runSweep();
      expect(second.slaResolved).toBe(1);
      const ended = await signalsOf(`vulns:sla:${patched}`);
      expect(ended.map((x) => x.status)).toEqual(['firing', 'resolved']);
      expect(ended[1]?.summary).toMatch(/^sla-patched: no vulnerability finding needing action is near or past/);
      expect(await incidentState(`vulns:sla:${patched}`)).toBe('resolved');

      // Triaged not affected: no longer needing action, the signal ends too.
      const g = await findingOf(triaged, 'CVE-2024-1001');
      await tx((db) =>
        t.vulns.findings.triage(
          db,
          g.id,
          triageBody.parse({ state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }),
          { ref: 'user:sec', mayAccept: false },
          recorder,
        ),
      );
      expect((await t.vulns.findings.runSweep()).slaResolved).toBe(1);
      expect((await signalsOf(`vulns:sla:${triaged}`)).map((x) => x.status)).toEqual(['firing', 'resolved']);
      expect(await incidentState(`vulns:sla:${triaged}`)).toBe('resolved');

      // The third host is still past its deadline: its signal keeps firing, its incident stays open.
      expect((await signalsOf(`vulns:sla:${breached}`)).map((x) => x.status)).toEqual(['firing']);
      expect(await incidentState(`vulns:sla:${breached}`)).not.toBe('resolved');
      const open = await t.database.db.selectFrom('vulns_open_signals').select('dedup_key').where('kind', '=', 'sla').execute();
      expect(open.map((o) => o.dedup_key)).toEqual([`vulns:sla:${breached}`]);
      // Later sweeps do not resolve the ended signals again.
      expect((await t.vulns.findings.runSweep()).slaResolved ?? 0).toBe(0);
      expect((await signalsOf(`vulns:sla:${patched}`)).map((x) => x.status)).toEqual(['firing', 'resolved']);
    },
  );

  it.skipIf(skip)('a risk acceptance ends the signal; when it expires the breach signals again', async () => {
    const id = await createAsset('sla-accepted', 'internal');
    await upload('sla-accepted', OPENSSL_OLD);
    const f = await findingOf(id, 'CVE-2024-1001');
    clock.set(new Date(Date.parse(f.sla_due_at ?? '') + HOUR));
    await t.vulns.findings.runSweep();
    expect((await signalsOf(`vulns:sla:${id}`)).map((x) => x.status)).toEqual(['firing']);

    clock.advance(HOUR);
    const until = new Date(clock.now().getTime() + 10 * DAY).toISOString();
    await tx((db) =>
      t.vulns.findings.triage(
        db,
        f.id,
        triageBody.parse({ state: 'risk_accepted', expiresAt: until }),
        { ref: 'user:sec', mayAccept: true },
        recorder,
      ),
    );
    await t.vulns.findings.runSweep();
    expect((await signalsOf(`vulns:sla:${id}`)).map((x) => x.status)).toEqual(['firing', 'resolved']);
    expect(await incidentState(`vulns:sla:${id}`)).toBe('resolved');

    // The acceptance ends: the finding is back in triage, still past its deadline, and the on-call hears of it again.
    clock.set(new Date(Date.parse(until) + HOUR));
    const r = await t.vulns.findings.runSweep();
    expect(r.expired).toBe(1);
    const again = await signalsOf(`vulns:sla:${id}`);
    expect(again.map((x) => [x.status, x.severity])).toEqual([
      ['firing', 'major'],
      ['resolved', 'major'],
      ['firing', 'major'],
    ]);
    expect(await incidentState(`vulns:sla:${id}`)).not.toBe('resolved');
  });

  it.skipIf(skip)('a finding triaged not affected and then back into triage signals again (SLA and KEV)', async () => {
    const id = await createAsset('sla-retriaged', 'internet');
    await upload('sla-retriaged', OPENSSL_OLD);
    await importFeed('kev', kevJson(['CVE-2024-1001']));
    const slaKey = `vulns:sla:${id}`;
    const kevKey = 'vulns:kev:CVE-2024-1001';
    const f = await findingOf(id, 'CVE-2024-1001');
    clock.set(new Date(Date.parse(f.sla_due_at ?? '') + HOUR));
    await t.vulns.findings.runSweep();
    expect((await signalsOf(slaKey)).map((x) => x.status)).toEqual(['firing']);
    expect((await signalsOf(kevKey)).map((x) => x.status)).toEqual(['firing']);

    const triage = (body: unknown) =>
      tx((db) => t.vulns.findings.triage(db, f.id, triageBody.parse(body), { ref: 'user:sec', mayAccept: false }, recorder));
    clock.advance(HOUR);
    await triage({ state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' });
    await t.vulns.findings.runSweep();
    expect((await signalsOf(slaKey)).map((x) => x.status)).toEqual(['firing', 'resolved']);
    expect((await signalsOf(kevKey)).map((x) => x.status)).toEqual(['firing', 'resolved']);

    // The justification turns out wrong: back in triage, the finding is still past its deadline and in KEV.
    clock.advance(HOUR);
    await triage({ state: 'in_triage' });
    const r = await t.vulns.findings.runSweep();
    expect(r).toMatchObject({ slaSignals: 1, kevSignals: 1 });
    expect((await signalsOf(slaKey)).map((x) => x.status)).toEqual(['firing', 'resolved', 'firing']);
    expect((await signalsOf(kevKey)).map((x) => x.status)).toEqual(['firing', 'resolved', 'firing']);
    expect(await incidentState(slaKey)).not.toBe('resolved');
    // Signalled once: the next sweep is quiet.
    expect(await t.vulns.findings.runSweep()).toMatchObject({ slaSignals: 0, kevSignals: 0 });
  });

  it.skipIf(skip)('a KEV signal resolves once no internet-facing host needs action for the CVE any more', async () => {
    await createAsset('kev-a', 'internet');
    await createAsset('kev-b', 'internet');
    await upload('kev-a', NGINX_OLD);
    await upload('kev-b', NGINX_OLD);
    await importFeed('kev', kevJson(['CVE-2024-1005']));
    const key = 'vulns:kev:CVE-2024-1005';
    expect((await signalsOf(key)).map((x) => [x.status, x.severity])).toEqual([['firing', 'critical']]);

    // One of two hosts patched: still exploitable on the other, still firing.
    clock.advance(HOUR);
    await upload('kev-a', NGINX_NEW);
    expect((await t.vulns.findings.runSweep()).kevResolved ?? 0).toBe(0);
    expect((await signalsOf(key)).map((x) => x.status)).toEqual(['firing']);

    // Both patched: resolved, the incident closes.
    await upload('kev-b', NGINX_NEW);
    expect((await t.vulns.findings.runSweep()).kevResolved).toBe(1);
    const s = await signalsOf(key);
    expect(s.map((x) => x.status)).toEqual(['firing', 'resolved']);
    expect(s[1]?.summary).toBe('CVE-2024-1005 (CISA KEV) no longer needs action on any internet-facing host');
    expect(await incidentState(key)).toBe('resolved');
    expect(await t.database.db.selectFrom('vulns_open_signals').select('dedup_key').where('kind', '=', 'kev').execute()).toEqual(
      [],
    );
  });

  it.skipIf(skip)('the resolving questions are answered from their partial indexes', async () => {
    const plan = async (q: { compile(): CompiledQuery }): Promise<string> => {
      const c = q.compile();
      return t.database.db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
        const prefix = dialect === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ';
        const r = await trx.executeQuery(CompiledQuery.raw(prefix + c.sql, [...c.parameters]));
        return r.rows.map((row) => Object.values(row as Record<string, unknown>).join(' ')).join('\n');
      });
    };
    expect(await plan(sweepQueries.pressingDeadlines(t.database.db, ['a', 'b']))).toContain('vulns_findings_sla_pressing');
    expect(await plan(sweepQueries.signalledKev(t.database.db))).toContain('vulns_findings_kev_signalled');
  });
});
