import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, loadSkjoldConfig, type SkjoldApp } from '../app.ts';
import { createLogger } from '../core/logger.ts';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.ts';
import { parseExpiry } from './token.command.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'skjold.js');
// Each `skjold` run loads the TypeScript sources through tsx (about 2 s): these tests spawn several.
const SPAWNING = { timeout: 90_000 };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `skjold …` as a user would, with `input` piped to stdin. */
function skjold(db: TestDatabase, args: string[], input = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', db.dataDir], {
      env: { ...process.env, DATABASE_URL: db.databaseUrl, SKJOLD_LOG_LEVEL: 'warn', SKJOLD_CONFIG: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const osUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
};

describe.each(DIALECTS)('skjold admin/token commands on $dialect', ({ dialect, skip }) => {
  let db: TestDatabase;
  let app: SkjoldApp | undefined;
  beforeEach(async () => {
    if (!skip) db = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (!skip) await db.drop();
  });
  const open = async (): Promise<SkjoldApp> => {
    const config = loadSkjoldConfig({ env: { SKJOLD_DATA_DIR: db.dataDir, DATABASE_URL: db.databaseUrl } });
    app = await createApp({ config, tls: false, log: createLogger('silent') });
    return app;
  };

  it.skipIf(skip)(
    'creates the first admin from a password on stdin, refuses a second unless --force, and audits as cli:<os user>',
    SPAWNING,
    async () => {
      const first = await skjold(db, ['admin', 'create', '--username', 'Alice', '--password-stdin'], 'a long passphrase here\n');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^created admin alice \([0-9a-f-]{36}\); MFA enrolment is required at the first sign-in\n$/);
      expect(statSync(join(db.dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);

      const second = await skjold(db, ['admin', 'create', '--username', 'bob', '--password-stdin'], 'another long passphrase');
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('an admin exists already');
      const short = await skjold(db, ['admin', 'create', '--username', 'carl', '--password-stdin', '--force'], 'short');
      expect(short.code).toBe(1);
      expect(short.stderr).toContain('at least 12 characters');
      expect(short.stderr).not.toContain('short\n');
      const noStdin = await skjold(db, ['admin', 'create', '--username', 'dora']);
      expect(noStdin.code).toBe(1);
      expect(noStdin.stderr).toContain('--password-stdin');
      const forced = await skjold(
        db,
        ['admin', 'create', '--username', 'bob', '--password-stdin', '--force'],
        'another long passphrase',
      );
      expect(forced.code).toBe(0);

      const a = await open();
      const login = await a.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'ALICE', password: 'a long passphrase here' },
      });
      expect(login.json()).toMatchObject({ mfa: 'enrol', user: { username: 'alice', role: 'admin', mfaEnabled: false } });
      const records = (
        await a.database.db
          .selectFrom('audit_entries')
          .select('entry')
          .where('action', '=', 'users.create')
          .orderBy('seq')
          .execute()
      ).map((r) => JSON.parse(r.entry) as Record<string, unknown>);
      expect(records).toHaveLength(2);
      expect(records[0]).toMatchObject({
        actor: `cli:${osUser()}`,
        outcome: 'allowed',
        changes: [{ type: 'user', after: { username: 'alice', role: 'admin' } }],
      });
      expect(records[1]).toMatchObject({ actor: `cli:${osUser()}`, detail: { forced: true, existingAdmins: 1 } });
      expect(records.map((r) => JSON.stringify(r)).join()).not.toContain('passphrase');
    },
  );

  it.skipIf(skip)('prints a scoped token once on stdout that then works against the API', SPAWNING, async () => {
    expect((await skjold(db, ['admin', 'create', '--username', 'root', '--password-stdin'], 'a long passphrase here')).code).toBe(
      0,
    );
    const made = await skjold(db, [
      'token',
      'create',
      '--username',
      'root',
      '--name',
      'prometheus',
      '--scopes',
      'metrics.read, users.read',
      '--expires',
      '30d',
    ]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^skj_[A-Za-z0-9_-]{43}\n$/);
    expect(made.stderr).toMatch(/scopes: metrics\.read,users\.read/);
    expect(made.stderr).not.toContain(made.stdout.trim());
    const bad = await skjold(db, ['token', 'create', '--username', 'root', '--name', 'x', '--scopes', 'no.such']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown permission no.such');

    const a = await open();
    const headers = { authorization: `Bearer ${made.stdout.trim()}` };
    expect((await a.app.inject({ url: '/metrics', headers })).statusCode).toBe(200);
    expect((await a.app.inject({ url: '/api/v1/users', headers })).statusCode).toBe(200);
    expect((await a.app.inject({ url: '/api/v1/routes', headers })).statusCode).toBe(403);
    const me = (await a.app.inject({ url: '/api/v1/tokens', headers })).json<{
      items: { expiresAt: string; createdAt: string }[];
    }>();
    const item = me.items[0]!;
    expect(Date.parse(item.expiresAt) - Date.parse(item.createdAt)).toBe(30 * 86_400_000);
    const [rec] = (
      await a.database.db.selectFrom('audit_entries').select('entry').where('action', '=', 'tokens.create').execute()
    ).map((r) => JSON.parse(r.entry) as Record<string, unknown>);
    expect(rec).toMatchObject({
      actor: `cli:${osUser()}`,
      changes: [{ type: 'token', after: { name: 'prometheus', scopes: ['metrics.read', 'users.read'] } }],
    });
    expect(JSON.stringify(rec)).not.toContain(made.stdout.trim().slice(4));
  });
});

describe('token command options', () => {
  it('reads --expires as days', () => {
    expect(parseExpiry('30d')).toBe(30);
    expect(parseExpiry('7')).toBe(7);
    expect(() => parseExpiry('2w')).toThrow(/takes days/);
  });
});
