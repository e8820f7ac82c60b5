// Screenshots of the console for a visual check, in Debian's Chromium, against a real Skjold (static files, CSP).
// API answers come from fixtures (page.route), so every page can be looked at without data:
//   node --import tsx scripts/console-screenshots.ts [outDir]      (default test-results/screens)
// CSP violations and page errors are printed and make the exit code 1.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Route } from 'playwright-core';
import { launchChromium } from '../test/browser.ts';

const root = join(import.meta.dirname, '..');
const out = process.argv[2] ?? join(root, 'test-results', 'screens');
mkdirSync(out, { recursive: true });

const dataDir = mkdtempSync(join(tmpdir(), 'skjold-shots-'));
const env: NodeJS.ProcessEnv = { ...process.env, SKJOLD_LOG_LEVEL: 'warn' };
delete env['DATABASE_URL'];
const server = spawn(process.execPath, ['bin/skjold.js', 'start', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'], {
  cwd: root,
  env,
  stdio: ['ignore', 'ignore', 'pipe'],
});
const base = await new Promise<string>((resolve, reject) => {
  let err = '';
  const timer = setTimeout(() => reject(new Error(`skjold did not start:\n${err}`)), 30_000);
  server.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    const m = /listening on (https:\/\/[^/\s]+)\//.exec(err);
    if (m?.[1]) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`skjold exited ${String(code)}:\n${err}`)));
});

const now = Date.now();
const iso = (minsAgo: number): string => new Date(now - minsAgo * 60_000).toISOString();
const admin = {
  id: 'u1',
  username: 'admin',
  displayName: 'Mette Admin',
  role: 'admin',
  mfaEnabled: true,
  disabled: false,
  createdAt: iso(60 * 24 * 30),
  lastLoginAt: iso(2),
};
const permissions = [
  'audit.export',
  'audit.read',
  'audit.verify',
  'metrics.read',
  'system.read',
  'tokens.create',
  'tokens.read',
  'tokens.revoke',
  'users.create',
  'users.read',
  'users.update',
];
const users = [
  admin,
  {
    id: 'u2',
    username: 'jonas',
    displayName: 'Jonas Vagt',
    role: 'operator',
    mfaEnabled: false,
    disabled: false,
    createdAt: iso(60 * 24 * 3),
    lastLoginAt: iso(300),
  },
  {
    id: 'u3',
    username: 'revisor',
    displayName: 'Ekstern revisor',
    role: 'auditor',
    mfaEnabled: true,
    disabled: false,
    createdAt: iso(60 * 24),
    lastLoginAt: null,
  },
  {
    id: 'u4',
    username: 'old.sec',
    displayName: null,
    role: 'security-officer',
    mfaEnabled: true,
    disabled: true,
    createdAt: iso(60 * 24 * 400),
    lastLoginAt: iso(60 * 24 * 90),
  },
];
const actions: [string, string, string | null, string | null, string, number][] = [
  ['users.create', 'user:u1', 'admin', 'user:u2', 'allowed', 201],
  ['auth.login', 'user:u2', 'jonas', null, 'allowed', 200],
  ['auth.login', 'anonymous', null, 'user:bob', 'denied', 401],
  ['audit.read', 'user:u1', 'admin', null, 'allowed', 200],
  ['tokens.create', 'user:u1', 'admin', 'token:t1', 'allowed', 201],
  ['http.rejected', 'anonymous', null, '/api/v1/auth/login', 'failed', 400],
  ['auth.mfa.enrol.confirm', 'user:u1', 'admin', 'user:u1', 'allowed', 200],
];
const entries = Array.from({ length: 50 }, (_, i) => {
  const [action, actor, actorName, target, outcome, status] = actions[i % actions.length] ?? actions[0]!;
  return {
    seq: 1000 - i,
    ts: iso(i * 7),
    actor,
    actorName,
    action,
    target,
    ip: i % 3 ? '10.20.0.14' : '2a01:4f8:c0c:1234::7',
    ua: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140',
    outcome,
    status,
    rid: `6b1c2d3e-${String(i).padStart(4, '0')}-4f00-9a00-1234567890ab`,
    ...(action === 'users.create'
      ? {
          changes: [
            {
              type: 'user',
              id: 'u2',
              before: null,
              after: { username: 'jonas', role: 'operator', disabled: false, passwordHash: '[redacted]' },
            },
          ],
        }
      : action === 'tokens.create'
        ? {
            changes: [
              {
                type: 'user',
                id: 'u2',
                before: { role: 'viewer', displayName: 'J' },
                after: { role: 'operator', displayName: 'Jonas Vagt' },
              },
            ],
          }
        : {}),
    ...(outcome !== 'allowed' ? { detail: { code: outcome === 'denied' ? 'invalid_credentials' : 'malformed_json' } } : {}),
  };
});
const tokens = [
  {
    id: 't1',
    name: 'prometheus-scraper',
    userId: 'u1',
    username: 'admin',
    scopes: ['metrics.read'],
    createdAt: iso(60 * 24 * 10),
    expiresAt: iso(-60 * 24 * 80),
    lastUsedAt: iso(1),
    revokedAt: null,
  },
  {
    id: 't2',
    name: 'old-backup-hook',
    userId: 'u1',
    username: 'admin',
    scopes: ['audit.read', 'audit.export'],
    createdAt: iso(60 * 24 * 200),
    expiresAt: iso(60 * 24 * 20),
    lastUsedAt: null,
    revokedAt: null,
  },
  {
    id: 't3',
    name: 'leaked-ci',
    userId: 'u1',
    username: 'admin',
    scopes: ['system.read'],
    createdAt: iso(60 * 24 * 50),
    expiresAt: null,
    lastUsedAt: iso(60 * 24 * 49),
    revokedAt: iso(60 * 24 * 48),
  },
];

