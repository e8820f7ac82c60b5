// Screenshots of paging in the console (escalation ladders, channels, contacts, an incident's pages) in Debian's
// Chromium, light and dark, against a real Skjold (SQLite, HTTPS) filled through the modules' public entries, with
// real HTTP receivers on 127.0.0.1 (one answers, one fails):
//   node --import tsx scripts/paging-screenshots.ts [outDir]      (default test-results/screens)
// Page errors and CSP violations are printed and make the exit code 1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, openConsolePage, signInThroughForm } from '../test/browser.ts';
import { signIn } from '../test/identity.ts';
import { startHttpReceiver } from '../test/receivers.ts';
import { createApp, loadSkjoldConfig } from '../src/app.ts';
import { createLogger } from '../src/core/logger.ts';
import { totpCode } from '../src/modules/identity/index.ts';

const out = process.argv[2] ?? join(import.meta.dirname, '..', 'test-results', 'screens');
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'skjold-paging-shots-'));
const config = loadSkjoldConfig({
  env: {
    SKJOLD_DATA_DIR: dataDir,
    SKJOLD_PORT: '0',
    SKJOLD_HOST: '127.0.0.1',
    SKJOLD_IDENTITY_PASSWORD_MEMORY_KIB: '1024',
    SKJOLD_ONCALL_PAGING_ATTEMPTS_PER_CHANNEL: '1',
  },
});
const app = await createApp({ config, log: createLogger('warn') });
const port = await app.listen();
const base = `https://127.0.0.1:${port}`;
const system = { type: 'system' as const, id: 'system:shots', name: 'shots' };
const password = 'correct horse battery staple';
const ids = app.identity.service;
await ids.createUser({ username: 'anna', password, role: 'admin', displayName: 'Anna Admin' }, system);
const jonas = await ids.createUser({ username: 'jonas', password, role: 'operator', displayName: 'Jonas Vagt' }, system);
const mette = await ids.createUser({ username: 'mette', password, role: 'operator', displayName: 'Mette Drift' }, system);
const { totpSecret } = await signIn(app, 'anna', password);

const ok = await startHttpReceiver();
const failing = await startHttpReceiver();
failing.respondWith(503, 'gateway overloaded');

const db = app.database.db;
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
    ],
  },
  'system:shots',
);
const paging = app.oncall.paging;
await paging.createChannel(db, {
  name: 'ops-webhook',
  forUsers: false,
  enabled: true,
  config: { kind: 'webhook', url: `${ok.url}/skjold`, secret: 'a signing secret long enough' },
});
await paging.createChannel(db, {
  name: 'slack-noc',
  forUsers: false,
  enabled: true,
  config: { kind: 'slack', url: `${failing.url}/services/T000/B000/XXXX` },
});
await paging.createChannel(db, {
  name: 'sms-gateway',
  forUsers: true,
  enabled: true,
  config: {
    kind: 'sms',
    url: `${failing.url}/sms/send`,
    method: 'POST',
    format: 'json',
    body: { to: '{to}', text: '{message}', sender: '{from}' },
    from: 'Skjold',
    credentials: { api_key: 'k-123456' },
  },
});
await paging.createChannel(db, {
  name: 'mail-relay',
  forUsers: true,
  enabled: true,
  config: { kind: 'email', host: '127.0.0.1', port: 1, from: 'skjold@example.dk' },
});
await paging.createChannel(db, {
  name: 'teams-noc',
  forUsers: false,
  enabled: false,
  config: { kind: 'teams', url: `${ok.url}/teams` },
});
await paging.createPolicy(db, {
  name: 'Critical production',
  description: 'Customer-facing web and mail: the NOC first, then the person on call, then the duty manager.',
  levels: [
    { targets: [{ channel: 'ops-webhook' }, { schedule: 'Primary 24/7' }], escalateAfterSeconds: 300 },
    { targets: [{ user: 'mette' }], escalateAfterSeconds: 900 },
    { targets: [{ channel: 'slack-noc' }, { user: 'jonas' }], escalateAfterSeconds: 1800 },
  ],
  repeat: 2,
  match: { sources: ['monitoring'], minSeverity: 'major', dedupKeyPrefix: 'monitor:' },
  isDefault: false,
});
await paging.createPolicy(db, {
  name: 'Everything else',
  description: '',
  levels: [{ targets: [{ schedule: 'Primary 24/7' }], escalateAfterSeconds: 3600 }],
  repeat: 0,
  match: {},
  isDefault: true,
});
for (const u of [jonas, mette])
  await paging.setContact(db, u.id, {
    email: `${u.username}@example.dk`,
    phone: u === jonas ? '+4512345678' : '+4587654321',
    channels: ['sms-gateway', 'mail-relay'],
  });

