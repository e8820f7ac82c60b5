import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage } from '../browser.ts';
import { createUserWithToken, signInAs } from '../identity.ts';

/**
 * The vulnerability pages end to end (issue 5, items 11 and 15): a real Skjold over HTTPS (in-process, SQLite) imports
 * the Debian Security Tracker, CISA KEV and FIRST EPSS from the repository's trimmed fixtures through its feeds API,
 * and two Debian 12 hosts report their packages in the agent's format. The security officer's view in Debian's
 * Chromium: the SLA overview with its charts, the needs-action list with the rest counted, a finding's vendor
 * statement, priority reasons and history, triage (a refused one with the problem beside its field, then a good one),
 * an asset's attributes and snapshots, feed freshness with a broken feed in red, and the Danish overview. Screenshots
 * go to a temporary directory (printed) for a person to look at.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'src', 'modules', 'vulns', 'advisories', 'fixtures');
const SHOTS = process.env['SKJOLD_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'skjold-vulns-shots-'));
const SHOT = (name: string) => join(SHOTS, `vulns-${name}.png`);

const OS_RELEASE = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION="12 (bookworm)"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
];

/** One dpkg-query line: binary, version, source, source version, status. */
const dpkg = (name: string, version: string, source = name, sourceVersion = version) =>
  `${name}\t${version}\t${source}\t${sourceVersion}\tinstall ok installed`;

/** A host's report in the agent's `skjold-inventory 1` format. */
function agentReport(hostname: string, kernel: string, packages: string[], rebootRequired = false): string {
  return [
    'skjold-inventory 1',
    'agent skjold-vulns-agent 1',
    `hostname ${hostname}`,
    `collected-at ${new Date().toISOString()}`,
    `uname-r ${kernel}`,
    `reboot-required ${rebootRequired ? 'yes' : 'no'}`,
    '[os-release]',
    ...OS_RELEASE,
    '[dpkg]',
    ...packages,
    '',
  ].join('\n');
}

/**
 * web-01: bind9 before the KeyTrap fix (in KEV, exposure unknown counts as internet-facing: critical, 2-day SLA),
 * openssl and glibc before their bookworm fixes, curl with one fixed and one unimportant issue, imagemagick with no fix
 * yet, xz-utils never affected in bookworm (fixed_version "0"), and a kernel fixed on disk but the old one running.
 */
const WEB01 = agentReport(
  'web-01.example.dk',
  '6.1.0-17-amd64',
  [
    dpkg('bind9', '1:9.18.19-1~deb12u1'),
    dpkg('bind9-libs', '1:9.18.19-1~deb12u1', 'bind9'),
    dpkg('libssl3', '3.0.11-1~deb12u2', 'openssl'),
    dpkg('openssl', '3.0.11-1~deb12u2'),
    dpkg('libc6', '2.36-9+deb12u4', 'glibc'),
    dpkg('libc-bin', '2.36-9+deb12u4', 'glibc'),
    dpkg('curl', '7.88.1-10+deb12u3'),
    dpkg('libcurl4', '7.88.1-10+deb12u3', 'curl'),
    dpkg('imagemagick-6.q16', '8:6.9.11.60+dfsg-1.6', 'imagemagick'),
    dpkg('xz-utils', '5.4.1-0.2'),
    dpkg('linux-image-6.1.0-17-amd64', '6.1.69-1', 'linux'),
    dpkg('linux-image-6.1.0-18-amd64', '6.1.76-1', 'linux'),
  ],
  true,
);

/** shop-7: a customer's own server (P14) with the same old openssl. */
const SHOP7 = agentReport('shop-7.customer.example', '6.1.0-18-amd64', [
  dpkg('libssl3', '3.0.11-1~deb12u2', 'openssl'),
  dpkg('linux-image-6.1.0-18-amd64', '6.1.76-1', 'linux'),
]);

interface FindingRow {
  id: string;
  vuln: string;
  package: string;
  priority: string;
  kev: boolean;
  sla: { dueAt: string | null; state: string };
  triage: { state: string };
  asset: { name: string };
}

