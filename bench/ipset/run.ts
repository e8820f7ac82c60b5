import { BlockList } from 'node:net';
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { formatIPv4, formatIPv6, parseIPv4 } from '../../src/modules/threats/intel/ip-address.ts';
import { type IndexSource, type IpIndex, IpIndexHolder, buildIpIndex } from '../../src/modules/threats/intel/ip-index.ts';

/**
 * IP index benchmark (issue 4): build over a million ranges from several sources, then lookups from strings on one
 * core, against `net.BlockList` on a smaller set (it is linear: its rate at a million ranges is extrapolated).
 *
 *   node --import tsx bench/ipset/run.ts [--ranges=1000000] [--lookups=1000000] [--seconds=3] [--blocklist=10000]
 *
 * Targets: ≥ 5,000,000 lookups/s from strings against 1M ranges, build < 2 s, < 16 bytes per range.
 */
const arg = (name: string, dflt: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const RANGES = arg('ranges', 1_000_000);
const LOOKUPS = arg('lookups', 1_000_000);
const SECONDS = arg('seconds', 3);
const BLOCKLIST = arg('blocklist', 10_000);

// Deterministic data: xorshift32.
let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};

/** A generated range, kept numerically to draw hits from. */
interface Range {
  v6: boolean;
  /** IPv4 start; IPv6: the upper 64 bits as two words. */
  a: number;
  b: number;
  prefix: number;
}

/**
 * Ranges shaped like real block lists (FireHOL level1–4, Spamhaus DROP, abuse.ch, blocklist.de): mostly single
 * addresses and /24s, some /16–/23 networks; 5 % IPv6 (/32 … /64 networks and single /128 addresses); about 15 %
 * of entries repeated by another source (lists overlap).
 */
function generate(count: number, feeds: number): { sources: IndexSource[]; ranges: Range[] } {
  const cidrs: string[][] = Array.from({ length: feeds + 1 }, () => []);
  const ranges: Range[] = [];
  for (let i = 0; i < count; i++) {
    const src = i % 50 === 0 ? feeds : rnd() % feeds; // 2 % to the allowlist
    if (i > 0 && rnd() % 100 < 15) {
      const again = ranges[rnd() % ranges.length] as Range;
      (cidrs[src] as string[]).push(textOf(again));
      continue;
    }
    let r: Range;
    if (rnd() % 100 < 5) {
      const roll = rnd() % 100;
      const prefix = roll < 5 ? 32 : roll < 40 ? 48 : roll < 80 ? 64 : 128;
      // Real IPv6 space in use sits in 2000::/3.
      const a = (0x20000000 | (rnd() & 0x1fffffff)) >>> 0;
      r = { v6: true, a, b: prefix <= 32 ? 0 : prefix === 48 ? rnd() & 0xffff0000 : rnd(), prefix };
    } else {
      const roll = rnd() % 100;
      const prefix = roll < 60 ? 32 : roll < 80 ? 24 : 16 + (rnd() % 16);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      r = { v6: false, a: (rnd() & mask) >>> 0, b: 0, prefix };
    }
    ranges.push(r);
    (cidrs[src] as string[]).push(textOf(r));
  }
  const sources: IndexSource[] = cidrs.map((list, i) => ({
    id: i + 1,
    name: i === feeds ? 'allowlist' : `feed-${i + 1}`,
    kind: i === feeds ? 'allow' : 'feed',
    cidrs: list,
  }));
  return { sources, ranges };
}

function textOf(r: Range): string {
  if (!r.v6) return r.prefix === 32 ? formatIPv4(r.a) : `${formatIPv4(r.a)}/${r.prefix}`;
  const low = r.prefix === 128 ? [rnd(), rnd()] : [0, 0];
  return `${formatIPv6([r.a, r.b, low[0] as number, low[1] as number])}/${r.prefix}`;
}

/** An address inside a range (for IPv6 /128s: the network's own address is not known here, so any in its /64). */
function addressIn(r: Range): string {
  if (!r.v6) {
    const size = 2 ** (32 - r.prefix);
    return formatIPv4(r.a + (rnd() % size));
  }
  return formatIPv6([r.a, r.prefix <= 32 ? rnd() : r.prefix === 48 ? (r.b | (rnd() & 0xffff)) >>> 0 : r.b, rnd(), rnd()]);
}

