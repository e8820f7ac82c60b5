import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BanEntry, renderIpsetRestore, renderNftables, renderNginxGeo, renderPlain } from './renderers.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const H = 3_600_000;

const dir = mkdtempSync(join(tmpdir(), 'skjold-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * The real tools, where this machine has them and lets us use netlink (root with CAP_NET_ADMIN). CI installs
 * `nftables` and `ipset`; without them (or without the capability) these checks are skipped loudly, never faked.
 */
function probeNft(): string | null {
  const f = join(dir, 'probe.nft');
  writeFileSync(f, `table inet skjold_probe_${randomBytes(3).toString('hex')} {\n}\n`);
  const r = run('nft', ['-c', '-f', f]);
  return r.code === 0 ? null : `nft -c unusable here: ${r.out.trim().slice(0, 200)}`;
}
function probeIpset(): string | null {
  const name = `skprobe${randomBytes(3).toString('hex')}`;
  const r = run('ipset', ['create', name, 'hash:net']);
  if (r.code !== 0) return `ipset unusable here: ${r.out.trim().slice(0, 200)}`;
  run('ipset', ['destroy', name]);
  return null;
}
const nftProblem = probeNft();
const ipsetProblem = probeIpset();
if (nftProblem) console.warn(`\n*** ${nftProblem}: nftables checks SKIPPED ***\n`);
if (ipsetProblem) console.warn(`\n*** ${ipsetProblem}: ipset checks SKIPPED ***\n`);

/** Overlaps of every kind, both families, duplicates, an expired ban and garbage. */
const mixed = (NOW: number): BanEntry[] => [
  { value: '198.51.100.7', until: NOW + H },
  { value: '203.0.113.0/24', until: NOW + H },
  { value: '203.0.113.7', until: NOW + 5 * H },
  { value: '203.0.113.9', until: NOW + H / 2 },
  { value: '10.0.0.0/8', until: NOW + 24 * H },
  { value: '10.1.2.3', until: NOW + 48 * H },
  { value: '10.1.2.0/24', until: NOW + 2 * H },
  { value: '192.0.2.1', until: NOW + H },
  { value: '192.0.2.1', until: NOW + 3 * H },
  { value: '192.0.2.2', until: NOW - 1000 },
  { value: 'garbage', until: NOW + H },
  { value: '2001:db8:1:2::/64', until: NOW + H },
  { value: '2001:db8:1:2::1', until: NOW + 2 * H },
  { value: '2001:db8:1:2::2', until: NOW + H / 4 },
  { value: '2001:db8:ffff::1', until: NOW + 7 * 24 * H },
  { value: '2001:db8:ffff::1', until: NOW + H },
];
const MIXED = mixed(NOW);

/** `count` distinct IPv4 addresses from 11.0.0.1 on, plus every 10th one's /64 in IPv6, with varied ends. */
function many(count: number): BanEntry[] {
  const out: BanEntry[] = [];
  for (let i = 0; i < count; i++) {
    const a = 0x0b000001 + i * 3;
    out.push({ value: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, until: NOW + ((i % 97) + 1) * 60_000 });
    if (i % 10 === 0)
      out.push({ value: `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`, until: NOW + H });
  }
  return out;
}

describe('renderNftables', () => {
  it('declares the table and both interval sets, flushes them and adds every element with its time left', () => {
    const text = renderNftables(MIXED, { now: NOW });
    expect(text).toContain('table inet skjold {');
    expect(text).toMatch(/set skjold_v4 \{\n\t\ttype ipv4_addr\n\t\tflags interval, timeout\n\t\}/);
    expect(text).toMatch(/set skjold_v6 \{\n\t\ttype ipv6_addr\n\t\tflags interval, timeout\n\t\}/);
    const adds = text.split('\n').filter((l) => l.startsWith('add element'));
    expect(adds).toEqual([
      'add element inet skjold skjold_v4 { 10.0.0.0-10.1.2.2 timeout 86400s, 10.1.2.3 timeout 172800s, ' +
        '10.1.2.4-10.255.255.255 timeout 86400s, 192.0.2.1 timeout 10800s, 198.51.100.7 timeout 3600s, ' +
        '203.0.113.0-203.0.113.6 timeout 3600s, 203.0.113.7 timeout 18000s, 203.0.113.8-203.0.113.255 timeout 3600s }',
      'add element inet skjold skjold_v6 { 2001:db8:1:2:: timeout 3600s, 2001:db8:1:2::1 timeout 7200s, ' +
        '2001:db8:1:2::2-2001:db8:1:2:ffff:ffff:ffff:ffff timeout 3600s, 2001:db8:ffff::1 timeout 604800s }',
    ]);
    expect(text.indexOf('flush set inet skjold skjold_v4')).toBeLessThan(text.indexOf('add element inet skjold skjold_v4'));
    expect(text).toContain('2 invalid or expired values skipped');
  });

  it('refuses names that could smuggle nft syntax', () => {
    expect(() => renderNftables([], { now: NOW, table: 'x; flush ruleset' })).toThrow(/invalid table name/);
    expect(() => renderNftables([], { now: NOW, setV4: 'a b' })).toThrow(/invalid set name/);
  });

  it.skipIf(nftProblem !== null)('passes `nft -c -f` with overlaps of both families, and with 100,000 elements', () => {
    const f = join(dir, 'mixed.nft');
    writeFileSync(f, renderNftables(MIXED, { now: NOW, table: `skjold_t${randomBytes(3).toString('hex')}` }));
    expect(run('nft', ['-c', '-f', f])).toEqual({ code: 0, out: '' });
    const big = join(dir, 'big.nft');
    writeFileSync(big, renderNftables(many(100_000), { now: NOW, table: `skjold_t${randomBytes(3).toString('hex')}` }));
    expect(run('nft', ['-c', '-f', big])).toEqual({ code: 0, out: '' });
  });

  it.skipIf(nftProblem !== null)('applies for real, atomically replacing the sets on a reload (throwaway table)', () => {
    const table = `skjold_t${randomBytes(3).toString('hex')}`;
    try {
      const f = join(dir, 'apply.nft');
      const now = Date.now();
      writeFileSync(f, renderNftables(mixed(now), { now, table }));
      expect(run('nft', ['-f', f])).toEqual({ code: 0, out: '' });
      const listed = run('nft', ['list', 'set', 'inet', table, 'skjold_v4']).out;
      expect(listed).toContain('203.0.113.7 timeout 5h');
      expect(listed).toContain('10.0.0.0-10.1.2.2 timeout 1d');
      // A reload with one ban fewer: the set holds exactly the new contents (flush and add in one transaction).
      writeFileSync(
        f,
        renderNftables(
          mixed(now).filter((e) => e.value !== '198.51.100.7'),
          { now, table },
        ),
      );
      expect(run('nft', ['-f', f])).toEqual({ code: 0, out: '' });
      const after = run('nft', ['list', 'set', 'inet', table, 'skjold_v4']).out;
      expect(after).not.toContain('198.51.100.7');
      expect(after).toContain('203.0.113.7 timeout 5h');
      const v6 = run('nft', ['list', 'set', 'inet', table, 'skjold_v6']).out;
      expect(v6).toContain('2001:db8:1:2::1 timeout 2h');
    } finally {
      run('nft', ['delete', 'table', 'inet', table]);
    }
  });
});

describe('renderIpsetRestore', () => {
  it('fills a temporary set per family with an explicit maxelem and swaps it in', () => {
    const text = renderIpsetRestore(MIXED, { now: NOW, name: 'bans' });
    const lines = text.trim().split('\n');
    expect(lines.slice(1, 4)).toEqual([
      'create bans hash:net family inet hashsize 16384 maxelem 1048576 timeout 0 -exist',
      'create bans-tmp hash:net family inet hashsize 16384 maxelem 1048576 timeout 0 -exist',
      'flush bans-tmp',
    ]);
    expect(lines).toContain('add bans-tmp 203.0.113.0/24 timeout 3600');
    expect(lines).toContain('add bans-tmp 203.0.113.7 timeout 18000');
    expect(lines).toContain('add bans-tmp 192.0.2.1 timeout 10800');
    expect(lines.filter((l) => l.startsWith('add bans-tmp 192.0.2.1 '))).toHaveLength(1);
    expect(lines).not.toContain('add bans-tmp 192.0.2.2 timeout 0');
    expect(lines).toContain('swap bans-tmp bans');
    expect(lines).toContain('destroy bans-tmp');
    expect(lines).toContain('create bans-v6 hash:net family inet6 hashsize 16384 maxelem 1048576 timeout 0 -exist');
    expect(lines).toContain('add bans-v6-tmp 2001:db8:1:2::/64 timeout 3600');
    expect(lines).toContain('add bans-v6-tmp 2001:db8:ffff::1 timeout 604800');
  });

  it('raises maxelem when the entries outgrow it, and caps timeouts at what the kernel takes', () => {
    const text = renderIpsetRestore([...many(3000), { value: '192.0.2.50', until: NOW + 365 * 24 * H }], {
      now: NOW,
      maxelem: 1024,
    });
    expect(text).toContain('maxelem 4096');
    expect(text).toContain('add skjold-tmp 192.0.2.50 timeout 2147483\n');
  });

  it.skipIf(ipsetProblem !== null)(
    'restores 100,000 entries (past the 65,536 default) into throwaway sets, and again over them',
    () => {
      const name = `skt${randomBytes(3).toString('hex')}`;
      try {
        const entries = many(100_000).map((e) => ({ ...e, until: Date.now() + H }));
        const first = run('ipset', ['restore'], renderIpsetRestore(entries, { now: Date.now(), name }));
        expect(first).toEqual({ code: 0, out: '' });
        expect(run('ipset', ['list', '-t', name]).out).toMatch(/Number of entries: 100000\n/);
        expect(run('ipset', ['list', '-t', `${name}-v6`]).out).toMatch(/Number of entries: 10000\n/);
        // The reload the cron job does: same parameters, so `create -exist` passes and swap replaces the contents.
        const fewer = entries.filter((e) => !e.value.includes(':')).slice(0, 70_000);
        const second = run('ipset', ['restore'], renderIpsetRestore(fewer, { now: Date.now(), name }));
        expect(second).toEqual({ code: 0, out: '' });
        expect(run('ipset', ['list', '-t', name]).out).toMatch(/Number of entries: 70000\n/);
        expect(run('ipset', ['list', '-t', `${name}-v6`]).out).toMatch(/Number of entries: 0\n/);
        expect(run('ipset', ['test', name, '11.0.0.1']).code).toBe(0);
        expect(run('ipset', ['list', '-n']).out).not.toContain(`${name}-tmp`);
      } finally {
        for (const s of [name, `${name}-tmp`, `${name}-v6`, `${name}-v6-tmp`]) run('ipset', ['destroy', s]);
      }
    },
  );
});

describe('renderPlain and renderNginxGeo', () => {
  it('writes each active network once, canonical, IPv4 first', () => {
    expect(renderPlain(MIXED, { now: NOW })).toBe(
      [
        '198.51.100.7',
        '203.0.113.0/24',
        '203.0.113.7',
        '203.0.113.9',
        '10.0.0.0/8',
        '10.1.2.3',
        '10.1.2.0/24',
        '192.0.2.1',
        '2001:db8:1:2::/64',
        '2001:db8:1:2::1',
        '2001:db8:1:2::2',
        '2001:db8:ffff::1',
        '',
      ].join('\n'),
    );
  });

  it('writes a geo block with a default of 0', () => {
    const text = renderNginxGeo(
      [
        { value: '1.2.3.4', until: NOW + H },
        { value: '2001:DB8::/64', until: NOW + H },
        { value: '1.2.3.4', until: NOW + 2 * H },
      ],
      { now: NOW },
    );
    expect(text).toBe(
      `# Skjold blocklist at 2026-11-27T12:00:00.000Z\ngeo $skjold_banned {\n\tdefault 0;\n\t1.2.3.4 1;\n\t2001:db8::/64 1;\n}\n`,
    );
    expect(() => renderNginxGeo([], { now: NOW, variable: '$x; include /etc/passwd' })).toThrow(/invalid nginx variable/);
  });
});
