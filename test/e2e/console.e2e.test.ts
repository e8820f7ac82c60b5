import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, launchChromium } from '../browser.ts';

/**
 * The console end to end, as a person uses it: a real Skjold over HTTPS (spawned like `skjold start`, fresh data
 * directory, first admin made with `skjold admin create`), driven in Debian's Chromium. The new admin signs in, is
 * made to enrol MFA (the TOTP code is computed from the key shown on the page), keeps the recovery codes, creates an
 * operator, and finds both actions in the audit log, which then verifies.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'test-results');
const ADMIN_PASSWORD = 'e2e admin passphrase, long enough';
const OPERATOR = 'oncall-olivia';
/** Screenshots of each step, for people to look at (test-results/ is git-ignored). */
const SHOTS = join(RESULTS, 'console-e2e');

/** Environment for the child processes: SQLite in the temp dir, quiet logs. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKJOLD_LOG_LEVEL: 'warn' };
  delete env['DATABASE_URL'];
  delete env['SKJOLD_CONFIG'];
  return env;
}

/** Spawn `skjold start` on a free port; resolves with its base URL once it listens. */
function startSkjold(dataDir: string): Promise<{ proc: ChildProcess; base: string; output: () => string }> {
  const proc = spawn(process.execPath, ['bin/skjold.js', 'start', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skjold did not start within 60 s:\n${out}`)), 60_000);
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ proc, base: m[1], output: () => out });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skjold exited with ${String(code)} before listening:\n${out}`));
    });
  });
}

