import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium } from '../browser.ts';
import { createUserWithToken } from '../identity.ts';

/**
 * The public status page (issue 3, item 14) in Debian's Chromium, without signing in: three public components with
 * 90 days of aggregates, one private monitor, one open incident. The page must call no API but `/api/v1/status`,
 * render 90 bars per component, switch to Danish, and fit a phone. Screenshots in test-results/status-page-e2e.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-results', 'status-page-e2e');
const DAY = 86_400_000;

describe.skipIf(!browserTestsRun)('public status page (Chromium, not signed in)', () => {
  let t: TestApp;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp('sqlite', { tls: true, env: { SKJOLD_MONITORING_STATUS_TITLE: 'Nordhost' } });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();

    const { headers } = await createUserWithToken(t, 'operator');
    const ids: Record<string, string> = {};
    for (const [name, component] of [
      ['web1', 'Webhotel'],
      ['mx1', 'E-mail'],
      ['mx2', 'E-mail'],
      ['cp', 'Control panel'],
      ['db7', null],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/monitors',
        headers,
        payload: { type: 'tcp', name, host: `${name}.internal`, port: 443, publicComponent: component },
      });
      expect(r.statusCode, r.body).toBe(201);
      ids[name] = r.json<{ id: string }>().id;
    }
    const today = Math.floor(Date.now() / DAY) * DAY;
    const rows = [];
    for (let i = 1; i < 90; i++) {
      const start = new Date(today - i * DAY).toISOString();
      // One of two e-mail servers is down: E-mail is degraded (all down would be an outage).
      // Webhotel had a bad day 12 days ago and a wobble 40 days ago; e-mail began 60 days ago.
      rows.push({ id: ids['web1'], start, failures: i === 12 ? 150 : i === 40 ? 5 : 0 });
      if (i < 60) rows.push({ id: ids['mx1'], start, failures: i === 3 ? 20 : 0 });
      rows.push({ id: ids['cp'], start, failures: 0 });
    }
    await t.database.db
      .insertInto('monitoring_rollups')
      .values(
        rows.map((r) => ({
          monitor_id: r.id ?? '',
          location: 'local',
          bucket: 'day' as const,
          start: r.start,
          count: 1440,
          failures: r.failures,
          min_ms: 10,
          avg_ms: 20,
          max_ms: 30,
          p95_ms: 25,
        })),
      )
      .execute();
    await t.database.db
      .updateTable('monitoring_monitors')
      .set({ state: 'down' })
      .where('id', '=', ids['mx1'] ?? '')
      .execute();
    await t.incidents.sink.raise(t.database.db, {
      source: 'monitoring',
      dedupKey: `monitor:${ids['mx1']}`,
      status: 'firing',
      severity: 'major',
      summary: 'SMTP mx1.internal:25 down: connection refused',
      component: 'E-mail',
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  }, 60_000);

  it('shows components, 90 bars each, the incident and the banner, in English and Danish, on desktop and phone', async () => {
    if (!browser) throw new Error('setup failed');
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    const apiCalls: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const scripts: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/')) apiCalls.push(u.pathname);
      if (u.pathname.startsWith('/assets/') && u.pathname.endsWith('.js')) scripts.push(u.pathname.slice('/assets/'.length));
    });
    try {
      await page.goto(`${base}/status`);
      await expect.poll(() => page.getByTestId('status-banner').textContent()).toBe('Some systems are degraded');
      expect(await page.getByTestId('status-provider').textContent()).toBe('Nordhost');
      const components = page.getByTestId('status-component');
      expect(await components.count()).toBe(3);
      for (let i = 0; i < 3; i++) expect(await components.nth(i).locator('rect').count()).toBe(90);
      expect(await components.allTextContents()).toEqual([
        expect.stringContaining('Control panel') as unknown,
        expect.stringContaining('E-mail') as unknown,
        expect.stringContaining('Webhotel') as unknown,
      ]);
      expect(await page.getByText('Disruption affecting E-mail').count()).toBe(1);
      const body = (await page.textContent('body')) ?? '';
      expect(body).not.toContain('internal');
      expect(body).not.toContain('db7');
      // The bad day's tooltip.
      const bad = components.nth(2).locator('rect.status-bar-bad title');
      expect(await bad.textContent()).toMatch(/89\.58 %$/);
      await page.screenshot({ path: join(SHOTS, '1-status-en.png'), fullPage: true });

      await page.getByTestId('lang-da').click();
      await expect.poll(() => page.getByTestId('status-banner').textContent()).toBe('Nogle systemer har forstyrrelser');
      await page.screenshot({ path: join(SHOTS, '2-status-da.png'), fullPage: true });

      await page.setViewportSize({ width: 375, height: 812 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, '3-status-phone.png'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(errors).toEqual([]);
    expect([...new Set(apiCalls)]).toEqual(['/api/v1/status']);
    // A customer downloads the status page's code, not the console's: no sign-in screen, no section.
    expect(scripts.some((s) => s.startsWith('status-page-'))).toBe(true);
    expect(scripts.filter((s) => /^app-|-section-|-page-/.test(s) && !s.startsWith('status-page-'))).toEqual([]);
  });
});
