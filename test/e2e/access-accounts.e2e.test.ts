import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGrant, addPerson, addSystem } from '../../src/modules/access/accounts.test-data.ts';
import { ADMIN_DN, ADMIN_PW, PEOPLE_LDIF, startSlapd } from '../../src/modules/access/accounts.test-slapd.ts';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage } from '../browser.ts';
import { createUserWithToken, signInAs } from '../identity.ts';

/**
 * The accounts pages end to end (issue 6 items 3, 8 and 9): a real Skjold over HTTPS (in-process, SQLite) with two
 * systems, people (one who has left) and grants; an account list imported from CSV, SSH and control-panel logins
 * from an auth log, and a removal task. The security officer's view in Debian's Chromium: the systems with their
 * discrepancies, one system's accounts with the findings marked, a list uploaded through the form with its rejected
 * rows reported by line, the access log filtered to failures, a task closed by hand, and the Danish page. Then a
 * system's LDAP source set up through its form against a real slapd (Debian's, started here): a bad URL refused by
 * the server, a pull from a closed port showing the directory's error, and, with the stored bind password kept, a
 * pull that imports the accounts. Screenshots go to a temporary directory (printed) for a person to look at.
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
  it('the security officer sets up an LDAP source, sees a failing pull, then pulls the accounts from a real slapd', async () => {
    if (!browser) throw new Error('setup failed');
    const db = t.database.db;
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const sys = await addSystem(db, 'corp-directory');
    await addPerson(db, 'Alice Admin', { email: 'alice@example.org', identifiers: ['alice'] });
    // A loopback port nothing listens on: the first pull fails there.
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 1));
      });
    });
    const slapd = await startSlapd();
    const officer = await signInAs(t, 'security-officer');
    const { context, page, problems } = await openConsolePage(browser);
    try {
      await slapd.ldif(PEOPLE_LDIF);
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/access/accounts/${sys}`);
      const ldap = page.getByRole('form', { name: 'LDAP / Active Directory source' });
      await ldap.getByTestId('ldap-status').getByText('not configured').waitFor();
      expect(await ldap.getByTestId('ldap-password-state').textContent()).toBe('not set');
      expect(await ldap.getByRole('button', { name: 'Pull now' }).isDisabled()).toBe(true);

      // A wrong URL: the server's message stands beside the field, nothing is stored.
      await ldap.getByLabel('Server URL').fill('http://dc1.example.org');
      await ldap.getByLabel('Bind DN').fill(ADMIN_DN);
      await ldap.getByLabel('Bind password').fill(ADMIN_PW);
      await ldap.getByLabel('Search base').fill('ou=people,dc=example,dc=org');
      await ldap.getByLabel('Filter').fill('(objectClass=inetOrgPerson)');
      await ldap.getByLabel('Account name').fill('uid');
      await ldap.getByLabel('Display name').fill('cn');
      await ldap.getByLabel('Privileged groups').fill('admins');
      await ldap.getByLabel(/Pull every/).fill('60');
      await ldap.getByRole('button', { name: 'Save source' }).click();
      await ldap
        .locator('.field-invalid', { hasText: 'Server URL' })
        .locator('.field-error', { hasText: 'ldap://host[:port] or ldaps://host[:port]' })
        .waitFor();
      const none = await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/ldap`, headers: admin });
      expect(none.statusCode).toBe(404);

      await ldap.getByLabel('Server URL').fill(`ldap://127.0.0.1:${closed}`);
      await ldap.getByRole('button', { name: 'Save source' }).click();
      await ldap.getByText('The LDAP source is saved.').waitFor();
      expect(await ldap.getByTestId('ldap-password-state').textContent()).toBe('set');
      expect(await ldap.getByLabel('Bind password').inputValue()).toBe('');
      await ldap.getByRole('button', { name: 'Pull now' }).click();
      const failed = ldap.getByTestId('ldap-pull-result').getByRole('alert');
      await failed.waitFor();
      expect(await failed.textContent()).toContain(`LDAP ldap://127.0.0.1:${closed}`);
      await ldap.getByTestId('ldap-last-pull').getByText('failed').waitFor();
      await page.screenshot({ path: SHOT('8-ldap-failed'), fullPage: true });

      // The real directory; the password field left empty keeps the stored password.
      await ldap.getByLabel('Server URL').fill(slapd.url);
      await ldap.getByRole('button', { name: 'Save source' }).click();
      await ldap.getByText('The LDAP source is saved.').waitFor();
      expect(await ldap.getByTestId('ldap-password-state').textContent()).toBe('set');
      await ldap.getByRole('button', { name: 'Pull now' }).click();
      const pulled = ldap.getByTestId('import-result');
      await pulled.waitFor();
      expect(await pulled.textContent()).toContain('Imported: 2 added, 0 changed, 0 unchanged, 0 removed; rejected rows: 0.');
      await ldap.getByTestId('ldap-last-pull').getByText('2 added, 0 changed, 0 unchanged, 0 removed').waitFor();
      const table = page.getByTestId('accounts-table');
      await table.getByText('alice', { exact: true }).waitFor();
      expect(await table.locator('tr', { hasText: 'alice' }).textContent()).toContain('privileged');
      expect(await table.locator('tr', { hasText: 'bob' }).textContent()).toContain('no matching person');
      await page.screenshot({ path: SHOT('9-ldap-pulled'), fullPage: true });

      const stored = await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/ldap`, headers: admin });
      expect(stored.json()).toMatchObject({
        url: slapd.url,
        bindDn: ADMIN_DN,
        hasPassword: true,
        attributes: { account: 'uid', name: 'cn', mail: 'mail', memberOf: 'memberOf' },
        privilegedGroups: ['admins'],
        intervalMinutes: 60,
      });
      expect(stored.body).not.toContain(ADMIN_PW);

      await page.getByRole('button', { name: 'Dansk' }).click();
      const da = page.getByRole('form', { name: 'LDAP- / Active Directory-kilde' });
      await da.getByRole('button', { name: 'Hent nu' }).waitFor();
      expect(await da.getByTestId('ldap-password-state').textContent()).toBe('angivet');
      await page.screenshot({ path: SHOT('10-ldap-da'), fullPage: true });

      // Removing the source asks first; Cancel keeps it, Yes removes it (the imported accounts stay).
      await da.getByRole('button', { name: 'Fjern kilde' }).click();
      const ask = da.getByRole('group', { name: /^Fjern LDAP-kilden/ });
      await ask.waitFor();
      await page.screenshot({ path: SHOT('11-ldap-remove-confirm'), fullPage: true });
      await ask.getByRole('button', { name: 'Annuller' }).click();
      expect(await da.getByTestId('ldap-status').getByText('opsat', { exact: true }).count()).toBe(1);
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/ldap`, headers: admin })).statusCode).toBe(
        200,
      );
      await da.getByRole('button', { name: 'Fjern kilde' }).click();
      await da.getByRole('button', { name: 'Ja, fjern kilde' }).click();
      await da.getByText('LDAP-kilden er fjernet. De allerede importerede konti bliver.').waitFor();
      await da.getByTestId('ldap-status').getByText('ikke opsat').waitFor();
      expect(await da.getByRole('button', { name: 'Fjern kilde' }).count()).toBe(0);
      expect(await da.getByRole('button', { name: 'Hent nu' }).isDisabled()).toBe(true);
      expect(await da.getByLabel('Server-URL').inputValue()).toBe('');
      expect(await table.getByText('alice', { exact: true }).count()).toBe(1);
      await page.screenshot({ path: SHOT('12-ldap-removed'), fullPage: true });
      const gone = await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/ldap`, headers: admin });
      expect(gone.statusCode).toBe(404);
      const accountsLeft = await t.app.inject({ method: 'GET', url: `/api/v1/access/systems/${sys}/accounts`, headers: admin });
      expect(accountsLeft.json<{ items: unknown[] }>().items).toHaveLength(2);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await slapd.stop();
    }
  }, 120_000);
});
