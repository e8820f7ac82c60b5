import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { freePort } from '../../test/ports.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skjold.js');

function get(port: number, path: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, ca, servername: 'localhost' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** `skjold start` on `dataDir` and a free port, once it has printed its plain-words banner (up to 20 s). */
async function start(dataDir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, SKJOLD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && !out.stderr.includes('Database:'); i++) await new Promise((r) => setTimeout(r, 100));
  /** SIGTERM, then the exit code. */
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return { port, out, stop };
}

describe('skjold start', () => {
  it('comes up on HTTPS with a generated certificate, prints its fingerprint, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skjold-start-'));
    const { port, out, stop } = await start(dataDir);
    const { stderr } = out;
    expect(stderr).toMatch(/TLS certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    // Nobody can sign in yet: the person who started it is told how to make the first admin, for this data directory.
    expect(stderr).toContain('No administrator yet.');
    expect(stderr).toContain(`npx skjold admin create --username NAME --password-stdin --data-dir ${dataDir}\n`);
    const ca = readFileSync(join(dataDir, 'tls-cert.pem'), 'utf8');
    expect(await get(port, '/healthz', ca)).toBe(200);
    expect(await get(port, '/api/v1/users', ca)).toBe(401);
    expect(await stop()).toBe(0);
    // JSON log lines on stdout, ending with the clean stop.
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain('stopped; audit log flushed');
    // The refused request was flushed to the audit log before exit.
    const db = new SQLite(join(dataDir, 'skjold.db'), { readonly: true });
    const denied = db.prepare("SELECT count(*) AS n FROM audit_entries WHERE outcome = 'denied' AND target IS NULL").get() as {
      n: number;
    };
    db.close();
    expect(denied.n).toBe(1);
  }, 60_000);

  it('says nothing of a first admin once one exists', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skjold-start-'));
    const created = spawnSync(
      process.execPath,
      [BIN, 'admin', 'create', '--username', 'alice', '--password-stdin', '--data-dir', dataDir],
      {
        input: 'a long passphrase for alice',
        encoding: 'utf8',
      },
    );
    expect(created.status, created.stderr).toBe(0);
    const { out, stop } = await start(dataDir);
    expect(out.stderr).toContain('Skjold is listening');
    expect(out.stderr).not.toContain('No administrator yet');
    expect(await stop()).toBe(0);
  }, 60_000);
});
