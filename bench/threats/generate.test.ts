import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACK_KINDS, generateLogs, LOG_NAMES, type LogName, type Truth } from './generate.ts';
import { lineTime } from './run.ts';

const LINES = 40_000;
let dir: string;
let truth: Truth;
const text: Partial<Record<LogName, string[]>> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'threats-gen-'));
  truth = generateLogs({ dir, lines: LINES, seed: 7 });
  for (const log of LOG_NAMES) text[log] = readFileSync(join(dir, truth.files[log]), 'utf8').split('\n').slice(0, -1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linesOf = (log: LogName): string[] => text[log] as string[];

/** The client address of a generated line (sshd `from X port` / `rhost=` / `user X port`, access log first field, mail `[X]` / `rip=`). */
function clientIp(log: LogName, line: string): string | null {
  if (log === 'nginx') return line.slice(0, line.indexOf(' '));
  if (log === 'mail')
    return (
      /rip=([0-9a-f.:]+)|\[([0-9a-f]*[.:][0-9a-f.:]+)\]/
        .exec(line)
        ?.slice(1)
        .find((x) => x !== undefined) ?? null
    );
  return (
    /(?:from|rhost=|user \S+) ([0-9a-f.:]{7,}) port|rhost=([0-9a-f.:]+)/
      .exec(line)
      ?.slice(1)
      .find((x) => x !== undefined) ?? null
  );
}

const net = (ip: string): string =>
  ip.includes(':') ? ip.split(':').slice(0, 4).join(':') : ip.split('.').slice(0, 3).join('.');

describe('generateLogs', () => {
  it('writes exactly the asked number of lines per log, in time order', () => {
    for (const log of LOG_NAMES) {
      const lines = linesOf(log);
      expect(lines).toHaveLength(LINES);
      let prev = 0;
      for (const l of lines) {
        const t = lineTime(l, truth);
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
      }
      expect(prev).toBeLessThanOrEqual(Date.parse(truth.end));
    }
  });

  it('is deterministic: the same seed gives the same bytes, another seed other bytes', () => {
    const again = mkdtempSync(join(tmpdir(), 'threats-gen-'));
    const other = mkdtempSync(join(tmpdir(), 'threats-gen-'));
    try {
      generateLogs({ dir: again, lines: LINES, seed: 7 });
      generateLogs({ dir: other, lines: LINES, seed: 8 });
      const hash = (d: string, f: string): string =>
        createHash('sha256')
          .update(readFileSync(join(d, f)))
          .digest('hex');
      for (const f of ['sshd.log', 'nginx.log', 'mail.log', 'truth.json']) {
        expect(hash(again, f)).toBe(hash(dir, f));
        expect(hash(other, f)).not.toBe(hash(dir, f));
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('plants every attack kind, each attacker visible in its own log with its attempts', () => {
    expect(new Set(truth.attackers.map((a) => a.kind))).toEqual(new Set(Object.keys(ATTACK_KINDS)));
    for (const log of LOG_NAMES) {
      const seen = new Map<string, number>();
      for (const l of linesOf(log)) {
        const ip = clientIp(log, l);
        if (ip) seen.set(ip, (seen.get(ip) ?? 0) + 1);
      }
      for (const a of truth.attackers.filter((x) => x.log === log)) {
        expect(ATTACK_KINDS[a.kind]).toBe(log);
        expect(seen.get(a.ip) ?? 0, `${a.kind} ${a.ip}`).toBeGreaterThanOrEqual(
          a.kind === 'mail-imap-bf' ? a.attempts / 3 : a.attempts,
        );
      }
    }
  });

  it('keeps attackers out of private space and out of every legitimate client’s /24 or /64', () => {
    const attackerNets = new Set(truth.attackers.map((a) => net(a.ip)));
    for (const a of truth.attackers) expect(a.ip).not.toMatch(/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.|fc|fd)/);
    const known = new Set([...truth.attackers.map((a) => a.ip), ...LOG_NAMES.flatMap((l) => truth.neutral[l])]);
    let legit = 0;
    for (const log of LOG_NAMES)
      for (const l of linesOf(log)) {
        const ip = clientIp(log, l);
        if (!ip || known.has(ip)) continue;
        legit++;
        expect(attackerNets.has(net(ip)), `${ip} in ${log}`).toBe(false);
      }
    expect(legit).toBeGreaterThan(LINES);
  });

  it('gives legitimate ssh users at most three failed passwords a day, always followed by a login', () => {
    const attackers = new Set([...truth.attackers.map((a) => a.ip), ...truth.neutral.sshd]);
    const perUserDay = new Map<string, number>();
    const failedPids = new Map<string, string>();
    for (const l of linesOf('sshd')) {
      const m = /sshd\[(\d+)\]: (Failed|Accepted) \w+ for (\S+) from (\S+) port/.exec(l);
      if (!m || attackers.has(m[4] as string)) continue;
      if (m[2] === 'Failed') {
        const key = `${m[3]} ${l.slice(0, 6)}`;
        perUserDay.set(key, (perUserDay.get(key) ?? 0) + 1);
        failedPids.set(m[1] as string, m[3] as string);
      } else failedPids.delete(m[1] as string);
    }
    expect(perUserDay.size).toBeGreaterThan(10);
    expect(Math.max(...perUserDay.values())).toBeLessThanOrEqual(3);
    // Every mistyping connection ended in an accepted login (the last ones may be cut by the line budget).
    expect(failedPids.size).toBeLessThanOrEqual(2);
    expect(truth.legit.sshd.maxAuthFailuresPerIpPer10m).toBeLessThan(5);
  });

  it('writes the sqlmap user agent, mixed-case encoded SQL injection and an IPv6 /64 rotation', () => {
    const nginx = linesOf('nginx').join('\n');
    expect(nginx).toContain('"sqlmap/1.7.2#stable (https://sqlmap.org)"');
    expect(nginx).toContain('UnIoN%20SeLeCt');
    const rot = truth.attackers.filter((a) => a.kind === 'ssh-ipv6-rotation');
    const nets = new Set(rot.map((a) => a.network));
    expect(nets.size).toBe(2);
    expect(rot.length).toBeGreaterThan(100);
    for (const a of rot) expect(a.attempts).toBeLessThanOrEqual(3);
  });
});
