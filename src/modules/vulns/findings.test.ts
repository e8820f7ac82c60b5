import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AuditRecorder } from '../../core/audit.ts';
import { AppError } from '../../core/errors.ts';
import { assetBody, feedBody } from './api/vulns.schemas.ts';
import { findingsQuery, triageBody } from './api/findings.schemas.ts';
import type { FindingView } from './findings.store.ts';
import { parseAgentUpload } from './inventory.service.ts';
import { cycloneDxVexSchema, openVexSchema } from './policy/vex.schema.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = '2026-03-02T08:00:00.000Z';
const recorder: AuditRecorder = { target: () => undefined, change: () => undefined };

/** A Debian security tracker document for bookworm: package → CVE → [status, fixed_version, urgency]. */
function tracker(entries: Record<string, Record<string, [string, string | null, string]>>): string {
  const doc: Record<string, Record<string, unknown>> = {};
  for (const [pkg, cves] of Object.entries(entries)) {
    doc[pkg] = {};
    for (const [cve, [status, fixed, urgency]] of Object.entries(cves))
      doc[pkg][cve] = {
        description: `${cve} in ${pkg}`,
        scope: 'remote',
        releases: { bookworm: { status, repositories: {}, ...(fixed === null ? {} : { fixed_version: fixed }), urgency } },
      };
  }
  return JSON.stringify(doc, null, 1);
}

const BASE_TRACKER = {
  openssl: {
    'CVE-2024-1001': ['resolved', '3.0.11-1~deb12u2', 'high'],
    // Fixed by the Debian backport already installed: must never be reported.
    'CVE-2024-1002': ['resolved', '3.0.11-1~deb12u1', 'high'],
  },
  linux: { 'CVE-2024-1003': ['resolved', '6.1.76-1', 'medium'] },
  curl: { 'CVE-2024-1004': ['open', null, 'low'] },
  nginx: { 'CVE-2024-1005': ['resolved', '1.22.1-9+deb12u1', 'medium'] },
} satisfies Record<string, Record<string, [string, string | null, string]>>;

function kevDocument(cves: string[]): string {
  return JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: '2026.03.01',
    dateReleased: '2026-03-01T17:00:00.0000Z',
    count: cves.length,
    vulnerabilities: cves.map((cve) => ({
      cveID: cve,
      vendorProject: 'F5',
      product: 'nginx',
      vulnerabilityName: 'nginx test vulnerability',
      dateAdded: '2026-03-01',
      shortDescription: 'test',
      requiredAction: 'Apply updates per vendor instructions.',
      dueDate: '2026-03-22',
      knownRansomwareCampaignUse: 'Unknown',
      notes: '',
      cwes: [],
    })),
  });
}

const EPSS =
  '#model_version:v2025.03.14,score_date:2026-03-01T00:00:00+0000\ncve,epss,percentile\nCVE-2024-1001,0.20000,0.90000\n';

