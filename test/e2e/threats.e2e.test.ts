import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage, signInThroughForm } from '../browser.ts';
import { createTestUser, createUserWithToken, signInAs } from '../identity.ts';

/**
 * The threats pages end to end (issue 4, item 14): a real Skjold over HTTPS (in-process, SQLite) takes SSH brute
 * forces and web probes through its bulk ingestion endpoint; an operator in Debian's Chromium sees the attack in the
 * live view (chart, top addresses with country and AS), reads an alert's evidence lines, and lifts a ban with one
 * click (and a confirmation). Screenshots go to /tmp/threats-*.png for a person to look at.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOT = (name: string) => `/tmp/threats-${name}.png`;

/** RFC 5424 sshd lines, a few minutes before now so the log's own clock is close to the server's. */
function sshBruteForce(ip: string, attempts: number, startSecondsAgo = 300): string[] {
  const lines: string[] = [];
  for (let i = 0; i < attempts; i++) {
    const at = new Date(Date.now() - (startSecondsAgo - i) * 1000).toISOString();
    lines.push(`<38>1 ${at} web1 sshd 4242 - - Failed password for root from ${ip} port ${40000 + i} ssh2`);
  }
  return lines;
}

/** Combined-log-format requests for secrets, the kind a scanner makes. */
function sensitiveFileProbes(ip: string, secondsAgo = 240): string[] {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return ['/.env', '/.git/config', '/backup.sql', '/db.bak'].map((path, i) => {
    const d = new Date(Date.now() - (secondsAgo - i) * 1000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const ts = `${p2(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
    return `${ip} - - [${ts}] "GET ${path} HTTP/1.1" 404 512 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"`;
  });
}

describe.skipIf(!browserTestsRun)('threats console end to end (Chromium)', () => {
  let t: TestApp;
  let base = '';
  let browser: Browser | undefined;
  const feedDir = mkdtempSync(join(tmpdir(), 'skjold-threats-e2e-'));

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    t = await createTestApp('sqlite', { tls: true, env: { SKJOLD_THREATS_ALLOWLIST: '10.0.0.0/8' } });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
    rmSync(feedDir, { recursive: true, force: true });
  }, 60_000);

  it('an operator sees the attack, reads the evidence and lifts a ban with one click', async () => {
    if (!browser) throw new Error('setup failed');
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
      const r = await t.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json<Record<string, unknown>>();
    };
    // Two threat-intel feeds from local files: one that loads (and lists the public attacker's network), one whose
    // file is missing (failed: the console must show it in the warning colour).
    const listFile = join(feedDir, 'soc.txt');
    writeFileSync(listFile, '# our SOC list\n185.220.101.0/24\n192.0.2.1\n');
    const feed = { format: 'plain', licence: 'CC BY 4.0', attribution: 'Our SOC team', enabled: true };
    await call('POST', '/api/v1/threats/feeds', {
      ...feed,
      id: 'soc-list',
      name: 'SOC blocklist',
      file: listFile,
      homepage: 'https://example.org/soc',
    });
    await call('POST', '/api/v1/threats/feeds', {
      ...feed,
      id: 'partner-list',
      name: 'Partner list',
      file: join(feedDir, 'missing.txt'),
    });
    expect((await call('POST', '/api/v1/threats/feeds/soc-list/refresh')).status).toBe('updated');
    await call('POST', '/api/v1/threats/feeds/partner-list/refresh');
    await t.threats.rebuildIndex();
    const operator = await createTestUser(t, 'operator');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await signInThroughForm(page, base, operator.username, operator.password);
      await page.getByRole('link', { name: 'Threats' }).click();
      // Before any attack: the live view says all is quiet instead of drawing an empty chart.
      await page.getByTestId('threats-quiet').waitFor();
      expect(await page.getByTestId('top-ips').textContent()).toContain('No attackers in this period.');
      await page.screenshot({ path: SHOT('0-quiet'), fullPage: true });

      // A public attacker (the geo database knows its country and AS), a documentation-range one, and a web scanner.
      const lines = [
        ...sshBruteForce('185.220.101.7', 40),
        ...sshBruteForce('203.0.113.7', 35, 280),
        ...sensitiveFileProbes('1.1.1.1'),
      ];
      const posted = await t.app.inject({
        method: 'POST',
        url: '/api/v1/threats/ingest',
        headers: { ...admin, 'content-type': 'text/plain' },
        payload: lines.join('\n'),
      });
      expect(posted.statusCode, posted.body).toBe(202);
      await t.threats.engine?.idle();
      await t.threats.writer.flush();
      const alerts = await t.app.inject({ method: 'GET', url: '/api/v1/threats/alerts', headers: admin });
      const scenarios = alerts.json<{ items: { scenario: string; ip: string }[] }>().items.map((a) => `${a.scenario} ${a.ip}`);
      expect(scenarios).toEqual(
        expect.arrayContaining(['ssh-bf 185.220.101.7', 'ssh-bf 203.0.113.7', 'http-sensitive-files 1.1.1.1']),
      );
      await page.getByRole('button', { name: 'Refresh' }).click();

      // The live view: a stacked column per hour (one colour per scenario) and the loudest addresses with their origin.
      const chart = page.getByTestId('threats-chart');
      await chart.waitFor();
      expect(await chart.locator('rect.scn-0').count()).toBeGreaterThan(0);
      expect(await chart.locator('rect.scn-1').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('scenario-legend').textContent()).toContain('ssh-bf');
      const topIps = page.getByTestId('top-ips');
      const publicRow = topIps.locator('tr', { hasText: '185.220.101.7' });
      await publicRow.waitFor();
      expect(await publicRow.locator('.cc').textContent()).toMatch(/^[A-Z]{2}$/);
      expect(await publicRow.locator('.asn').textContent()).toMatch(/AS\d+/);
      expect(await topIps.textContent()).toContain('203.0.113.7');
      expect(await page.getByTestId('top-networks').textContent()).toContain('185.220.101.0/24');
      expect(await page.getByTestId('threats-totals').textContent()).toContain('Active bans');
      await page.screenshot({ path: SHOT('1-overview'), fullPage: true });

      // From the top list to that address's alerts, and on to one alert's evidence lines.
      await publicRow.getByRole('link', { name: '185.220.101.7' }).click();
      const alertRows = page.getByTestId('alerts-table').locator('tr[data-alert]');
      await expect.poll(() => alertRows.count()).toBe(1);
      await page.screenshot({ path: SHOT('2-alerts'), fullPage: true });
      await alertRows.first().getByRole('link').click();
      const evidence = page.getByTestId('evidence');
      await evidence.waitFor();
      expect(await evidence.textContent()).toContain('Failed password for root from 185.220.101.7');
      expect(await page.getByTestId('alert-facts').textContent()).toContain('T1110.001');
      expect(await page.getByTestId('alert-listed-by').textContent()).toContain('SOC blocklist');
      expect(await page.getByTestId('alert-decision').textContent()).toContain('Banned');
      await page.screenshot({ path: SHOT('2-alert-detail'), fullPage: true });

      // One-click unban (with its in-place confirmation): the row leaves the active list.
      await page.getByRole('navigation', { name: 'Threats pages' }).getByRole('link', { name: 'Decisions' }).click();
      const row = page.locator('tr[data-decision="203.0.113.7"]');
      await row.waitFor();
      expect(await page.locator('tr[data-decision="185.220.101.7"]').count()).toBe(1);
      await page.screenshot({ path: SHOT('3-decisions'), fullPage: true });
      await row.getByRole('button', { name: 'Unban' }).click();
      await row.getByRole('button', { name: 'Yes, unban' }).click();
      await page.getByText('203.0.113.7 is unbanned.').waitFor();
      await expect.poll(() => row.count()).toBe(0);
      expect(await page.locator('tr[data-decision="185.220.101.7"]').count()).toBe(1);
      await page.screenshot({ path: SHOT('4-unbanned'), fullPage: true });

      // A ban by hand; the allowlist wins over a person too, and the form says so.
      await page.getByRole('button', { name: 'Ban an address' }).click();
      const form = page.getByTestId('ban-form');
      await form.getByLabel('IP address or network').fill('10.1.2.3');
      await form.getByLabel('Reason').fill('scanning our panel');
      await form.getByRole('button', { name: 'Ban', exact: true }).click();
      await form.getByText('That address is on the allowlist').waitFor();
      await page.screenshot({ path: SHOT('4b-ban-refused'), fullPage: true });
      await form.getByLabel('IP address or network').fill('192.0.2.99');
      await form.getByRole('button', { name: 'Ban', exact: true }).click();
      await page.getByText('192.0.2.99 is banned.').waitFor();
      await page.locator('tr[data-decision="192.0.2.99"]').waitFor();

      // The search finds it again among lifted bans.
      await page.getByLabel('State').selectOption('removed');
      await page.getByRole('searchbox', { name: 'Search' }).fill('203.0.113');
      await expect.poll(() => page.getByTestId('decisions-table').textContent()).toContain('Lifted');

      await page.getByRole('navigation', { name: 'Threats pages' }).getByRole('link', { name: 'Feeds' }).click();
      const socRow = page.locator('tr[data-feed="soc-list"]');
      await socRow.waitFor();
      expect(await socRow.getByTestId('feed-status').textContent()).toBe('Fresh');
      expect(await socRow.getByTestId('feed-freshness').textContent()).toMatch(/updated .*ago|updated now/);
      expect(await socRow.textContent()).toContain('Our SOC team');
      const partnerRow = page.locator('tr[data-feed="partner-list"]');
      expect(await partnerRow.getByTestId('feed-status').textContent()).toBe('Failed');
      expect(await partnerRow.getByTestId('feed-freshness').getAttribute('class')).toContain('freshness-late');
      // Operators may look at feeds but not refresh them.
      expect(await page.getByRole('button', { name: 'Refresh now' }).count()).toBe(0);
      await page.screenshot({ path: SHOT('5-feeds'), fullPage: true });
      await page.getByRole('navigation', { name: 'Threats pages' }).getByRole('link', { name: 'Allowlist' }).click();
      await page.getByTestId('allowlist-table').waitFor();
      // Operators cannot change the allowlist: no form.
      expect(await page.getByRole('button', { name: 'Add to allowlist' }).count()).toBe(0);
      await page.screenshot({ path: SHOT('6-allowlist'), fullPage: true });

      // The same live view in Danish.
      await page.getByRole('button', { name: 'Dansk' }).click();
      await page.getByRole('link', { name: 'Live-overblik' }).click();
      await page.getByTestId('threats-chart').waitFor();
      expect(await page.getByTestId('threats-totals').textContent()).toContain('Aktive blokeringer');
      await page.screenshot({ path: SHOT('7-overview-da'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);

    const decisions = await t.app.inject({ method: 'GET', url: '/api/v1/threats/decisions?state=removed', headers: admin });
    const removed = decisions.json<{ items: { value: string; deletedBy: string | null }[] }>().items;
    expect(removed.map((d) => d.value)).toEqual(['203.0.113.7']);
    await t.audit.sink.flush();
    const unban = await t.database.db
      .selectFrom('audit_entries')
      .select(['actor', 'target'])
      .where('action', '=', 'threats.unban')
      .execute();
    expect(unban).toEqual([{ actor: `user:${operator.id}`, target: '203.0.113.7' }]);
  });

  it('the security officer keeps the allowlist and refreshes a feed', async () => {
    if (!browser) throw new Error('setup failed');
    // The role requires MFA: sign in through the API (enrolling it) and hand the session cookie to the browser.
    const officer = await signInAs(t, 'security-officer');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/threats/allowlist`);
      const table = page.getByTestId('allowlist-table');
      // The configured entry is listed but cannot be removed from the console.
      const configRow = table.locator('tr', { hasText: '10.0.0.0/8' });
      await configRow.waitFor();
      expect(await configRow.textContent()).toContain('from configuration');
      expect(await configRow.getByRole('button').count()).toBe(0);

      await page.getByLabel('Address or network').fill('198.51.100.0/24');
      await page.getByLabel('Reason').fill('Customer office in Aarhus');
      await page.getByRole('button', { name: 'Add to allowlist' }).click();
      const added = table.locator('tr', { hasText: '198.51.100.0/24' });
      await added.waitFor();
      expect(await added.textContent()).toContain('Console');
      await page.screenshot({ path: SHOT('8-allowlist-officer'), fullPage: true });
      await added.getByRole('button', { name: 'Remove' }).click();
      await added.getByRole('button', { name: 'Yes, remove' }).click();
      await expect.poll(() => added.count()).toBe(0);

      await page.getByRole('navigation', { name: 'Threats pages' }).getByRole('link', { name: 'Feeds' }).click();
      const socRow = page.locator('tr[data-feed="soc-list"]');
      await socRow.getByRole('button', { name: 'Refresh now' }).click();
      await page.getByText('SOC blocklist: unchanged').waitFor();
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
    const left = await t.app.inject({
      method: 'GET',
      url: '/api/v1/threats/allowlist',
      headers: (await createUserWithToken(t, 'viewer')).headers,
    });
    expect(left.json<{ items: { cidr: string }[] }>().items.map((e) => e.cidr)).toEqual(['10.0.0.0/8']);
  });
});
