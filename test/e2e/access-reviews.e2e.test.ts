import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addGrant, addPerson, addSystem } from '../../src/modules/access/accounts.test-data.ts';
import { createTestApp, type TestApp } from '../app.ts';
import { browserTestsRun, launchChromium, openConsolePage } from '../browser.ts';
import { createUserWithToken, signInAs, type TestSession } from '../identity.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../receivers.ts';

/**
 * Access reviews in the console (issue 6 items 6–8): a system owner works through "My reviews" with one-click Keep and
 * Revoke and the small form for a deferral; the security officer follows the campaign's progress bar, filters its
 * entries by flag, closes it with a reason and gets the evidence links. Screenshots go to a temporary directory.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env['SKJOLD_SHOTS'] ?? mkdtempSync(join(tmpdir(), 'skjold-access-reviews-shots-'));
const SHOT = (name: string) => join(SHOTS, `access-reviews-${name}.png`);

async function withCookies(context: BrowserContext, session: TestSession, base: string) {
  await context.addCookies(
    session.headers.cookie.split('; ').map((c) => {
      const eq = c.indexOf('=');
      return { name: c.slice(0, eq), value: c.slice(eq + 1), url: base };
    }),
  );
}

type Db = TestApp['database']['db'];

/** A person in the Drift team, e-mail `<first name>@example.dk` unless given (null: no address). */
function addColleague(db: Db, name: string, opts: { email?: string | null; userId?: string } = {}) {
  return addPerson(db, name, {
    email: opts.email === undefined ? `${name.split(' ')[0]!.toLowerCase()}@example.dk` : opts.email,
    team: 'Drift',
    userId: opts.userId ?? null,
  });
}

/** A system owned by `ownerId` with one active read grant for `personId`. */
async function addSystemWithGrant(db: Db, name: string, ownerId: string, personId: string) {
  const now = new Date().toISOString();
  const id = await addSystem(db, name, 'other', {
    kind: 'application',
    ownerId,
    levels: [{ name: 'read', privileged: false }],
    at: now,
  });
  await addGrant(db, personId, id, { level: 'read', justification: 'Daily work', startsAt: now, at: now });
  return id;
}

/** A policy over `systemIds` due in 3 days, so the first sweep reminds every reviewer (7 days before due). */
async function startDueSoon(t: TestApp, admin: Record<string, string>, name: string, systemIds: string[]) {
  const policy = await t.app.inject({
    method: 'POST',
    url: '/api/v1/access/review-policies',
    headers: admin,
    payload: { name: `${name} policy`, intervalMonths: 6, dueDays: 3, remindDays: 7, systemIds },
  });
  expect(policy.statusCode, policy.body).toBe(201);
  const started = await t.app.inject({
    method: 'POST',
    url: `/api/v1/access/review-policies/${policy.json<{ id: string }>().id}/start`,
    headers: admin,
    payload: { name },
  });
  expect(started.statusCode, started.body).toBe(201);
  await t.access.reviews.sweep();
  return started.json<{ id: string }>().id;
}