const web = await app.incidents.sink.raise(db, {
  source: 'monitoring',
  dedupKey: 'monitor:web1-https',
  status: 'firing',
  severity: 'critical',
  summary: 'https://shop.example.dk answers 503',
});
for (let i = 0; i < 3; i++) {
  await app.oncall.pager.runOnce();
  await app.oncall.pager.idle();
}
const ackPath = new URL((ok.requests[0]?.json as { ackUrl?: string } | undefined)?.ackUrl ?? base).pathname;

const browser = await launchChromium();
const { page, problems } = await openConsolePage(browser);
const shot = async (p: Page, name: string) => {
  await p.emulateMedia({ colorScheme: 'light' });
  await p.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.screenshot({ path: join(out, `${name}-dark.png`), fullPage: true });
  await p.emulateMedia({ colorScheme: 'light' });
};
try {
  // The webhook's acknowledgement link, followed in a browser as the person paged would.
  await page.goto(`${base}${ackPath}`, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.getByText('Escalation has stopped').waitFor();

  await signInThroughForm(page, base, 'anna', password);
  await page.getByLabel('Code').fill(totpCode(totpSecret ?? '', new Date(Date.now() + 30_000)));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('link', { name: 'On call' }).click();
  await page.getByRole('link', { name: 'Escalation' }).click();
  await page.getByTestId('policy').first().waitFor();
  await shot(page, 'paging-escalation');
  await page.getByRole('button', { name: 'Edit' }).first().click();
  await page.getByTestId('policy-form').waitFor();
  await shot(page, 'paging-policy-form');

  await page.getByRole('link', { name: 'Channels' }).click();
  await page.getByTestId('channels-table').waitFor();
  await shot(page, 'paging-channels');
  await page.getByRole('button', { name: 'New channel' }).click();
  const form = page.getByTestId('channel-form');
  await form.getByLabel('Kind').selectOption('sms');
  await form.getByLabel('Name').fill('sms-backup');
  await form.getByLabel('Gateway URL').fill('http://sms.example.dk/send');
  await form.getByLabel('Body template (JSON)').fill('{ "to": "{to}", "text": "Skjold" }');
  await form.getByRole('button', { name: 'Create channel' }).click();
  await form.locator('.field-error').first().waitFor();
  await shot(page, 'paging-channel-form-errors');

  await page.getByRole('link', { name: 'Contacts' }).click();
  await page.getByLabel('Person').selectOption(jonas.id);
  await page.getByTestId('channel-order').locator('li').first().waitFor();
  await shot(page, 'paging-contacts');

  await page.goto(`${base}/incidents/${web.incidentId}`);
  await page.getByTestId('incident-pages').locator('tbody tr').first().waitFor();
  await shot(page, 'paging-incident-pages');

  await page.getByTestId('lang-da').click();
  await page.getByRole('link', { name: 'Vagt' }).first().click();
  await page.getByRole('link', { name: 'Eskalering' }).click();
  await page.getByTestId('policy').first().waitFor();
  await shot(page, 'paging-escalation-da');
} finally {
  await browser.close();
  await app.close();
  await ok.close();
  await failing.close();
  rmSync(dataDir, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
}
console.log(`screenshots in ${out}`);
