import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { freePort } from '../../test/ports.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'skjold.js');
// Each `skjold` run loads the TypeScript sources through tsx (about 2 s): these tests spawn many.
const SPAWNING = { timeout: 180_000 };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: no database, data dir or token of the test runner's own. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKJOLD_LOG_LEVEL: 'warn', SKJOLD_CONFIG: '', ...extra };
  for (const k of ['DATABASE_URL', 'SKJOLD_DATA_DIR', 'SKJOLD_TOKEN']) if (!(k in extra)) delete env[k];
  return env;
}

/** Run `skjold …` in `cwd` as a user would. */
function skjold(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: cleanEnv(opts.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

describe('skjold apply / export of people, systems and grants (SQLite)', () => {
  // root/data is the server's data directory: run from root, the CLI trusts ./data/tls-cert.pem by default.
  const root = mkdtempSync(join(tmpdir(), 'skjold-apply-access-'));
  const dataDir = join(root, 'data');
  let server: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let url: string;
  let token: string;
  let fingerprint: string;
  const file = (name: string, text: string) => {
    const p = join(root, name);
    writeFileSync(p, text);
    return p;
  };
  const run = (args: string[], env: Record<string, string> = { SKJOLD_TOKEN: token }, cwd = root) =>
    skjold(args.includes('--server') ? args : [...args, '--server', url], { cwd, env });

  beforeAll(async () => {
    mkdirSync(dataDir);
    const admin = await skjold(['admin', 'create', '--username', 'root', '--password-stdin', '--data-dir', dataDir], {
      cwd: root,
      input: 'a long passphrase here',
    });
    expect(admin.code, admin.stderr).toBe(0);
    const made = await skjold(['token', 'create', '--username', 'root', '--name', 'git ops', '--data-dir', dataDir], {
      cwd: root,
    });
    expect(made.code, made.stderr).toBe(0);
    token = made.stdout.trim();

    const port = await freePort();
    url = `https://127.0.0.1:${port}`;
    server = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)], {
      cwd: root,
      env: cleanEnv({}),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    server.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    exited = new Promise((done) => server!.on('exit', (code) => done(code)));
    for (let i = 0; i < 300 && !stderr.includes('fingerprint'); i++) await new Promise((r) => setTimeout(r, 100));
    fingerprint = /fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/.exec(stderr)?.[1] ?? '';
    expect(fingerprint, stderr).not.toBe('');
  }, 120_000);
  afterAll(async () => {
    if (!server) return;
    server.kill('SIGTERM');
    await exited;
  });

  const setup = (team: string) =>
    [
      '# Who may reach what',
      'people:',
      '  - name: Ida Ops',
      '    email: ida@example.dk',
      `    team: ${team}`,
      '    manager: mia@example.dk',
      '    identifiers: [ida, adm-ida]',
      '  - name: Mia Manager',
      '    email: mia@example.dk',
      'systems:',
      '  - name: db1.example.dk',
      '    kind: database',
      '    classification: customer',
      '    owner: mia@example.dk',
      '    levels:',
      '      - { name: read }',
      '      - { name: dba, privileged: true }',
      'grants:',
      '  - person: ida@example.dk',
      '    system: db1.example.dk',
      '    level: read',
      '    justification: reads replication status',
      '',
    ].join('\n');

  it('creates, then leaves alone, then updates, and an export applies back unchanged', SPAWNING, async () => {
    const f = file('access.yaml', setup('ops'));
    const first = await run(['apply', '-f', f]);
    expect([first.code, first.stdout], first.stderr).toEqual([
      0,
      [
        'created person ida@example.dk',
        'created person mia@example.dk',
        'created system db1.example.dk',
        'created grant ida@example.dk db1.example.dk read',
        '4 created, 0 updated, 0 unchanged',
        '',
      ].join('\n'),
    ]);
    // The applying admin approved the grant once: it is active.
    const client = new ApiClient({ server: url, fingerprint }, token);
    const grants = await client.request<{ items: { state: string; level: string }[] }>('GET', '/api/v1/access/grants');
    expect(grants.items.map((g) => [g.level, g.state])).toEqual([['read', 'active']]);

    const again = await run(['apply', '-f', f]);
    expect([again.code, again.stdout]).toEqual([
      0,
      'unchanged person ida@example.dk\nunchanged person mia@example.dk\nunchanged system db1.example.dk\nunchanged grant ida@example.dk db1.example.dk read\n0 created, 0 updated, 4 unchanged\n',
    ]);
    const edited = await run(['apply', '-f', file('access.yaml', setup('platform'))]);
    expect([edited.code, edited.stdout.split('\n').at(-2)]).toEqual([0, '0 created, 1 updated, 3 unchanged']);

    const out = join(root, 'exported.yaml');
    const exp = await run(['export', '--kinds', 'people,systems,grants', '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('    manager: mia@example.dk\n');
    expect(text.indexOf('people:')).toBeLessThan(text.indexOf('systems:'));
    expect(text.indexOf('systems:')).toBeLessThan(text.indexOf('grants:'));
    const back = await run(['apply', '-f', out]);
    expect([back.code, back.stdout.split('\n').at(-2)]).toEqual([0, '0 created, 0 updated, 4 unchanged']);

    const ghost = await run(['apply', '-f', file('ghost.yaml', setup('ops').replace('person: ida@', 'person: ghost@'))]);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(
      / {2}body\.grants\.0\.person \(\S+ghost\.yaml:19:\d+\): no person with the e-mail ghost@example\.dk\n/,
    );
    expect(ghost.stderr).toContain('none of the 1 grants was applied');
  });
});
