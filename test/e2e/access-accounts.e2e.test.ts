import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGrant, addPerson, addSystem } from '../../src/modules/access/accounts.test-data.ts';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage } from '../browser.ts';
import { createUserWithToken, signInAs } from '../identity.ts';

/**
 * The accounts pages end to end (issue 6 items 3, 8 and 9): a real Skjold over HTTPS (in-process, SQLite) with two
 * systems, people (one who has left) and grants; an account list imported from CSV, SSH and control-panel logins
 * from an auth log, and a removal task. The security officer's view in Debian's Chromium: the systems with their
 * discrepancies, one system's accounts with the findings marked, a list uploaded through the form with its rejected
 * rows reported by line, the access log filtered to failures, a task closed by hand, and the Danish page. Screenshots
 * go to a temporary directory (printed) for a person to look at.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env['SKJOLD_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'skjold-accounts-shots-'));
const SHOT = (name: string) => join(SHOTS, `accounts-${name}.png`);

describe.skipIf(!browserTestsRun)('accounts console end to end (Chromium)', () => {
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

  it('the security officer sees discrepancies, uploads a list, reads the access log and closes a task', async () => {
    if (!browser) throw new Error('setup failed');
    console.log(`accounts e2e screenshots: ${SHOTS}`);
    const db = t.database.db;
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const web = await addSystem(db, 'web-01');
    await addSystem(db, 'panel', 'customer');
    const anna = await addPerson(db, 'Anna Jensen', { email: 'anna@example.dk', identifiers: ['anna'] });
    const bo = await addPerson(db, 'Bo Nielsen', { identifiers: ['bo'] });
    await addPerson(db, 'Carl Fratrådt', { identifiers: ['carl'], leftAt: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    await addGrant(db, anna, web, {
      level: 'root',
      privileged: true,
      expiresAt: new Date(Date.now() + 20 * 86_400_000).toISOString(),
    });
    await addGrant(db, bo, web);
    const post = async (url: string, payload: string) => {
      const r = await t.app.inject({ method: 'POST', url, headers: { ...admin, 'content-type': 'text/plain' }, payload });
      expect(r.statusCode, `${url}: ${r.body}`).toBeLessThan(300);
      return r.json<Record<string, unknown>>();
    };
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await post(
      `/api/v1/access/systems/${web}/accounts/import`,
      [
        'username,display name,mail,admin,last login',
        `anna,Anna Jensen,anna@example.dk,yes,${day}`,
        'bo,Bo Nielsen,,yes,',
        'carl,Carl Fratrådt,,no,',
        'backup-svc,Backup service,,no,',
      ].join('\n'),
    );
    const ago = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const rfc5424 = (m: number, msg: string) => `<38>1 ${ago(m)} web-01 sshd 4242 - - ${msg}`;
    const logins = await post(
      '/api/v1/access/login-events/import',
      [
        rfc5424(90, 'Accepted publickey for anna from 192.0.2.10 port 50100 ssh2: ED25519 SHA256:k'),
        rfc5424(60, 'Failed password for root from 203.0.113.50 port 4444 ssh2'),
        rfc5424(59, 'Invalid user oracle from 203.0.113.50 port 4445'),
        rfc5424(30, 'Accepted password for carl from 198.51.100.23 port 40000 ssh2'),
        JSON.stringify({
          time: ago(10),
          system: 'panel',
          account: 'anna',
          ip: '192.0.2.10',
          outcome: 'success',
          method: 'password+totp',
        }),
      ].join('\n'),
    );
    expect(logins).toMatchObject({ recorded: 5, rejected: [] });
    await db.transaction().execute((trx) =>
      t.access.accounts.service.openRemovalTask(trx, {
        systemId: web,
        personId: bo,
        account: 'bo',
        actor: 'system:test',
        reason: 'privileges reduced in review',
      }),
    );

    const officer = await signInAs(t, 'security-officer');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/access/accounts`);
      const systems = page.getByTestId('account-systems-table');
      await systems.getByRole('link', { name: 'web-01' }).waitFor();
      const webRow = systems.locator('tr', { has: page.getByRole('link', { name: 'web-01' }) });
      expect(await webRow.textContent()).toContain('orphaned (no person): 1');
      expect(await webRow.textContent()).toContain('leaver: 1');
      expect(await webRow.textContent()).toContain('privileged without a privileged grant: 1');
      expect(await systems.locator('tr', { hasText: 'panel' }).textContent()).toContain('never imported');
      await page.screenshot({ path: SHOT('1-systems'), fullPage: true });

      await webRow.getByRole('link', { name: 'web-01' }).click();
      const table = page.getByTestId('accounts-table');
      await table.locator('tr[data-discrepancy]').first().waitFor();
      expect(await table.locator('tr.account-discrepancy').count()).toBe(3);
      expect(await table.locator('tr[data-discrepancy="leaver"]').textContent()).toContain('Carl Fratrådt');
      expect(await table.locator('tr[data-discrepancy=""]').textContent()).toContain('root');
      await page.screenshot({ path: SHOT('2-system'), fullPage: true });

      // Upload a new list: backup-svc is gone, one row is bad (reported with its line), the rest applied.
      await page
        .getByLabel('Or paste the list')
        .fill(['account,name,privileged', 'anna,Anna Jensen,yes', 'bo,Bo Nielsen,no', 'carl,Carl,perhaps', ''].join('\n'));
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const result = page.getByTestId('import-result');
      await result.waitFor();
      expect(await result.textContent()).toContain('1 removed; rejected rows: 1');
      expect(await page.getByTestId('import-rejected').textContent()).toContain('line 4');
      expect(await result.textContent()).toContain('backup-svc');
      await table.locator('tr[data-discrepancy="excessive"]').waitFor({ state: 'detached' });
      expect(await table.locator('tr.account-discrepancy').count()).toBe(1);
      await page.screenshot({ path: SHOT('3-uploaded'), fullPage: true });

      const sub = page.getByRole('navigation', { name: 'Access sections' });
      await sub.getByRole('link', { name: 'Access log' }).click();
      const log = page.getByTestId('access-log-table');
      await log.locator('tr[data-outcome]').first().waitFor();
      expect(await log.locator('tr[data-outcome]').count()).toBe(5);
      expect(await log.locator('tr[data-outcome]').first().textContent()).toContain('password+totp');
      await page.screenshot({ path: SHOT('4-access-log'), fullPage: true });
      await page.getByLabel('Outcome').selectOption('failed');
      await log.locator('tr[data-outcome="succeeded"]').first().waitFor({ state: 'detached' });
      expect(await log.locator('tr[data-outcome]').count()).toBe(2);

      await sub.getByRole('link', { name: 'Removal tasks' }).click();
      const tasks = page.getByTestId('tasks-table');
      await tasks.getByText('privileges reduced in review').waitFor();
      await page.screenshot({ path: SHOT('5-tasks'), fullPage: true });
      await tasks.getByRole('button', { name: 'Close…' }).click();
      await tasks.getByLabel('Why (e.g. removed by hand, ticket OPS-123)').fill('removed by hand, ticket OPS-77');
      await tasks.getByRole('button', { name: 'Close task' }).click();
      await tasks.getByText('privileges reduced in review').waitFor({ state: 'detached' });
      await page.getByLabel('State').selectOption('done');
      await tasks.getByText('removed by hand, ticket OPS-77').waitFor();
      await page.screenshot({ path: SHOT('6-task-closed'), fullPage: true });

      await page.getByRole('button', { name: 'Dansk' }).click();
      await page.locator('nav.subnav').getByRole('link', { name: 'Konti', exact: true }).click();
      await page.getByText('Afvigelser').waitFor();
      await page.screenshot({ path: SHOT('7-accounts-da'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
