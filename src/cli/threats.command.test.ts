import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReplayResult } from '../modules/threats/index.ts';
import { forEachLine } from './threats.command.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skjold.js');

function skjold(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** An auth.log of yesterday: two users at work (one mistypes twice), one brute forcer, one slow brute forcer. */
function authLog(): string {
  const day = new Date(Date.now() - 86_400_000);
  const mon = day.toLocaleString('en', { month: 'short', timeZone: 'Europe/Copenhagen' });
  const d = String(day.getDate()).padStart(2, ' ');
  const at = (h: number, m: number, s: number) =>
    `${mon} ${d} ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  const lines: string[] = [];
  lines.push(`${at(8, 0, 1)} web1 sshd[100]: Failed password for alice from 198.51.100.20 port 50001 ssh2`);
  lines.push(`${at(8, 0, 9)} web1 sshd[100]: Failed password for alice from 198.51.100.20 port 50001 ssh2`);
  lines.push(`${at(8, 0, 15)} web1 sshd[100]: Accepted password for alice from 198.51.100.20 port 50001 ssh2`);
  lines.push(`${at(9, 30, 0)} web1 sshd[101]: Accepted publickey for bob from 198.51.100.21 port 50002 ssh2`);
  for (let i = 0; i < 50; i++)
    lines.push(
      `${at(10, Math.floor(i / 20), i % 60)} web1 sshd[${200 + i}]: Failed password for root from 203.0.113.7 port ${40000 + i} ssh2`,
    );
  // 25 failures over 20 hours: no short-window scenario fires, the slow one does.
  for (let i = 0; i < 25; i++)
    lines.push(
      `${at(1 + Math.floor((i * 48) / 60), (i * 48) % 60, 0)} web1 sshd[300]: Failed password for admin from 192.0.2.99 port 1 ssh2`,
    );
  lines.sort();
  lines.push('garbage that is no log line at all');
  return `${lines.join('\n')}\n`;
}

describe('skjold threats replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skjold-replay-'));
  const log = join(dir, 'auth.log');
  writeFileSync(log, authLog());

  it('finds the fast and the slow brute forcer, leaves the people at work alone, and prints a summary', async () => {
    const r = await skjold(['threats', 'replay', log]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Lines: 80 \(79 events, 0 ignored, 1 not understood\)/);
    expect(r.stdout).toContain('203.0.113.7');
    expect(r.stdout).toContain('192.0.2.99');
    expect(r.stdout).not.toContain('198.51.100.2');
    const j = await skjold(['threats', 'replay', log, '--json']);
    const res = JSON.parse(j.stdout) as ReplayResult;
    expect(res.decisions.map((d) => d.value).sort()).toEqual(['192.0.2.99', '203.0.113.7']);
    expect(res.alerts.find((a) => a.ips.includes('192.0.2.99'))?.scenario).toMatch(/slow/);
  });

  it('looks sources up in feed files, honours an allowlist, and refuses an unknown type', async () => {
    const feeds = join(dir, 'feeds');
    mkdirSync(feeds, { recursive: true });
    writeFileSync(join(feeds, 'bad.netset'), '# a list\n45.155.205.0/24\n');
    const withFeed = join(dir, 'listed.log');
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `<38>1 2026-11-26T10:00:${String(i).padStart(2, '0')}Z web1 sshd 1 - - Failed password for root from 45.155.205.9 port 1 ssh2`,
    );
    writeFileSync(withFeed, `${lines.join('\n')}\n`);
    const j = JSON.parse((await skjold(['threats', 'replay', withFeed, '--feeds', feeds, '--json'])).stdout) as ReplayResult;
    expect(j.alerts[0]).toMatchObject({ tier: 'page', listedBy: ['bad'] });
    expect(j.stats.listedHits).toBe(30);

    const allowed = JSON.parse(
      (await skjold(['threats', 'replay', log, '--allowlist', '203.0.113.0/24', '--json'])).stdout,
    ) as ReplayResult;
    expect(allowed.decisions.map((d) => d.value)).toEqual(['192.0.2.99']);

    const bad = await skjold(['threats', 'replay', log, '--type', 'syslog']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--type takes one of auto, sshd');
  });

  it('dates an old syslog file by when it was written (RFC 3164 has no year)', async () => {
    const old = join(dir, 'auth.log.1');
    const lines = Array.from(
      { length: 30 },
      (_, i) => `Dec 30 23:59:${String(i).padStart(2, '0')} web1 sshd[1]: Failed password for root from 203.0.113.8 port 1 ssh2`,
    );
    writeFileSync(old, `${lines.join('\n')}\n`);
    utimesSync(old, new Date('2025-12-31T12:00:00Z'), new Date('2025-12-31T12:00:00Z'));
    const j = JSON.parse((await skjold(['threats', 'replay', old, '--json'])).stdout) as ReplayResult;
    expect(j.decisions[0]?.from).toMatch(/^2025-12-30T22:59/);
  });

  it('imports a fail2ban filter as a scenario that a replay then runs, and reports what RE2 cannot run', async () => {
    const filter = join(dir, 'myapp.conf');
    writeFileSync(
      filter,
      [
        '[INCLUDES]',
        'before = common.conf',
        '[Definition]',
        'failregex = ^%(__prefix_line)sLogin failed for user \\S+ from <HOST>$',
        '            ^%(__prefix_line)s(?<=x)bad lookbehind from <HOST>$',
        'ignoreregex =',
        '',
      ].join('\n'),
    );
    const yaml = join(dir, 'f2b-myapp.yaml');
    const imp = await skjold(['threats', 'import-fail2ban', filter, '--max-retry', '3', '--find-time', '10m', '--out', yaml]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toContain('imported 1 failregex');
    expect(imp.stderr).toMatch(/not imported: failregex #2/);
    const app = join(dir, 'myapp.log');
    const lines = Array.from(
      { length: 4 },
      (_, i) => `Nov 26 10:00:0${i} app1 myapp[7]: Login failed for user bob from 192.0.2.44`,
    );
    writeFileSync(app, `${lines.join('\n')}\n`);
    const j = JSON.parse((await skjold(['threats', 'replay', app, '--scenarios', yaml, '--json'])).stdout) as ReplayResult;
    expect(j.alerts.map((a) => [a.scenario, a.ips[0]])).toEqual([['f2b-myapp', '192.0.2.44']]);
  });

  it('reads lines split across reads, CRLF endings, a last line without newline, and cuts a 9 MB line at 1 MiB', () => {
    const f = join(dir, 'crlf.log');
    const long = 3 * 1024 * 1024 + 5;
    writeFileSync(f, `a\r\n${'b'.repeat(long)}\n${'c'.repeat(9 * 1024 * 1024)}\nd`);
    const got: number[] = [];
    forEachLine(f, (l) => got.push(l.length));
    expect(got).toEqual([1, 1024 * 1024, 1024 * 1024, 1]);
  });
});