/** Half hits, half misses (checked against the index), a tenth of them IPv6. */
function lookupSet(index: IpIndex, ranges: Range[], count: number): { ips: string[]; v4: string[]; v6: string[] } {
  const ips: string[] = [];
  const v4Ranges = ranges.filter((r) => !r.v6);
  const v6Ranges = ranges.filter((r) => r.v6 && r.prefix < 128);
  while (ips.length < count) {
    const v6 = rnd() % 10 === 0;
    if (ips.length % 2 === 0) {
      const pool = v6 ? v6Ranges : v4Ranges;
      const ip = addressIn(pool[rnd() % pool.length] as Range);
      if (index.match(ip) >= 0) ips.push(ip);
    } else {
      const ip = v6 ? formatIPv6([(0x20000000 | (rnd() & 0x1fffffff)) >>> 0, rnd(), rnd(), rnd()]) : formatIPv4(rnd());
      if (index.match(ip) < 0) ips.push(ip);
    }
  }
  // Shuffle, so hits and misses do not alternate (branch prediction would flatter the loop).
  for (let i = ips.length - 1; i > 0; i--) {
    const j = rnd() % (i + 1);
    [ips[i], ips[j]] = [ips[j] as string, ips[i] as string];
  }
  // Fresh copies in lookup order: a pipeline looks up strings just cut from the line it read, which sit in memory
  // in the order they are used; after the shuffle, every lookup would first miss the cache on its string.
  const fresh = (list: string[]): string[] => list.map((ip) => Buffer.from(ip, 'latin1').toString('latin1'));
  return {
    ips: fresh(ips),
    v4: fresh(ips.filter((s) => !s.includes(':'))),
    v6: fresh(ips.filter((s) => s.includes(':'))),
  };
}

interface Rate {
  /** Lookups per second of wall time: best and median round. */
  best: number;
  median: number;
  /** Lookups per second of this process's CPU time (user + system), median round: what one core does when the
   * shared machine lends it only part of the time. */
  cpu: number;
  hits: number;
}

/** One pass of `index.match` over the strings; the count of hits (so the work cannot be optimised away). */
function matchAll(index: IpIndex, ips: readonly string[]): number {
  let h = 0;
  for (let i = 0; i < ips.length; i++) if (index.match(ips[i] as string) >= 0) h++;
  return h;
}

function lookupAll(index: IpIndex, ips: readonly string[]): number {
  let h = 0;
  for (let i = 0; i < ips.length; i++) if (index.lookup(ips[i] as string) !== null) h++;
  return h;
}

/** The two halves of an IPv4 lookup apart: parsing the strings, and searching pre-parsed addresses. */
function parseAll(ips: readonly string[]): number {
  let h = 0;
  for (let i = 0; i < ips.length; i++) if (parseIPv4(ips[i] as string) >= 0) h++;
  return h;
}

function searchAll(index: IpIndex, ips: Uint32Array): number {
  let h = 0;
  for (let i = 0; i < ips.length; i++) if (index.matchIPv4(ips[i] as number) >= 0) h++;
  return h;
}

function blockListAll(bl: BlockList, ips: readonly string[], families: readonly ('ipv4' | 'ipv6')[]): number {
  let h = 0;
  for (let i = 0; i < ips.length; i++) if (bl.check(ips[i] as string, families[i])) h++;
  return h;
}

/**
 * Rounds of `pass` (one pass over `count` strings, a direct loop: a callback per lookup would cost more than some
 * lookups) for about `seconds`; lookups/s per round, by wall time and by CPU time.
 */
function rate(count: number, seconds: number, pass: () => number): Rate {
  const wall: number[] = [];
  const cpu: number[] = [];
  let hits = 0;
  const until = performance.now() + seconds * 1000;
  do {
    const t = performance.now();
    const c = process.cpuUsage();
    hits = pass();
    const used = process.cpuUsage(c);
    wall.push(count / ((performance.now() - t) / 1000));
    cpu.push(count / ((used.user + used.system) / 1e6));
  } while (performance.now() < until || wall.length < 3);
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1] as number;
  return { best: Math.max(...wall), median: median(wall), cpu: median(cpu), hits };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (n: number): string => (n / 1048576).toFixed(1);

