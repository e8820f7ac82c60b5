import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/identity/index.ts';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage, signInThroughForm } from '../browser.ts';
import { signInAs } from '../identity.ts';
import { startHttpReceiver, type HttpReceiver } from '../receivers.ts';

/**
 * Paging in the console, end to end: a real Skjold over HTTPS (in-process, SQLite) and a real HTTP receiver on
 * 127.0.0.1, driven in Debian's Chromium. An administrator creates a webhook channel (a too-short secret is refused
 * next to its field first) and an escalation policy through the console; a signal raised through the incidents
 * module's SignalSink is paged to the receiver, and the incident detail shows the page as sent.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'test-results', 'paging-e2e');

/** Finish the second sign-in step with the authenticator code (the enrolment may have used the current one). */
async function passMfa(page: Page, t: TestApp, secret: string): Promise<void> {
  await page.getByLabel('Code').waitFor();
  for (const ahead of [0, 30_000]) {
    await page.getByLabel('Code').fill(totpCode(secret, new Date(t.clock.now().getTime() + ahead)));
    await page.getByRole('button', { name: 'Verify' }).click();
    const inside = await page
      .getByRole('link', { name: 'On call' })
      .waitFor({ timeout: 3_000 })
      .then(() => true)
      .catch(() => false);
    if (inside) return;
  }
  throw new Error('the MFA step did not let the administrator in');
}

describe.skipIf(!browserTestsRun)('paging console end to end (Chromium)', () => {
  let t: TestApp;
  let base = '';
  let browser: Browser | undefined;
  let receiver: HttpReceiver | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp('sqlite', { tls: true });
    base = `https://127.0.0.1:${await t.listen()}`;
    receiver = await startHttpReceiver();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.dispose();
  }, 60_000);

  it('an admin sets up a webhook channel and a policy; the page is sent and shown on the incident', async () => {
    if (!browser || !receiver) throw new Error('setup failed');
    const admin = await signInAs(t, 'admin');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await signInThroughForm(page, base, admin.user.username, admin.password);
      await passMfa(page, t, admin.totpSecret ?? '');

      // A webhook channel; the first try has a secret that is too short and is refused beside that field.
      await page.getByRole('link', { name: 'On call' }).click();
      await page.getByRole('link', { name: 'Channels' }).click();
      await page.getByRole('button', { name: 'New channel' }).click();
      const cform = page.getByTestId('channel-form');
      await cform.getByLabel('Kind').selectOption('webhook');
      await cform.getByLabel('Name').fill('ops-webhook');
      await cform.getByLabel('URL').fill(`${receiver.url}/hook`);
      await cform.getByLabel('Signing secret').fill('short');
      await cform.getByRole('button', { name: 'Create channel' }).click();
      await expect.poll(() => cform.getByLabel('Signing secret').getAttribute('aria-invalid')).toBe('true');
      await cform.getByLabel('Signing secret').fill('a signing secret long enough');
      await cform.getByRole('button', { name: 'Create channel' }).click();
      await page.getByText('Channel “ops-webhook” created.').waitFor();
      const crow = page.locator('tr[data-channel="ops-webhook"]');
      await expect.poll(() => crow.textContent()).toContain('secret ✓');
      expect(await crow.textContent()).not.toContain('a signing secret long enough');
      await page.screenshot({ path: join(SHOTS, 'channels.png'), fullPage: true });

      // A policy: level 1 pages the channel, level 2 the administrator after 5 minutes.
      await page.getByRole('link', { name: 'Escalation' }).click();
      await page.getByRole('button', { name: 'New policy' }).click();
      const pform = page.getByTestId('policy-form');
      await pform.getByLabel('Name', { exact: true }).fill('Primary');
      await pform.getByLabel('Target 1').selectOption('channel');
      await pform.getByLabel('Who or what (1)').selectOption('ops-webhook');
      await pform.getByRole('button', { name: 'Add level' }).click();
      const level2 = pform.getByTestId('level-edit').nth(1);
      await level2.getByLabel('Who or what (1)').selectOption(admin.user.username);
      await pform.getByLabel('Escalate after (minutes)').fill('5');
      await pform.getByRole('button', { name: 'Create policy' }).click();
      await page.getByText('Policy “Primary” created.').waitFor();
      const ladder = page.locator('[data-policy="Primary"] .ladder');
      await expect.poll(() => ladder.textContent()).toContain('5 min');
      expect(await ladder.textContent()).toContain('ops-webhook');
      await page.screenshot({ path: join(SHOTS, 'escalation.png'), fullPage: true });

      // A signal, paged through the webhook.
      const raised = await t.incidents.sink.raise(t.database.db, {
        source: 'monitoring',
        dedupKey: 'monitor:shop-https',
        status: 'firing',
        severity: 'critical',
        summary: 'shop.example.dk answers 503',
      });
      await t.oncall.pager.runOnce();
      await t.oncall.pager.idle();
      const [hook] = await receiver.waitFor(1);
      expect(hook).toMatchObject({ method: 'POST', url: '/hook' });
      expect(hook?.headers['x-skjold-signature']).toBeTruthy();

      await page.goto(`${base}/incidents/${raised.incidentId}`);
      const panel = page.getByTestId('incident-pages');
      const row = panel.locator('tr[data-state="sent"]');
      await row.waitFor();
      expect(await row.getByTestId('page-state').textContent()).toContain('Sent');
      expect(await row.textContent()).toContain('webhook:ops-webhook');
      expect(await panel.textContent()).toContain('Level 1');
      await page.screenshot({ path: join(SHOTS, 'incident-pages.png'), fullPage: true });
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);

    const [policy] = await t.oncall.paging.listPolicies(t.database.db);
    expect(policy).toMatchObject({
      name: 'Primary',
      levels: [
        { targets: [{ channel: 'ops-webhook' }], escalateAfterSeconds: 300 },
        { targets: [{ user: admin.user.username }], escalateAfterSeconds: 600 },
      ],
      repeat: 0,
      isDefault: false,
    });
    const [channel] = await t.oncall.paging.listChannels(t.database.db);
    expect(channel).toMatchObject({ name: 'ops-webhook', kind: 'webhook', secretsSet: ['secret'] });
    await t.audit.sink.flush();
    const actions = (
      await t.database.db.selectFrom('audit_entries').select('action').where('outcome', '=', 'allowed').execute()
    ).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['oncall.channels.create', 'oncall.policies.create']));
  }, 120_000);
});
