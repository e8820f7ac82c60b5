import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AssetView } from './assets.service.ts';
import type { UploadResult } from './inventory.service.ts';
import type { SnapshotView } from './snapshots.ts';
import { BASE_PACKAGES, agentUpload } from './vulns.test-data.ts';

type Headers = Record<string, string>;

describe.each(DIALECTS)('vulns assets and inventory uploads on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: Headers;
  let viewer: Headers;
  /** A token scoped to vulns.report alone, as the agent uses. */
  let agent: Headers;

  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, {
      manualClock: true,
      env: { SKJOLD_VULNS_SNAPSHOTS_KEPT: '2', SKJOLD_VULNS_MAX_UPLOAD_BYTES: '65536' },
    });
    admin = (await createUserWithToken(t, 'admin')).headers;
    viewer = (await createUserWithToken(t, 'viewer')).headers;
    agent = (await createUserWithToken(t, 'admin', { scopes: ['vulns.report'] })).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  const upload = (body: string, h: Headers = agent) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/vulns/inventory',
      headers: { ...h, 'content-type': 'text/plain' },
      payload: body,
    });
  const get = async <T>(url: string, h: Headers = viewer): Promise<T> => {
    const r = await t.app.inject({ method: 'GET', url, headers: h });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<T>();
  };
  const count = async (table: 'vulns_snapshots' | 'vulns_assets') =>
    Number(
      (
        await t.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it.skipIf(skip)('registers a host on its first report with a token scoped to vulns.report, audited', async () => {
    const r = await upload(agentUpload({ hostname: 'web-01.example.dk', packages: BASE_PACKAGES }));
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json<UploadResult>();
    expect(body).toMatchObject({
      assetName: 'web-01.example.dk',
      registered: true,
      identical: false,
      packages: 4,
      notInstalled: 0,
    });
    const asset = await get<AssetView>(`/api/v1/vulns/assets/${body.assetId}`);
    expect(asset).toMatchObject({
      name: 'web-01.example.dk',
      kind: 'host',
      criticality: 'medium',
      exposure: 'unknown',
      operatedBy: 'provider',
      lastSnapshotId: body.snapshotId,
      lastReportAt: t.clock.now().toISOString(),
      distro: 'Debian:12',
      kernelRelease: '6.1.0-18-amd64',
      packageCount: 4,
      stale: false,
    });
    const audit = await t.audit.service.search({ action: 'vulns.inventory.report', limit: 5, order: 'desc' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]?.target).toBe(`vulns_asset:${body.assetId}`);
    expect(JSON.stringify(audit.items[0]?.changes)).toContain('registered by its first inventory report');

    // The snapshot holds exactly what was reported.
    const pk = await get<SnapshotView & { packages: { name: string; source: string; sourceVersion: string }[] }>(
      `/api/v1/vulns/snapshots/${body.snapshotId}/packages`,
    );
    expect(pk.packages.map((p) => `${p.name}/${p.source}/${p.sourceVersion}`).sort()).toEqual([
      'bash/bash/5.2.15-2',
      'curl/curl/7.88.1-10+deb12u5',
      'libssl3/openssl/3.0.11-1~deb12u1',
      'openssl/openssl/3.0.11-1~deb12u1',
    ]);
    // The agent's token can report, not read.
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/vulns/assets', headers: agent });
    expect(read.statusCode).toBe(403);
  });

  it.skipIf(skip)('refuses a malformed upload whole with the line, and the previous snapshot stays in force', async () => {
    const first = (await upload(agentUpload({ hostname: 'db-01', packages: BASE_PACKAGES }))).json<UploadResult>();
    const good = agentUpload({ hostname: 'db-01', packages: [...BASE_PACKAGES, { name: 'zlib1g', version: '1:1.2.13.dfsg-1' }] });
    const lines = good.split('\n');
    const bad = lines.findIndex((l) => l.startsWith('curl\t'));
    lines[bad] = 'curl 7.88.1 without tabs';
    const snapshotsBefore = await count('vulns_snapshots');
    const r = await upload(lines.join('\n'));
    expect(r.statusCode, r.body).toBe(422);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const p = r.json<{ code: string; status: number; line: number; text: string; reason: string; detail: string }>();
    expect(p).toMatchObject({ code: 'inventory_malformed', status: 422, line: bad + 1, text: 'curl 7.88.1 without tabs' });
    expect(p.reason.length).toBeGreaterThan(5);
    expect(p.detail).toContain(`line ${bad + 1}`);
    expect(await count('vulns_snapshots')).toBe(snapshotsBefore);
    const asset = await get<AssetView>(`/api/v1/vulns/assets/${first.assetId}`);
    expect(asset.lastSnapshotId).toBe(first.snapshotId);
    expect(asset.packageCount).toBe(4);

    // A malformed first report registers nothing.
    const assets = await count('vulns_assets');
    const none = await upload('skjold-inventory 1\nhostname new-host\nbogus line\n');
    expect(none.statusCode).toBe(422);
    expect(none.json<{ line: number }>().line).toBe(3);
    expect(await count('vulns_assets')).toBe(assets);
  });

  it.skipIf(skip)('refuses an upload over maxUploadBytes with 413 problem JSON, writing nothing', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ name: `pkg${i}`, version: '1.0-1' }));
    const r = await upload(agentUpload({ hostname: 'big-01', packages: many }));
    expect(r.statusCode, r.body.slice(0, 200)).toBe(413);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(await count('vulns_assets')).toBe(0);
  });

  it.skipIf(skip)('counts an identical upload as a report without a new snapshot; keeps snapshotsKept per asset', async () => {
    const doc = agentUpload({ hostname: 'app-01', packages: BASE_PACKAGES });
    const a = (await upload(doc)).json<UploadResult>();
    t.manualClock!.advance(3600_000);
    // Same packages, collected at another time: same content.
    const again = await upload(agentUpload({ hostname: 'app-01', packages: BASE_PACKAGES, collectedAt: '2026-11-28T03:00:00Z' }));
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json<UploadResult>()).toMatchObject({ identical: true, snapshotId: a.snapshotId, registered: false });
    expect(await count('vulns_snapshots')).toBe(1);
    const asset = await get<AssetView>(`/api/v1/vulns/assets/${a.assetId}`);
    expect(asset.lastReportAt).toBe(t.clock.now().toISOString());

    // Three changed uploads: only the newest two snapshots are kept (SKJOLD_VULNS_SNAPSHOTS_KEPT=2).
    const ids: string[] = [];
    for (const v of ['5.2.15-3', '5.2.15-4', '5.2.15-5']) {
      t.manualClock!.advance(60_000);
      const pk = BASE_PACKAGES.map((p) => (p.name === 'bash' ? { name: 'bash', version: v } : p));
      const r = await upload(agentUpload({ hostname: 'app-01', packages: pk, rebootRequired: v === '5.2.15-5' }));
      expect(r.json<UploadResult>().identical).toBe(false);
      ids.push(r.json<UploadResult>().snapshotId);
    }
    const history = await get<{ items: SnapshotView[] }>(`/api/v1/vulns/assets/${a.assetId}/snapshots`);
    expect(history.items.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    expect(history.items[0]).toMatchObject({ packageCount: 4, kernelRelease: '6.1.0-18-amd64', rebootRequired: true });
    expect(history.items[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await get<AssetView>(`/api/v1/vulns/assets/${a.assetId}`)).lastSnapshotId).toBe(ids[2]);
  });

  it.skipIf(skip)('manages assets: create, list, update, delete — validated, audited, vulns.write only', async () => {
    const body = {
      name: 'shop.example.dk',
      kind: 'application',
      ownerTeam: 'web',
      environment: 'production',
      site: 'cph1',
      criticality: 'high',
      exposure: 'internet',
      operatedBy: 'customer',
      customer: 'Shop ApS',
      description: 'customer webshop',
    };
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/vulns/assets', headers: admin, payload: body });
    expect(c.statusCode, c.body).toBe(201);
    const created = c.json<AssetView>();
    expect(created).toMatchObject({ ...body, stale: false, openFindings: { total: 0 } });
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/vulns/assets', headers: admin, payload: body });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<{ code: string }>().code).toBe('asset_exists');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/vulns/assets',
      headers: admin,
      payload: { ...body, name: 'x'.repeat(300), exposure: 'public', extra: 1 },
    });
    expect(bad.statusCode).toBe(400);
    const paths = bad.json<{ errors: { path: string }[] }>().errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.exposure']));
    const denied = await t.app.inject({ method: 'POST', url: '/api/v1/vulns/assets', headers: viewer, payload: body });
    expect(denied.statusCode).toBe(403);

    const list = await get<{ items: AssetView[] }>('/api/v1/vulns/assets?operatedBy=customer');
    expect(list.items.map((a) => a.name)).toEqual(['shop.example.dk']);
    expect((await get<{ items: AssetView[] }>('/api/v1/vulns/assets?operatedBy=provider')).items).toEqual([]);

    const u = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/vulns/assets/${created.id}`,
      headers: admin,
      payload: { ...body, exposure: 'internal' },
    });
    expect(u.statusCode, u.body).toBe(200);
    expect(u.json<AssetView>().exposure).toBe('internal');
    const audit = await t.audit.service.search({ action: 'vulns.assets.update', limit: 5, order: 'desc' });
    expect((audit.items[0]?.changes as unknown[] | undefined)?.[0]).toMatchObject({
      type: 'vulns_asset',
      id: created.id,
      before: { exposure: 'internet' },
      after: { exposure: 'internal' },
    });

    const d = await t.app.inject({ method: 'DELETE', url: `/api/v1/vulns/assets/${created.id}`, headers: admin });
    expect(d.statusCode).toBe(204);
    const gone = await t.app.inject({ method: 'GET', url: `/api/v1/vulns/assets/${created.id}`, headers: viewer });
    expect(gone.statusCode).toBe(404);
    expect(gone.json<{ code: string }>().code).toBe('asset_not_found');
  });

  it.skipIf(skip)('takes CycloneDX SBOMs for applications, refuses them for hosts and unreadable ones with 422', async () => {
    const app = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/vulns/assets',
        headers: admin,
        payload: { name: 'billing-api', kind: 'service' },
      })
    ).json<AssetView>();
    const sbom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      version: 1,
      metadata: { component: { type: 'application', name: 'billing-api' } },
      components: [
        { type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' },
        { type: 'library', name: 'requests', version: '2.31.0', purl: 'pkg:pypi/requests@2.31.0' },
      ],
    };
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/vulns/assets/${app.id}/sbom`, headers: agent, payload: sbom });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json<UploadResult>()).toMatchObject({ assetId: app.id, packages: 2, identical: false });
    const history = await get<{ items: SnapshotView[] }>(`/api/v1/vulns/assets/${app.id}/snapshots`);
    expect(history.items).toHaveLength(1);
    expect(history.items[0]?.format).toBe('cyclonedx');

    const garbled = await t.app.inject({
      method: 'POST',
      url: `/api/v1/vulns/assets/${app.id}/sbom`,
      headers: agent,
      payload: { hello: 'world' },
    });
    expect(garbled.statusCode).toBe(422);
    expect(garbled.json<{ code: string }>().code).toBe('inventory_malformed');
    expect((await get<{ items: SnapshotView[] }>(`/api/v1/vulns/assets/${app.id}/snapshots`)).items).toHaveLength(1);

    const host = (await upload(agentUpload({ hostname: 'h1', packages: BASE_PACKAGES }))).json<UploadResult>();
    const onHost = await t.app.inject({
      method: 'POST',
      url: `/api/v1/vulns/assets/${host.assetId}/sbom`,
      headers: agent,
      payload: sbom,
    });
    expect(onHost.statusCode).toBe(409);
    expect(onHost.json<{ code: string }>().code).toBe('asset_is_a_host');
  });

  it.skipIf(skip)('flags a host silent for two days as stale and raises a signal once, resolved by its next report', async () => {
    const a = (await upload(agentUpload({ hostname: 'quiet-01', packages: BASE_PACKAGES }))).json<UploadResult>();
    t.manualClock!.advance(2 * 86_400_000 + 60_000);
    expect((await get<AssetView>(`/api/v1/vulns/assets/${a.assetId}`)).stale).toBe(true);
    expect((await get<{ items: AssetView[] }>('/api/v1/vulns/assets?stale=true')).items.map((x) => x.name)).toEqual(['quiet-01']);
    expect(await t.vulns.assets.sweepSilent(t.database.db)).toEqual({ raised: 1 });
    expect(await t.vulns.assets.sweepSilent(t.database.db)).toEqual({ raised: 0 });
    const signals = () =>
      t.database.db
        .selectFrom('incidents_signals')
        .select(['status', 'severity'])
        .where('dedup_key', '=', `vulns:host-silent:${a.assetId}`)
        .orderBy('received_at')
        .execute();
    expect(await signals()).toEqual([{ status: 'firing', severity: 'minor' }]);
    await upload(agentUpload({ hostname: 'quiet-01', packages: BASE_PACKAGES }));
    expect((await signals()).map((s) => s.status)).toEqual(['firing', 'resolved']);
    expect((await get<AssetView>(`/api/v1/vulns/assets/${a.assetId}`)).stale).toBe(false);
  });
});
