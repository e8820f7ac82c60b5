import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareDpkgVersions, parseDpkgVersion } from './dpkg-version.ts';
import { compareRpmVersions } from './rpm-version.ts';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const dpkgHere = have('dpkg');
const rpmHere = have('rpm');
for (const [tool, here] of [
  ['dpkg', dpkgHere],
  ['rpm', rpmHere],
] as const) {
  if (here) continue;
  if (process.env['CI']) throw new Error(`${tool} is not installed: CI must install it to prove the comparator`);
  console.warn(`${tool} is not installed: its comparison is not checked against the real tool (apt-get install ${tool})`);
}

/** A seeded generator, so a failure names a pair that the next run reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0);
}

const REAL_DEB = [
  '2.36-9+deb12u4',
  '2.36-9+deb12u10',
  '1:2.38.1-5+deb12u1',
  '1:2.38.1-5+deb12u3',
  '3.0.11-1~deb12u2',
  '3.0.15-1~deb12u1',
  '7.88.1-10+deb12u5',
  '7.88.1-10+deb12u12',
  '1:9.2p1-2+deb12u3',
  '1:9.2p1-2+deb12u6',
  '2:8.2.3995-1+deb12u2',
  '6.1.76-1',
  '6.1.129-1',
  '1.2.13.dfsg-1',
  '0.9.8~rc1-2',
  '0.9.8-1',
  '5.2.15-2+b2',
  '5.2.15-2',
  '252.22-1~deb12u1',
  '1.22.1-9',
  '2.9.14+dfsg-1.3~deb12u1',
  '3.40.1-2+deb12u1',
  '10.0.0-1+b1',
  '1.0',
  '1.0-0',
  '1.0+really0.9-1',
  '0',
  '1:0',
  '20230311',
  '20230311.1',
  '1.1.1n-0+deb11u5',
  '4.4.0~git20220818-1',
  '2.0~beta1',
  '2.0~~',
  '2.0~',
];
const REAL_RPM = [
  '1.0-1',
  '1.0-1.el9',
  '1.0-1.el9_3',
  '1:1.0-1',
  '2.34-60.el9',
  '2.34-83.el9_3.7',
  '3.0.7-25.el9_3',
  '3.0.7-27.el9',
  '5.14.0-362.8.1.el9_3',
  '5.14.0-427.13.1.el9_4',
  '1.0~rc1-1',
  '1.0^git20230101-1',
  '1.0^1',
  '1.0~1',
  '1.0a',
  '1.0.a',
  '1.0b',
  'r10',
  'r9',
  '10',
  '9.2p1',
  '1.2.3',
  '1.2.03',
  '1.02.3',
  '0.1',
  '0:1.0',
  '2.0.0-0.rc1.fc39',
  '2.0.0-1.fc39',
];

function mutate(v: string, r: () => number, alphabet: string): string {
  let s = v;
  const edits = 1 + (r() % 3);
  for (let e = 0; e < edits; e++) {
    const at = r() % (s.length + 1);
    const kind = r() % 7;
    const ch = alphabet[r() % alphabet.length] as string;
    if (kind === 0) s = s.slice(0, at) + ch + s.slice(at);
    else if (kind === 1 && s.length > 1) s = s.slice(0, at) + s.slice(at + 1);
    else if (kind === 2) s = s.slice(0, at) + String(r() % 100) + s.slice(at);
    else if (kind === 3) s = s.slice(0, at) + '0'.repeat(1 + (r() % 3)) + s.slice(at);
    else if (kind === 4) s = s.slice(0, at) + '9'.repeat(18 + (r() % 15)) + s.slice(at);
    else if (kind === 5) s = s.slice(0, at) + '~' + s.slice(at);
    else s = s.slice(0, at) + ch + ch + s.slice(at);
  }
  return s;
}

/** Pairs of real versions, each against mutations of itself and of others. */
function pairs(real: string[], n: number, alphabet: string, valid: (v: string) => boolean): [string, string][] {
  const r = rng(20261127);
  const out: [string, string][] = [];
  for (const a of real) for (const b of real) out.push([a, b]);
  while (out.length < n) {
    const a = real[r() % real.length] as string;
    const b = r() % 3 === 0 ? (real[r() % real.length] as string) : a;
    const x = r() % 2 ? mutate(a, r, alphabet) : a;
    const y = mutate(b, r, alphabet);
    if (valid(x) && valid(y)) out.push([x, y]);
  }
  return out;
}