interface Pkg {
  name: string;
  version: string;
  source: string;
  sourceVersion?: string;
}
const OPENSSL_OLD: Pkg[] = [
  { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
  { name: 'openssl', version: '3.0.11-1~deb12u1', source: 'openssl' },
];
const OPENSSL_NEW: Pkg[] = [
  { name: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl' },
  { name: 'openssl', version: '3.0.11-1~deb12u2', source: 'openssl' },
];
const KERNEL_17: Pkg = { name: 'linux-image-6.1.0-17-amd64', version: '6.1.69-1', source: 'linux' };
const KERNEL_18: Pkg = { name: 'linux-image-6.1.0-18-amd64', version: '6.1.76-1', source: 'linux' };
const CURL: Pkg[] = [
  { name: 'curl', version: '7.88.1-10+deb12u5', source: 'curl' },
  { name: 'libcurl4', version: '7.88.1-10+deb12u5', source: 'curl' },
];
const NGINX_OLD: Pkg = { name: 'nginx', version: '1.22.1-9', source: 'nginx' };

/** The host agent's upload, as `agent/skjold-vulns-agent.sh` writes it. */
function agentUpload(host: string, packages: Pkg[], o: { uname?: string; reboot?: boolean } = {}): string {
  return [
    'skjold-inventory 1',
    `hostname ${host}`,
    `uname-r ${o.uname ?? '6.1.0-17-amd64'}`,
    `reboot-required ${o.reboot ? 'yes' : 'no'}`,
    '[os-release]',
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    '[dpkg]',
    ...packages.map((p) => `${p.name}\t${p.version}\t${p.source}\t${p.sourceVersion ?? p.version}\tinstall ok installed`),
    '',
  ].join('\n');
}

describe.each(DIALECTS)('vulnerability findings on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let clock: NonNullable<TestApp['manualClock']>;
  let feedDir: string;
  const feeds: Record<string, string> = {};

  const tx = <T>(fn: (db: TestApp['database']['db']) => Promise<T>): Promise<T> => t.database.db.transaction().execute(fn);

  async function importFeed(kind: 'debian-tracker' | 'kev' | 'epss', content: string): Promise<void> {
    const file = join(
      feedDir,
      `${kind}-${Date.now()}-${Math.random().toString(36).slice(2)}.${kind === 'epss' ? 'csv' : 'json'}`,
    );
    writeFileSync(file, content);
    let id = feeds[kind];
    if (id === undefined) {
      const created = await tx((db) => t.vulns.feeds.create(db, feedBody.parse({ kind, name: kind, path: file }), recorder));
      id = feeds[kind] = created.id;
    } else {
      const f = feedBody.parse({ kind, name: kind, path: file });
      await tx((db) => t.vulns.feeds.update(db, id as string, f, recorder));
    }
    const r = await t.vulns.feeds.refresh(id);
    expect(r.status, JSON.stringify(r)).not.toBe('failed');
    // The import re-evaluates the fleet in the background: wait for it.
    await t.vulns.idle();
  }

  async function upload(host: string, packages: Pkg[], o: { uname?: string; reboot?: boolean } = {}): Promise<void> {
    await tx((db) => t.vulns.inventory.recordHostReport(db, parseAgentUpload(agentUpload(host, packages, o)), 'test', recorder));
  }

  async function createAsset(name: string, o: { exposure?: string; operatedBy?: string } = {}): Promise<string> {
    const a = await tx((db) => t.vulns.assets.create(db, assetBody.parse({ name, ...o }), recorder));
    return a.id;
  }

  async function findingsOf(host: string): Promise<FindingView[]> {
    const asset = await t.database.db.selectFrom('vulns_assets').select('id').where('name', '=', host).executeTakeFirstOrThrow();
    const page = await t.vulns.findings.list(
      t.database.db,
      findingsQuery.parse({ view: 'all', asset: asset.id, operatedBy: undefined, limit: '500' }),
    );
    const customer = await t.vulns.findings.list(
      t.database.db,
      findingsQuery.parse({ view: 'all', asset: asset.id, operatedBy: 'customer', limit: '500' }),
    );
    return [...page.items, ...customer.items];
  }

  const one = async (host: string, vuln: string): Promise<FindingView> => {
    const f = (await findingsOf(host)).find((x) => x.vuln === vuln);
    if (!f) throw new Error(`no finding ${vuln} on ${host}`);
    return f;
  };

  const signalsOf = (key: string) =>
    t.database.db
      .selectFrom('incidents_signals')
      .select(['severity', 'summary', 'incident_id'])
      .where('dedup_key', '=', key)
      .orderBy('occurred_at')
      .execute();

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true, env: { SKJOLD_ROLES: 'api' } });
    clock = t.manualClock as NonNullable<TestApp['manualClock']>;
    clock.set(START);
    feedDir = join(t.testDb.dataDir, 'feed-sources');
    mkdirSync(feedDir, { recursive: true });
    await importFeed('debian-tracker', tracker(BASE_TRACKER));
    await importFeed('epss', EPSS);
  }, 60_000);
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)(
    'one finding per (asset, source package, vulnerability) with its binaries; backported fixes are not reported',
    async () => {
      await upload('web-01', [...OPENSSL_OLD, KERNEL_17, ...CURL, NGINX_OLD]);
      const all = await findingsOf('web-01');
      expect(all.map((f) => `${f.package} ${f.vuln}`).sort()).toEqual([
        'curl CVE-2024-1004',
        'linux CVE-2024-1003',
        'nginx CVE-2024-1005',
        'openssl CVE-2024-1001',
      ]);
      const openssl = await one('web-01', 'CVE-2024-1001');
      expect(openssl.binaries.map((b) => b.name).sort()).toEqual(['libssl3', 'openssl']);
      expect(openssl).toMatchObject({
        installedVersion: '3.0.11-1~deb12u1',
        fixedVersion: '3.0.11-1~deb12u2',
        vendorStatus: 'fixed',
        lifecycle: 'open',
        triage: { state: 'in_triage' },
        firstDetectedAt: START,
        fixAvailableAt: START,
        inForce: 'vulnerable',
      });
      // Vendor high on a host of unknown exposure (treated as internet-facing) → critical, 7-day SLA; EPSS kept with its feed version.
      expect(openssl.priority).toBe('critical');
      expect(openssl.sla.dueAt).toBe(new Date(Date.parse(START) + 7 * DAY).toISOString());
      const detail = await t.vulns.findings.get(t.database.db, openssl.id);
      expect(detail.priorityInputs?.epss).toEqual({ score: 0.2, percentile: 0.9, feedVersion: expect.any(String) as string });
      expect(detail.priorityInputs?.advisoryFeedVersion).toEqual(expect.any(String));
      expect(detail.history.map((e) => e.kind)).toEqual(['detected']);
      expect(detail.statement).toMatchObject({ source: 'debian-tracker', status: 'fixed', fixedVersion: '3.0.11-1~deb12u2' });

      // The default view shows what needs action and counts the rest (curl: no fix yet), never dropping it.
      const asset = openssl.asset.id;
      const view = await t.vulns.findings.list(t.database.db, findingsQuery.parse({ asset }));
      expect(view.items.map((f) => f.vuln).sort()).toEqual(['CVE-2024-1001', 'CVE-2024-1003', 'CVE-2024-1005']);
      expect(view.outside).toMatchObject({ total: 1, byVendorStatus: { no_fix: 1 }, byTriage: { in_triage: 1 } });
      // Sorted by priority score, then SLA due.
      const scores = view.items.map((f) => f.priorityScore);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      // Paging: one at a time walks the same list.
      const first = await t.vulns.findings.list(t.database.db, findingsQuery.parse({ asset, limit: '2' }));
      const second = await t.vulns.findings.list(
        t.database.db,
        findingsQuery.parse({ asset, limit: '2', cursor: first.nextCursor ?? undefined }),
      );
      expect([...first.items, ...second.items].map((f) => f.id)).toEqual(view.items.map((f) => f.id));
      expect(second.nextCursor).toBeNull();
    },
  );

  it.skipIf(skip)(
    'a fixed kernel installed but not booted is patched on disk; verified resolved once a later inventory shows it running',
    async () => {
      clock.advance(HOUR);
      const patchedAt = clock.now().toISOString();
      // New kernel and openssl installed, not rebooted, services still running the old library.
      await upload('web-01', [...OPENSSL_NEW, KERNEL_17, KERNEL_18, ...CURL, NGINX_OLD], { reboot: true });
      const kernel = await one('web-01', 'CVE-2024-1003');
      expect(kernel).toMatchObject({ lifecycle: 'patched_on_disk', inForce: 'on_disk', patchedAt, inForceAt: null });
      expect(kernel.status).toBe('patched on disk, not in force');
      const openssl = await one('web-01', 'CVE-2024-1001');
      expect(openssl).toMatchObject({ lifecycle: 'patched_on_disk', patchedAt, inForceAt: null });
      // Untouched findings are not rewritten by a new snapshot beyond their last-seen time.
      expect((await one('web-01', 'CVE-2024-1005')).lifecycle).toBe('open');

      clock.advance(HOUR);
      const bootedAt = clock.now().toISOString();
      await upload('web-01', [...OPENSSL_NEW, KERNEL_18, ...CURL, NGINX_OLD], { uname: '6.1.0-18-amd64' });
      for (const vuln of ['CVE-2024-1003', 'CVE-2024-1001']) {
        const f = await one('web-01', vuln);
        expect(f, vuln).toMatchObject({
          lifecycle: 'verified_resolved',
          patchedAt,
          inForceAt: bootedAt,
          status: 'verified resolved',
        });
      }
      const history = (await t.vulns.findings.get(t.database.db, kernel.id)).history;
      expect(history.map((e) => e.kind)).toEqual(['detected', 'patched_on_disk', 'verified_resolved']);
      expect(history[2]?.detail).toMatch(/6\.1\.76-1 is installed \(was 6\.1\.69-1\); the fix is in force/);

      // Downgraded again: the verified-resolved finding reopens as a new episode.
      clock.advance(HOUR);
      await upload('web-01', [...OPENSSL_OLD, KERNEL_18, ...CURL, NGINX_OLD], { uname: '6.1.0-18-amd64' });
      const reopened = await one('web-01', 'CVE-2024-1001');
      expect(reopened).toMatchObject({
        lifecycle: 'open',
        patchedAt: null,
        inForceAt: null,
        firstDetectedAt: clock.now().toISOString(),
      });
      expect((await t.vulns.findings.get(t.database.db, reopened.id)).history.at(-1)?.kind).toBe('reopened');
    },
  );

  it.skipIf(skip)('triage survives a re-scan and a feed re-import; an advisory change resolves with its reason', async () => {
    await upload('db-01', [...OPENSSL_OLD, ...CURL, NGINX_OLD]);
    const curl = await one('db-01', 'CVE-2024-1004');
    const nginx = await one('db-01', 'CVE-2024-1005');
    await tx((db) =>
      t.vulns.findings.triage(
        db,
        curl.id,
        triageBody.parse({ state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', detail: 'no SOCKS5' }),
        { ref: 'user:ann', mayAccept: false },
        recorder,
      ),
    );
    await tx((db) =>
      t.vulns.findings.triage(
        db,
        nginx.id,
        triageBody.parse({ state: 'exploitable' }),
        { ref: 'user:ann', mayAccept: false },
        recorder,
      ),
    );
    // Re-scan with one more package, then a re-import of a changed tracker.
    await upload('db-01', [...OPENSSL_OLD, ...CURL, NGINX_OLD, { name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' }]);
    await importFeed(
      'debian-tracker',
      tracker({ ...BASE_TRACKER, zlib: { 'CVE-2024-1006': ['resolved', '1:1.2.13.dfsg-2', 'low'] } }),
    );
    expect(await one('db-01', 'CVE-2024-1004')).toMatchObject({
      triage: {
        state: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        detail: 'no SOCKS5',
        by: 'user:ann',
      },
      status: 'not affected',
    });
    expect((await one('db-01', 'CVE-2024-1005')).triage.state).toBe('exploitable');
    expect((await one('db-01', 'CVE-2024-1006')).lifecycle).toBe('open');

    // The vendor now says openssl in bookworm was never affected: resolved, and the history says it was the advisory.
    const before = await one('db-01', 'CVE-2024-1001');
    await importFeed(
      'debian-tracker',
      tracker({
        ...BASE_TRACKER,
        openssl: { ...BASE_TRACKER.openssl, 'CVE-2024-1001': ['resolved', '0', 'high'] },
        zlib: { 'CVE-2024-1006': ['resolved', '1:1.2.13.dfsg-2', 'low'] },
      }),
    );
    const after = await one('db-01', 'CVE-2024-1001');
    expect(after.lifecycle).toBe('verified_resolved');
    expect(after.patchedAt).toBeNull();
    const last = (await t.vulns.findings.get(t.database.db, before.id)).history.at(-1);
    expect(last).toMatchObject({ kind: 'verified_resolved', actor: 'system:vulns' });
    expect(last?.detail).toMatch(/the advisory changed, not the host/);
    // The vendor's word back as it was, for the tests after this one.
    await importFeed(
      'debian-tracker',
      tracker({ ...BASE_TRACKER, zlib: { 'CVE-2024-1006': ['resolved', '1:1.2.13.dfsg-2', 'low'] } }),
    );
    expect((await one('db-01', 'CVE-2024-1001')).lifecycle).toBe('open');
  });

  it.skipIf(skip)(
    'risk acceptance needs vulns.accept and an expiry; it reopens with an audit record once the expiry passes',
    async () => {
      await upload('app-01', [...OPENSSL_OLD]);
      const f = await one('app-01', 'CVE-2024-1001');
      const attempt = (body: unknown, mayAccept: boolean) =>
        tx((db) => t.vulns.findings.triage(db, f.id, triageBody.parse(body), { ref: 'user:sec', mayAccept }, recorder));
      const until = new Date(clock.now().getTime() + 10 * DAY).toISOString();
      await expect(attempt({ state: 'risk_accepted', expiresAt: until }, false)).rejects.toMatchObject({
        kind: 'forbidden',
        code: 'permission_denied',
      });
      const noExpiry = await attempt({ state: 'risk_accepted' }, true).catch((e: unknown) => e);
      expect(noExpiry).toBeInstanceOf(AppError);
      expect(noExpiry).toMatchObject({ kind: 'invalid', errors: [{ path: 'body.expiresAt' }] });
      await expect(
        attempt({ state: 'risk_accepted', expiresAt: new Date(clock.now().getTime() + 400 * DAY).toISOString() }, true),
      ).rejects.toMatchObject({ errors: [{ path: 'body.expiresAt', message: 'the expiry must be at most 365 days ahead' }] });
      await expect(attempt({ state: 'not_affected' }, true)).rejects.toMatchObject({ errors: [{ path: 'body.justification' }] });
      // Nothing was written by the refused attempts.
      expect((await one('app-01', 'CVE-2024-1001')).triage.state).toBe('in_triage');

      const accepted = await attempt(
        { state: 'risk_accepted', expiresAt: until, detail: 'WAF rule 9001 until the upgrade window' },
        true,
      );
      expect(accepted.triage).toMatchObject({ state: 'risk_accepted', acceptedBy: 'user:sec', acceptedUntil: until });
      // Accepted risks leave the default view and are counted.
      const view = await t.vulns.findings.list(t.database.db, findingsQuery.parse({ asset: f.asset.id }));
      expect(view.items).toHaveLength(0);
      expect(view.outside.byTriage).toEqual({ risk_accepted: 1 });

      clock.advance(10 * DAY + 1000);
      const swept = await t.vulns.findings.runSweep();
      expect(swept.expired).toBeGreaterThanOrEqual(1);
      const reopened = await one('app-01', 'CVE-2024-1001');
      expect(reopened.triage).toMatchObject({ state: 'in_triage', acceptedBy: null, acceptedUntil: null, by: 'system:vulns' });
      // (Its deadline passed meanwhile, so the sweep that reopened it also signals the breach, after the reopening.)
      const history = (await t.vulns.findings.get(t.database.db, f.id)).history;
      expect(history.map((e) => e.kind).slice(-2)).toEqual(['risk_expired', 'sla_breached']);
      expect(history.at(-2)).toMatchObject({
        kind: 'risk_expired',
        from: 'risk_accepted',
        to: 'in_triage',
      });
      await t.audit.sink.flush();
      const audit = await t.database.db
        .selectFrom('audit_entries')
        .select(['actor', 'action', 'target', 'entry'])
        .where('target', '=', `vulns.finding:${f.id}`)
        .execute();
      expect(audit.map((a) => [a.actor, a.action])).toContainEqual(['system:vulns', 'vulns.findings.risk_expired']);
      const entry = JSON.parse(audit.find((a) => a.action === 'vulns.findings.risk_expired')?.entry ?? '{}') as {
        changes?: { before: { state: string }; after: { state: string } }[];
      };
      expect(entry.changes?.[0]).toMatchObject({ before: { state: 'risk_accepted' }, after: { state: 'in_triage' } });
    },
  );

  it.skipIf(skip)('SLA near-breach and breach raise one signal per asset, each state once', async () => {
    const id = await createAsset('sla-01', { exposure: 'internal' });
    await upload('sla-01', [...OPENSSL_OLD, ...CURL]);
    const f = await one('sla-01', 'CVE-2024-1001');
    // Vendor high, internal host: priority high, 30-day window; near in its last 20 % (6 days).
    expect(f.priority).toBe('high');
    const due = Date.parse(f.sla.dueAt ?? '');
    expect(due - Date.parse(f.firstDetectedAt)).toBe(30 * DAY);
    const key = `vulns:sla:${id}`;
    await t.vulns.findings.runSweep();
    expect(await signalsOf(key)).toHaveLength(0);

    clock.set(new Date(due - 5 * DAY));
    await t.vulns.findings.runSweep();
    await t.vulns.findings.runSweep();
    let signals = await signalsOf(key);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ severity: 'minor' });
    expect(signals[0]?.summary).toMatch(/^sla-01: 1 vulnerability finding 1 near it \(worst: CVE-2024-1001 in openssl/);
    expect((await one('sla-01', 'CVE-2024-1001')).sla.state).toBe('near');

    clock.set(new Date(due + HOUR));
    await t.vulns.findings.runSweep();
    await t.vulns.findings.runSweep();
    signals = await signalsOf(key);
    expect(signals.map((s) => s.severity)).toEqual(['minor', 'major']);
    expect(signals[1]?.summary).toMatch(/1 past the patch deadline/);
    // One incident for the asset, not one per finding.
    expect(new Set(signals.map((s) => s.incident_id)).size).toBe(1);
    const events = (await t.vulns.findings.get(t.database.db, f.id)).history.map((e) => e.kind);
    expect(events.filter((k) => k === 'sla_near')).toHaveLength(1);
    expect(events.filter((k) => k === 'sla_breached')).toHaveLength(1);
  });

  it.skipIf(skip)(
    'a new KEV entry signals once per CVE for internet-facing provider hosts only; customer-managed stay outside SLA',
    async () => {
      await createAsset('kev-internet', { exposure: 'internet' });
      await createAsset('kev-internal', { exposure: 'internal' });
      await createAsset('kev-customer', { exposure: 'internet', operatedBy: 'customer' });
      for (const h of ['kev-internet', 'kev-internal', 'kev-customer']) await upload(h, [NGINX_OLD]);
      expect(await signalsOf('vulns:kev:CVE-2024-1005')).toHaveLength(0);

      // The KEV feed changes: the fleet is re-evaluated and the sweep at its end signals.
      await importFeed('kev', kevDocument(['CVE-2024-1005']));
      const signals = await signalsOf('vulns:kev:CVE-2024-1005');
      expect(signals).toHaveLength(1);
      expect(signals[0]?.severity).toBe('critical');
      expect(signals[0]?.summary).toContain('kev-internet');
      expect(signals[0]?.summary).not.toContain('kev-internal');
      expect(signals[0]?.summary).not.toContain('kev-customer');
      const incident = await t.database.db
        .selectFrom('incidents_incidents')
        .select(['state', 'severity'])
        .where('id', '=', signals[0]?.incident_id ?? '')
        .executeTakeFirstOrThrow();
      expect(incident).toMatchObject({ severity: 'critical' });
      const internet = await one('kev-internet', 'CVE-2024-1005');
      expect(internet).toMatchObject({ kev: true, priority: 'critical' });
      // KEV on an internet-facing host: the 2-day window.
      expect(Date.parse(internet.sla.dueAt ?? '') - Date.parse(internet.firstDetectedAt)).toBe(2 * DAY);
      await t.vulns.findings.runSweep();
      expect(await signalsOf('vulns:kev:CVE-2024-1005')).toHaveLength(1);

      // P14: customer-managed findings have no SLA, their own view, and stay out of the provider's figures.
      const customer = await one('kev-customer', 'CVE-2024-1005');
      expect(customer).toMatchObject({ operatedBy: 'customer', sla: { dueAt: null, state: 'none' } });
      const providerView = await t.vulns.findings.list(
        t.database.db,
        findingsQuery.parse({ view: 'all', q: 'nginx', limit: '500' }),
      );
      expect(providerView.items.map((f) => f.asset.name)).not.toContain('kev-customer');
      const customerView = await t.vulns.findings.list(t.database.db, findingsQuery.parse({ operatedBy: 'customer' }));
      expect(customerView.items.map((f) => f.asset.name)).toEqual(['kev-customer']);
      const metrics = await t.vulns.findings.metrics(t.database.db, { operatedBy: undefined, weeks: 4 });
      const total = await t.database.db
        .selectFrom('vulns_findings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(metrics.customer?.findings).toBe(1);
      expect(metrics.provider?.findings).toBe(Number(total.n) - 1);
      expect(metrics.customer?.sla).toBeNull();
      expect(metrics.provider?.sla?.judged).toBeGreaterThan(0);
      expect(metrics.provider?.timeToPatch.count).toBeGreaterThanOrEqual(1);
      const only = await t.vulns.findings.metrics(t.database.db, { operatedBy: 'provider', weeks: 4 });
      expect(only.customer).toBeUndefined();
      expect(only.provider?.weekly).toHaveLength(4);
    },
  );

  it.skipIf(skip)('exports CycloneDX VEX and OpenVEX documents that pass their schemas', async () => {
    const asset = (await one('db-01', 'CVE-2024-1004')).asset.id;
    const cdx = await t.vulns.findings.export(t.database.db, {
      format: 'cyclonedx',
      asset,
      operatedBy: 'provider',
      open: 'false',
    });
    expect(cdx.filename).toMatch(/^skjold-vex-\d{4}-\d{2}-\d{2}\.cdx\.json$/);
    const doc = cycloneDxVexSchema.parse(cdx.document);
    const byId = new Map(doc.vulnerabilities.map((v) => [v.id, v]));
    expect([...byId.keys()].sort()).toEqual(['CVE-2024-1001', 'CVE-2024-1004', 'CVE-2024-1005', 'CVE-2024-1006']);
    expect(byId.get('CVE-2024-1004')?.analysis).toMatchObject({ state: 'not_affected', justification: 'code_not_reachable' });
    expect(byId.get('CVE-2024-1001')?.analysis).toMatchObject({ state: 'in_triage', response: ['update'] });
    const ov = await t.vulns.findings.export(t.database.db, { format: 'openvex', asset, operatedBy: 'provider', open: 'true' });
    const vex = openVexSchema.parse(ov.document);
    expect(vex.statements.map((s) => [s.vulnerability.name, s.status]).sort()).toEqual([
      ['CVE-2024-1001', 'under_investigation'],
      ['CVE-2024-1004', 'not_affected'],
      ['CVE-2024-1005', 'affected'],
      ['CVE-2024-1006', 'under_investigation'],
    ]);
    await expect(
      t.vulns.findings.export(t.database.db, {
        format: 'openvex',
        asset: '00000000-0000-4000-8000-000000000000',
        operatedBy: 'provider',
        open: 'false',
      }),
    ).rejects.toMatchObject({ code: 'asset_not_found' });
  });

  it.skipIf(skip)(
    'over HTTP: triage with its permissions, problems with field errors, lists, detail, metrics and exports',
    async () => {
      const operator = (await createUserWithToken(t, 'operator')).headers;
      const officer = (await createUserWithToken(t, 'security-officer')).headers;
      const viewer = (await createUserWithToken(t, 'viewer')).headers;
      await upload('http-01', [...OPENSSL_OLD, ...CURL]);
      const f = await one('http-01', 'CVE-2024-1001');
      const url = `/api/v1/vulns/findings/${f.id}/triage`;
      const post = (headers: Record<string, string>, payload: unknown) =>
        t.app.inject({ method: 'POST', url, headers, payload: payload as object });
      const until = new Date(clock.now().getTime() + 30 * DAY).toISOString();

      expect((await post(viewer, { state: 'exploitable' })).statusCode).toBe(403);
      const denied = await post(operator, { state: 'risk_accepted', expiresAt: until });
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({
        code: 'permission_denied',
        detail: 'accepting a risk needs the permission vulns.accept',
      });
      const noExpiry = await post(officer, { state: 'risk_accepted' });
      expect(noExpiry.statusCode).toBe(400);
      expect(noExpiry.json()).toMatchObject({
        code: 'triage_invalid',
        errors: [{ path: 'body.expiresAt', message: 'a risk acceptance needs an expiry date' }],
      });
      const badJustification = await post(operator, { state: 'not_affected', justification: 'because' });
      expect(badJustification.statusCode).toBe(400);
      expect(badJustification.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body.justification' }] });
      const past = await post(officer, { state: 'risk_accepted', expiresAt: '2020-01-01T00:00:00Z' });
      expect(past.json()).toMatchObject({ errors: [{ path: 'body.expiresAt', message: 'the expiry must be in the future' }] });

      const ok = await post(officer, { state: 'risk_accepted', expiresAt: until, detail: 'isolated VLAN' });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({
        triage: { state: 'risk_accepted', acceptedUntil: until, detail: 'isolated VLAN' },
        status: 'risk accepted',
      });
      const claim = await post(operator, { state: 'resolved', detail: 'upgraded by hand' });
      expect(claim.json()).toMatchObject({ lifecycle: 'open', status: 'resolved — awaiting verification' });
      expect(
        claim.json<{ history: { kind: string; from: string; to: string }[] }>().history.filter((e) => e.kind === 'triage'),
      ).toEqual([
        expect.objectContaining({ from: 'in_triage', to: 'risk_accepted' }),
        expect.objectContaining({ from: 'risk_accepted', to: 'resolved' }),
      ]);
      await t.audit.sink.flush();
      const audited = await t.database.db
        .selectFrom('audit_entries')
        .select('entry')
        .where('action', '=', 'vulns.findings.triage')
        .where('target', '=', `vulns.finding:${f.id}`)
        .execute();
      expect(audited).toHaveLength(2);
      expect(JSON.parse(audited[0]?.entry ?? '{}')).toMatchObject({
        outcome: 'allowed',
        changes: [
          {
            type: 'vulns.finding',
            id: f.id,
            before: { state: 'in_triage' },
            after: { state: 'risk_accepted', acceptedUntil: until },
          },
        ],
      });

      const get = (u: string, headers: Record<string, string> = viewer) => t.app.inject({ method: 'GET', url: u, headers });
      expect((await get('/api/v1/vulns/findings?limit=501')).json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'query.limit' }],
      });
      expect((await get('/api/v1/vulns/findings?priority=urgent')).json()).toMatchObject({
        errors: [{ path: 'query.priority' }],
      });
      expect((await get('/api/v1/vulns/findings?cursor=bm9wZQ')).json()).toMatchObject({ code: 'cursor_invalid' });
      expect((await get('/api/v1/vulns/findings/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
      const list = await get(`/api/v1/vulns/findings?asset=${f.asset.id}&view=all&q=CVE-2024-100`);
      expect(list.statusCode).toBe(200);
      expect(
        list
          .json<{ items: { vuln: string }[] }>()
          .items.map((i) => i.vuln)
          .sort(),
      ).toEqual(['CVE-2024-1001', 'CVE-2024-1004']);
      const detail = await get(`/api/v1/vulns/findings/${f.id}`);
      expect(detail.json()).toMatchObject({
        assetContext: { exposure: 'unknown', operatedBy: 'provider' },
        priorityInputs: { vendorSeverity: 'high' },
      });
      const metrics = await get('/api/v1/vulns/metrics?operatedBy=provider');
      expect(metrics.statusCode).toBe(200);
      expect(metrics.json()).toMatchObject({ provider: { sla: { judged: expect.any(Number) as number } } });
      expect(metrics.json()).not.toHaveProperty('customer');
      const exported = await get(`/api/v1/vulns/export?format=openvex&asset=${f.asset.id}`);
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-disposition']).toMatch(
        /^attachment; filename="skjold-vex-\d{4}-\d{2}-\d{2}\.openvex\.json"$/,
      );
      expect(openVexSchema.parse(exported.json()).statements).toHaveLength(2);
      expect((await get('/api/v1/vulns/export?format=spdx')).statusCode).toBe(400);
    },
  );

  it.skipIf(skip)('fleet re-evaluations never overlap: a call during a run waits and runs once more', async () => {
    const a = t.vulns.findings.reevaluateAll();
    const b = t.vulns.findings.reevaluateAll();
    const c = t.vulns.findings.reevaluateAll();
    expect(b).toBe(c);
    expect(b).not.toBe(a);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.failed).toEqual([]);
    expect(rb.assets).toBe(ra.assets);
    // Nothing changed between the two runs: no row was rewritten.
    expect(rb.totals.updated).toBe(0);
    expect(rb.totals.unchanged).toBeGreaterThan(0);
  });

  it.skipIf(skip)('with no advisories left for a distro, absence proves nothing: open findings stay open', async () => {
    const open = (await findingsOf('db-01')).filter((f) => f.lifecycle === 'open').map((f) => f.vuln);
    expect(open.length).toBeGreaterThan(0);
    await tx((db) => t.vulns.feeds.remove(db, feeds['debian-tracker'] as string, recorder));
    t.vulns.advisories.invalidate();
    const r = await t.vulns.findings.reevaluateAll();
    expect(r.failed).toEqual([]);
    expect(r.totals.resolved).toBe(0);
    expect((await findingsOf('db-01')).filter((f) => f.lifecycle === 'open').map((f) => f.vuln)).toEqual(open);
  });
});
