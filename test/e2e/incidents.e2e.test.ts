import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage, signInThroughForm } from '../browser.ts';
import { createTestUser } from '../identity.ts';

/**
 * Incidents in the console, end to end: a real Skjold over HTTPS (in-process, SQLite) with a signal raised through the
 * incidents module's public SignalSink, driven in Debian's Chromium. An operator finds the triggered incident, opens
 * it, adds a note and acknowledges it; then creates a weekly maintenance window. The database and the audit log show
 * each step.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-results', 'incidents-e2e');

describe.skipIf(!browserTestsRun)('incidents console end to end (Chromium)', () => {
  let t: TestApp;
  let base = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp('sqlite', { tls: true });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  }, 60_000);

  it('an operator acknowledges a triggered incident and schedules maintenance', async () => {
    if (!browser) throw new Error('setup failed');
    const operator = await createTestUser(t, 'operator');
    const raised = await t.incidents.sink.raise(t.database.db, {
      source: 'monitoring',
      dedupKey: 'monitor:shop-https',
      status: 'firing',
      severity: 'critical',
      summary: 'shop.example.dk answers 503',
    });
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await signInThroughForm(page, base, operator.username, operator.password);
      await page.getByRole('link', { name: 'Incidents' }).click();
      const row = page.locator(`tr[data-incident="${raised.incidentId}"]`);
      await expect.poll(() => row.getByTestId('incident-state').textContent()).toContain('Triggered');
      await row.getByRole('link', { name: 'shop.example.dk answers 503' }).click();
      await page.getByTestId('incident-timeline').waitFor();
      await page.getByLabel('Add a note').fill('Restarting php-fpm on web1.');
      await page.getByRole('button', { name: 'Add note' }).click();
      await page.getByText('Restarting php-fpm on web1.').waitFor();
      await page.getByTestId('incident-ack').click();
      await page.getByText('Acknowledged. Escalation stops.').waitFor();
      expect(await page.getByTestId('incident-state').textContent()).toContain('Acknowledged');
      await page.screenshot({ path: join(SHOTS, 'acknowledged.png'), fullPage: true });

      await page.getByRole('link', { name: 'Maintenance' }).click();
      await page.getByRole('button', { name: 'New window' }).click();
      const form = page.getByTestId('maintenance-form');
      await form.getByLabel('Title').fill('Firewall firmware');
      await form.getByLabel('Change reference').fill('CHG-120');
      await form.getByLabel('Dedup-key prefixes').fill('host:fw1, host:fw2');
      await form.getByLabel('Repeats').selectOption('weekly');
      await form.getByLabel('Start time').fill('02:30');
      await form.getByLabel('Sat').check();
      await form.getByRole('button', { name: 'Create window' }).click();
      await page.getByText('Window “Firewall firmware” created.').waitFor();
      await page.screenshot({ path: join(SHOTS, 'maintenance.png'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);

    const inc = await t.incidents.service.get(t.database.db, raised.incidentId);
    expect(inc).toMatchObject({ state: 'acknowledged', acknowledgedBy: `user:${operator.id}` });
    // The escalation entry says nobody was paged (no escalation policy is set up in this test).
    expect(inc.timeline.map((e) => e.kind)).toEqual(['state', 'signal', 'escalation', 'note', 'ack']);
    expect(inc.timeline[4]).toMatchObject({ actorName: operator.username });
    const [w] = await t.incidents.maintenance.list(t.database.db, false);
    expect(w).toMatchObject({
      title: 'Firewall firmware',
      changeRef: 'CHG-120',
      keyPrefixes: ['host:fw1', 'host:fw2'],
      kind: 'weekly',
      weekdays: [6, 7],
      localTime: '02:30',
      timeZone: 'Europe/Copenhagen',
    });
    await t.audit.sink.flush();
    const actions = (
      await t.database.db.selectFrom('audit_entries').select('action').where('outcome', '=', 'allowed').execute()
    ).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['incidents.note', 'incidents.ack', 'maintenance.write']));
  }, 90_000);
});
