import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage } from '../browser.ts';
import { createUserWithToken, signInAs } from '../identity.ts';

/**
 * The people, systems, grants and privileged-list pages end to end (issue 6 items 1, 2 and 8): a real Skjold over
 * HTTPS (in-process, SQLite) set up through the apply endpoints as `skjold apply` sends them, by an admin's token, so
 * the privileged grant waits for a second approver. The security officer's view in Debian's Chromium: people with
 * their manager and account names, systems with levels, grants with the expiring one highlighted, the second approval
 * given in place, a just-in-time request approved, their own pending grant without an Approve button, a rejection with
 * its reason, the privileged list, and the Danish grants page. Then a system edited (a level with a pending grant
 * refused by the server, a level added between two), and a grant's own page: its history as a timeline, the second
 * approval given there, the grant reduced to a lower level of the system and the replacement revoked. Screenshots go
 * to a temporary directory (printed).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env['SKJOLD_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'skjold-people-shots-'));
const SHOT = (name: string) => join(SHOTS, `people-${name}.png`);

describe.skipIf(!browserTestsRun)('access people console end to end (Chromium)', () => {
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

  it('the security officer gives the second approval, approves a JIT request, rejects one and sees the lists', async () => {
    if (!browser) throw new Error('setup failed');
    console.log(`people e2e screenshots: ${SHOTS}`);
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const officer = await signInAs(t, 'security-officer');
    const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> => {
      const r = await t.app.inject({ method, url, headers: admin, ...(payload ? { payload: payload } : {}) });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json<T>();
    };
    await call('POST', '/api/v1/access/people/apply', {
      people: [
        { name: 'Mette Madsen', email: 'mette@example.dk', team: 'Drift' },
        {
          name: 'Anna Jensen',
          email: 'anna@example.dk',
          team: 'Drift',
          manager: 'mette@example.dk',
          identifiers: ['anna', 'adm-anna'],
        },
        { name: 'Bo Nielsen', email: 'bo@example.dk', team: 'Netværk', manager: 'mette@example.dk', identifiers: ['bo'] },
        { name: 'Carl Consult', email: 'carl@example.dk', kind: 'contractor', manager: 'mette@example.dk' },
      ],
    });
    await call('POST', '/api/v1/access/systems/apply', {
      systems: [
        {
          name: 'db1.example.dk',
          kind: 'database',
          classification: 'customer',
          owner: 'mette@example.dk',
          levels: [{ name: 'read' }, { name: 'dba', privileged: true }],
        },
        {
          name: 'Kontrolpanel',
          kind: 'control-panel',
          classification: 'management',
          owner: 'mette@example.dk',
          levels: [{ name: 'support' }, { name: 'admin', privileged: true }],
        },
      ],
    });
    const people = (await call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/access/people')).items;
    const id = (name: string) => people.find((p) => p.name === name)?.id ?? '';
    // Mette is the officer's own person: her grants are never hers to approve.
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/access/people/${id('Mette Madsen')}`,
      headers: admin,
      payload: { userId: officer.user.id },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await call('POST', '/api/v1/access/privileged', { personId: id('Anna Jensen'), reason: 'Database on-call (DBA)' });
    await call('POST', '/api/v1/access/grants/apply', {
      grants: [
        { person: 'anna@example.dk', system: 'db1.example.dk', level: 'read', justification: 'Reads replication status' },
        { person: 'anna@example.dk', system: 'db1.example.dk', level: 'dba', justification: 'Database on-call' },
        {
          person: 'carl@example.dk',
          system: 'Kontrolpanel',
          level: 'support',
          justification: 'Migration project',
          expiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
        },
      ],
    });
    const systems = (await call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/access/systems')).items;
    const panel = systems.find((s) => s.name === 'Kontrolpanel')?.id ?? '';
    // Requested by the admin, not approved: Mette's own and Bo's wait for an approver.
    await call('POST', '/api/v1/access/grants', {
      personId: id('Mette Madsen'),
      systemId: panel,
      level: 'support',
      justification: 'Customer escalations',
    });
    await call('POST', '/api/v1/access/grants', {
      personId: id('Bo Nielsen'),
      systemId: panel,
      level: 'support',
      justification: 'Wants to look around',
    });

    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      await page.goto(`${base}/access/people`);
      const ptable = page.getByTestId('people-table');
      const anna = ptable.locator('tr[data-person="Anna Jensen"]');
      await anna.waitFor();
      expect(await anna.textContent()).toContain('privileged');
      expect(await anna.textContent()).toContain('Mette Madsen');
      expect(await anna.textContent()).toContain('anna, adm-anna');
      await page.screenshot({ path: SHOT('1-people'), fullPage: true });

      const sub = page.getByRole('navigation', { name: 'Access sections' });
      await sub.getByRole('link', { name: 'Systems' }).click();
      const db1 = page.getByTestId('systems-table').locator('tr[data-system="db1.example.dk"]');
      await db1.waitFor();
      expect(await db1.textContent()).toContain('Customer environment');
      expect(await db1.textContent()).toContain('dba ★');
      await page.screenshot({ path: SHOT('2-systems'), fullPage: true });

      await sub.getByRole('link', { name: 'Grants' }).click();
      const grants = page.getByTestId('grants-table');
      const dba = grants.locator('tr[data-grant="Anna Jensen db1.example.dk dba"]');
      await dba.waitFor();
      expect(await dba.getByTestId('grant-state').textContent()).toBe('Pending');
      expect(await dba.locator('.approvals').textContent()).toContain('1/2');
      const carl = grants.locator('tr[data-grant="Carl Consult Kontrolpanel support"]');
      expect(await carl.getAttribute('class')).toContain('grant-expiring');
      const own = grants.locator('tr[data-grant="Mette Madsen Kontrolpanel support"]');
      expect(await own.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      expect(await own.getByRole('button', { name: 'Reject' }).count()).toBe(1);
      await page.screenshot({ path: SHOT('3-grants'), fullPage: true });

      await dba.getByRole('button', { name: 'Second approval' }).click();
      await dba.getByRole('button', { name: 'Revoke' }).waitFor();
      expect(await dba.getByTestId('grant-state').textContent()).toBe('Active');
      expect(await dba.locator('.approvals').textContent()).toContain('2/2');

      const bo = grants.locator('tr[data-grant="Bo Nielsen Kontrolpanel support"]');
      await bo.getByRole('button', { name: 'Reject' }).click();
      await bo.getByLabel('Reason').fill('No work-related need');
      await bo.getByRole('button', { name: 'Reject' }).click();
      await bo.waitFor({ state: 'detached' });

      // A just-in-time request for Anna's admin access to the control panel, then its first approval here.
      await page.getByRole('button', { name: 'Request access' }).click();
      const form = page.getByRole('form', { name: 'Request access' });
      await form.getByLabel('Person').selectOption({ label: 'Anna Jensen (privileged)' });
      await form.getByLabel('System').selectOption({ label: 'Kontrolpanel' });
      await form.getByLabel('Level').selectOption({ label: 'admin (privileged)' });
      await form.getByLabel('Work-related need').fill('Incident INC-2041');
      await form.getByLabel(/Just-in-time hours/).fill('4');
      await page.screenshot({ path: SHOT('4-request'), fullPage: true });
      await form.getByRole('button', { name: 'Send request' }).click();
      const jit = grants.locator('tr[data-grant="Anna Jensen Kontrolpanel admin"]');
      await jit.waitFor();
      expect(await jit.textContent()).toContain('JIT 4 h');
      await jit.getByRole('button', { name: 'Approve' }).click();
      await jit.locator('.approvals', { hasText: '1/2' }).waitFor();
      // Four eyes: the officer has given one approval and is offered no second.
      expect(await jit.getByRole('button', { name: /Approve|Second approval/ }).count()).toBe(0);
      await page.screenshot({ path: SHOT('5-after-decisions'), fullPage: true });

      await page.getByLabel('State').selectOption('rejected');
      await grants.getByText('No work-related need').waitFor();

      await sub.getByRole('link', { name: 'Privileged list' }).click();
      const plist = page.getByTestId('privileged-table');
      await plist.locator('tr[data-person="Anna Jensen"]').waitFor();
      expect(await plist.textContent()).toContain('Database on-call (DBA)');
      await page.screenshot({ path: SHOT('6-privileged'), fullPage: true });

      // Carl's account on the control panel is imported; then his team, manager, e-mail and account names are edited
      // and he is marked as left, after a confirmation that spells out what follows.
      const imported = await t.app.inject({
        method: 'POST',
        url: `/api/v1/access/systems/${panel}/accounts/import`,
        headers: { ...admin, 'content-type': 'text/plain' },
        payload: 'account\ncarl-adm\nsupport-desk\n',
      });
      expect(imported.statusCode, imported.body).toBe(201);
      await sub.getByRole('link', { name: 'People' }).click();
      const carlRow = ptable.locator('tr[data-person="Carl Consult"]');
      await carlRow.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByRole('form', { name: 'Edit Carl Consult' });
      expect(await edit.getByLabel('E-mail').inputValue()).toBe('carl@example.dk');
      expect(await edit.getByLabel('Manager').inputValue()).toBe(id('Mette Madsen'));
      await edit.getByLabel('E-mail').fill('carl.consult@example.dk');
      await edit.getByLabel('Team').fill('Migration');
      await edit.getByLabel('Manager').selectOption({ label: 'Anna Jensen' });
      await edit.getByLabel('Account names').fill('carl, carl-adm');
      await page.screenshot({ path: SHOT('8-edit-person'), fullPage: true });
      await edit.getByRole('button', { name: 'Save' }).click();
      await edit.waitFor({ state: 'detached' });
      await carlRow.getByText('carl, carl-adm').waitFor();
      expect(await carlRow.textContent()).toContain('Anna Jensen');
      expect(await carlRow.textContent()).toContain('Migration');
      expect(await carlRow.textContent()).toContain('carl.consult@example.dk');

      await carlRow.getByRole('button', { name: 'Mark as left' }).click();
      const leave = page.getByRole('form', { name: 'Mark Carl Consult as left' });
      expect(await leave.getByRole('alert').textContent()).toContain('Their active grants (1) end at once');
      // Cancelling changes nothing.
      await leave.getByRole('button', { name: 'Cancel' }).click();
      await leave.waitFor({ state: 'detached' });
      await carlRow.getByRole('button', { name: 'Mark as left' }).click();
      await leave.getByLabel('Reason').fill('Migration contract ended');
      await page.screenshot({ path: SHOT('9-leave-confirm'), fullPage: true });
      await leave.getByRole('button', { name: 'Confirm: mark as left' }).click();
      await carlRow.waitFor({ state: 'detached' });
      await page.getByLabel('Status').selectOption('left');
      await carlRow.getByText('Left').waitFor();
      await page.screenshot({ path: SHOT('10-left'), fullPage: true });
      const carlGrants = await call<{ items: { state: string; endReason: string }[] }>(
        'GET',
        `/api/v1/access/grants?state=all&personId=${id('Carl Consult')}`,
      );
      expect(carlGrants.items).toMatchObject([{ state: 'revoked', endReason: 'person left: Migration contract ended' }]);
      const tasks = await call<{ items: { account: string; personName: string; state: string }[] }>(
        'GET',
        '/api/v1/access/tasks?state=open',
      );
      expect(tasks.items.map((x) => [x.account, x.personName, x.state])).toEqual([['carl-adm', 'Carl Consult', 'open']]);

      await page.getByRole('button', { name: 'Dansk' }).click();
      await page.getByRole('link', { name: 'Adgange' }).click();
      await page.getByRole('heading', { name: 'Adgange' }).waitFor();
      await page.getByRole('button', { name: 'Tilbagekald' }).first().waitFor();
      await page.screenshot({ path: SHOT('7-grants-da'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
  it('the security officer edits a system, then gives a grant its second approval, reduces it and revokes the rest on its page', async () => {
    if (!browser) throw new Error('setup failed');
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const officer = await signInAs(t, 'security-officer');
    const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> => {
      const r = await t.app.inject({ method, url, headers: admin, ...(payload ? { payload: payload } : {}) });
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json<T>();
    };
    const dorte = await call<{ id: string }>('POST', '/api/v1/access/people', {
      name: 'Dorte Dahl',
      email: 'dorte@example.dk',
      kind: 'employee',
      team: 'Backup',
      managerId: null,
      identifiers: ['dorte'],
    });
    const nas = await call<{ id: string }>('POST', '/api/v1/access/systems', {
      name: 'nas1.example.dk',
      kind: 'server',
      classification: 'customer',
      levels: [{ name: 'read' }, { name: 'root', privileged: true }],
    });
    await call('POST', '/api/v1/access/privileged', { personId: dorte.id, reason: 'Restores customer backups' });
    const root = await call<{ id: string }>('POST', '/api/v1/access/grants', {
      personId: dorte.id,
      systemId: nas.id,
      level: 'root',
      justification: 'Backup restores (OPS-310)',
    });
    // The admin's approval is the first of two (root is privileged).
    await call('POST', `/api/v1/access/grants/${root.id}/approve`, { note: 'first approval' });

    const { context, page, problems } = await openConsolePage(browser);
    try {
      await context.addCookies(
        officer.headers.cookie.split('; ').map((c) => {
          const eq = c.indexOf('=');
          return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
        }),
      );
      // ---- Edit the system: a level with a pending grant cannot be dropped (the server says why), then a new level
      // goes between read and root, and the classification changes.
      await page.goto(`${base}/access/systems`);
      const row = page.getByTestId('systems-table').locator('tr[data-system="nas1.example.dk"]');
      await row.getByRole('button', { name: 'Edit' }).click();
      let edit = page.getByRole('form', { name: 'Edit nas1.example.dk' });
      expect(await edit.getByLabel('System').inputValue()).toBe('nas1.example.dk');
      expect(await edit.getByLabel('Level 2 name').inputValue()).toBe('root');
      expect(await edit.getByLabel('Level 2 privileged').isChecked()).toBe(true);
      await edit.getByRole('button', { name: 'Remove level 2' }).click();
      await edit.getByRole('button', { name: 'Save' }).click();
      expect(await edit.getByRole('alert').textContent()).toContain(
        'the level root has active or pending grants: end them first',
      );
      await edit.getByRole('button', { name: 'Cancel' }).click();
      await edit.waitFor({ state: 'detached' });

      await row.getByRole('button', { name: 'Edit' }).click();
      edit = page.getByRole('form', { name: 'Edit nas1.example.dk' });
      await edit.getByRole('button', { name: 'Add level' }).click();
      await edit.getByLabel('Level 3 name').fill('backup-operator');
      await edit.getByRole('button', { name: 'Move level 3 up' }).click();
      expect(await edit.getByLabel('Level 2 name').inputValue()).toBe('backup-operator');
      expect(await edit.getByLabel('Level 2 privileged').isChecked()).toBe(false);
      await edit.getByLabel('Classification').selectOption({ label: 'Management environment' });
      await edit.getByLabel('Kind').selectOption({ label: 'Network device' });
      await edit.getByLabel(/Description/).fill('Backup NAS in DC2');
      await page.screenshot({ path: SHOT('11-system-edit'), fullPage: true });
      await edit.getByRole('button', { name: 'Save' }).click();
      await edit.waitFor({ state: 'detached' });
      await row.getByText('Backup NAS in DC2').waitFor();
      expect(await row.textContent()).toContain('Management environment');
      expect(await row.locator('.level-chips .tag').allTextContents()).toEqual(['read', 'backup-operator', 'root ★']);
      const saved = await call<{ kind: string; levels: unknown[] }>('GET', `/api/v1/access/systems/${nas.id}`);
      expect(saved).toMatchObject({
        kind: 'network',
        classification: 'management',
        levels: [
          { name: 'read', privileged: false },
          { name: 'backup-operator', privileged: false },
          { name: 'root', privileged: true },
        ],
      });

      // ---- The grant's page: its history, the second approval given there, then reduced to a lesser level.
      const sub = page.getByRole('navigation', { name: 'Access sections' });
      await sub.getByRole('link', { name: 'Grants' }).click();
      const grow = page.getByTestId('grants-table').locator('tr[data-grant="Dorte Dahl nas1.example.dk root"]');
      await grow.getByRole('link', { name: 'Dorte Dahl' }).click();
      await page.waitForURL(`${base}/access/grants/${root.id}`);
      const timeline = page.getByTestId('grant-timeline');
      await timeline.locator('li[data-event="approved"]').waitFor();
      expect(await timeline.locator('li').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-event')))).toEqual([
        'requested',
        'approved',
      ]);
      expect(await timeline.locator('li[data-event="approved"]').textContent()).toContain('first approval');
      expect(await page.getByTestId('grant-state').textContent()).toBe('Pending');
      const actions = page.getByTestId('grant-actions');
      expect(await actions.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
      await actions.getByRole('button', { name: 'Second approval' }).click();
      await page.getByTestId('grant-state').getByText('Active').waitFor();
      await timeline.locator('li[data-event="second-approved"]').waitFor();
      expect(await page.getByTestId('grant-facts').textContent()).toContain('2/2');

      await actions.getByRole('button', { name: 'Reduce…' }).click();
      const reduce = page.getByRole('form', { name: 'Reduce…' });
      // Only the levels below root in the system's list are offered.
      expect(await reduce.getByLabel('Reduce to level').locator('option').allTextContents()).toEqual([
        '–',
        'read',
        'backup-operator',
      ]);
      await reduce.getByLabel('Reduce to level').selectOption('backup-operator');
      await reduce.getByLabel('Reason').fill('Needs backup runs only, not root');
      await reduce.getByRole('button', { name: 'Reduce access' }).click();
      await page.getByRole('status').getByText('The grant is reduced to backup-operator.').waitFor();
      expect(await page.getByTestId('grant-state').textContent()).toBe('Revoked');
      const last = timeline.locator('li').last();
      expect(await last.getAttribute('data-event')).toBe('reduced');
      expect(await last.textContent()).toContain('Needs backup runs only, not root');
      expect(await page.getByTestId('grant-actions').count()).toBe(0);
      await page.screenshot({ path: SHOT('12-grant-timeline'), fullPage: true });

      // The replacement: active at once (not privileged), and revoked from its own page.
      await page.getByRole('link', { name: 'Open the new grant' }).click();
      await page.getByRole('heading', { name: 'Dorte Dahl · nas1.example.dk · backup-operator' }).waitFor();
      expect(await page.getByTestId('grant-state').textContent()).toBe('Active');
      await page.getByTestId('grant-actions').getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('form', { name: 'Revoke' }).getByLabel('Reason').fill('Backup project finished');
      await page.getByRole('form', { name: 'Revoke' }).getByRole('button', { name: 'Revoke' }).click();
      await page.getByTestId('grant-state').getByText('Revoked').waitFor();
      expect(await timeline.locator('li').last().textContent()).toContain('Backup project finished');
      const dGrants = await call<{ items: { level: string; state: string }[] }>(
        'GET',
        `/api/v1/access/grants?state=all&personId=${dorte.id}`,
      );
      expect(dGrants.items.map((g) => [g.level, g.state]).sort()).toEqual([
        ['backup-operator', 'revoked'],
        ['root', 'revoked'],
      ]);

      await page.getByRole('button', { name: 'Dansk' }).click();
      await page.getByRole('heading', { name: 'Historik' }).waitFor();
      expect(await timeline.textContent()).toContain('Tilbagekaldt');
      await page.screenshot({ path: SHOT('13-grant-da'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
