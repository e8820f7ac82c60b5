import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Closable, httpServer } from '../../src/modules/monitoring/checks/check.test-servers.ts';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage, signInThroughForm } from '../browser.ts';
import { createTestUser, createUserWithToken } from '../identity.ts';

/**
 * The on-call loop end to end (issue 3, item 14): a real HTTP target on loopback starts answering 503, the monitoring
 * engine (driven step by step on a ManualClock) sees two failures, the incident opens, and an operator in Debian's
 * Chromium finds the monitor down, opens its incident from the list and acknowledges it.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-results', 'failing-monitor-e2e');

describe.skipIf(!browserTestsRun)('from a failing monitor to an acknowledged incident (Chromium)', () => {
  let t: TestApp;
  let target: Closable;
  let status = 200;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    target = await httpServer((_req, res) => {
      res.statusCode = status;
      res.end(status === 200 ? 'welcome' : 'upstream down');
    });
    t = await createTestApp('sqlite', { tls: true, manualClock: true });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
    await target?.close();
  }, 60_000);

  it('the operator sees the monitor down and acknowledges its incident', async () => {
    if (!browser) throw new Error('setup failed');
    const { headers } = await createUserWithToken(t, 'operator');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/monitors',
      headers,
      payload: { type: 'http', name: 'Webshop', url: `http://127.0.0.1:${target.port}/`, intervalSeconds: 10, timeoutSeconds: 2 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const monitorId = created.json<{ id: string }>().id;
    const step = async () => {
      t.manualClock!.advance(10_000);
      await t.monitoring.engine.runDue();
    };
    await step();
    status = 503;
    await step();
    await step();
    const incident = await t.database.db
      .selectFrom('incidents_incidents')
      .select(['id', 'state'])
      .where('dedup_key', '=', `monitor:${monitorId}`)
      .executeTakeFirstOrThrow();
    expect(incident.state).toBe('triggered');

    const operator = await createTestUser(t, 'operator');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await signInThroughForm(page, base, operator.username, operator.password);
      await page.getByRole('link', { name: 'Monitors' }).click();
      const row = page.getByTestId('monitors-table').locator('tr', { hasText: 'Webshop' });
      await expect.poll(() => row.textContent()).toContain('Down');
      expect(await row.textContent()).toContain('503');
      await page.screenshot({ path: join(SHOTS, '1-monitor-down.png'), fullPage: true });

      await page.getByRole('link', { name: 'Incidents' }).click();
      const incidentRow = page.locator(`tr[data-incident="${incident.id}"]`);
      await expect.poll(() => incidentRow.getByTestId('incident-state').textContent()).toContain('Triggered');
      await incidentRow.getByRole('link').first().click();
      await page.getByTestId('incident-timeline').waitFor();
      await page.getByTestId('incident-ack').click();
      await expect.poll(() => page.getByTestId('incident-state').textContent()).toContain('Acknowledged');
      await page.screenshot({ path: join(SHOTS, '2-acknowledged.png'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
    const after = await t.database.db
      .selectFrom('incidents_incidents')
      .select('state')
      .where('id', '=', incident.id)
      .executeTakeFirstOrThrow();
    expect(after.state).toBe('acknowledged');
    await t.audit.sink.flush();
    const ack = await t.database.db
      .selectFrom('audit_entries')
      .select(['actor', 'outcome'])
      .where('action', '=', 'incidents.ack')
      .execute();
    expect(ack).toEqual([{ actor: `user:${operator.id}`, outcome: 'allowed' }]);
  });
});
