import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/app.ts';
import { DIALECTS } from '../../test/databases.ts';
import { openDatabase } from '../core/db/database.ts';
import { appendN, QUIET_CHECKPOINTS } from '../modules/audit/audit.test-fixtures.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skjold.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `node bin/skjold.js …` as an operator would, against the test's data directory and database. */
function skjold(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', SKJOLD_LOG_LEVEL: 'warn', ...env },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('skjold audit --help', () => {
  it('explains every audit command', async () => {
    const [top, verify, exp] = await Promise.all([
      skjold(['audit', '--help']),
      skjold(['audit', 'verify', '--help']),
      skjold(['audit', 'export', '--help']),
    ]);
    expect(top).toMatchObject({ code: 0 });
    expect(top.stdout).toMatch(/verify/);
    expect(top.stdout).toMatch(/export/);
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.stdout).toMatch(/--file <export\.jsonl>/);
    expect(verify.stdout).toMatch(/--public-key <file>/);
    expect(exp).toMatchObject({ code: 0 });
    expect(exp.stdout).toMatch(/--from <seq\|time>/);
    expect(exp.stdout).toMatch(/--out <file>/);
  });
});

describe.each(DIALECTS)('skjold audit on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { env: QUIET_CHECKPOINTS });
    await appendN(t, 30);
    await t.audit.service.checkpointer.checkpointNow();
    await appendN(t, 4);
    // Closing makes the final checkpoint (34).
    await t.close();
    env = { DATABASE_URL: t.testDb.databaseUrl };
  });
  afterAll(async () => {
    if (!skip) await t.testDb.drop();
  });

  it.skipIf(skip)('verifies the log, exports a range to a file and to stdout, and verifies the exports offline', async () => {
    const dir = t.testDb.dataDir;
    const ok = await skjold(['audit', 'verify', '--data-dir', dir], env);
    expect(ok.stderr).toBe('');
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/^verified 34 entries, root [0-9a-f]{64}\n$/);

    const file = join(dir, 'export.jsonl');
    const exp = await skjold(['audit', 'export', '--data-dir', dir, '--from', '3', '--to', '31', '--out', file], env);
    expect(exp).toMatchObject({ code: 0 });
    const pub = join(dir, 'audit-signing.pub');
    const offline = await skjold(['audit', 'verify', '--file', file, '--public-key', pub]);
    expect(offline).toMatchObject({ code: 0 });
    expect(offline.stdout).toMatch(/^verified 29 entries \(seq 3–31\) against \d+ signed checkpoints?\n$/);

    const toStdout = await skjold(['audit', 'export', '--data-dir', dir, '--to', '10'], env);
    expect(toStdout.stdout.split('\n')[0]).toMatch(/"firstSeq":1,"lastSeq":10/);

    // An edited export line: exit 2, naming the entry.
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('{"v":1,"seq":12,'));
    lines[i] = (lines[i] as string).replace('test.append', 'test.forged');
    writeFileSync(file, lines.join('\n'));
    const bad = await skjold(['audit', 'verify', '--file', file, '--public-key', pub]);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stdout).toMatch(/first bad seq 12 \(modified\)/);
  });

  it.skipIf(skip)('exits 2 naming the first bad seq when the database was altered', async () => {
    const database = openDatabase({ dataDir: t.testDb.dataDir, databaseUrl: t.testDb.databaseUrl });
    try {
      await sql`DELETE FROM audit_entries WHERE seq = 7`.execute(database.db);
    } finally {
      await database.close();
    }
    const res = await skjold(['audit', 'verify', '--data-dir', t.testDb.dataDir], env);
    expect(res).toMatchObject({ code: 2 });
    expect(res.stdout).toMatch(/first bad seq 7 .*\(deleted\)/);
  });
});
