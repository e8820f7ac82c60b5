import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import { startHttpReceiver } from '../../../test/receivers.ts';
import { FeedDownloader } from './feed-download.ts';
import { FEED_DATA_TABLES } from './migrations/0006-feed-datasets.ts';
import { type FeedRefreshResult, type FeedView, VulnsFeedsService } from './feeds.service.ts';
import type { UploadResult } from './inventory.service.ts';
import { BASE_PACKAGES, agentUpload, kevJson, trackerJson, type TrackerEntry } from './vulns.test-data.ts';

type Headers = Record<string, string>;
const FIXTURES = join(import.meta.dirname, 'advisories', 'fixtures');

const OPENSSL: TrackerEntry = { pkg: 'openssl', cve: 'CVE-2026-1001', fixed: '3.0.15-1~deb12u1', urgency: 'high' };
const BASH_FIXED: TrackerEntry = { pkg: 'bash', cve: 'CVE-2026-1002', fixed: '5.2.15-1' };
const CURL: TrackerEntry = { pkg: 'curl', cve: 'CVE-2026-1003', fixed: '7.88.1-10+deb12u8', urgency: 'medium' };

describe.each(DIALECTS)('vulns advisory feeds on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: Headers;
  let agent: Headers;

  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    admin = (await createUserWithToken(t, 'admin')).headers;
    agent = (await createUserWithToken(t, 'admin', { scopes: ['vulns.report'] })).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const createFeed = async (payload: Record<string, unknown>): Promise<FeedView> => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/vulns/feeds', headers: admin, payload });
    expect(r.statusCode, r.body).toBe(201);
    return r.json<FeedView>();
  };
  const refresh = async (id: string): Promise<FeedRefreshResult> => {
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/vulns/feeds/${id}/refresh`, headers: admin });
    expect(r.statusCode, r.body).toBe(200);
    await t.vulns.idle();
    return r.json<FeedRefreshResult>();
  };
  const feed = async (id: string): Promise<FeedView> =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/vulns/feeds/${id}`, headers: admin })).json<FeedView>();
  /** The dataset a feed's rows in force are written under. */
  const datasetOf = (feedId: string) => t.database.db.selectFrom('vulns_feeds').select('dataset').where('id', '=', feedId);
  /** The re-evaluation and the deletion of the data that follow a feed's removal (set off by its commit). */
  const afterRemoval = () => t.vulns.idle();
  const statements = async (feedId: string) =>
    Number(
      (
        await t.database.db
          .selectFrom('vulns_statements')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('dataset', 'in', datasetOf(feedId))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const findings = (assetId: string) =>
    t.database.db
      .selectFrom('vulns_findings')
      .select(['package', 'vuln', 'kev', 'lifecycle', 'priority_inputs'])
      .where('asset_id', '=', assetId)
      .orderBy('vuln')
      .execute();
  const upload = async (hostname: string) => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/vulns/inventory',
      headers: { ...agent, 'content-type': 'text/plain' },
      payload: agentUpload({ hostname, packages: BASE_PACKAGES }),
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json<UploadResult>();
  };
  const signals = (key: string) =>
    t.database.db
      .selectFrom('incidents_signals')
      .select(['status', 'severity', 'source'])
      .where('dedup_key', '=', key)
      .orderBy('received_at')
      .execute();

  it.skipIf(skip)(
    'imports a local tracker file, matches hosts, keeps the last good data on a malformed file, skips unchanged content',
    async () => {
      const file = join(t.testDb.dataDir, 'tracker.json');
      writeFileSync(file, trackerJson([OPENSSL, BASH_FIXED]));
      const f = await createFeed({ kind: 'debian-tracker', name: 'Debian tracker', path: file });
      expect(f).toMatchObject({ status: 'never', records: 0, stale: false });
      const r1 = await refresh(f.id);
      expect(r1).toMatchObject({ status: 'updated', records: 2 });
      expect(await statements(f.id)).toBe(2);
      const ok = await feed(f.id);
      expect(ok).toMatchObject({ status: 'ok', reason: null, records: 2, lastSuccessAt: t.clock.now().toISOString() });
      expect(ok.version).toBe(ok.contentHash?.slice(0, 12));
      expect(existsSync(join(t.testDb.dataDir, 'vulns', 'feeds', `${f.id}.json`))).toBe(true);

      // openssl 3.0.11 < 3.0.15 is affected; bash 5.2.15-2 >= 5.2.15-1 is not.
      const host = await upload('web-01');
      expect((await findings(host.assetId)).map((x) => `${x.package} ${x.vuln}`)).toEqual(['openssl CVE-2026-1001']);

      // A truncated document: the import rolls back, the feed shows the error and the last good version.
      writeFileSync(file, trackerJson([OPENSSL, BASH_FIXED, CURL]).slice(0, 200));
      const bad = await refresh(f.id);
      expect(bad.status).toBe('failed');
      expect(bad.reason).toMatch(/debian-tracker/);
      expect(await statements(f.id)).toBe(2);
      const failed = await feed(f.id);
      expect(failed).toMatchObject({ status: 'error', version: ok.version, records: 2, contentHash: ok.contentHash });
      expect(failed.reason).toBe(bad.reason);
      expect(failed.lastSuccessAt).toBe(ok.lastSuccessAt);
      expect(readFileSync(join(t.testDb.dataDir, 'vulns', 'feeds', `${f.id}.json`), 'utf8')).toBe(
        trackerJson([OPENSSL, BASH_FIXED]),
      );
      expect((await findings(host.assetId)).map((x) => x.vuln)).toEqual(['CVE-2026-1001']);

      // The same content as the data in force: not re-imported, but the check counts as a success.
      t.manualClock!.advance(3600_000);
      writeFileSync(file, trackerJson([OPENSSL, BASH_FIXED]));
      const same = await refresh(f.id);
      expect(same).toMatchObject({ status: 'unchanged', reason: 'same content', records: 2 });
      expect(await feed(f.id)).toMatchObject({ status: 'ok', reason: null, lastSuccessAt: t.clock.now().toISOString() });
      expect((await feed(f.id)).lastChangeAt).toBe(ok.lastChangeAt);
    },
  );

  it.skipIf(skip)(
    'a feed change re-evaluates existing assets without a new upload (new statement, new KEV entry), and exposure re-prioritises',
    async () => {
      const file = join(t.testDb.dataDir, 'tracker.json');
      writeFileSync(file, trackerJson([OPENSSL]));
      const tracker = await createFeed({ kind: 'debian-tracker', name: 'tracker', path: file });
      await refresh(tracker.id);
      const host = await upload('edge-01');
      expect((await findings(host.assetId)).map((x) => x.vuln)).toEqual(['CVE-2026-1001']);

      // A new tracker entry for curl reaches the host on the re-evaluation after the import.
      writeFileSync(file, trackerJson([OPENSSL, CURL]));
      expect((await refresh(tracker.id)).status).toBe('updated');
      expect((await findings(host.assetId)).map((x) => `${x.package} ${x.vuln}`)).toEqual([
        'openssl CVE-2026-1001',
        'curl CVE-2026-1003',
      ]);

      // Internet-facing: the asset's findings are re-prioritised with the new exposure.
      const put = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/vulns/assets/${host.assetId}`,
        headers: admin,
        payload: { name: 'edge-01', kind: 'host', exposure: 'internet', criticality: 'high' },
      });
      expect(put.statusCode, put.body).toBe(200);
      for (const x of await findings(host.assetId))
        expect(JSON.parse(x.priority_inputs)).toMatchObject({ exposure: 'internet', criticality: 'high' });

      // A KEV entry for the openssl CVE: the finding is marked KEV without a new upload.
      const kevFile = join(t.testDb.dataDir, 'kev.json');
      writeFileSync(kevFile, kevJson(['CVE-2026-1001']));
      const kev = await createFeed({ kind: 'kev', name: 'CISA KEV', path: kevFile });
      expect(await refresh(kev.id)).toMatchObject({ status: 'updated', records: 1, version: '2026.11.27' });
      const after = await findings(host.assetId);
      expect(after.find((x) => x.vuln === 'CVE-2026-1001')?.kev).toBe(1);
      expect(after.find((x) => x.vuln === 'CVE-2026-1003')?.kev).toBe(0);
      // …and, the host being internet-facing, the re-evaluation's sweep raises a signal for it (issue 5 item 12).
      const kevSignals = await t.database.db
        .selectFrom('incidents_signals')
        .select(['summary', 'status'])
        .where('source', '=', 'vulns')
        .where('summary', 'like', '%CVE-2026-1001%')
        .execute();
      expect(kevSignals.map((x) => x.status)).toContain('firing');

      // Removing the tracker feed takes its data out of force (deleted afterwards: see the datasets test).
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/vulns/feeds/${tracker.id}`, headers: admin });
      expect(del.statusCode).toBe(204);
      await afterRemoval();
      expect((await t.vulns.advisories.index(t.database.db)).stats().statements).toBe(0);
    },
  );

  it.skipIf(skip)('imports a source package with thousands of CVEs (more rows than one INSERT may bind)', async () => {
    // The real tracker's `linux` has thousands of entries per release; SQLite binds at most 32,766 variables.
    const entries: TrackerEntry[] = Array.from({ length: 3500 }, (_, i) => ({
      pkg: 'linux',
      cve: `CVE-2025-${String(10_000 + i)}`,
      fixed: '6.1.100-1',
    }));
    const file = join(t.testDb.dataDir, 'tracker-linux.json');
    writeFileSync(file, trackerJson(entries));
    const f = await createFeed({ kind: 'debian-tracker', name: 'Debian tracker', path: file });
    expect(await refresh(f.id)).toMatchObject({ status: 'updated', records: 3500 });
    expect(await statements(f.id)).toBe(3500);
  });

  it.skipIf(skip)(
    'an import writes a dataset beside the one in force in short transactions; replaced, failed, abandoned and removed data is deleted',
    async () => {
      const rowsOf = async (dataset: string) => {
        let n = 0;
        for (const table of FEED_DATA_TABLES) {
          const r = await t.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('dataset', '=', dataset)
            .executeTakeFirstOrThrow();
          n += Number(r.n);
        }
        return n;
      };
      const datasetNow = async (id: string) => (await datasetOf(id).executeTakeFirstOrThrow()).dataset;
      const registry = () => t.database.db.selectFrom('vulns_feed_datasets').select(['dataset', 'state']).execute();
      const linux = (from: number, n: number): TrackerEntry[] =>
        Array.from({ length: n }, (_, i) => ({ pkg: 'linux', cve: `CVE-2025-${String(from + i)}`, fixed: '6.1.100-1' }));

      const file = join(t.testDb.dataDir, 'tracker.json');
      writeFileSync(file, trackerJson(linux(10_000, 12_000)));
      const f = await createFeed({ kind: 'debian-tracker', name: 'Debian tracker', path: file });
      const initial = await datasetNow(f.id);
      expect(await refresh(f.id)).toMatchObject({ status: 'updated', records: 12_000 });
      const first = await datasetNow(f.id);
      expect(first).not.toBe(initial);
      expect(await rowsOf(first)).toBe(24_000); // 12,000 statements and their 12,000 vulnerabilities

      // While the next import writes its 24,000 rows, requests are answered between its transactions (on SQLite they
      // share the one connection): a feed list asked for once the import began comes back before the import ends.
      writeFileSync(file, trackerJson(linux(10_000, 12_001)));
      let importDone = false;
      const running = refresh(f.id).then((r) => ((importDone = true), r));
      for (let i = 0; i < 500 && (await registry()).every((d) => d.state !== 'staging'); i++)
        await new Promise((r) => setTimeout(r, 2));
      const during = await t.app.inject({ method: 'GET', url: '/api/v1/vulns/feeds', headers: admin });
      expect(during.statusCode).toBe(200);
      expect(importDone).toBe(false);
      // …and still shows the data in force: the feed points at the new dataset only when it is complete.
      expect(during.json<{ items: FeedView[] }>().items.find((x) => x.id === f.id)?.records).toBe(12_000);
      expect(await running).toMatchObject({ status: 'updated', records: 12_001 });
      const second = await datasetNow(f.id);
      expect(second).not.toBe(first);
      // The re-evaluation over, the replaced dataset is deleted and nothing is left to delete.
      expect(await rowsOf(first)).toBe(0);
      expect(await rowsOf(second)).toBe(24_002);
      expect(await registry()).toEqual([]);

      // A document that breaks after 12,000 good entries: what was written is deleted, the data in force stays.
      writeFileSync(file, trackerJson(linux(20_000, 12_000)).slice(0, -2000));
      expect((await refresh(f.id)).status).toBe('failed');
      await t.vulns.feeds.purgeDatasets();
      expect(await datasetNow(f.id)).toBe(second);
      expect(await rowsOf(second)).toBe(24_002);
      const total = await t.database.db
        .selectFrom('vulns_statements')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(total.n)).toBe(12_001);
      expect(await registry()).toEqual([]);

      // An import still writing after an hour is taken for abandoned: its rows go, and it does not swap them in.
      writeFileSync(file, trackerJson(linux(30_000, 30_000)));
      const slow = refresh(f.id);
      for (let i = 0; i < 500 && (await registry()).every((d) => d.state !== 'staging'); i++)
        await new Promise((r) => setTimeout(r, 2));
      t.manualClock!.advance(2 * 3_600_000);
      await t.vulns.feeds.purgeDatasets();
      const late = await slow;
      expect(late.status).toBe('failed');
      expect(late.reason).toBe('the import ran so long that its data was deleted as abandoned');
      expect(await datasetNow(f.id)).toBe(second);
      await t.vulns.feeds.purgeDatasets();
      expect(await registry()).toEqual([]);

      // An import a crash cut short: its dataset is deleted once it is an hour old, not while it may still be written.
      const now = t.clock.now().getTime();
      const crashed = [
        { dataset: 'crashed-import', created_at: new Date(now - 2 * 3_600_000).toISOString() },
        { dataset: 'import-in-progress', created_at: new Date(now - 60_000).toISOString() },
      ];
      for (const c of crashed) {
        await t.database.db
          .insertInto('vulns_feed_datasets')
          .values({ ...c, feed_id: f.id, state: 'staging' })
          .execute();
        await t.database.db
          .insertInto('vulns_epss')
          .values({ dataset: c.dataset, cve: 'CVE-2026-0001', epss: 0.5, percentile: 0.9 })
          .execute();
      }
      expect(await t.vulns.feeds.purgeDatasets()).toBe(1);
      expect(await rowsOf('crashed-import')).toBe(0);
      expect(await rowsOf('import-in-progress')).toBe(1);
      expect((await registry()).map((d) => d.dataset)).toEqual(['import-in-progress']);

      // A removed feed's data is out of force at once and deleted after the re-evaluation.
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/vulns/feeds/${f.id}`, headers: admin });
      expect(del.statusCode).toBe(204);
      await afterRemoval();
      expect((await t.vulns.advisories.index(t.database.db)).stats().statements).toBe(0);
      expect(await rowsOf(second)).toBe(0);
      expect(await registry()).toEqual([{ dataset: 'import-in-progress', state: 'staging' }]);
    },
    60_000,
  );

  it.skipIf(skip)('raises a stale-feed signal once after feedStaleHours without a good check, resolved when fresh', async () => {
    const file = join(t.testDb.dataDir, 'kev.json');
    writeFileSync(file, kevJson(['CVE-2026-2001']));
    const f = await createFeed({ kind: 'kev', name: 'kev', path: file });
    await refresh(f.id);
    expect(await t.vulns.feeds.checkStale()).toEqual({ raised: 0, resolved: 0 });
    t.manualClock!.advance(25 * 3600_000);
    expect((await feed(f.id)).stale).toBe(true);
    expect(await t.vulns.feeds.checkStale()).toEqual({ raised: 1, resolved: 0 });
    expect(await t.vulns.feeds.checkStale()).toEqual({ raised: 0, resolved: 0 });
    expect(await signals(`vulns:feed-stale:${f.id}`)).toEqual([{ status: 'firing', severity: 'minor', source: 'vulns' }]);
    // A failing check keeps it stale; a good one (even unchanged) resolves it.
    writeFileSync(file, '{"not": "a catalog"}');
    expect((await refresh(f.id)).status).toBe('failed');
    expect((await signals(`vulns:feed-stale:${f.id}`)).map((s) => s.status)).toEqual(['firing']);
    writeFileSync(file, kevJson(['CVE-2026-2001']));
    expect((await refresh(f.id)).status).toBe('unchanged');
    expect((await signals(`vulns:feed-stale:${f.id}`)).map((s) => s.status)).toEqual(['firing', 'resolved']);
    expect((await feed(f.id)).stale).toBe(false);
  });

  it.skipIf(skip)('imports the shipped DSA, DLA, EPSS (gzip) and OSV samples', async () => {
    const cases = [
      { kind: 'debian-dsa', file: 'dsa-list', table: 'vulns_debian_advisories' },
      { kind: 'debian-dla', file: 'dla-list', table: 'vulns_debian_advisories' },
      { kind: 'epss', file: 'epss_scores.csv.gz', table: 'vulns_epss' },
      { kind: 'osv', file: 'osv/GHSA-35jh-r3h4-6jhm.json', table: 'vulns_statements' },
    ] as const;
    for (const c of cases) {
      const f = await createFeed({ kind: c.kind, name: c.kind, path: join(FIXTURES, c.file) });
      const r = await refresh(f.id);
      expect({ kind: c.kind, status: r.status, reason: r.reason }).toEqual({
        kind: c.kind,
        status: 'updated',
        reason: undefined,
      });
      const n = await t.database.db
        .selectFrom(c.table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('dataset', 'in', datasetOf(f.id))
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(r.records);
      expect(r.records).toBeGreaterThan(0);
      if (c.kind === 'epss') expect(r.version).toMatch(/^\d{4}-\d\d-\d\d$/);
    }
    const index = await t.vulns.advisories.index(t.database.db);
    expect(index.stats().epss).toBeGreaterThan(0);
    expect(index.stats().statements).toBeGreaterThan(0);
  });

  it.skipIf(skip)('refuses feed definitions that are not https or not absolute paths', async () => {
    for (const payload of [
      { kind: 'kev', name: 'x', url: 'http://example.org/kev.json' },
      { kind: 'kev', name: 'x', path: 'relative/kev.json' },
      { kind: 'kev', name: 'x' },
      { kind: 'kev', name: 'x', url: 'https://example.org/kev.json', path: '/tmp/kev.json' },
      { kind: 'nvd', name: 'x', url: 'https://example.org/kev.json' },
    ]) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/vulns/feeds', headers: admin, payload });
      expect({ payload, status: r.statusCode }).toEqual({ payload, status: 400 });
    }
  });

  it.skipIf(skip)('fetches over HTTPS with a conditional GET: 304 and an unchanged hash are not re-imported', async () => {
    const rx = await startHttpReceiver({ tls: true });
    try {
      const feeds = new VulnsFeedsService({
        database: t.database,
        clock: t.clock,
        log: t.log,
        signals: t.incidents.sink,
        downloader: new FeedDownloader({ ca: rx.ca, timeoutMs: 5000 }),
        dataDir: t.testDb.dataDir,
        feedStaleHours: 24,
        onChange: () => {
          t.vulns.advisories.invalidate();
          return Promise.resolve();
        },
      });
      const f = await createFeed({ kind: 'kev', name: 'kev over https', url: `${rx.url}/kev.json` });
      const body = kevJson(['CVE-2026-3001', 'CVE-2026-3002']);
      rx.respondWith(200, body, 1, { etag: '"v1"', 'last-modified': 'Wed, 25 Nov 2026 10:00:00 GMT' });
      expect(await feeds.refresh(f.id)).toMatchObject({ status: 'updated', records: 2 });
      expect(rx.requests[0]?.headers['if-none-match']).toBeUndefined();

      rx.respondWith(304, '', 1);
      expect(await feeds.refresh(f.id)).toMatchObject({ status: 'unchanged', reason: 'not modified', records: 2 });
      expect(rx.requests[1]?.headers['if-none-match']).toBe('"v1"');
      expect(rx.requests[1]?.headers['if-modified-since']).toBe('Wed, 25 Nov 2026 10:00:00 GMT');

      // The server ignores the validators and sends the same bytes: the hash says unchanged.
      rx.respondWith(200, body, 1, { etag: '"v2"' });
      expect(await feeds.refresh(f.id)).toMatchObject({ status: 'unchanged', reason: 'same content' });
      rx.respondWith(304, '', 1);
      await feeds.refresh(f.id);
      expect(rx.requests[3]?.headers['if-none-match']).toBe('"v2"');

      // A redirect to plain http is refused; the data in force stays.
      rx.respondWith(302, '', 1, { location: 'http://127.0.0.1:9/kev.json' });
      const down = await feeds.refresh(f.id);
      expect(down.status).toBe('failed');
      expect(down.reason).toMatch(/https only/);
      expect(await feed(f.id)).toMatchObject({ status: 'error', records: 2 });

      // Without trusting the test CA the certificate is refused.
      const strict = new VulnsFeedsService({
        database: t.database,
        clock: t.clock,
        log: t.log,
        signals: t.incidents.sink,
        downloader: new FeedDownloader({ timeoutMs: 5000 }),
        dataDir: t.testDb.dataDir,
        feedStaleHours: 24,
        onChange: () => Promise.resolve(),
      });
      rx.respondWith(200, kevJson(['CVE-2026-3003']), 1);
      const refused = await strict.refresh(f.id);
      expect(refused.status).toBe('failed');
      expect(refused.reason).toMatch(/certificate/i);
      const kev = await t.database.db
        .selectFrom('vulns_kev')
        .select('cve')
        .where('dataset', 'in', datasetOf(f.id))
        .orderBy('cve')
        .execute();
      expect(kev.map((k) => k.cve)).toEqual(['CVE-2026-3001', 'CVE-2026-3002']);
    } finally {
      await rx.close();
    }
  });
});