const state = { signedIn: false, mfaPending: false, enrol: false, verifyOk: true };
const json = (route: Route, status: number, body: unknown) =>
  route.fulfill({
    status,
    contentType: status >= 400 ? 'application/problem+json' : 'application/json',
    body: JSON.stringify(body),
  });
const problem = (route: Route, status: number, code: string, detail: string, errors?: { path: string; message: string }[]) =>
  json(route, status, {
    type: 'about:blank',
    title: 'Problem',
    status,
    detail,
    code,
    requestId: 'req-4711',
    ...(errors ? { errors } : {}),
  });

function api(route: Route): Promise<void> {
  const req = route.request();
  const url = new URL(req.url());
  const p = url.pathname;
  const m = req.method();
  if (p === '/api/v1/auth/me') {
    if (!state.signedIn) return problem(route, 401, 'authentication_required', 'sign in or present an API token');
    return json(route, 200, { user: admin, csrfToken: 'csrf', mfaEnrolmentRequired: state.enrol, permissions });
  }
  if (p === '/api/v1/auth/login') {
    const b = req.postDataJSON() as { password?: string };
    if (b.password !== 'right') return problem(route, 401, 'invalid_credentials', 'wrong username or password');
    state.signedIn = !state.mfaPending;
    return json(route, 200, {
      user: admin,
      mfa: state.enrol ? 'enrol' : state.mfaPending ? 'required' : 'none',
      csrfToken: 'csrf',
    });
  }
  if (p === '/api/v1/auth/mfa/enrol/start')
    return json(route, 200, {
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      otpauthUrl: 'otpauth://totp/Skjold:admin?secret=JBSWY3DPEHPK3PXP',
      qrDataUrl: QR,
    });
  if (p === '/api/v1/auth/mfa/enrol/confirm')
    return json(route, 200, {
      recoveryCodes: [
        'k7f2-9qx3-ab1c',
        'p0w8-m2n4-zz71',
        'c3d4-e5f6-g7h8',
        'r9s8-t7u6-v5w4',
        'x1y2-z3a4-b5c6',
        'd7e8-f9g0-h1i2',
        'j3k4-l5m6-n7o8',
        'q9r0-s1t2-u3v4',
      ],
    });
  if (p === '/api/v1/users' && m === 'GET') return json(route, 200, { items: users });
  if (p === '/api/v1/users' && m === 'POST')
    return problem(route, 400, 'validation_failed', 'the request body is invalid', [
      { path: 'body.password', message: 'Too small: expected string to have >=12 characters' },
      { path: 'body.username', message: 'Invalid string: must match pattern /^[a-z0-9._-]+$/' },
    ]);
  if (p === '/api/v1/tokens' && m === 'GET') return json(route, 200, { items: tokens });
  if (p === '/api/v1/tokens' && m === 'POST')
    return json(route, 201, { ...tokens[0]!, id: 't9', name: 'new-token', token: 'skj_8fK2mQ9xV3pL7rT1wZ5yB4nC6hD0jE2gA9sU' });
  if (p === '/api/v1/audit/entries') {
    const action = url.searchParams.get('action');
    const items = action ? entries.filter((e) => e.action === action) : entries;
    return json(route, 200, { items, nextCursor: items.length ? 950 : null });
  }
  if (p === '/api/v1/audit/verify')
    return json(
      route,
      200,
      state.verifyOk
        ? { ok: true, entries: 1000, root: '9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d', checkpoints: 3 }
        : {
            ok: false,
            firstBadSeq: 742,
            problem: 'modified',
            message: 'entry 742 does not hash to its stored leaf',
          },
    );
  if (p === '/api/v1/audit/public-key')
    return json(route, 200, {
      keyId: 'a1b2c3d4e5f60718',
      algorithm: 'Ed25519',
      publicKeyPem:
        '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n',
    });
  return problem(route, 404, 'route_not_found', `no API route ${m} ${p}`);
}

