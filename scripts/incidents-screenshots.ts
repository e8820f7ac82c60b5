// Screenshots of the incidents and maintenance pages in Debian's Chromium, against a real Skjold (SQLite, HTTPS)
// filled through the incidents module's public entry:
//   node --import tsx scripts/incidents-screenshots.ts [outDir]      (default test-results/screens)
// Page errors and CSP violations are printed and make the exit code 1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openConsolePage, signInThroughForm } from '../test/browser.ts';
import { createApp, loadSkjoldConfig } from '../src/app.ts';
import { createLogger } from '../src/core/logger.ts';

const out = process.argv[2] ?? join(import.meta.dirname, '..', 'test-results', 'screens');
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'skjold-incident-shots-'));
const config = loadSkjoldConfig({
  env: { SKJOLD_DATA_DIR: dataDir, SKJOLD_PORT: '0', SKJOLD_HOST: '127.0.0.1', SKJOLD_IDENTITY_PASSWORD_MEMORY_KIB: '1024' },
});
const app = await createApp({ config, log: createLogger('warn') });
const port = await app.listen();
const base = `https://127.0.0.1:${port}`;
const system = { type: 'system' as const, id: 'system:shots', name: 'shots' };
const password = 'correct horse battery staple';
await app.identity.service.createUser({ username: 'jonas', password, role: 'operator', displayName: 'Jonas Vagt' }, system);

// Data: an open incident with a history, a flapping one, an expected one, a resolved one with a postmortem.
const db = app.database.db;
const sink = app.incidents.sink;
const web = await sink.raise(db, {
  source: 'monitoring',
  dedupKey: 'monitor:web1-https',
  status: 'firing',
  severity: 'critical',
  summary: 'https://shop.example.dk answers 503',
});
await sink.raise(db, {
  source: 'monitoring',
  dedupKey: 'monitor:web1-https',
  status: 'firing',
  severity: 'critical',
  summary: 'https://shop.example.dk answers 503 (probe cph2)',
});
await sink.raise(db, {
  source: 'monitoring',
  dedupKey: 'monitor:web1-tls',
  parentKey: 'monitor:web1-https',
  status: 'firing',
  severity: 'major',
  summary: 'TLS handshake fails on web1:443',
});
await app.incidents.recordNotification(db, {
  incidentId: web.incidentId,
  channel: 'sms',
  recipient: '+45 12 34 56 78',
  outcome: 'delivered',
  receipt: 'gw-id 88123',
  level: 1,
});
await app.incidents.recordEscalation(db, { incidentId: web.incidentId, level: 2, target: 'schedule:secondary' });
for (let i = 0; i < 5; i++)
  await sink.raise(db, {
    source: 'monitoring',
    dedupKey: 'monitor:dns-ns2',
    status: i % 2 ? 'resolved' : 'firing',
    severity: 'minor',
    summary: 'ns2.example.dk times out',
  });
await app.incidents.maintenance.create(
  db,
  {
    title: 'Kernel upgrade db cluster',
    changeRef: 'CHG-2026-118',
    keyPrefixes: ['host:db'],
    components: [],
    kind: 'once',
    startsAt: new Date(Date.now() - 3_600_000).toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    weekdays: [],
    localTime: null,
    durationMinutes: null,
    timeZone: 'Europe/Copenhagen',
  },
  'system:shots',
);
await app.incidents.maintenance.create(
  db,
  {
    title: 'Sunday patch window',
    changeRef: 'STD-7',
    keyPrefixes: ['monitor:'],
    components: ['mail'],
    kind: 'weekly',
    startsAt: new Date().toISOString(),
    endsAt: null,
    weekdays: [7],
    localTime: '03:00',
    durationMinutes: 120,
    timeZone: 'Europe/Copenhagen',
  },
  'system:shots',
);
await sink.raise(db, {
  source: 'monitoring',
  dedupKey: 'host:db2',
  status: 'firing',
  severity: 'major',
  summary: 'db2 does not answer ping',
});
const backup = await sink.raise(db, {
  source: 'backup',
  dedupKey: 'backup:mail1',
  status: 'firing',
  severity: 'major',
  summary: 'Nightly backup of mail1 failed (exit 3)',
});
await app.incidents.service.resolve(db, backup.incidentId, system, 'Disk on the target extended; backup re-run OK');

const browser = await launchChromium();
const { page, problems } = await openConsolePage(browser);
try {
  await signInThroughForm(page, base, 'jonas', password);
  await page.getByRole('link', { name: 'Incidents' }).click();
  await page.getByTestId('incidents-table').waitFor();
  await page.getByRole('button', { name: 'Completeness record' }).click();
  await page.getByTestId('completeness-panel').locator('tbody tr').first().waitFor();
  await page.screenshot({ path: join(out, 'incidents-list.png'), fullPage: true });
  await page.getByRole('button', { name: 'Completeness record' }).click();
  await page.getByRole('link', { name: 'https://shop.example.dk answers 503' }).click();
  await page.getByTestId('incident-timeline').waitFor();
  await page.getByLabel('Add a note').fill('Restarted php-fpm on web1; watching.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.getByTestId('incident-ack').click();
  await page.getByText('Acknowledged. Escalation stops.').waitFor();
  await page.screenshot({ path: join(out, 'incident-detail.png'), fullPage: true });
  await page.goto(`${base}/incidents/${backup.incidentId}`);
  await page.getByTestId('postmortem-form').waitFor();
  await page.getByLabel('Summary').fill('The nightly backup of mail1 failed because the target disk was full.');
  await page.getByLabel('Root cause').fill('No alert on target disk usage.');
  await page.getByLabel('Actions').fill('Alert at 80 % disk on backup targets\nReview retention');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Postmortem saved.').waitFor();
  await page.screenshot({ path: join(out, 'incident-postmortem.png'), fullPage: true });
  await page.getByRole('link', { name: 'Maintenance' }).click();
  await page.getByRole('button', { name: 'New window' }).click();
  await page.getByTestId('maintenance-table').waitFor();
  const form = page.getByTestId('maintenance-form');
  await form.getByLabel('Title').fill('Firewall firmware');
  await form.getByLabel('Change reference').fill('CHG-2026-120');
  await form.getByLabel('Dedup-key prefixes').fill('host:fw1, host:fw2');
  await form.getByLabel('Repeats').selectOption('weekly');
  await form.getByLabel('Start time').fill('02:30');
  await form.getByLabel('Sat').check();
  await form.getByRole('button', { name: 'Create window' }).click();
  await page.getByText('Window “Firewall firmware” created.').waitFor();
  await page.screenshot({ path: join(out, 'maintenance.png'), fullPage: true });
  await page.getByTestId('lang-da').click();
  await page.getByRole('link', { name: 'Hændelser' }).click();
  await page.getByTestId('incidents-table').waitFor();
  await page.screenshot({ path: join(out, 'incidents-list-da.png'), fullPage: true });
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