async function main(): Promise<void> {
  // A real gc() before the build, so that the peak RSS growth is the build's (without --expose-gc on the command line).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  console.log(`generating ${fmt(RANGES)} ranges…`);
  const { sources, ranges } = generate(RANGES, 8);

  gc?.();
  const rss0 = process.resourceUsage().maxRSS * 1024;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const index = buildIpIndex(sources);
  const buildMs = performance.now() - t0;
  const buildCpu = process.cpuUsage(c0);
  const rss1 = process.resourceUsage().maxRSS * 1024;
  const st = index.stats();

  // The same build through the holder: in a worker thread, data transferred back (includes starting the worker).
  const holder = new IpIndexHolder();
  const tw = performance.now();
  let blocked = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    blocked = Math.max(blocked, now - last - 5);
    last = now;
  }, 5);
  await holder.rebuild(sources);
  clearInterval(probe);
  const workerMs = performance.now() - tw;

  console.log(`building the lookup set (${fmt(LOOKUPS)} strings)…`);
  const set = lookupSet(index, ranges, LOOKUPS);
  // One untimed pass of each, so that every measure runs optimised code over flat strings.
  matchAll(index, set.ips);
  lookupAll(index, set.ips);
  gc?.();
  const all = rate(set.ips.length, SECONDS, () => matchAll(index, set.ips));
  const full = rate(set.ips.length, SECONDS, () => lookupAll(index, set.ips));
  const v4 = rate(set.v4.length, SECONDS / 2, () => matchAll(index, set.v4));
  const parsed = Uint32Array.from(set.v4, (ip) => parseIPv4(ip));
  const parseOnly = rate(set.v4.length, SECONDS / 2, () => parseAll(set.v4));
  const searchOnly = rate(parsed.length, SECONDS / 2, () => searchAll(index, parsed));
  const v6 = rate(set.v6.length, SECONDS / 2, () => matchAll(index, set.v6));

  // net.BlockList on a smaller set of the same shape.
  const small = generate(BLOCKLIST, 8);
  const bl = new BlockList();
  for (const src of small.sources)
    for (const c of src.cidrs) {
      const [addr, prefix] = c.split('/');
      const family = c.includes(':') ? 'ipv6' : 'ipv4';
      if (prefix === undefined) bl.addAddress(addr as string, family);
      else bl.addSubnet(addr as string, Number(prefix), family);
    }
  const blIps = set.ips.slice(0, 20_000);
  const blFamily = blIps.map((s) => (s.includes(':') ? 'ipv6' : 'ipv4'));
  const blRate = rate(blIps.length, Math.max(2, SECONDS / 2), () => blockListAll(bl, blIps, blFamily));

  const rows: [string, string, string][] = [
    ['ranges given (IPv4 / IPv6 CIDRs)', fmt(st.inputRanges), ''],
    ['intervals stored (IPv4 + IPv6) / source sets', `${fmt(st.ipv4Ranges)} + ${fmt(st.ipv6Ranges)} / ${st.sets}`, ''],
    ['build, one thread: wall / CPU', `${fmt(buildMs)} ms / ${fmt((buildCpu.user + buildCpu.system) / 1000)} ms`, '< 2,000 ms'],
    ['build in a worker (incl. worker start), main thread blocked at most', `${fmt(workerMs)} ms, ${fmt(blocked)} ms`, ''],
    ['typed arrays, bytes per range given', `${(st.bytes / st.inputRanges).toFixed(2)} (${mb(st.bytes)} MB)`, '< 16'],
    ['peak RSS growth during build', `${mb(Math.max(0, rss1 - rss0))} MB`, ''],
    [
      'lookups/s from strings, match(): wall best / wall median / per CPU-s',
      `${fmt(all.best)} / ${fmt(all.median)} / ${fmt(all.cpu)}`,
      '≥ 5,000,000',
    ],
    [
      'lookups/s from strings, lookup(): wall best / wall median / per CPU-s',
      `${fmt(full.best)} / ${fmt(full.median)} / ${fmt(full.cpu)}`,
      '',
    ],
    ['  IPv4 only / IPv6 only, match() per CPU-s', `${fmt(v4.cpu)} / ${fmt(v6.cpu)}`, ''],
    ['  IPv4 parse only / matchIPv4(u32) only, per CPU-s', `${fmt(parseOnly.cpu)} / ${fmt(searchOnly.cpu)}`, ''],
    ['  hit ratio of the lookup set', `${((all.hits / set.ips.length) * 100).toFixed(1)} %`, ''],
    [`net.BlockList, ${fmt(BLOCKLIST)} ranges, per CPU-s`, `${fmt(blRate.cpu)} lookups/s`, ''],
    [
      `net.BlockList extrapolated to ${fmt(RANGES)} ranges (linear scan)`,
      `~${fmt((blRate.cpu * BLOCKLIST) / RANGES)} lookups/s`,
      '',
    ],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`\n| ${'measure'.padEnd(w0)} | ${'value'.padEnd(w1)} | target |`);
  console.log(`| ${'-'.repeat(w0)} | ${'-'.repeat(w1)} | ------ |`);
  for (const [a, b, c] of rows) console.log(`| ${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c} |`);
  console.log(
    `\nnode ${process.version}; lookups on this thread only; load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}.`,
  );
}

await main();