describe.skipIf(!browserTestsRun)('access reviews console end to end (Chromium)', () => {
  let t: TestApp;
  let base = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    t = await createTestApp('sqlite', { tls: true });
    base = `https://127.0.0.1:${await t.listen()}`;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  }, 60_000);

  it('a reviewer decides from the work list; the security officer closes the campaign and gets the evidence', async () => {
    if (!browser) throw new Error('setup failed');
    console.log(`access reviews e2e screenshots: ${SHOTS}`);
    const db = t.database.db;
    const now = new Date().toISOString();
    const owen = await signInAs(t, 'operator');
    const person = (name: string, opts: { managerId?: string; status?: 'left'; userId?: string } = {}) =>
      addPerson(db, name, { email: `${name.toLowerCase()}@example.dk`, team: 'Drift', at: now, ...opts });
    const boss = await person('Birgitte Boss');
    const owenId = await person('Owen Owner', { managerId: boss, userId: owen.user.id });
    const people = {
      alice: await person('Alice Andersen', { managerId: owenId }),
      bob: await person('Bob Berg', { managerId: owenId, status: 'left' }),
      carol: await person('Carol Christensen', { managerId: owenId }),
      dave: await person('Dave Dahl', { managerId: owenId }),
    };
    await db
      .insertInto('access_privileged')
      .values({ person_id: people.carol, reason: 'DBA', added_by: 'system:test', added_at: now })
      .execute();
    const systemId = await addSystem(db, 'pg-kunder-01', 'customer', {
      kind: 'database',
      ownerId: owenId,
      levels: [
        { name: 'read', privileged: false },
        { name: 'superuser', privileged: true },
      ],
      at: now,
    });
    const grant = (personId: string, level: string) =>
      addGrant(db, personId, systemId, {
        level,
        privileged: level === 'superuser',
        justification: 'Database operations',
        startsAt: now,
        at: now,
      });
    await grant(people.alice, 'read');
    await grant(people.bob, 'read');
    await grant(people.carol, 'superuser');
    await grant(people.dave, 'superuser');

    const { headers: admin } = await createUserWithToken(t, 'admin');
    const policy = await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/review-policies',
      headers: admin,
      payload: { name: 'Half-yearly, all systems', intervalMonths: 6, dueDays: 30 },
    });
    expect(policy.statusCode, policy.body).toBe(201);
    const started = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/review-policies/${policy.json<{ id: string }>().id}/start`,
      headers: admin,
      payload: { name: 'H2 2026 access review' },
    });
    expect(started.statusCode, started.body).toBe(201);
    const campaignId = started.json<{ id: string }>().id;

    // The system owner's work list.
    const reviewer = await openConsolePage(browser);
    try {
      await withCookies(reviewer.context, owen, base);
      const page = reviewer.page;
      await page.goto(`${base}/access/my-reviews`);
      const list = page.getByTestId('my-entries');
      await list.getByText('Dave Dahl').waitFor();
      expect(await list.locator('tbody tr').count()).toBe(4);
      expect(await list.locator('tbody tr', { hasText: 'Bob Berg' }).getByTestId('flag-leaver').count()).toBe(1);
      expect(await list.locator('tbody tr', { hasText: 'Dave Dahl' }).getByTestId('flag-excessive').count()).toBe(1);
      await page.screenshot({ path: SHOT('1-my-reviews'), fullPage: true });

      await page.getByRole('button', { name: 'Keep access of Carol Christensen' }).click();
      await list.locator('tbody tr', { hasText: 'Carol Christensen' }).waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Revoke access of Bob Berg' }).click();
      await list.locator('tbody tr', { hasText: 'Bob Berg' }).waitFor({ state: 'detached' });
      // Defer needs a reason: the small form.
      const alice = list.locator('tbody tr', { hasText: 'Alice Andersen' });
      await alice.getByRole('button', { name: 'Other…' }).click();
      const form = page.getByRole('form', { name: 'Other decision for Alice Andersen' });
      await form.getByLabel('Decision').selectOption('defer');
      await form.getByLabel('Reason').fill('Waiting for the team lead');
      await page.screenshot({ path: SHOT('2-defer-form'), fullPage: true });
      await form.getByRole('button', { name: 'Decide' }).click();
      await alice.waitFor({ state: 'detached' });
      expect(await list.locator('tbody tr').count()).toBe(1);
      expect(reviewer.problems).toEqual([]);
    } finally {
      await reviewer.context.close();
    }
    const bobGrant = await db
      .selectFrom('access_grants')
      .select('state')
      .where('person_id', '=', people.bob)
      .executeTakeFirstOrThrow();
    expect(bobGrant.state).toBe('revoked');

    // The security officer: progress, the campaign's entries, close with a reason, evidence.
    const officer = await signInAs(t, 'security-officer');
    const so = await openConsolePage(browser);
    try {
      await withCookies(so.context, officer, base);
      const page = so.page;
      await page.goto(`${base}/access/reviews`);
      const row = page.getByTestId('campaigns').locator('tbody tr', { hasText: 'H2 2026 access review' });
      await row.waitFor();
      expect(await row.textContent()).toContain('3/4');
      await page.screenshot({ path: SHOT('3-campaigns'), fullPage: true });
      await row.getByRole('link', { name: 'H2 2026 access review' }).click();
      const entries = page.getByTestId('entries');
      await entries.getByText('Dave Dahl').waitFor();
      expect(await entries.locator('tbody tr').count()).toBe(4);
      await page.getByLabel('Flags').selectOption('excessive');
      await entries.getByText('Carol Christensen').waitFor({ state: 'detached' });
      expect(await entries.locator('tbody tr').count()).toBe(1);
      await page.screenshot({ path: SHOT('4-campaign-filtered'), fullPage: true });
      await page.getByLabel('Flags').selectOption('');
      await entries.getByText('Carol Christensen').waitFor();
      await page.getByLabel('Reason for closing with undecided entries').fill('Dave is on leave; reviewed next round');
      await page.getByRole('button', { name: 'Close and lock' }).click();
      await page.getByTestId('export-pdf').waitFor();
      expect(await page.getByTestId('campaign-meta').textContent()).toContain('Closed, locked');
      expect(await entries.locator('tbody tr', { hasText: 'Dave Dahl' }).textContent()).toContain('Undecided at close');
      expect(await entries.locator('tbody tr', { hasText: 'Bob Berg' }).textContent()).toContain('Grant ended');
      expect(await page.getByTestId('export-csv').getAttribute('href')).toBe(`/api/v1/access/campaigns/${campaignId}/export.csv`);
      await page.screenshot({ path: SHOT('5-campaign-closed'), fullPage: true });
      const pdf = await page.request.get(`${base}/api/v1/access/campaigns/${campaignId}/export.pdf`);
      expect(pdf.status()).toBe(200);
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

      await page.getByRole('link', { name: 'Review policies' }).click();
      await page.getByTestId('policies').getByText('Half-yearly, all systems').waitFor();
      await page.screenshot({ path: SHOT('6-policies'), fullPage: true });
      expect(so.problems).toEqual([]);
    } finally {
      await so.context.close();
    }
  }, 180_000);

  it('without a mail server the campaign shows each reminder as not sent, and a reviewer without e-mail as undeliverable', async () => {
    if (!browser) throw new Error('setup failed');
    const db = t.database.db;
    const rita = await signInAs(t, 'operator');
    const ritaId = await addColleague(db, 'Rita Reviewer', { userId: rita.user.id });
    const nadia = await addColleague(db, 'Nadia Nomail', { email: null });
    const user = await addColleague(db, 'Ulla User');
    const crm = await addSystemWithGrant(db, 'crm-prod', ritaId, user);
    const wiki = await addSystemWithGrant(db, 'wiki-intern', nadia, user);
    const { headers: admin } = await createUserWithToken(t, 'admin');
    const campaignId = await startDueSoon(t, admin, 'Q1 reminder check', [crm, wiki]);

    const officer = await signInAs(t, 'security-officer');
    const so = await openConsolePage(browser);
    try {
      await withCookies(so.context, officer, base);
      const page = so.page;
      await page.goto(`${base}/access/reviews/${campaignId}`);
      const reminders = page.getByTestId('reminders');
      await reminders.getByText('Nadia Nomail').waitFor();
      expect(await reminders.locator('tbody tr').count()).toBe(2);
      const ritaRow = reminders.locator('tbody tr', { hasText: 'Rita Reviewer' });
      expect(await ritaRow.getByTestId('delivery-not_sent').textContent()).toBe(
        'Not sent no mail transport configured (SKJOLD_ACCESS_SMTP_URL)',
      );
      const nadiaRow = reminders.locator('tbody tr', { hasText: 'Nadia Nomail' });
      expect(await nadiaRow.getByTestId('delivery-undeliverable').textContent()).toBe(
        'Undeliverable the person has no e-mail address',
      );
      expect(await page.getByTestId('reminder-summary').textContent()).toBe('0 of 2 e-mails sent 2 not reached');
      // Neither system has any use data: the entries say so, with the reason on hover.
      const entries = page.getByTestId('entries');
      await entries.locator('tbody tr').first().waitFor();
      expect(await entries.getByTestId('flag-no-use-data').count()).toBe(2);
      expect(await entries.locator('.review-flag').first().getAttribute('title')).toMatch(/no source of use data at all/);
      await page.getByLabel('Flags').selectOption('no-use-data');
      expect(await entries.locator('tbody tr').count()).toBe(2);
      await page.screenshot({ path: SHOT('7-reminders-not-sent'), fullPage: true });

      await page.getByRole('button', { name: 'Dansk' }).click();
      await reminders.getByText('Kan ikke leveres').waitFor();
      expect(await ritaRow.getByTestId('delivery-not_sent').textContent()).toBe(
        'Ikke sendt ingen mailserver sat op (SKJOLD_ACCESS_SMTP_URL)',
      );
      expect(await entries.getByTestId('flag-no-use-data').first().textContent()).toBe('ingen brugsdata');
      await page.screenshot({ path: SHOT('8-reminders-da'), fullPage: true });
      expect(so.problems).toEqual([]);
    } finally {
      await so.context.close();
    }

    // The reviewer sees the reminder in the work list, and that it was not e-mailed.
    const reviewer = await openConsolePage(browser);
    try {
      await withCookies(reviewer.context, rita, base);
      const page = reviewer.page;
      await page.goto(`${base}/access/my-reviews`);
      const item = page.getByTestId('reminders').locator('li', { hasText: 'Q1 reminder check' });
      await item.waitFor();
      expect(await item.getByTestId('delivery-not_sent').count()).toBe(1);
      await page.screenshot({ path: SHOT('9-my-reviews-not-sent'), fullPage: true });
      expect(reviewer.problems).toEqual([]);
    } finally {
      await reviewer.context.close();
    }
  }, 120_000);

  it('with a mail server the campaign shows whom each reminder reached, and the server reply when it refused one', async () => {
    if (!browser) throw new Error('setup failed');
    const smtp: SmtpReceiver = await startSmtpReceiver();
    const m = await createTestApp('sqlite', {
      tls: true,
      env: { SKJOLD_ACCESS_SMTP_URL: `smtp://${smtp.host}:${smtp.port}`, SKJOLD_ACCESS_MAIL_FROM: 'skjold@ops.example.dk' },
    });
    try {
      const mBase = `https://127.0.0.1:${await m.listen()}`;
      const db = m.database.db;
      const sara = await signInAs(m, 'operator');
      const saraId = await addColleague(db, 'Sara Sender', { userId: sara.user.id, email: 'sara@example.dk' });
      const finn = await addColleague(db, 'Finn Fail', { email: 'finn@example.dk' });
      const user = await addColleague(db, 'Ulla User');
      const crm = await addSystemWithGrant(db, 'crm-prod', saraId, user);
      const wiki = await addSystemWithGrant(db, 'wiki-intern', finn, user);
      const { headers: admin } = await createUserWithToken(m, 'admin');
      // The server takes Sara's reminder and refuses Finn's for good (550).
      smtp.rejectNext(550, 'Mailbox unavailable');
      const campaignId = await startDueSoon(m, admin, 'Q1 mail check', [crm, wiki]);
      expect(smtp.messages).toHaveLength(1);
      const reached = smtp.messages[0]!.to[0]!;
      const refused = reached === 'sara@example.dk' ? 'Finn Fail' : 'Sara Sender';
      const sent = reached === 'sara@example.dk' ? 'Sara Sender' : 'Finn Fail';

      const officer = await signInAs(m, 'security-officer');
      const so = await openConsolePage(browser);
      try {
        await withCookies(so.context, officer, mBase);
        const page = so.page;
        await page.goto(`${mBase}/access/reviews/${campaignId}`);
        const reminders = page.getByTestId('reminders');
        await reminders.getByText('Finn Fail').waitFor();
        const ok = reminders.locator('tbody tr', { hasText: sent }).getByTestId('delivery-sent');
        expect(await ok.textContent()).toMatch(new RegExp(`^Sent to ${reached.replace('.', '\\.')}, \\d`));
        const bad = reminders.locator('tbody tr', { hasText: refused }).getByTestId('delivery-failed');
        expect(await bad.textContent()).toMatch(/^Failed to \S+@example\.dk: SMTP 550: .*Mailbox unavailable \(attempts: 1\)$/);
        expect(await page.getByTestId('reminder-summary').textContent()).toBe('1 of 2 e-mails sent 1 not reached');
        await page.screenshot({ path: SHOT('10-reminders-sent-failed'), fullPage: true });
        expect(so.problems).toEqual([]);
      } finally {
        await so.context.close();
      }

      const reviewer = await openConsolePage(browser);
      try {
        await withCookies(reviewer.context, sara, mBase);
        const page = reviewer.page;
        await page.goto(`${mBase}/access/my-reviews`);
        const item = page.getByTestId('reminders').locator('li', { hasText: 'Q1 mail check' });
        await item.waitFor();
        expect(await item.getByTestId(reached === 'sara@example.dk' ? 'delivery-sent' : 'delivery-failed').count()).toBe(1);
        await page.screenshot({ path: SHOT('11-my-reviews-mail'), fullPage: true });
        expect(reviewer.problems).toEqual([]);
      } finally {
        await reviewer.context.close();
      }
    } finally {
      await m.dispose();
      await smtp.close();
    }
  }, 120_000);
});