describe.skipIf(!browserTestsRun)('console end to end (Chromium)', () => {
  let dataDir = '';
  let server: { proc: ChildProcess; base: string; output: () => string } | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // `npm test` builds the console first; a lone `vitest run` gets it here (a no-op when web/dist is fresh).
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'skjold-e2e-'));
    execFileSync(
      process.execPath,
      ['bin/skjold.js', 'admin', 'create', '--username', 'admin', '--password-stdin', '--data-dir', dataDir],
      {
        cwd: ROOT,
        env: childEnv(),
        input: ADMIN_PASSWORD,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    server = await startSkjold(dataDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.proc.exitCode === null) {
      const exited = new Promise((r) => server?.proc.once('exit', r));
      server.proc.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('admin signs in, enrols MFA, creates an operator and finds both in the verified audit log', async () => {
    if (!browser || !server) throw new Error('setup failed');
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
      timezoneId: 'Europe/Copenhagen',
      viewport: { width: 1440, height: 900 },
    });
    context.setDefaultTimeout(15_000);
    const page: Page = await context.newPage();
    // CSP violations and script errors fail the test: the console must live with script-src/style-src 'self'.
    const pageProblems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageProblems.push(m.text());
    });
    page.on('pageerror', (e) => pageProblems.push(e.message));
    const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

    try {
      await page.goto(`${server.base}/`);

      // Sign in: a new admin has no second factor yet, so enrolment is forced.
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const secretEl = page.getByTestId('mfa-secret');
      await secretEl.waitFor();
      expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
      const secret = await secretEl.getAttribute('data-secret');
      expect(secret).toMatch(/^[A-Z2-7]+=*$/);
      await expect(page.getByRole('img', { name: /QR code/ }).getAttribute('src')).resolves.toMatch(/^data:image\//);
      await shot('1-enrol');

      // The authenticator app, played by otplib.
      const code = await generate({ secret: secret ?? '' });
      await page.getByLabel('6-digit code').fill(code);
      await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
      const codes = page.getByTestId('recovery-codes').locator('li');
      await codes.first().waitFor();
      expect(await codes.count()).toBeGreaterThanOrEqual(8);
      const continueButton = page.getByRole('button', { name: 'Continue to Skjold' });
      await expect(continueButton.isDisabled()).resolves.toBe(true);
      await shot('2-recovery-codes');
      await page.getByLabel('I have saved my recovery codes').check();
      await continueButton.click();

      // In: create an operator.
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByTestId('users-table').waitFor();
      await page.getByRole('button', { name: 'New user' }).click();
      const form = page.getByTestId('create-user-form');
      await form.getByLabel('Username').fill(OPERATOR);
      await form.getByLabel('Display name').fill('Olivia On-call');
      await form.getByLabel('Role').selectOption('operator');
      await form.getByLabel('Initial password').fill('operator passphrase 2024');
      await form.getByRole('button', { name: 'Create user' }).click();
      await expect(page.getByTestId('users-notice').textContent()).resolves.toContain(OPERATOR);
      const row = page.locator(`tr[data-username="${OPERATOR}"]`);
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain('Operator');
      await shot('3-users');

      // An API token for oneself: shown once, then listed.
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('button', { name: 'New token' }).click();
      await page.getByLabel('Name').fill('e2e scraper');
      await page.getByLabel('audit.read').check();
      await page.getByRole('button', { name: 'Create token' }).click();
      await expect(page.getByTestId('token-secret').textContent()).resolves.toMatch(/^skj_/);
      await shot('4-token-created');
      await page.getByRole('button', { name: 'I have stored the token' }).click();
      await expect(page.getByTestId('tokens-table').textContent()).resolves.toContain('e2e scraper');

      // The audit log shows both actions; the user creation carries its after-image.
      await page.getByRole('link', { name: 'Audit log' }).click();
      const table = page.getByTestId('audit-table');
      const created = table.locator('tr[data-action="users.create"]').first();
      await created.waitFor();
      await table.locator('tr[data-action="auth.mfa.enrol.confirm"]').first().waitFor();
      await expect(created.textContent()).resolves.toContain('Allowed');
      await created.click();
      const seq = await created.getAttribute('data-seq');
      const details = page.getByTestId(`entry-details-${seq ?? ''}`);
      await details.waitFor();
      await expect(details.textContent()).resolves.toContain(OPERATOR);

      // Filtering by action narrows the table to the creation.
      await page.getByRole('search').getByLabel('Action').fill('users.create');
      await page.getByRole('button', { name: 'Search' }).click();
      await expect
        .poll(() =>
          table
            .locator('tbody tr[data-action]')
            .evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-action')))]),
        )
        .toEqual(['users.create']);
      await page.getByRole('button', { name: 'Clear' }).click();

      // "Audit trail" on the Users page opens the log filtered to that user.
      await page.getByRole('link', { name: 'Users' }).click();
      await row.getByRole('link', { name: 'Audit trail' }).click();
      await expect
        .poll(() => table.locator('tbody tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))))
        .toEqual(['users.create']);
      await expect(page.getByRole('search').getByLabel('Target').inputValue()).resolves.toMatch(/^user:/);
      await page.getByRole('link', { name: 'Audit log' }).click();
      await table.locator('tr[data-action="auth.mfa.enrol.confirm"]').first().waitFor();

      // The log verifies.
      await page.getByTestId('audit-verify').click();
      await expect(page.getByTestId('verify-ok').textContent()).resolves.toMatch(/Verified \d+ entries/);

      // The export downloads with the session cookie (a plain link), and the signing key is shown.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
      const exported = readFileSync(await download.path(), 'utf8');
      expect(exported).toContain('"users.create"');
      expect(exported).toContain(OPERATOR);
      await page.getByRole('button', { name: 'Public signing key' }).click();
      await expect(page.getByTestId('audit-public-key').locator('pre').textContent()).resolves.toContain('BEGIN PUBLIC KEY');
      await shot('5-audit-verified');

      // Danish, from the header, remembered across a reload.
      await page.getByTestId('lang-da').click();
      await page.getByRole('link', { name: 'Brugere' }).waitFor();
      await page.reload();
      await page.getByRole('link', { name: 'Auditlog' }).waitFor();
      await table.locator('tr[data-action="users.create"]').first().click();
      await shot('6-audit-danish');

      expect(pageProblems).toEqual([]);

      // Skjold was upgraded while this tab was open and a section's old chunk is gone (the server answers 404, see
      // test/console-files.test.ts): the section says Skjold was updated and offers a reload, and the header and the
      // other pages keep working.
      await page.route(/\/assets\/vulns-section-[^/]+\.js$/, (r) => r.fulfill({ status: 404, body: '' }));
      await page.getByRole('link', { name: 'Sårbarheder' }).click();
      const failed = page.getByTestId('page-failed');
      await expect(failed.textContent()).resolves.toContain('Skjold er blevet opdateret');
      expect(await failed.getByRole('button', { name: 'Genindlæs' }).count()).toBe(1);
      await shot('7-section-chunk-missing');
      await page.getByRole('link', { name: 'Brugere' }).click();
      await row.waitFor();
      expect(await page.getByTestId('page-failed').count()).toBe(0);
    } catch (e) {
      await shot('failure').catch(() => undefined);
      throw new Error(
        `${(e as Error).message}\n--- page problems: ${JSON.stringify(pageProblems)}\n--- skjold output:\n${server.output().slice(-4000)}`,
        { cause: e },
      );
    } finally {
      await context.close();
    }
  }, 120_000);
});
