// Screenshots of the monitoring pages in Debian's Chromium against a real, in-process Skjold over HTTPS with real
// monitors (local HTTP targets, 24 hours of synthetic history written through the store, rolled up):
//   npm run build:web && node --import tsx scripts/monitoring-screenshots.ts [outDir]   (default test-results/monitoring)
// CSP violations and page errors are printed and make the exit code 1.
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createApp, loadSkjoldConfig } from '../src/app.ts';
import { createLogger } from '../src/core/logger.ts';
import { monitoringStore, type CheckRecord } from '../src/modules/monitoring/monitoring.store.ts';

const out = process.argv[2] ?? join(import.meta.dirname, '..', 'test-results', 'monitoring');
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'skjold-mon-shots-'));
const target = http.createServer((req, res) => {
  res.statusCode = req.url === '/broken' ? 503 : 200;
  res.end('Welcome to the shop');
});
await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
const port = (target.address() as { port: number }).port;

const config = loadSkjoldConfig({
  env: { SKJOLD_DATA_DIR: dataDir, SKJOLD_PORT: '0', SKJOLD_HOST: '127.0.0.1', SKJOLD_MONITORING_FLUSH_MS: '200' },
});
const app = await createApp({ config, log: createLogger('warn') });
const base = `https://127.0.0.1:${await app.listen()}`;
const password = 'operator passphrase, long enough';
await app.identity.service.createUser(
  { username: 'olivia', password, role: 'operator' },
  { type: 'system', id: 'system:shots', name: 'shots' },
);
const db = app.database.db;
const noAudit = { target: () => undefined, change: () => undefined };
const make = (def: Record<string, unknown>) => app.monitoring.service.create(db, def, 'system:shots', noAudit);
const shop = await make({
  type: 'http',
  name: 'Webshop forside',
  url: `http://127.0.0.1:${port}/`,
  keyword: { text: 'Welcome' },
  intervalSeconds: 10,
  timeoutSeconds: 5,
});
const api = await make({
  type: 'http',
  name: 'Kunde-API',
  url: `http://127.0.0.1:${port}/broken`,
  intervalSeconds: 10,
  timeoutSeconds: 5,
});
await make({ type: 'tcp', name: 'SSH bastion', host: '127.0.0.1', port, intervalSeconds: 30, timeoutSeconds: 5 });
await make({ type: 'heartbeat', name: 'Natlig backup', intervalSeconds: 86_400, graceSeconds: 3600 });
const paused = await make({
  type: 'dns',
  name: 'DNS www',
  query: 'www.example.dk',
  resolver: '127.0.0.1:5353',
  intervalSeconds: 60,
});
await app.monitoring.service.setPaused(db, paused.id, true, noAudit);

// 24 hours of history, one check a minute, with a bad hour for the API.
const now = Date.now();
const rows: CheckRecord[] = [];
for (let i = 24 * 60; i > 0; i--) {
  const at = new Date(now - i * 60_000).toISOString();
  const wave = 40 + Math.round(25 * Math.sin(i / 90) + (i % 7) * 3);
  rows.push({ monitorId: shop.id, location: 'local', at, ok: true, responseMs: wave, error: null });
  const bad = i < 300 && i > 240;
  rows.push({
    monitorId: api.id,
    location: 'local',
    at,
    ok: !bad,
    responseMs: bad ? null : 120 + (i % 30),
    error: bad ? 'status 503, expected 200-399' : null,
  });
}
await monitoringStore.insertResults(db, rows);
await app.monitoring.rollup.perform();
// Let the engine run real checks for a few rounds (the API goes down: a signal is raised).
await new Promise((r) => setTimeout(r, 25_000));
await app.monitoring.rollup.perform();

let problems = 0;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-background-networking',
  ],
});
const page = await browser.newPage({ ignoreHTTPSErrors: true, viewport: { width: 1360, height: 900 } });
page.on('console', (m) => {
  // Expected refusals (the sign-in probe's 401, the empty form's 400) are not problems; CSP reports and errors are.
  if (
    (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[01]/.test(m.text())) ||
    /Content Security Policy/i.test(m.text())
  ) {
    problems++;
    console.error(`console ${m.type()}: ${m.text()}`);
  }
});
page.on('pageerror', (e) => {
  problems++;
  console.error(`page error: ${e.message}`);
});
await page.goto(`${base}/`);
await page.getByLabel('Username').or(page.getByLabel('Brugernavn')).fill('olivia');
await page.getByLabel('Password').or(page.getByLabel('Adgangskode')).fill(password);
await page.locator('button[type=submit]').click();
await page.waitForURL(/\/monitors$/);
await page.getByTestId('monitors-table').waitFor();
await page.screenshot({ path: join(out, 'monitors-list.png'), fullPage: true });
await page.getByRole('link', { name: 'Kunde-API' }).click();
await page.getByTestId('recent-checks').waitFor();
await page.screenshot({ path: join(out, 'monitor-detail.png'), fullPage: true });
await page.goto(`${base}/monitors/new`);
await page.locator('form.monitor-form').waitFor();
await page.locator('form.monitor-form button[type=submit]').click();
await page.waitForTimeout(500);
await page.screenshot({ path: join(out, 'monitor-form.png'), fullPage: true });
await browser.close();
await app.close();
await new Promise((r) => target.close(r));
rmSync(dataDir, { recursive: true, force: true });
console.log(`screenshots in ${out}; ${problems} problems`);
process.exit(problems ? 1 : 0);
