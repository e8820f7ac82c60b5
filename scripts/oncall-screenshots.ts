// Screenshots of the on-call page in Debian's Chromium, against a real Skjold (SQLite, HTTPS) filled through the
// on-call module's public entry:
//   node --import tsx scripts/oncall-screenshots.ts [outDir]      (default test-results/screens)
// Page errors and CSP violations are printed and make the exit code 1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openConsolePage, signInThroughForm } from '../test/browser.ts';
import { createApp, loadSkjoldConfig } from '../src/app.ts';
import { createLogger } from '../src/core/logger.ts';

const out = process.argv[2] ?? join(import.meta.dirname, '..', 'test-results', 'screens');
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'skjold-oncall-shots-'));
const config = loadSkjoldConfig({
  env: { SKJOLD_DATA_DIR: dataDir, SKJOLD_PORT: '0', SKJOLD_HOST: '127.0.0.1', SKJOLD_IDENTITY_PASSWORD_MEMORY_KIB: '1024' },
});
const app = await createApp({ config, log: createLogger('warn') });
const port = await app.listen();
const base = `https://127.0.0.1:${port}`;
const system = { type: 'system' as const, id: 'system:shots', name: 'shots' };
const password = 'correct horse battery staple';
const jonas = await app.identity.service.createUser(
  { username: 'jonas', password, role: 'operator', displayName: 'Jonas Vagt' },
  system,
);
const mette = await app.identity.service.createUser(
  { username: 'mette', password, role: 'operator', displayName: 'Mette Drift' },
  system,
);
const ali = await app.identity.service.createUser(
  { username: 'ali', password, role: 'operator', displayName: 'Ali Net' },
  system,
);

const db = app.database.db;
const today = new Date().toISOString().slice(0, 10);
const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
await app.oncall.service.create(
  db,
  {
    name: 'Primary 24/7',
    description: '',
    timeZone: 'Europe/Copenhagen',
    layers: [
      {
        id: 'weekly',
        name: 'Weekly',
        users: [jonas.id, mette.id],
        rotation: 'weekly',
        every: 1,
        handoffTime: '09:00',
        startDate: weekAgo,
        restriction: null,
      },
      {
        id: 'business',
        name: 'Business hours',
        users: [ali.id],
        rotation: 'daily',
        every: 1,
        handoffTime: '08:00',
        startDate: today,
        restriction: { weekdays: [1, 2, 3, 4, 5], from: '08:00', to: '16:00' },
      },
    ],
  },
  'system:shots',
);
const nights = await app.oncall.service.create(
  db,
  {
    name: 'Network (nights only)',
    description: '',
    timeZone: 'Europe/Copenhagen',
    layers: [
      {
        id: 'nights',
        name: 'Nights',
        users: [ali.id, mette.id],
        rotation: 'daily',
        every: 1,
        handoffTime: '17:00',
        startDate: today,
        restriction: { weekdays: [1, 2, 3, 4, 5, 6, 7], from: '17:00', to: '08:00' },
      },
    ],
  },
  'system:shots',
);
await app.oncall.service.addOverride(
  db,
  nights.id,
  {
    userId: jonas.id,
    startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    endsAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    reason: 'Swap',
  },
  'system:shots',
);
await app.oncall.coverage.perform();

const browser = await launchChromium();
const { context, page, problems } = await openConsolePage(browser);
try {
  await signInThroughForm(page, base, 'jonas', password);
  await page.getByRole('link', { name: 'On call' }).click();
  await page.getByTestId('oncall-now').waitFor();
  await page.getByTestId('oncall-calendar').first().locator('.oncall-block').first().waitFor();
  await page.screenshot({ path: join(out, 'oncall.png'), fullPage: true });
  const second = page.getByTestId('oncall-calendar').nth(1);
  await second.getByRole('button', { name: 'Add override' }).click();
  const form = second.getByTestId('oncall-override-form');
  await form.getByLabel('Who covers').selectOption({ label: 'Mette Drift' });
  await form.getByLabel('From (Europe/Copenhagen)').fill(`${today}T09:00`);
  await form.getByLabel('To (Europe/Copenhagen)').fill(`${today}T17:00`);
  await form.getByLabel('Reason').fill('Cover the day');
  await form.getByRole('button', { name: 'Save override' }).click();
  await page.getByText('Override saved.').waitFor();
  await page.screenshot({ path: join(out, 'oncall-override.png'), fullPage: true });
  await page.getByRole('button', { name: 'My calendar link' }).click();
  await page.getByRole('button', { name: 'Yes, my calendar link' }).click();
  const feedUrl = await page.locator('.oncall-feed-url code').first().textContent();
  const ics = await context.request.get(feedUrl ?? '');
  if (ics.status() !== 200 || !(await ics.text()).startsWith('BEGIN:VCALENDAR\r\n'))
    problems.push(`feed ${feedUrl} answered ${ics.status()}`);
  await page.screenshot({ path: join(out, 'oncall-feed.png'), clip: { x: 0, y: 0, width: 1440, height: 260 } });
  await page.getByTestId('lang-da').click();
  await page.getByRole('link', { name: 'Vagt' }).click();
  await page.getByTestId('oncall-now').waitFor();
  await page.screenshot({ path: join(out, 'oncall-da.png'), fullPage: false });
} finally {
  await browser.close();
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
}
console.log(`screenshots in ${out}`);
