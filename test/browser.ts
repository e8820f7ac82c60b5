import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