describe.skipIf(!browserTestsRun)('vulnerability console end to end (Chromium)', () => {
  let t: TestApp;
  let base = '';
  let browser: Browser | undefined;
  /** Set by the first test for the second: web-01's asset id and the KEV finding's id. */
  const seeded = { assetId: '', findingId: '' };
  const feedDir = mkdtempSync(join(tmpdir(), 'skjold-vulns-e2e-'));

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    t = await createTestApp('sqlite', { tls: true });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
    rmSync(feedDir, { recursive: true, force: true });
  }, 60_000);

  it('the security officer reads the SLA overview, triages a finding and checks the feeds', async () => {
    if (!browser) throw new Error('setup failed');
    console.log(`vulns e2e screenshots: ${SHOTS}`);
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const call = async <T = Record<string, unknown>>(
      method: 'GET' | 'POST' | 'PUT',
      url: string,
      payload?: Record<string, unknown>,
    ): Promise<T> => {
      const r = await t.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json<T>();
    };

    // Advisory feeds from local files (an air-gapped site's way), and one whose file is missing: it must show in red.
    const feed = (kind: string, name: string, path: string) =>
      call<{ id: string }>('POST', '/api/v1/vulns/feeds', { kind, name, path });
    const tracker = await feed('debian-tracker', 'Debian Security Tracker', join(FIXTURES, 'debian-tracker.json'));
    const kev = await feed('kev', 'CISA KEV', join(FIXTURES, 'kev.json'));
    const epss = await feed('epss', 'FIRST EPSS', join(FIXTURES, 'epss_scores.csv'));
    const broken = await feed('osv', 'OSV mirror', join(feedDir, 'missing-all.zip'));
    for (const f of [tracker, kev, epss])
      expect((await call<{ status: string }>('POST', `/api/v1/vulns/feeds/${f.id}/refresh`)).status).toBe('updated');
    expect((await call<{ status: string }>('POST', `/api/v1/vulns/feeds/${broken.id}/refresh`)).status).toBe('failed');
    await t.vulns.idle();

    // Two hosts report through the agent's endpoint; the customer's is then marked customer-managed.
    const upload = async (body: string) => {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/vulns/inventory',
        headers: { ...admin, 'content-type': 'text/plain' },
        payload: body,
      });
      expect(r.statusCode, r.body).toBeLessThan(300);
      return r.json<{ assetId: string; assetName: string }>();
    };
    const web01 = await upload(WEB01);
    const shop7 = await upload(SHOP7);
    await call('PUT', `/api/v1/vulns/assets/${shop7.assetId}`, {
      name: 'shop-7.customer.example',
      kind: 'host',
      ownerTeam: '',
      environment: 'production',
      site: 'CPH1',
      criticality: 'medium',
      exposure: 'internet',
      operatedBy: 'customer',
      customer: 'Butik ApS',
      description: '',
    });
    // A service whose software is known from an SBOM, uploaded in the console below.
    const shopApi = await call<{ id: string }>('POST', '/api/v1/vulns/assets', {
      name: 'shop-api',
      kind: 'service',
      ownerTeam: 'Web',
      environment: 'production',
      site: 'CPH1',
      criticality: 'high',
      exposure: 'internet',
      operatedBy: 'provider',
      customer: null,
      description: '',
    });
    await t.vulns.idle();

    const listed = await call<{ items: FindingRow[] }>('GET', '/api/v1/vulns/findings?view=all');
    const byVuln = new Map(listed.items.map((f) => [f.vuln, f]));
    const keytrap = byVuln.get('CVE-2023-50387');
    expect(keytrap, JSON.stringify(listed.items.map((f) => f.vuln))).toBeDefined();
    expect(keytrap?.kev).toBe(true);
    expect(keytrap?.sla.state).not.toBe('none');
    seeded.assetId = web01.assetId;
    seeded.findingId = keytrap?.id ?? '';
    const glibc = byVuln.get('CVE-2024-2961');
    expect(glibc?.package).toBe('glibc');
    // Never a finding where Debian says the release was not affected.
    expect(byVuln.has('CVE-2024-3094')).toBe(false);

    const officer = await signInAs(t, 'security-officer');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vulnerabilities' }).click();

      // The overview: SLA gauge, bars by priority with the critical KEV finding, age columns, this week's opened.
      await page.getByTestId('sla-gauge').waitFor();
      const bars = page.getByTestId('priority-chart');
      expect(await bars.locator('rect.prio-critical').count()).toBe(1);
      expect(await page.getByTestId('age-chart').locator('rect[class^="prio-"]').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('trend-chart').locator('rect.trend-opened').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('top-assets-provider').textContent()).toContain('web-01.example.dk');
      expect(await page.getByTestId('vulns-totals').textContent()).toContain('Open KEV findings');
      const customerPanel = page.getByTestId('customer-panel');
      expect(await customerPanel.textContent()).toContain('outside our SLA');
      expect(await customerPanel.getByTestId('top-assets-customer').textContent()).toContain('shop-7.customer.example');
      expect(await page.getByTestId('top-assets-provider').textContent()).not.toContain('shop-7');
      await page.screenshot({ path: SHOT('1-overview'), fullPage: true });

      // Findings: the needs-action view, with what it leaves out counted by vendor status.
      const sub = page.getByRole('navigation', { name: 'Vulnerability pages' });
      await sub.getByRole('link', { name: 'Findings' }).click();
      const table = page.getByTestId('findings-table');
      const keytrapRow = table.locator('tr[data-finding="CVE-2023-50387"]');
      await keytrapRow.waitFor();
      expect(await keytrapRow.getByTestId('priority').textContent()).toBe('Critical');
      expect(await keytrapRow.getByTestId('kev').textContent()).toContain('KEV');
      expect(await keytrapRow.getByTestId('sla').textContent()).toMatch(/^\d+ (h|days?) left$/);
      expect(await keytrapRow.getByTestId('sla').getAttribute('class')).toMatch(/sla-(ok|near)/);
      expect(await table.locator('tr[data-finding="CVE-2023-34151"]').count()).toBe(0);
      const hidden = page.getByTestId('hidden-line');
      expect(await hidden.textContent()).toMatch(/1 postponed/);
      expect(await hidden.textContent()).toMatch(/2 unimportant/);
      expect(await hidden.textContent()).toMatch(/1 undetermined/);
      await page.screenshot({ path: SHOT('2-findings'), fullPage: true });
      await hidden.getByRole('link', { name: 'show all' }).click();
      await table.locator('tr[data-finding="CVE-2023-34151"]').waitFor();
      expect(await table.locator('tr[data-finding="CVE-2023-34151"]').getByTestId('vendor-status').textContent()).toBe(
        'Postponed',
      );

      // The kernel: fixed on disk, the old one still running.
      await sub.getByRole('link', { name: 'Findings' }).click();
      expect(await table.locator('tr[data-finding="CVE-2024-26581"]').getByTestId('not-in-force').textContent()).toBe(
        'fixed on disk, reboot needed',
      );
      await table.locator('tr[data-finding="CVE-2024-26581"]').getByRole('link', { name: 'CVE-2024-26581' }).click();
      expect(await page.getByTestId('in-force').textContent()).toContain('Patched on disk, not in force');
      await page.screenshot({ path: SHOT('3-kernel'), fullPage: true });

      // One finding: vendor statement, installed against fixed, priority reasons, history; then triage.
      await page.getByRole('link', { name: 'All findings' }).click();
      await table.locator('tr[data-finding="CVE-2024-2961"]').getByRole('link', { name: 'CVE-2024-2961' }).click();
      expect(await page.getByTestId('installed-version').textContent()).toBe('2.36-9+deb12u4');
      expect(await page.getByTestId('fixed-version').textContent()).toBe('2.36-9+deb12u6');
      expect(await page.getByTestId('binaries').textContent()).toContain('libc6');
      expect(await page.getByTestId('vendor-statement').textContent()).toContain('Fix available');
      expect(await page.getByTestId('priority-reasons').locator('li').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('timeline').locator('li[data-kind="detected"]').count()).toBe(1);
      const form = page.getByTestId('triage-form');
      await form.getByLabel('Triage state').selectOption('not_affected');
      await form.getByRole('button', { name: 'Save triage' }).click();
      // Refused without a justification: the problem lands beside the field.
      await form.getByText('not_affected needs a justification').waitFor();
      expect(await form.getByRole('alert').textContent()).toContain('The triage needs attention');
      await page.screenshot({ path: SHOT('4-triage-refused'), fullPage: true });
      await form.getByLabel('Justification').selectOption('vulnerable_code_not_in_execute_path');
      await form.getByLabel('Note').fill('iconv with ISO-2022-CN-EXT is not reachable from our PHP pools');
      await form.getByRole('button', { name: 'Save triage' }).click();
      await page.getByText('Saved: Not affected.').waitFor();
      expect(await page.getByTestId('triage-panel').getByTestId('triage-state').first().textContent()).toBe('Not affected');
      await page.getByTestId('timeline').locator('li[data-kind="triage"]').waitFor();
      await page.screenshot({ path: SHOT('5-finding-triaged'), fullPage: true });

      // Back in the list it is counted among the triaged-away, not dropped.
      await page.getByRole('link', { name: 'All findings' }).click();
      await expect.poll(() => hidden.textContent()).toContain('triaged away: 1 not affected');
      expect(await table.locator('tr[data-finding="CVE-2024-2961"]').count()).toBe(0);

      // Assets: risk counts, badges, last report; one asset's attributes edited, its snapshots and findings.
      await sub.getByRole('link', { name: 'Assets' }).click();
      const webRow = page.getByTestId('assets-table').locator('tr[data-asset="web-01.example.dk"]');
      await webRow.waitFor();
      expect(await webRow.locator('.risk-count.prio-bg-critical').textContent()).toBe('1');
      expect(await webRow.getByTestId('exposure').textContent()).toBe('Exposure unknown');
      expect((await webRow.getByTestId('last-report').getAttribute('class')) ?? '').not.toContain('stale-report');
      const shopRow = page.getByTestId('assets-table').locator('tr[data-asset="shop-7.customer.example"]');
      expect(await shopRow.getByTestId('operated-by').textContent()).toBe('Customer-managed');
      await page.screenshot({ path: SHOT('6-assets'), fullPage: true });
      await webRow.getByRole('link', { name: 'web-01.example.dk' }).click();
      await page.getByTestId('snapshots-table').locator('tbody tr').first().waitFor();
      expect(await page.getByTestId('snapshots-table').textContent()).toContain('Reboot required');
      expect(await page.getByTestId('asset-findings').locator('tr[data-finding="CVE-2023-50387"]').count()).toBe(1);
      // Triaged away: no deadline runs for it any more.
      expect(
        await page.getByTestId('asset-findings').locator('tr[data-finding="CVE-2024-2961"]').getByTestId('sla').textContent(),
      ).toBe('–');
      await page.getByRole('button', { name: 'Edit attributes' }).click();
      const assetForm = page.getByTestId('asset-form');
      await assetForm.getByLabel('Owner team').fill('Platform');
      await assetForm.getByLabel('Exposure').selectOption('internet');
      await assetForm.getByLabel('Site').fill('CPH1');
      await assetForm.getByRole('button', { name: 'Save' }).click();
      await page.getByText('web-01.example.dk is saved').waitFor();
      expect(await page.getByTestId('asset-facts').textContent()).toContain('Platform');
      expect(await page.getByTestId('asset-facts').getByTestId('exposure').textContent()).toBe('Internet-facing');
      await page.screenshot({ path: SHOT('7-asset'), fullPage: true });

      // An SBOM for a service: a file that is not JSON is refused in the browser; a CycloneDX one is matched.
      await page.goto(`${base}/vulns/assets/${shopApi.id}`);
      const sbomInput = page.getByTestId('sbom-upload').getByLabel('Upload SBOM');
      await sbomInput.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"bomFormat": ') });
      await page.getByText('broken.json is not JSON').waitFor();
      await sbomInput.setInputFiles({
        name: 'shop-api.cdx.json',
        mimeType: 'application/json',
        buffer: Buffer.from(
          JSON.stringify({
            bomFormat: 'CycloneDX',
            specVersion: '1.5',
            version: 1,
            components: [
              {
                type: 'library',
                name: 'glibc',
                version: '2.36-9+deb12u4',
                purl: 'pkg:deb/debian/glibc@2.36-9%2Bdeb12u4?arch=source&distro=debian-12',
              },
            ],
          }),
        ),
      });
      await page.getByText('SBOM read: 1 component matched against the advisories.').waitFor();
      await page.getByTestId('asset-findings').locator('tr[data-finding="CVE-2024-2961"]').waitFor();
      expect(await page.getByTestId('snapshots-table').textContent()).toContain('cyclonedx');
      await page.screenshot({ path: SHOT('7b-sbom'), fullPage: true });

      // Feeds: fresh ones with version and records, the broken one failed with its reason, in red; refresh one.
      await sub.getByRole('link', { name: 'Advisory feeds' }).click();
      const trackerRow = page.locator(`tr[data-feed="${tracker.id}"]`);
      await trackerRow.waitFor();
      expect(await trackerRow.getByTestId('feed-status').textContent()).toBe('OK');
      expect(await trackerRow.getByTestId('feed-freshness').textContent()).toMatch(/updated .*(ago|now)/);
      expect(await trackerRow.getByTestId('feed-freshness').getAttribute('class')).toBeNull();
      expect(await page.locator(`tr[data-feed="${kev.id}"]`).textContent()).toContain('2024.04.03');
      const brokenRow = page.locator(`tr[data-feed="${broken.id}"]`);
      expect(await brokenRow.getByTestId('feed-status').textContent()).toBe('Failed');
      expect(await brokenRow.getByTestId('feed-freshness').getAttribute('class')).toContain('stale-report');
      await trackerRow.getByRole('button', { name: 'Refresh now' }).click();
      await page.getByText('Debian Security Tracker: unchanged').waitFor();
      await page.screenshot({ path: SHOT('8-feeds'), fullPage: true });

      // The same overview in Danish.
      await page.getByRole('button', { name: 'Dansk' }).click();
      await page.getByRole('navigation', { name: 'Sårbarhedssider' }).getByRole('link', { name: 'Overblik' }).click();
      await page.getByTestId('sla-gauge').waitFor();
      expect(await page.getByTestId('vulns-totals').textContent()).toContain('Åbne KEV-fund');
      expect(await page.getByTestId('customer-panel').textContent()).toContain('uden for vores SLA');
      await page.screenshot({ path: SHOT('9-overview-da'), fullPage: true });
      await page.getByRole('navigation', { name: 'Sårbarhedssider' }).getByRole('link', { name: 'Fund' }).click();
      await table.locator('tr[data-finding="CVE-2023-50387"]').waitFor();
      expect(await table.locator('tr[data-finding="CVE-2023-50387"]').getByTestId('priority').textContent()).toBe('Kritisk');
      await page.screenshot({ path: SHOT('10-findings-da'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);

    // What the browser did is what the server holds, with the audit trail.
    const after = await call<FindingRow & { triage: { state: string; justification: string | null } }>(
      'GET',
      `/api/v1/vulns/findings/${glibc?.id ?? ''}`,
    );
    expect(after.triage).toMatchObject({ state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' });
    const asset = await call<{ ownerTeam: string; exposure: string }>('GET', `/api/v1/vulns/assets/${web01.assetId}`);
    expect(asset).toMatchObject({ ownerTeam: 'Platform', exposure: 'internet' });
    await t.audit.sink.flush();
    const triaged = await t.database.db
      .selectFrom('audit_entries')
      .select(['actor', 'outcome'])
      .where('action', '=', 'vulns.findings.triage')
      .orderBy('seq')
      .execute();
    // The refused attempt is on record too.
    expect(triaged).toEqual([
      { actor: `user:${officer.user.id}`, outcome: 'failed' },
      { actor: `user:${officer.user.id}`, outcome: 'allowed' },
    ]);
  });

  it('an operator triages but cannot accept risks, edit assets or refresh feeds', async () => {
    if (!browser || !seeded.findingId) throw new Error('setup failed');
    const operator = await signInAs(t, 'operator');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        operator.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/vulns/findings/${seeded.findingId}`);
      const form = page.getByTestId('triage-form');
      await form.waitFor();
      // Accepting a risk moves SLA deadlines: the option is there, greyed out, and says why.
      const accept = form.locator('option[value="risk_accepted"]');
      expect(await accept.isDisabled()).toBe(true);
      expect(await accept.textContent()).toContain('needs the right to accept risks');
      await page.goto(`${base}/vulns/assets/${seeded.assetId}`);
      await page.getByTestId('asset-facts').waitFor();
      expect(await page.getByRole('button', { name: 'Edit attributes' }).count()).toBe(0);
      await page.goto(`${base}/vulns/feeds`);
      await page.getByTestId('vuln-feeds-table').locator('tbody tr').first().waitFor();
      expect(await page.getByRole('button', { name: 'Refresh now' }).count()).toBe(0);
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
