import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { FeedView } from './feeds.service.ts';
import { BASE_PACKAGES, agentUpload, trackerJson } from './vulns.test-data.ts';

describe.each(DIALECTS)('vulns figures on /metrics on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let admin: Record<string, string>;

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    admin = (await createUserWithToken(t, 'admin')).headers;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)('counts findings needing action by priority and operator, feed age and reporting hosts', async () => {
    const file = join(t.testDb.dataDir, 'tracker.json');
    writeFileSync(
      file,
      trackerJson([
        { pkg: 'openssl', cve: 'CVE-2026-2001', fixed: '3.0.15-1~deb12u1', urgency: 'high' },
        // Fixed already on the host: never counted.
        { pkg: 'bash', cve: 'CVE-2026-2002', fixed: '5.2.15-1' },
        // No fix yet: a finding, but not one needing action.
        { pkg: 'curl', cve: 'CVE-2026-2003', status: 'open', urgency: 'low' },
      ]),
    );
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/vulns/feeds',
      headers: admin,
      payload: { kind: 'debian-tracker', name: 'Debian tracker', path: file },
    });
    const feed = created.json<FeedView>();
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/vulns/feeds/${feed.id}/refresh`, headers: admin })).statusCode,
    ).toBe(200);
    await t.vulns.idle();
    for (const hostname of ['web-01', 'web-02']) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/vulns/inventory',
        headers: { ...admin, 'content-type': 'text/plain' },
        payload: agentUpload({ hostname, packages: BASE_PACKAGES }),
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    t.manualClock?.advance(90_000);

    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
    expect(res.statusCode).toBe(200);
    const open = res.body.split('\n').filter((l) => l.startsWith('skjold_vulns_findings_open{'));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatch(/priority="\w+"/);
    expect(open[0]).toContain('operated_by="provider"');
    expect(open[0]).toMatch(/ 2$/);
    expect(res.body).toContain('skjold_vulns_feed_age_seconds{feed="Debian tracker",kind="debian-tracker"} 90');
    expect(res.body).toContain('skjold_vulns_assets{state="reporting"} 2');
    expect(res.body).toContain('skjold_vulns_assets{state="silent"} 0');
  });
});
