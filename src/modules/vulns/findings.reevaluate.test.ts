import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, openTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import type { AuditRecorder } from '../../core/audit.ts';
import { feedBody } from './api/vulns.schemas.ts';
import { parseAgentUpload } from './inventory.service.ts';
import { agentUpload, kevJson, trackerJson, type TestPackage, type TrackerEntry } from './vulns.test-data.ts';

const recorder: AuditRecorder = { target: () => undefined, change: () => undefined };
const HOUR = 3_600_000;

const OPENSSL: TestPackage[] = [
  { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
  { name: 'openssl', version: '3.0.11-1~deb12u1' },
];
const CURL: TestPackage[] = [
  { name: 'curl', version: '7.88.1-10+deb12u5' },
  { name: 'libcurl4', version: '7.88.1-10+deb12u5', source: 'curl' },
];
const NGINX: TestPackage[] = [{ name: 'nginx', version: '1.22.1-9' }];

const DAY_ONE: TrackerEntry[] = [
  { pkg: 'openssl', cve: 'CVE-2024-2001', fixed: '3.0.11-1~deb12u2' },
  { pkg: 'curl', cve: 'CVE-2024-2002', status: 'open', urgency: 'low' },
  { pkg: 'nginx', cve: 'CVE-2024-2003', fixed: '1.22.1-9+deb12u1', urgency: 'medium' },
];
// The next day: Debian now says the installed openssl backport already fixes CVE-2024-2001, and nginx has a new
// CVE. Nothing about curl changed.
const DAY_TWO: TrackerEntry[] = [
  { pkg: 'openssl', cve: 'CVE-2024-2001', fixed: '3.0.11-1~deb12u1' },
  { pkg: 'curl', cve: 'CVE-2024-2002', status: 'open', urgency: 'low' },
  { pkg: 'nginx', cve: 'CVE-2024-2003', fixed: '1.22.1-9+deb12u1', urgency: 'medium' },
  { pkg: 'nginx', cve: 'CVE-2024-2004', fixed: '1.22.1-9+deb12u2' },
];

describe.each(DIALECTS)('fleet re-evaluation after a feed change on $dialect', ({ dialect, skip }) => {
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

  const rows = async (host: string) =>
    (
      await t.database.db
        .selectFrom('vulns_findings as f')
        .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
        .selectAll('f')
        .where('a.name', '=', host)
        .orderBy('f.vuln')
        .execute()
    ).map((r) => ({ ...r, kev: Number(r.kev), priority_score: Number(r.priority_score) }));

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ROLES: 'api' } });
    clock = t.manualClock as NonNullable<TestApp['manualClock']>;
    clock.set('2026-11-27T08:00:00.000Z');
    feedDir = join(t.testDb.dataDir, 'feed-sources');
    mkdirSync(feedDir, { recursive: true });
    await importFeed('debian-tracker', trackerJson(DAY_ONE));
    await importFeed('kev', kevJson([]));
    const hosts: [string, TestPackage[]][] = [
      ['both-01', [...OPENSSL, ...CURL]],
      ['curl-01', CURL],
      ['nginx-01', NGINX],
    ];
    for (const [host, packages] of hosts)
      await tx((db) =>
        t.vulns.inventory.recordHostReport(db, parseAgentUpload(agentUpload({ hostname: host, packages })), 'test', recorder),
      );
  }, 60_000);
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)(
    'a tracker change re-matches only the hosts with a changed package, with the same outcome as a full match',
    async () => {
      const curlBefore = await rows('curl-01');
      expect(curlBefore.map((r) => r.vuln)).toEqual(['CVE-2024-2002']);
      const bothBefore = await rows('both-01');
      expect(bothBefore.map((r) => `${r.vuln} ${r.lifecycle}`)).toEqual(['CVE-2024-2001 open', 'CVE-2024-2002 open']);

      clock.advance(HOUR);
      await importFeed('debian-tracker', trackerJson(DAY_TWO));
      const run = t.vulns.findings.lastReevaluation;
      expect(run).toMatchObject({ assets: 3, ok: 3, failed: [], changedPackages: 2, rematched: 2 });
      expect(run?.totals).toMatchObject({ detected: 1, resolved: 1, reopened: 0 });

      // The advisory changed, not the host: resolved with that reason; curl's finding on the same host untouched.
      const both = await rows('both-01');
      expect(both.map((r) => `${r.vuln} ${r.lifecycle}`)).toEqual(['CVE-2024-2001 verified_resolved', 'CVE-2024-2002 open']);
      const resolved = both[0] as (typeof both)[number];
      const events = await t.database.db
        .selectFrom('vulns_finding_events')
        .select(['kind', 'detail'])
        .where('finding_id', '=', resolved.id)
        .orderBy('at')
        .orderBy('id')
        .execute();
      expect(events.at(-1)).toMatchObject({ kind: 'verified_resolved' });
      expect(events.at(-1)?.detail).toMatch(/the advisory changed, not the host/);
      expect(both[1]).toEqual(bothBefore[1]);
      // nginx's new CVE is opened; curl-01 was not worked on at all.
      expect((await rows('nginx-01')).map((r) => `${r.vuln} ${r.lifecycle}`)).toEqual([
        'CVE-2024-2003 open',
        'CVE-2024-2004 open',
      ]);
      expect(await rows('curl-01')).toEqual(curlBefore);

      // A full match of every host (the same index again) finds nothing left to change.
      const full = await t.vulns.findings.reevaluateAll();
      expect(full).toMatchObject({ changedPackages: null, rematched: 3, failed: [] });
      expect(full.totals).toMatchObject({ detected: 0, updated: 0, resolved: 0, reopened: 0, patchedOnDisk: 0 });
    },
  );

  it.skipIf(skip)('a KEV change re-prices the findings of its CVEs on every host that has them, and only those', async () => {
    const nginxBefore = await rows('nginx-01');
    const indexBefore = await t.vulns.advisories.index(t.database.db);
    clock.advance(HOUR);
    await importFeed('kev', kevJson(['CVE-2024-2002']));
    // Only KEV changed: the new index holds the statements already read (the same objects), with the new catalog.
    const indexAfter = await t.vulns.advisories.index(t.database.db);
    expect(indexAfter).not.toBe(indexBefore);
    expect(indexAfter.meta('CVE-2024-2002')).toBe(indexBefore.meta('CVE-2024-2002'));
    expect(indexAfter.exploitation('CVE-2024-2002').kev?.cve).toBe('CVE-2024-2002');
    expect(indexBefore.exploitation('CVE-2024-2002').kev).toBeUndefined();
    const run = t.vulns.findings.lastReevaluation;
    // curl's statement list changed (one of its CVEs is now in KEV): the two hosts with curl, not the nginx host.
    expect(run).toMatchObject({ changedPackages: 1, rematched: 2, failed: [] });
    expect(run?.totals).toMatchObject({ updated: 2, detected: 0, resolved: 0 });
    for (const host of ['both-01', 'curl-01']) {
      const curl = (await rows(host)).find((r) => r.vuln === 'CVE-2024-2002');
      expect(curl).toMatchObject({ kev: 1, priority: 'critical', updated_at: clock.now().toISOString() });
      const kinds = await t.database.db
        .selectFrom('vulns_finding_events')
        .select('kind')
        .where('finding_id', '=', curl?.id as string)
        .execute();
      expect(kinds.map((k) => k.kind)).toContain('kev_added');
    }
    expect(await rows('nginx-01')).toEqual(nginxBefore);

    const full = await t.vulns.findings.reevaluateAll();
    expect(full.totals).toMatchObject({ detected: 0, updated: 0, resolved: 0, reopened: 0, patchedOnDisk: 0 });
  });

  it.skipIf(skip)('a re-import of the same data touches no host', async () => {
    const before = await Promise.all(['both-01', 'curl-01', 'nginx-01'].map(rows));
    clock.advance(HOUR);
    const indexBefore = await t.vulns.advisories.index(t.database.db);
    await importFeed('debian-tracker', trackerJson(DAY_TWO).replace('{', '{ '));
    // A tracker import (new content) reads the statements again.
    expect((await t.vulns.advisories.index(t.database.db)).meta('CVE-2024-2002')).not.toBe(indexBefore.meta('CVE-2024-2002'));
    expect(t.vulns.findings.lastReevaluation).toMatchObject({ changedPackages: 0, rematched: 0, failed: [] });
    expect(await Promise.all(['both-01', 'curl-01', 'nginx-01'].map(rows))).toEqual(before);
  });

  it.skipIf(skip)('after a restart the kept baseline still limits a feed change to what changed', async () => {
    const kept = await t.database.db.selectFrom('vulns_fleet_baseline').selectAll().executeTakeFirstOrThrow();
    expect(kept.retry).toBe('[]');
    await t.close();
    // The same database, a new process: nothing in memory of the last run.
    t = await openTestApp(t.testDb, { manualClock: true, env: { SKJOLD_ROLES: 'api' } });
    clock = t.manualClock as NonNullable<TestApp['manualClock']>;
    clock.set('2026-11-27T14:00:00.000Z');
    expect(await t.vulns.findings.behindFeeds()).toBe(false);
    const curlBefore = await rows('curl-01');
    await importFeed(
      'debian-tracker',
      trackerJson([...DAY_TWO, { pkg: 'nginx', cve: 'CVE-2024-2005', fixed: '1.22.1-9+deb12u3' }]),
    );
    expect(t.vulns.findings.lastReevaluation).toMatchObject({ changedPackages: 1, rematched: 1, failed: [] });
    expect(t.vulns.findings.lastReevaluation?.totals).toMatchObject({ detected: 1, updated: 0, resolved: 0 });
    expect((await rows('nginx-01')).map((r) => r.vuln)).toEqual(['CVE-2024-2003', 'CVE-2024-2004', 'CVE-2024-2005']);
    expect(await rows('curl-01')).toEqual(curlBefore);
  });

  it.skipIf(skip)('a start after an import whose re-evaluation never ran catches the fleet up first', async () => {
    // As a stop between the import's commit and the end of its re-evaluation leaves it: the kept baseline names the
    // feed versions of the day before.
    await t.database.db.updateTable('vulns_fleet_baseline').set({ feed_versions: '{}' }).execute();
    expect(await t.vulns.findings.behindFeeds()).toBe(true);
    await t.close();
    t = await openTestApp(t.testDb, { manualClock: true, env: { SKJOLD_ROLES: 'api,engine' } });
    (t.manualClock as NonNullable<TestApp['manualClock']>).set('2026-11-27T15:00:00.000Z');
    await t.vulns.idle();
    // The index's lists equal the kept prints: the catch-up run compares, re-matches nothing, and records the versions.
    expect(t.vulns.findings.lastReevaluation).toMatchObject({ changedPackages: 0, rematched: 0, failed: [] });
    expect(await t.vulns.findings.behindFeeds()).toBe(false);
  });

  it.skipIf(skip)(
    'an asset that cannot be re-evaluated is named, the others in its batch commit, and it is retried whole',
    async () => {
      await tx((db) =>
        t.vulns.inventory.recordHostReport(
          db,
          parseAgentUpload(agentUpload({ hostname: 'bad-01', packages: NGINX })),
          'test',
          recorder,
        ),
      );
      const bad = await t.database.db
        .selectFrom('vulns_assets')
        .select(['id', 'last_snapshot_id'])
        .where('name', '=', 'bad-01')
        .executeTakeFirstOrThrow();
      const snapshot = bad.last_snapshot_id as string;
      const good = await t.database.db
        .selectFrom('vulns_snapshots')
        .select('packages')
        .where('id', '=', snapshot)
        .executeTakeFirstOrThrow();
      // Its stored package list is damaged: reading it fails.
      await t.database.db.updateTable('vulns_snapshots').set({ packages: 'bm90IGd6aXA=' }).where('id', '=', snapshot).execute();
      const dayThree = [...DAY_TWO, { pkg: 'nginx', cve: 'CVE-2024-2005', fixed: '1.22.1-9+deb12u3' }];
      await importFeed(
        'debian-tracker',
        trackerJson([...dayThree, { pkg: 'nginx', cve: 'CVE-2024-2006', fixed: '1.22.1-9+deb12u4' }]),
      );
      const run = t.vulns.findings.lastReevaluation;
      expect(run?.failed).toEqual([{ assetId: bad.id, reason: expect.any(String) as string }]);
      expect(run).toMatchObject({ assets: 4, ok: 3 });
      // nginx-01, in the same batch, committed its new finding; bad-01 kept what its upload made.
      expect((await rows('nginx-01')).map((r) => r.vuln)).toContain('CVE-2024-2006');
      expect((await rows('bad-01')).map((r) => r.vuln)).not.toContain('CVE-2024-2006');
      expect(await t.vulns.findings.behindFeeds()).toBe(true);

      // Repaired, the next feed change matches it whole (not only the changed lists) and brings it in line.
      await t.database.db.updateTable('vulns_snapshots').set({ packages: good.packages }).where('id', '=', snapshot).execute();
      await importFeed('debian-tracker', trackerJson(dayThree));
      expect(t.vulns.findings.lastReevaluation).toMatchObject({ assets: 4, ok: 4, failed: [] });
      expect((await rows('bad-01')).map((r) => `${r.vuln} ${r.lifecycle}`)).toEqual([
        'CVE-2024-2003 open',
        'CVE-2024-2004 open',
        'CVE-2024-2005 open',
      ]);
      expect((await rows('nginx-01')).find((r) => r.vuln === 'CVE-2024-2006')?.lifecycle).toBe('verified_resolved');
      expect(await t.vulns.findings.behindFeeds()).toBe(false);
    },
  );
});
