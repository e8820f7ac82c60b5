import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/ports.ts';

/**
 * A real `skjold start` in a temporary directory with an admin and an API token, and the `skjold` command run against
 * it as a user would (its own process, a clean environment): the harness of the CLI tests that talk to a server.
 */

export const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'skjold.js');
/** Each `skjold` run loads the TypeScript sources through tsx (about 2 s): tests that spawn many need time. */
export const SPAWNING = { timeout: 180_000 };

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: no database, data dir or token of the test runner's own. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKJOLD_LOG_LEVEL: 'warn', SKJOLD_CONFIG: '', ...extra };
  for (const k of ['DATABASE_URL', 'SKJOLD_DATA_DIR', 'SKJOLD_TOKEN']) if (!(k in extra)) delete env[k];
  return env;
}

/** Run `skjold …` in `cwd` as a user would. */
export function skjold(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Promise<Run> {
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

export interface CliServer {
  /** The working directory; `root/data` is the server's data directory, so the CLI trusts ./data/tls-cert.pem. */
  root: string;
  dataDir: string;
  url: string;
  /** An API token of the admin `root`. */
  token: string;
  fingerprint: string;
  /** Write a file under root; returns its path. */
  file(name: string, text: string): string;
  /** `skjold …` against this server (with --server unless given), with the token, from root unless told. */
  run(args: string[], env?: Record<string, string>, cwd?: string): Promise<Run>;
  stop(): Promise<void>;
}

/** Create the admin `root` and a token with the CLI, then start the server and wait for its certificate fingerprint. */
export async function startCliServer(prefix: string): Promise<CliServer> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  const admin = await skjold(['admin', 'create', '--username', 'root', '--password-stdin', '--data-dir', dataDir], {
    cwd: root,
    input: 'a long passphrase here',
  });
  if (admin.code !== 0) throw new Error(`skjold admin create: ${admin.stderr}`);
  const made = await skjold(['token', 'create', '--username', 'root', '--name', 'git ops', '--data-dir', dataDir], { cwd: root });
  if (made.code !== 0) throw new Error(`skjold token create: ${made.stderr}`);
  const token = made.stdout.trim();

  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(
    process.execPath,
    [BIN, 'start', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)],
    { cwd: root, env: cleanEnv({}), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  server.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => server.on('exit', (code) => done(code)));
  for (let i = 0; i < 300 && !stderr.includes('fingerprint'); i++) await new Promise((r) => setTimeout(r, 100));
  const fingerprint = /fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/.exec(stderr)?.[1] ?? '';
  if (!fingerprint) {
    server.kill('SIGTERM');
    throw new Error(`skjold start printed no fingerprint: ${stderr}`);
  }
  return {
    root,
    dataDir,
    url,
    token,
    fingerprint,
    file(name, text) {
      const p = join(root, name);
      writeFileSync(p, text);
      return p;
    },
    run: (args, env = { SKJOLD_TOKEN: token }, cwd = root) =>
      skjold(args.includes('--server') ? args : [...args, '--server', url], { cwd, env }),
    async stop() {
      server.kill('SIGTERM');
      await exited;
    },
  };
}