// A tiny but real PNG QR-like image is enough for a layout check.
const QR = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21"><rect width="21" height="21" fill="#fff"/><path d="M0 0h7v7H0zM14 0h7v7h-7zM0 14h7v7H0zM9 9h3v3H9zM16 16h2v2h-2zM10 2h2v4h-2zM2 10h4v2H2z" fill="#000"/></svg>').toString('base64')}`;

const browser = await launchChromium();
let problems = 0;
try {
  for (const scheme of ['light', 'dark'] as const) {
    const ctx = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
      colorScheme: scheme,
      timezoneId: 'Europe/Copenhagen',
    });
    const page = await ctx.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/401|404|Failed to load resource/.test(msg.text())) {
        problems++;
        console.error(`console error: ${msg.text()}`);
      }
    });
    page.on('pageerror', (e) => {
      problems++;
      console.error(`page error: ${e.message}`);
    });
    await page.route('**/api/v1/**', (route) => api(route));
    const shot = (name: string) => page.screenshot({ path: join(out, `${scheme}-${name}.png`), fullPage: true });
    Object.assign(state, { signedIn: false, mfaPending: false, enrol: false, verifyOk: true });

    await page.goto(`${base}/`);
    await page.getByLabel('Username').waitFor();
    await shot('01-login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await shot('02-login-error');
    state.mfaPending = true;
    await page.getByLabel('Password').fill('right');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Code').waitFor();
    await shot('03-mfa');

    state.mfaPending = false;
    state.enrol = true;
    await page.getByRole('button', { name: 'Use another account' }).click();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('right');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('mfa-secret').waitFor();
    await shot('04-enrol');
    await page.getByLabel('6-digit code').fill('123456');
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    await shot('05-recovery-codes');
    state.enrol = false;
    state.signedIn = true;
    await page.getByLabel('I have saved').check();
    await page.getByRole('button', { name: 'Continue to Skjold' }).click();
    await page.getByTestId('audit-table').locator('tbody tr').first().waitFor();
    await shot('06-audit');
    await page.locator('tr[data-action="users.create"]').first().click();
    await page.locator('tr[data-action="tokens.create"]').first().click();
    await page.getByTestId('audit-verify').click();
    await page.getByTestId('verify-ok').waitFor();
    await shot('07-audit-details-verified');
    state.verifyOk = false;
    await page.getByTestId('audit-verify').click();
    await page.getByTestId('verify-failed').waitFor();
    await page.getByRole('button', { name: 'Public signing key' }).click();
    await page.getByTestId('audit-public-key').locator('pre').waitFor();
    await page.screenshot({ path: join(out, `${scheme}-08-audit-verify-failed.png`) });

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByTestId('users-table').waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('Username', { exact: true }).fill('Bad Name');
    await page.getByLabel('Initial password').fill('short');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('alert').first().waitFor();
    await page.locator('tr[data-username="jonas"]').getByRole('button', { name: 'Disable' }).click();
    await shot('09-users');

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByTestId('tokens-table').waitFor();
    await page.getByRole('button', { name: 'New token' }).click();
    await shot('10-tokens-new');
    await page.getByLabel('Name').fill('new-token');
    await page.getByLabel('metrics.read').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('token-created').waitFor();
    await shot('11-token-created');

    await page.getByTestId('lang-da').click();
    await page.getByRole('link', { name: 'Auditlog' }).click();
    await page.getByTestId('audit-table').locator('tbody tr').first().waitFor();
    await page.locator('tr[data-action="users.create"]').first().click();
    await shot('12-audit-da');
    await page.getByRole('link', { name: 'Min konto' }).click();
    await shot('13-account-da');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Auditlog' }).click();
    await page.getByTestId('audit-table').locator('tbody tr').first().waitFor();
    await page.screenshot({ path: join(out, `${scheme}-14-audit-phone.png`) });
    await ctx.close();
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`screenshots in ${out}; ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
