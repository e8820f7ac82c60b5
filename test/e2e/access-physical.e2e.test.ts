import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage } from '../browser.ts';
import { createUserWithToken, signInAs } from '../identity.ts';

/**
 * The physical-access pages end to end (issue 6 items 4, 5 and 8): a real Skjold over HTTPS (in-process, SQLite)
 * with a Danish data centre whose side entrance has no camera, a Swedish one holding customer data (P1), people with
 * badges and site grants, and a day of badge events imported from the card system's CSV. The security officer's view
 * in Debian's Chromium: the sites list with residency and camera gaps, one site's doors, cameras and who may enter,
 * the badge events with denied uses marked and the per-day chart, and site grants approved in place. Screenshots go
 * to a temporary directory (printed) for a person to look at.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env['SKJOLD_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'skjold-physical-shots-'));
const SHOT = (name: string) => join(SHOTS, `physical-${name}.png`);

describe.skipIf(!browserTestsRun)('physical access console end to end (Chromium)', () => {
  let t: TestApp;
  let base = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    t = await createTestApp('sqlite', { tls: true });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  }, 60_000);

  it('the security officer sees residency, camera gaps, who may enter, badge events and approves site access', async () => {
    if (!browser) throw new Error('setup failed');
    console.log(`physical e2e screenshots: ${SHOTS}`);
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> => {
      const r = await t.app.inject({ method, url, headers: admin, ...(payload ? { payload: payload } : {}) });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json<T>();
    };
    const now = new Date().toISOString();
    const person = async (name: string) => {
      const id = randomUUID();
      await t.database.db
        .insertInto('access_people')
        .values({
          id,
          name,
          email: `${name.split(' ')[0]?.toLowerCase() ?? id}@example.dk`,
          kind: 'employee',
          team: 'Drift',
          manager_id: null,
          status: 'active',
          left_at: null,
          user_id: null,
          identifiers: '[]',
          created_at: now,
          updated_at: now,
        })
        .execute();
      return id;
    };

    await call('POST', '/api/v1/access/sites/apply', {
      sites: [
        {
          name: 'DC Ballerup',
          address: 'Industriparken 20, 2750 Ballerup',
          country: 'DK',
          holds: ['customer-data', 'backups'],
          operator: 'Nordic Colo A/S',
          doors: [{ name: 'Main entrance' }, { name: 'Side entrance' }, { name: 'Cage 12', entrance: false }],
          cameras: [{ name: 'CAM-01', covers: 'Main entrance' }],
        },
        {
          name: 'DC Malmö',
          address: 'Hamngatan 4, Malmö',
          country: 'SE',
          holds: ['customer-data'],
          operator: 'Öresund DC AB',
          doors: [{ name: 'Gate' }],
          cameras: [{ name: 'CAM-G', covers: 'Gate' }],
        },
      ],
    });
    const sites = (await call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/access/sites')).items;
    const ballerup = sites.find((s) => s.name === 'DC Ballerup')?.id ?? '';
    const anna = await person('Anna Jensen');
    const bo = await person('Bo Nielsen');
    await call('POST', '/api/v1/access/badges', { number: '40017', personId: anna });
    await call('POST', '/api/v1/access/badges', { number: '40022', personId: bo });
    const g = await call<{ id: string }>('POST', '/api/v1/access/site-grants', {
      personId: anna,
      siteId: ballerup,
      justification: 'Hardware replacement and cabling',
      startsAt: new Date(Date.now() - 7 * 86_400_000).toISOString(),
      expiresAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
    });
    const officer = await signInAs(t, 'security-officer');
    // The officer approves Anna's grant through the API; Bo's waits for approval in the console.
    await t.app.inject({ method: 'POST', url: `/api/v1/access/site-grants/${g.id}/approve`, headers: officer.headers });
    await call('POST', '/api/v1/access/site-grants', {
      personId: bo,
      siteId: ballerup,
      justification: 'Quarterly UPS inspection',
    });

    const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
    const rows = [
      'timestamp,card_number,reader,location,outcome',
      `${at(50)},40017,Main entrance,DC Ballerup,granted`,
      `${at(49)},40017,Cage 12,DC Ballerup,granted`,
      `${at(26)},40017,Main entrance,DC Ballerup,granted`,
      `${at(25)},40022,Side entrance,DC Ballerup,denied`,
      `${at(3)},40022,Main entrance,DC Ballerup,granted`,
      `${at(2)},99999,Side entrance,DC Ballerup,denied`,
      `${at(1)},40017,Main entrance,DC Ballerup,granted`,
      `${at(1)},40017,Main entrance,Somewhere else,granted`,
    ];
    const imp = await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/badge-events/import',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: rows.join('\n'),
    });
    expect(imp.json()).toMatchObject({ accepted: 7, rejected: 1 });

    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/access/sites`);
      const table = page.getByTestId('sites-table');
      const dk = table.locator('tr[data-site="DC Ballerup"]');
      await dk.waitFor();
      expect(await dk.getByTestId('residency').textContent()).toBe('In order');
      expect(await dk.getByTestId('camera-gaps').textContent()).toBe('1 without camera: Side entrance');
      const se = table.locator('tr[data-site="DC Malmö"]');
      expect(await se.getByTestId('residency').textContent()).toBe('Customer data outside the residency countries');
      expect(await se.getByTestId('camera-gaps').textContent()).toBe('All covered');
      await page.screenshot({ path: SHOT('1-sites'), fullPage: true });

      await dk.getByRole('link', { name: 'DC Ballerup' }).click();
      await page.getByTestId('doors-table').waitFor();
      expect(await page.getByTestId('camera-gap-alert').textContent()).toContain('Side entrance');
      expect(
        await page.getByTestId('doors-table').locator('tr[data-door="Side entrance"]').getByTestId('door-gap').textContent(),
      ).toBe('No camera');
      expect(await page.getByTestId('site-access-table').textContent()).toContain('Anna Jensen');
      expect(await page.getByTestId('site-access-table').textContent()).toContain('40017');
      await page.screenshot({ path: SHOT('2-site'), fullPage: true });

      // The gap closes when a camera covers the side entrance.
      await page.getByLabel('New camera').fill('CAM-02');
      await page.getByLabel('Covers door').selectOption({ label: 'Side entrance' });
      await page.getByRole('button', { name: 'Add' }).nth(1).click();
      await page.getByTestId('camera-gap-alert').waitFor({ state: 'detached' });

      const sub = page.getByRole('navigation', { name: 'Access sections' });
      await sub.getByRole('link', { name: 'Badge events' }).click();
      const events = page.getByTestId('badge-events-table');
      await events.locator('tr[data-result]').first().waitFor();
      expect(await events.locator('tr[data-result]').count()).toBe(7);
      expect(await events.locator('tr.badge-denied').count()).toBe(2);
      expect(await events.locator('tr[data-result]').first().textContent()).toContain('40017');
      expect(await events.textContent()).toContain('Unknown badge');
      expect(await events.getByText('No site grant').count()).toBe(1);
      expect(await page.getByTestId('badge-chart').locator('rect.bar-denied').count()).toBe(30);
      await page.screenshot({ path: SHOT('3-badge-events'), fullPage: true });
      await page.getByLabel('Result').selectOption('denied');
      await events.locator('tr[data-result="granted"]').first().waitFor({ state: 'detached' });
      expect(await events.locator('tr[data-result]').count()).toBe(2);

      // Badges: a new card for Bo, and his old one revoked as lost.
      const badges = page.getByTestId('badges-table');
      const issue = page.getByRole('form', { name: 'Issue badge' });
      await issue.getByLabel('Badge number').fill('40031');
      await issue.getByLabel('Person').selectOption({ label: 'Bo Nielsen' });
      await issue.getByRole('button', { name: 'Issue badge' }).click();
      const fresh = badges.locator('tr[data-badge="40031"]');
      await fresh.waitFor();
      expect(await fresh.textContent()).toContain('Bo Nielsen');
      const lost = badges.locator('tr[data-badge="40022"]');
      await lost.getByRole('button', { name: 'Revoke' }).click();
      await lost.getByLabel('Reason').fill('Card lost');
      await lost.getByRole('button', { name: 'Revoke' }).click();
      await lost.waitFor({ state: 'detached' });
      await page.getByLabel('Show revoked badges').check();
      await lost.getByText('Card lost').waitFor();
      expect(await lost.textContent()).toContain('Revoked');

      // A file from the card system: one new event, one already held, and two bad lines reported by number.
      const upload = [
        'time,badge,door,site,result',
        `${at(0.5)},40031,Main entrance,DC Ballerup,granted`,
        rows[1],
        `${at(0.4)},40031,Main entrance,DC Nowhere,granted`,
        'not a badge event',
        '',
      ].join('\n');
      await page.getByLabel('File from the access-card system').setInputFiles({
        name: 'badges.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(upload),
      });
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const result = page.getByTestId('badge-import-result');
      await result.waitFor();
      expect(await result.getByRole('status').textContent()).toBe('1 accepted, 1 duplicates, 2 rejected');
      const lines = result.locator('tr[data-line]');
      expect(
        await lines.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-line'), tr.getAttribute('data-status')])),
      ).toEqual([
        ['2', 'accepted'],
        ['3', 'duplicate'],
        ['4', 'rejected'],
        ['5', 'rejected'],
      ]);
      expect(await result.locator('tr[data-line="4"]').textContent()).toContain('unknown site DC Nowhere');
      await page.getByLabel('Result').selectOption('granted');
      await events.locator('tr[data-result]', { hasText: '40031' }).waitFor();
      await page.screenshot({ path: SHOT('3b-badges-import'), fullPage: true });

      await sub.getByRole('link', { name: 'Site access' }).click();
      const grants = page.getByTestId('site-grants-table');
      await grants.getByText('Quarterly UPS inspection').waitFor();
      await page.screenshot({ path: SHOT('4-site-grants'), fullPage: true });
      await grants.getByRole('button', { name: 'Approve' }).click();
      await grants.getByRole('button', { name: 'Approve' }).waitFor({ state: 'detached' });
      expect(await grants.getByRole('button', { name: 'Revoke' }).count()).toBe(2);
      await page.screenshot({ path: SHOT('5-approved'), fullPage: true });

      // A new request through the form: pending until someone approves it.
      await page.getByRole('button', { name: 'Request site access' }).click();
      const form = page.getByRole('form', { name: 'Request site access' });
      await form.getByLabel('Person').selectOption({ label: 'Anna Jensen' });
      await form.getByLabel('Site').selectOption({ label: 'DC Malmö' });
      await form.getByLabel('Work-related need').fill('Migration of customer racks');
      await form.getByLabel(/Expires/).fill('2030-01-31');
      await form.getByRole('button', { name: 'Request site access' }).click();
      const pending = grants.locator('tr', { hasText: 'Migration of customer racks' });
      await pending.waitFor();
      expect(await pending.textContent()).toContain('Pending');
      expect(await pending.textContent()).toContain('31/01/2030');
      await page.screenshot({ path: SHOT('5b-requested'), fullPage: true });

      await page.getByRole('button', { name: 'Dansk' }).click();
      await page.getByRole('link', { name: 'Lokationer' }).click();
      await page.getByText('Kundedata uden for de tilladte lande').waitFor();
      await page.screenshot({ path: SHOT('6-sites-da'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
