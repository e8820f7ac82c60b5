import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium: the only browser the tests use (never a downloaded one). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether browser tests run here: Chromium is installed, or we are in CI (where its absence must fail). */
export const browserTestsRun = existsSync(CHROMIUM) || Boolean(process.env['CI']);

if (!browserTestsRun) {
  console.warn(
    `\n*** ${CHROMIUM} is missing: browser end-to-end tests are SKIPPED (apt-get install chromium; in CI they must run) ***\n`,
  );
}

/** Headless Chromium with the flags this machine needs (no sandbox as root, no background network). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (failed resource loads, e.g. an expected 401, are left out). */
  problems: string[];
}

/**
 * A page in a fresh browser context, as an engineer in Denmark sees the console: the self-signed certificate accepted,
 * en-GB, Europe/Copenhagen, 1440×900, a 15 s default timeout, and every page or console error collected.
 */
export async function openConsolePage(browser: Browser): Promise<ConsolePage> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'Europe/Copenhagen',
    viewport: { width: 1440, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

/** Open the console at `base` and sign in through its form (English labels). */
export async function signInThroughForm(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