describe('dpkg version comparison', () => {
  it('orders the classic cases', () => {
    expect(compareDpkgVersions('1.0~rc1', '1.0')).toBe(-1);
    expect(compareDpkgVersions('1.0', '1.0+deb12u1')).toBe(-1);
    expect(compareDpkgVersions('1:0.1', '2.0')).toBe(1);
    expect(compareDpkgVersions('1.0-1', '1.0-01')).toBe(0);
    expect(compareDpkgVersions('1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
    expect(compareDpkgVersions('2.36-9+deb12u10', '2.36-9+deb12u4')).toBe(1);
    expect(parseDpkgVersion('a1.0')).toBeNull();
    expect(parseDpkgVersion('1.0-')).toBeNull();
    expect(() => compareDpkgVersions('1 0', '1.0')).toThrow(RangeError);
  });

  it.skipIf(!dpkgHere)(
    'agrees with dpkg --compare-versions on 3,000 real and mutated pairs',
    () => {
      const list = pairs(REAL_DEB, 3000, '0123456789abzAZ.+~-:', (v) => parseDpkgVersion(v) !== null && !v.includes("'"));
      // One shell, many dpkg calls: "<", "=" or ">" per pair, in order.
      const script = list
        .map(
          ([a, b]) =>
            `if dpkg --compare-versions '${a}' lt '${b}' 2>/dev/null; then echo '<'; elif dpkg --compare-versions '${a}' eq '${b}' 2>/dev/null; then echo '='; else echo '>'; fi`,
        )
        .join('\n');
      const dpkgSays = execFileSync('sh', [], { input: script, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
        .trim()
        .split('\n');
      const mismatches = list
        .map(([a, b], k) => ({ a, b, dpkg: dpkgSays[k], ours: ['<', '=', '>'][compareDpkgVersions(a, b) + 1] }))
        .filter((m) => m.dpkg !== m.ours);
      expect(mismatches.slice(0, 5)).toEqual([]);
    },
    120_000,
  );
});

describe('rpm version comparison', () => {
  it('orders the classic cases', () => {
    expect(compareRpmVersions('1.0~rc1-1', '1.0-1')).toBe(-1);
    expect(compareRpmVersions('1.0^git1-1', '1.0-1')).toBe(1);
    expect(compareRpmVersions('1.0^git1', '1.0.1')).toBe(-1);
    expect(compareRpmVersions('1:1.0', '2.0')).toBe(1);
    expect(compareRpmVersions('5.14.0-427.13.1.el9_4', '5.14.0-362.8.1.el9_3')).toBe(1);
    expect(compareRpmVersions('1.0a', '1.0.1')).toBe(-1);
  });

  it.skipIf(!rpmHere)("agrees with rpm's own rpm.vercmp on 3,000 real and mutated pairs", () => {
    const list = pairs(REAL_RPM, 3000, '0123456789abzAZ._+~^-:', (v) => v.length > 0 && !/\s/.test(v));
    const dir = mkdtempSync(join(tmpdir(), 'skjold-rpmvercmp-'));
    const file = join(dir, 'pairs.txt');
    writeFileSync(file, `${list.map(([a, b]) => `${a} ${b}`).join('\n')}\n`);
    const lua = `%{lua: for line in io.lines("${file}") do local a, b = line:match("^(%S+) (%S+)$"); print(rpm.vercmp(a, b) .. " ") end}`;
    // rpm's Lua print joins its output without newlines: each answer carries its own separator.
    const rpmSays = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
      .trim()
      .split(/\s+/);
    expect(rpmSays).toHaveLength(list.length);
    const mismatches = list
      .map(([a, b], k) => ({ a, b, rpm: Number(rpmSays[k]), ours: compareRpmVersions(a, b) }))
      .filter((m) => m.rpm !== m.ours);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
