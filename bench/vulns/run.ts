/**
 * Vulnerability-matching benchmark (issue 5 item 14), Skjold beside debsecan:
 *
 *   node --import tsx bench/vulns/run.ts [--hosts 1000] [--debsecan-hosts 5] [--no-peer] [--dir DIR] [--seed S]
 *       [--regenerate] [--results FILE | --no-results] [--db-hosts N | --no-db] [--db sqlite|postgres|both] [--store-only]
 *       [--reuse-store]
 *
 * 1. Data: reuses DIR (default `/tmp/skjold-bench-vulns`) when its `manifest.json` matches, else runs `generate.ts`
 *    in a child process (so its memory does not count here) and times it.
 * 2. Import: the tracker JSON, the EPSS CSV (gzip) and the KEV catalog through Skjold's streaming parsers into the
 *    in-memory `AdvisoryIndex`: wall time per feed, peak RSS and heap (sampled every 20 ms) and the process's VmHWM.
 * 3. Match: every host's agent upload parsed (`parseInventoryUpload`) and matched (`matchInventory`); the match time
 *    per host (median, p90, max), the parse time beside it.
 * 4. Feed change: the next day's tracker and KEV catalog imported into a new index, every host parsed and matched
 *    again and its findings compared with the day before (new, gone, changed status): the in-memory fleet
 *    re-evaluation.
 * 5. debsecan (unless `--no-peer`): the same tracker in debsecan's `VERSION 1` feed for bookworm, a dpkg status file
 *    per host, `debsecan --format detail` on the first N bookworm hosts: wall time and peak RSS per host, and its
 *    findings against Skjold's for the same hosts, each difference explained.
 * 6. The store (unless `--no-db`; `--store-only` skips 2–5): the module end to end through its HTTP API on SQLite
 *    and/or PostgreSQL (`store.ts`): feeds imported, N agent uploads, then the tracker change and the KEV change, each
 *    timed until the re-evaluation it sets off is done.
 * Prints a report and writes it to `bench/vulns/RESULTS.md` (or `--results FILE`).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inflateSync } from 'node:zlib';
import { parseDebianTracker } from '../../src/modules/vulns/advisories/debian-tracker.ts';
import { parseEpss } from '../../src/modules/vulns/advisories/epss.ts';
import { drainFeed } from '../../src/modules/vulns/advisories/feed-stream.ts';
import { parseKev } from '../../src/modules/vulns/advisories/kev.ts';
import { parseInventoryUpload } from '../../src/modules/vulns/inventory/upload.ts';
import { AdvisoryIndex } from '../../src/modules/vulns/match/advisory-index.ts';
import { matchInventory, type MatchResult } from '../../src/modules/vulns/match/matcher.ts';
import type { AdvisoryStatement, EpssRow, Inventory, VendorStatus } from '../../src/modules/vulns/model.ts';
import { VENDOR_STATUSES } from '../../src/modules/vulns/model.ts';
import { compareDpkgVersions } from '../../src/modules/vulns/versions/dpkg-version.ts';
import { dpkgStatusText, runDebsecan, type DebsecanRun } from './debsecan-feed.ts';
import { DEFAULTS, GENERATOR_VERSION, type Manifest } from './generate.ts';
import { measureStore, type ChangeFigures, type StoreDialect } from './store.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// ---------------------------------------------------------------------------------------------------------------
// Options

export interface BenchOptions {
  dir: string;
  seed: number;
  hosts: number;
  debsecanHosts: number;
  peer: boolean;
  regenerate: boolean;
  results: string | undefined;
  /** Hosts uploaded through the store (0: skip the store). */
  dbHosts: number;
  /** The databases the store runs on. */
  dbs: StoreDialect[];
  /** The in-memory import, match and re-evaluation (off with `--store-only`, which also skips debsecan). */
  memory: boolean;
  /** Save the store's state after the uploads once and start later runs from it (`store.ts`). */
  reuseStore: boolean;
}

function dbsOf(v: string): StoreDialect[] {
  if (v === 'sqlite' || v === 'postgres') return [v];
  if (v === 'both') return ['sqlite', 'postgres'];
  throw new Error(`--db wants sqlite, postgres or both, got ${v}`);
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const val = (name: string): string | undefined => {
    const eq = argv.find((a) => a.startsWith(`${name}=`));
    if (eq !== undefined) return eq.slice(name.length + 1);
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number): number => {
    const v = val(name);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} wants a whole number, got ${v}`);
    return n;
  };
  return {
    dir: resolve(val('--dir') ?? DEFAULTS.out),
    seed: num('--seed', DEFAULTS.seed),
    hosts: Math.max(1, num('--hosts', DEFAULTS.hosts)),
    debsecanHosts: num('--debsecan-hosts', 5),
    peer: !argv.includes('--no-peer') && !argv.includes('--no-peers'),
    regenerate: argv.includes('--regenerate'),
    dbHosts: argv.includes('--no-db') ? 0 : num('--db-hosts', 100),
    dbs: dbsOf(val('--db') ?? 'sqlite'),
    memory: !argv.includes('--store-only'),
    reuseStore: argv.includes('--reuse-store'),
    results: argv.includes('--no-results') ? undefined : resolve(val('--results') ?? join(HERE, 'RESULTS.md')),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring

const MB = 1024 * 1024;

/** The process's peak resident set (VmHWM), bytes. */
function vmHwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Samples RSS and heap every 20 ms while `fn` runs (the parsers await between chunks, so the timer gets its turn). */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number; peakHeap: number }> {
  let peakRss = process.memoryUsage.rss();
  let peakHeap = process.memoryUsage().heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    sample();
    return { value, ms, peakRss, peakHeap };
  } finally {
    clearInterval(timer);
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const mb = (bytes: number) => `${fmt(bytes / MB)} MB`;
const sec = (ms: number) => `${fmt(ms / 1000, 1)} s`;

// ---------------------------------------------------------------------------------------------------------------
// Data

function ensureData(o: BenchOptions): { manifest: Manifest; generatedMs: number | undefined } {
  const manifestFile = join(o.dir, 'manifest.json');
  if (!o.regenerate && existsSync(manifestFile)) {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (m.generator === GENERATOR_VERSION && m.seed === o.seed && m.hosts >= o.hosts)
      return { manifest: m, generatedMs: undefined };
  }
  const t0 = performance.now();
  const args = [
    '--import',
    'tsx',
    join(HERE, 'generate.ts'),
    '--out',
    o.dir,
    '--seed',
    String(o.seed),
    '--hosts',
    String(Math.max(o.hosts, DEFAULTS.hosts)),
  ];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`generate.ts failed (exit ${r.status})`);
  return { manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest, generatedMs: performance.now() - t0 };
}

function hostFile(o: BenchOptions, m: Manifest, i: number): string {
  return join(o.dir, m.files.hosts, `host-${String(i).padStart(4, '0')}.upload`);
}

function readHost(file: string): { inventory: Inventory; parseMs: number } {
  const text = readFileSync(file, 'utf8');
  const t0 = performance.now();
  const r = parseInventoryUpload(text);
  const parseMs = performance.now() - t0;
  if (!r.ok) throw new Error(`${file}:${r.line}: ${r.reason}: ${r.text}`);
  return { inventory: r.inventory, parseMs };
}

// ---------------------------------------------------------------------------------------------------------------
// Import

interface ImportFigures {
  trackerMs: number;
  epssMs: number;
  kevMs: number;
  totalMs: number;
  peakRss: number;
  peakHeap: number;
  hwm: number;
  rssBefore: number;
  heapAfter: number;
  rssAfter: number;
  stats: ReturnType<AdvisoryIndex['stats']>;
  trackerSummary: { packages: number; entries: number; statements: number; skipped: number; bytes: number };
}

async function importAll(tracker: string, epss: string, kev: string): Promise<{ index: AdvisoryIndex; figures: ImportFigures }> {
  gc();
  const rssBefore = process.memoryUsage.rss();
  const index = new AdvisoryIndex();
  const r = await measured(async () => {
    const t0 = performance.now();
    const summary = await drainFeed(parseDebianTracker(createReadStream(tracker, { highWaterMark: 1 << 20 })), (b) =>
      index.add(b),
    );
    const t1 = performance.now();
    const rows: EpssRow[] = [];
    let scoreDate = '';
    const es = await drainFeed(parseEpss(createReadStream(epss, { highWaterMark: 1 << 20 })), (b) => {
      for (const row of b) rows.push(row);
    });
    scoreDate = es.scoreDate ?? '';
    index.setEpss(rows, scoreDate);
    rows.length = 0;
    const t2 = performance.now();
    const catalog = parseKev(readFileSync(kev));
    index.setKev(catalog.entries, catalog.version);
    const t3 = performance.now();
    return { summary, trackerMs: t1 - t0, epssMs: t2 - t1, kevMs: t3 - t2 };
  });
  const hwm = vmHwm();
  gc();
  const after = process.memoryUsage();
  return {
    index,
    figures: {
      trackerMs: r.value.trackerMs,
      epssMs: r.value.epssMs,
      kevMs: r.value.kevMs,
      totalMs: r.ms,
      peakRss: r.peakRss,
      peakHeap: r.peakHeap,
      hwm,
      rssBefore,
      heapAfter: after.heapUsed,
      rssAfter: after.rss,
      stats: index.stats(),
      trackerSummary: r.value.summary,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching the fleet

/** A host's findings, compactly: sorted `package vuln status` lines, for the day-after comparison. */
type FindingKeys = string[];

function keysOf(r: MatchResult): FindingKeys {
  return r.findings.map((f) => `${f.package} ${f.vuln} ${f.status}`);
}

interface FleetPass {
  matchMs: number[];
  /** CPU time of the process during each match (includes GC threads): less sensitive to other processes. */
  matchCpuMs: number[];
  parseMs: number[];
  totalMs: number;
  /** CPU time of the process over the whole pass. */
  totalCpuMs: number;
  findings: number;
  counts: Record<VendorStatus, number>;
  keys: FindingKeys[];
  /** Kept for the hosts debsecan runs on. */
  results: Map<number, { inventory: Inventory; result: MatchResult }>;
  diff?: { added: number; removed: number; changed: number; hostsChanged: number } | undefined;
}

function matchFleet(
  o: BenchOptions,
  m: Manifest,
  index: AdvisoryIndex,
  keep: ReadonlySet<number>,
  before?: FindingKeys[],
): FleetPass {
  const counts = Object.fromEntries(VENDOR_STATUSES.map((s) => [s, 0])) as Record<VendorStatus, number>;
  const pass: FleetPass = {
    matchMs: [],
    matchCpuMs: [],
    parseMs: [],
    totalMs: 0,
    totalCpuMs: 0,
    findings: 0,
    counts,
    keys: [],
    results: new Map(),
  };
  const diff = { added: 0, removed: 0, changed: 0, hostsChanged: 0 };
  // One untimed match first: the matcher's code is compiled before the clock runs.
  matchInventory(index, readHost(hostFile(o, m, 1)).inventory);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let h = 1; h <= o.hosts; h++) {
    const { inventory, parseMs } = readHost(hostFile(o, m, h));
    const c = process.cpuUsage();
    const t = performance.now();
    const result = matchInventory(index, inventory);
    pass.matchMs.push(performance.now() - t);
    const cu = process.cpuUsage(c);
    pass.matchCpuMs.push((cu.user + cu.system) / 1000);
    pass.parseMs.push(parseMs);
    pass.findings += result.findings.length;
    for (const s of VENDOR_STATUSES) counts[s] += result.counts[s];
    const keys = keysOf(result);
    if (before !== undefined) {
      const d = diffKeys(before[h - 1] ?? [], keys);
      diff.added += d.added;
      diff.removed += d.removed;
      diff.changed += d.changed;
      if (d.added + d.removed + d.changed > 0) diff.hostsChanged++;
    } else pass.keys.push(keys);
    if (keep.has(h)) pass.results.set(h, { inventory, result });
  }
  pass.totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  pass.totalCpuMs = (cpu.user + cpu.system) / 1000;
  if (before !== undefined) pass.diff = diff;
  return pass;
}

/** New, gone and changed-status findings between two hosts' sorted key lists. */
function diffKeys(a: FindingKeys, b: FindingKeys): { added: number; removed: number; changed: number } {
  const strip = (k: string) => k.slice(0, k.lastIndexOf(' '));
  const before = new Map(a.map((k) => [strip(k), k]));
  let added = 0;
  let changed = 0;
  for (const k of b) {
    const old = before.get(strip(k));
    if (old === undefined) added++;
    else {
      if (old !== k) changed++;
      before.delete(strip(k));
    }
  }
  return { added, removed: before.size, changed };
}

// ---------------------------------------------------------------------------------------------------------------
// debsecan

interface FeedRecord {
  unstableFixed: string;
  other: string[];
}

function readDebsecanFeed(file: string): Map<string, FeedRecord> {
  const text = inflateSync(readFileSync(file)).toString('utf8');
  const [head, records] = text.split('\n\n') as [string, string];
  const names = head
    .split('\n')
    .slice(1)
    .map((l) => l.slice(0, l.indexOf(',')));
  const out = new Map<string, FeedRecord>();
  for (const line of records.split('\n')) {
    if (line === '') continue;
    const parts = line.split(',');
    const [pkg, idx, , unstableFixed, other] = parts as [string, string, string, string, string];
    out.set(`${pkg}\0${names[Number(idx)] as string}`, { unstableFixed, other: other === '' ? [] : other.split(' ') });
  }
  return out;
}

interface HostComparison {
  host: number;
  packages: number;
  debsecanMs: number;
  debsecanRssKb: number | undefined;
  skjoldMatchMs: number;
  /** (source, vulnerability) pairs. */
  debsecan: number;
  debsecanLines: number;
  skjold: number;
  skjoldByStatus: Partial<Record<VendorStatus, number>>;
  agree: number;
  agreeFixed: number;
  onlySkjold: Record<string, number>;
  onlyDebsecan: Record<string, number>;
  samples: string[];
}

/** What the tracker says about (ecosystem, package, vulnerability), for the pairs the comparison needs. */
type TrackerFacts = Map<string, Pick<AdvisoryStatement, 'status' | 'fixed' | 'urgency'>>;
const factKey = (ecosystem: string, pkg: string, vuln: string) => `${ecosystem}\0${pkg}\0${vuln}`;

/** Reads the tracker again through Skjold's parser, keeping the statements about `packages` only. */
async function trackerFacts(file: string, packages: ReadonlySet<string>): Promise<TrackerFacts> {
  const facts: TrackerFacts = new Map();
  await drainFeed(parseDebianTracker(createReadStream(file, { highWaterMark: 1 << 20 })), (batch) => {
    for (const s of batch)
      if (packages.has(s.package))
        facts.set(factKey(s.ecosystem, s.package, s.vuln), { status: s.status, fixed: s.fixed, urgency: s.urgency });
  });
  return facts;
}

/** The pair's vendor statuses and urgencies (without `**`) in each Debian release. */
function statusesElsewhere(facts: TrackerFacts, pkg: string, vuln: string): Set<string> {
  const out = new Set<string>();
  for (const eco of ['Debian:10', 'Debian:11', 'Debian:12', 'Debian:13', 'Debian:sid']) {
    const t = facts.get(factKey(eco, pkg, vuln));
    if (t === undefined) continue;
    out.add(t.status);
    if (t.urgency !== undefined) out.add(`urgency:${t.urgency.replace(/\*/g, '')}`);
  }
  return out;
}

/** Why a pair is in one tool's findings and not the other's. */
function classify(
  side: 'skjold' | 'debsecan',
  facts: TrackerFacts,
  pkg: string,
  vuln: string,
  installed: string,
  status: VendorStatus | undefined,
  fixed: string | undefined,
  rec: FeedRecord | undefined,
): string {
  if (side === 'skjold') {
    if (rec === undefined) {
      if (status === 'unimportant') return 'unimportant in bookworm: debsecan leaves the pair out of its feed';
      if (status === 'end_of_life') return 'end-of-life in bookworm: debsecan leaves the pair out of its feed';
      const elsewhere = statusesElsewhere(facts, pkg, vuln);
      if (elsewhere.has('end_of_life') || elsewhere.has('urgency:end-of-life'))
        return `${status} in bookworm, end-of-life in another release: the tracker ranks "end-of-life" above "not yet assigned", so the pair's overall urgency is end-of-life and debsecan's feed leaves it out for every suite`;
      if (elsewhere.has('unimportant') || elsewhere.has('urgency:unimportant'))
        return `${status} with urgency "unimportant": the pair's overall urgency is unimportant and debsecan's feed leaves it out`;
      return `${status}: not in debsecan's feed (unexplained)`;
    }
    if (rec.unstableFixed !== '' && compareDpkgVersions(installed, rec.unstableFixed) >= 0)
      return `${status}: installed ≥ sid's fixed version, which debsecan takes as fixed`;
    if (rec.other.includes(installed)) return `${status}: installed version listed as fixed on another branch`;
    return `${status}: unexplained`;
  }
  if (status === 'fixed' && fixed !== undefined && compareDpkgVersions(installed, fixed) >= 0) {
    const sameLine = /[+~]deb\d+u\d+$/.test(installed) && /[+~]deb\d+u\d+$/.test(fixed);
    return sameLine
      ? "bookworm fixed by a security update at or below the installed one; the installed update (a later point release, since superseded in the archive) is not literally in debsecan's other-fixed list, and debsecan tests equality there, not ≥"
      : "bookworm fixed at or below the installed version, which is not literally in debsecan's other-fixed list (debsecan tests equality there, not ≥)";
  }
  if (status === 'not_affected')
    return 'bookworm not affected (fixed_version 0); debsecan only spares versions literally listed in other-fixed';
  return `${status}: unexplained`;
}

function compareHost(
  host: number,
  inventory: Inventory,
  result: MatchResult,
  matchMs: number,
  run: DebsecanRun,
  facts: TrackerFacts,
  feed: Map<string, FeedRecord>,
): HostComparison {
  const skjold = new Map<string, { status: VendorStatus; installed: string }>();
  for (const f of result.findings) skjold.set(`${f.package}\0${f.vuln}`, { status: f.status, installed: f.installedVersion });
  const debsecan = new Map<string, string>();
  for (const f of run.findings) debsecan.set(`${f.source}\0${f.vuln}`, f.sourceVersion);
  const c: HostComparison = {
    host,
    packages: inventory.packages.length,
    debsecanMs: run.ms,
    debsecanRssKb: run.maxRssKb,
    skjoldMatchMs: matchMs,
    debsecan: debsecan.size,
    debsecanLines: run.findings.length,
    skjold: skjold.size,
    skjoldByStatus: {},
    agree: 0,
    agreeFixed: 0,
    onlySkjold: {},
    onlyDebsecan: {},
    samples: [],
  };
  const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
  for (const [key, f] of skjold) {
    c.skjoldByStatus[f.status] = (c.skjoldByStatus[f.status] ?? 0) + 1;
    if (debsecan.has(key)) {
      c.agree++;
      if (f.status === 'fixed') c.agreeFixed++;
      continue;
    }
    const [pkg, vuln] = key.split('\0') as [string, string];
    const why = classify('skjold', facts, pkg, vuln, f.installed, f.status, undefined, feed.get(key));
    bump(c.onlySkjold, why);
    if (why.endsWith('unexplained') && c.samples.length < 10) c.samples.push(`only Skjold: ${pkg} ${vuln} ${f.installed}`);
  }
  for (const [key, installed] of debsecan) {
    if (skjold.has(key)) continue;
    const [pkg, vuln] = key.split('\0') as [string, string];
    const fact = facts.get(factKey('Debian:12', pkg, vuln));
    const status = fact?.status;
    const fixed = fact?.fixed;
    const why = classify('debsecan', facts, pkg, vuln, installed, status, fixed, feed.get(key));
    bump(c.onlyDebsecan, why);
    if (c.samples.length < 10 && (why.endsWith('unexplained') || c.samples.length < 4))
      c.samples.push(
        `only debsecan: ${pkg} ${vuln} installed ${installed}, bookworm ${status ?? 'no statement'} ${fixed ?? ''}`.trim(),
      );
  }
  return c;
}

function ensureDebsecanFeed(o: BenchOptions, m: Manifest): { dir: string; file: string; ms: number | undefined } {
  const dir = join(o.dir, 'debsecan');
  const file = join(dir, 'bookworm');
  const tracker = join(o.dir, m.files.tracker);
  if (existsSync(file) && statSync(file).mtimeMs >= statSync(tracker).mtimeMs) return { dir, file, ms: undefined };
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'debsecan-feed.ts'), '--dir', o.dir, '--suite', 'bookworm'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`debsecan-feed.ts failed (exit ${r.status})`);
  return { dir, file, ms: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i] as number)).join(' | ')} |`;
  return [line(head), `| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The in-memory part: import into the index, the per-host match, the fleet re-evaluation after a feed change. */
async function inMemory(
  o: BenchOptions,
  m: Manifest,
  say: (s?: string) => void,
): Promise<{ pass1: FleetPass; bookwormHosts: number[] }> {
  // Import
  const { index, figures: imp } = await importAll(
    join(o.dir, m.files.tracker),
    join(o.dir, m.files.epss),
    join(o.dir, m.files.kev),
  );
  say('## Import into the in-memory advisory index');
  say();
  say(
    table(
      ['step', 'time', 'what'],
      [
        [
          'Debian tracker JSON',
          sec(imp.trackerMs),
          `${fmt(imp.trackerSummary.entries)} entries → ${fmt(imp.trackerSummary.statements)} statements (${fmt(imp.trackerSummary.skipped)} skipped)`,
        ],
        ['EPSS CSV (gzip)', sec(imp.epssMs), `${fmt(imp.stats.epss)} rows`],
        ['KEV JSON', sec(imp.kevMs), `${fmt(imp.stats.kev)} entries`],
        [
          'total',
          sec(imp.totalMs),
          `index: ${fmt(imp.stats.packages)} (ecosystem, package) pairs, ${fmt(imp.stats.tails)} shared tails`,
        ],
      ],
    ),
  );
  say();
  say(
    `Memory: RSS ${mb(imp.rssBefore)} before; peak during the import ${mb(imp.peakRss)} RSS (sampled every 20 ms), ` +
      `VmHWM ${mb(imp.hwm)}, peak heap used ${mb(imp.peakHeap)}; after a full GC the index holds ${mb(imp.heapAfter)} of heap (RSS ${mb(imp.rssAfter)}).`,
  );
  say();

  // Match
  const bookwormHosts: number[] = [];
  if (o.peer && o.debsecanHosts > 0) {
    for (let h = 1; h <= o.hosts && bookwormHosts.length < o.debsecanHosts; h++)
      if (readFileSync(hostFile(o, m, h), 'utf8').includes('\nVERSION_CODENAME=bookworm\n')) bookwormHosts.push(h);
  }
  const pass1 = matchFleet(o, m, index, new Set(bookwormHosts));
  const sortedMatch = [...pass1.matchMs].sort((a, b) => a - b);
  const sortedParse = [...pass1.parseMs].sort((a, b) => a - b);
  const sortedCpu = [...pass1.matchCpuMs].sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  say(`## Per-host match (${fmt(o.hosts)} hosts, target < 100 ms)`);
  say();
  say(
    table(
      ['', 'median', 'p90', 'max', 'mean'],
      [
        [
          'matchInventory, wall',
          ...[0.5, 0.9, 1].map((q) => `${fmt(quantile(sortedMatch, q), 1)} ms`),
          `${fmt(mean(sortedMatch), 1)} ms`,
        ],
        [
          'matchInventory, CPU',
          ...[0.5, 0.9, 1].map((q) => `${fmt(quantile(sortedCpu, q), 1)} ms`),
          `${fmt(mean(sortedCpu), 1)} ms`,
        ],
        [
          'parseInventoryUpload (beside it), wall',
          ...[0.5, 0.9, 1].map((q) => `${fmt(quantile(sortedParse, q), 1)} ms`),
          `${fmt(mean(sortedParse), 1)} ms`,
        ],
      ],
    ),
  );
  say();
  const statusLine = VENDOR_STATUSES.filter((s) => pass1.counts[s] > 0)
    .map((s) => `${s} ${fmt(pass1.counts[s])}`)
    .join(', ');
  say(
    `Findings over the fleet: ${fmt(pass1.findings)} (${fmt(pass1.findings / o.hosts)} per host): ${statusLine}. ` +
      `The whole pass (read + parse + match of every host) took ${sec(pass1.totalMs)} (${sec(pass1.totalCpuMs)} of CPU).`,
  );
  say();

  // Feed change
  gc();
  const reevalCpu0 = process.cpuUsage();
  const reeval = await measured(async () => {
    const t0 = performance.now();
    const { index: next, figures } = await importAll(
      join(o.dir, m.files.tracker2),
      join(o.dir, m.files.epss),
      join(o.dir, m.files.kev2),
    );
    const importMs = performance.now() - t0;
    const pass = matchFleet(o, m, next, new Set(), pass1.keys);
    return { importMs, figures, pass };
  });
  const reevalCpu = process.cpuUsage(reevalCpu0);
  const reevalCpuMs = (reevalCpu.user + reevalCpu.system) / 1000;
  const d = reeval.value.pass.diff as NonNullable<FleetPass['diff']>;
  say(`## Fleet re-evaluation after a feed change (target < 60 s)`);
  say();
  say(
    `The next day's tracker (${fmt(m.trackerEntries2)} entries: new DSAs fix open bookworm issues, new CVEs appear) and KEV ` +
      `catalog (+20 entries) imported into a new index (${sec(reeval.value.importMs)}), then all ${fmt(o.hosts)} hosts parsed, ` +
      `matched and compared with the day before (${sec(reeval.value.pass.totalMs)}): **${sec(reeval.ms)} in all** (${sec(reevalCpuMs)} of CPU), in memory. ` +
      `Changes: ${fmt(d.added)} new findings, ${fmt(d.removed)} gone, ${fmt(d.changed)} changed status, on ${fmt(d.hostsChanged)} hosts. ` +
      `Peak RSS meanwhile ${mb(reeval.peakRss)} (two indexes alive while the new one is built).`,
  );
  say();
  return { pass1, bookwormHosts };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const load = loadavg();
  const out: string[] = [];
  const say = (s = '') => {
    console.log(s);
    out.push(s);
  };
  say(`# bench/vulns — results`);
  say();
  say(
    `Run ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: \`node --import tsx bench/vulns/run.ts ${process.argv.slice(2).join(' ')}\`. ` +
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}. ` +
      `**Load average at the start: ${load.map((l) => l.toFixed(2)).join(' / ')}** (1/5/15 min).`,
  );
  say();

  const { manifest: m, generatedMs } = ensureData(o);
  say(
    `Data (${o.dir}, seed ${m.seed}): Debian tracker JSON ${fmt(m.trackerEntries)} (package, CVE) entries (${fmt(m.distinctCves)} CVEs, ` +
      `${mb(statSync(join(o.dir, m.files.tracker)).size)}), EPSS ${fmt(m.epssRows)} rows (gzip), KEV ${fmt(m.kevEntries)} entries; ` +
      `${fmt(o.hosts)} hosts × ${fmt(m.packagesPerHost)} packages (of ${fmt(m.hosts)} generated: ${JSON.stringify(m.hostReleases)}). ` +
      (generatedMs === undefined ? 'Reused from an earlier run.' : `Generated in ${sec(generatedMs)} (not a target).`),
  );
  say();

  const mem = o.memory ? await inMemory(o, m, say) : undefined;
  if (o.dbHosts > 0)
    for (const dialect of o.dbs) {
      const n = Math.min(o.dbHosts, o.hosts);
      say(`## The module's store on ${dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (${fmt(n)} hosts)`);
      say();
      try {
        gc();
        const hostFiles = Array.from({ length: n }, (_, i) => hostFile(o, m, i + 1));
        const s = await measureStore(
          o.dir,
          {
            tracker: join(o.dir, m.files.tracker),
            tracker2: join(o.dir, m.files.tracker2),
            epss: join(o.dir, m.files.epss),
            kev: join(o.dir, m.files.kev),
            kev2: join(o.dir, m.files.kev2),
          },
          hostFiles,
          dialect,
          (line) => console.error(line),
          { reuse: o.reuseStore },
        );
        const up = [...s.uploadMs].sort((a, b) => a - b);
        const rows = s.feeds.map((f) => [
          `feed refresh: ${f.kind}`,
          sec(f.ms),
          f.status === 'updated' ? `${fmt(f.records)} records into the database` : `**${f.status}: ${f.reason ?? ''}**`,
        ]);
        const changeRow = (what: string, c: ChangeFigures): string[] => {
          const r = c.run;
          const t = r?.totals;
          const changed = t ? t.detected + t.updated + t.reopened + t.patchedOnDisk + t.resolved : NaN;
          return [
            what,
            sec(c.totalMs),
            `refresh (import) ${sec(c.refreshMs)}; re-evaluation ${r ? `${sec(r.ms)} (index from the database ${sec(r.phases.indexMs)}, comparison ${sec(r.phases.diffMs)}, hosts ${sec(r.phases.assetsMs)}, SLA sweep ${sec(r.phases.sweepMs)})` : 'n/a'}: ${fmt(r?.assets ?? NaN)} hosts, ` +
              `${r?.changedPackages == null ? 'full match' : `${fmt(r.changedPackages)} package lists changed`}, ${fmt(r?.rematched ?? NaN)} hosts re-matched in part, ${fmt(((r?.assets ?? 0) * 1000) / c.totalMs)} hosts/s; ` +
              `findings ${fmt(t?.detected ?? NaN)} new, ${fmt(t?.updated ?? NaN)} updated, ${fmt(t?.resolved ?? NaN)} resolved, ` +
              `${fmt(t?.reopened ?? NaN)} reopened (${fmt(changed)} changed); ${fmt(c.findingsRows)} rows after; load at the start ${c.load.map((l) => l.toFixed(2)).join(' / ')}`,
          ];
        };
        if (s.change !== undefined)
          rows.push(
            [
              `${fmt(n)} agent uploads`,
              sec(s.uploadWallMs),
              `per upload median ${fmt(quantile(up, 0.5))} ms, p90 ${fmt(quantile(up, 0.9))} ms, max ${fmt(quantile(up, 1))} ms (parse, snapshot, match, findings written); ${fmt(s.findingsRows)} finding rows`,
            ],
            changeRow("feed change: the next day's tracker", s.change),
          );
        if (s.kevChange !== undefined) rows.push(changeRow('feed change: the next KEV catalog (+20)', s.kevChange));
        say(table(['step', 'time', 'what'], rows));
        say();
        if (s.change === undefined)
          say('**The tracker was not imported, so the uploads and the re-evaluation through the store were not measured.**\n');
        say(`Peak RSS of this process during the store run: ${mb(s.peakRss)}.`);
      } catch (err) {
        say(`**Not measured: the store run failed:** ${(err as Error).message.slice(0, 600)}`);
      }
      say();
    }

  // debsecan
  if (o.peer && mem !== undefined && mem.bookwormHosts.length > 0) {
    const { pass1, bookwormHosts } = mem;
    const feed = ensureDebsecanFeed(o, m);
    const feedRecords = readDebsecanFeed(feed.file);
    const comparisons: HostComparison[] = [];
    const sources = new Set<string>();
    for (const kept of pass1.results.values()) for (const p of kept.inventory.packages) sources.add(p.source);
    const facts = await trackerFacts(join(o.dir, m.files.tracker), sources);
    for (const h of bookwormHosts) {
      const kept = pass1.results.get(h);
      if (kept === undefined) continue;
      const statusFile = join(o.dir, 'debsecan', `status-${h}`);
      mkdirSync(dirname(statusFile), { recursive: true });
      writeFileSync(statusFile, dpkgStatusText(kept.inventory.packages));
      const run = await runDebsecan(feed.dir, 'bookworm', statusFile);
      if (run.exitCode !== 0)
        throw new Error(`debsecan failed on host ${h} (exit ${run.exitCode}): ${run.stderr.slice(0, 2000)}`);
      comparisons.push(compareHost(h, kept.inventory, kept.result, pass1.matchMs[h - 1] as number, run, facts, feedRecords));
    }
    const ds = comparisons.map((c) => c.debsecanMs).sort((a, b) => a - b);
    say(
      `## debsecan ${spawnSync('dpkg-query', ['-W', '-f=${Version}', 'debsecan']).stdout.toString() || ''} on the same data (${comparisons.length} bookworm hosts)`,
    );
    say();
    say(
      `The same tracker JSON converted to debsecan's \`VERSION 1\` feed for bookworm (\`bench/vulns/debsecan-feed.ts\`, the rules of ` +
        `the tracker's \`calculateDebsecan1\`; ${feed.ms === undefined ? 'reused' : `written in ${sec(feed.ms)}`}; ${fmt(feedRecords.size)} records, ` +
        `${mb(statSync(feed.file).size)} compressed), each host's packages as a dpkg status file, then ` +
        '`debsecan --suite bookworm --source file:///DIR/ --status FILE --history H --whitelist W --format detail` (W holds `VERSION 0`: ' +
        'an empty file is refused).',
    );
    say();
    say(
      table(
        [
          'host',
          'debsecan time',
          'debsecan peak RSS',
          'Skjold match',
          'debsecan pairs (lines)',
          'Skjold findings',
          'agree',
          'only Skjold',
          'only debsecan',
        ],
        comparisons.map((c) => [
          String(c.host),
          sec(c.debsecanMs),
          c.debsecanRssKb === undefined ? 'n/a' : `${fmt(c.debsecanRssKb / 1024)} MB`,
          `${fmt(c.skjoldMatchMs, 1)} ms`,
          `${fmt(c.debsecan)} (${fmt(c.debsecanLines)})`,
          fmt(c.skjold),
          fmt(c.agree),
          fmt(Object.values(c.onlySkjold).reduce((a, b) => a + b, 0)),
          fmt(Object.values(c.onlyDebsecan).reduce((a, b) => a + b, 0)),
        ]),
      ),
    );
    say();
    say(
      `debsecan per host: median ${sec(quantile(ds, 0.5))}, max ${sec(quantile(ds, 1))} (it reads and parses the whole feed on every run). ` +
        `Skjold on the same hosts: ${comparisons.map((c) => `${fmt(c.skjoldMatchMs, 1)} ms`).join(', ')}.`,
    );
    say();
    const sum = (pick: (c: HostComparison) => Record<string, number>) => {
      const t: Record<string, number> = {};
      for (const c of comparisons) for (const [k, v] of Object.entries(pick(c))) t[k] = (t[k] ?? 0) + v;
      return Object.entries(t).sort((a, b) => b[1] - a[1]);
    };
    const agree = comparisons.reduce((a, c) => a + c.agree, 0);
    const agreeFixed = comparisons.reduce((a, c) => a + c.agreeFixed, 0);
    const byStatus: Record<string, number> = {};
    for (const c of comparisons) for (const [k, v] of Object.entries(c.skjoldByStatus)) byStatus[k] = (byStatus[k] ?? 0) + v;
    say(
      `Findings compared as (source package, vulnerability) pairs (debsecan prints one line per binary package). ` +
        `Both report ${fmt(agree)} pairs (${fmt(agreeFixed)} of them with a bookworm fix available). Skjold's findings by vendor status: ` +
        `${Object.entries(byStatus)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}.`,
    );
    say();
    say('Only Skjold, why:');
    say();
    for (const [k, v] of sum((c) => c.onlySkjold)) say(`- ${fmt(v)} × ${k}`);
    if (sum((c) => c.onlySkjold).length === 0) say('- none');
    say();
    say('Only debsecan, why:');
    say();
    for (const [k, v] of sum((c) => c.onlyDebsecan)) say(`- ${fmt(v)} × ${k}`);
    if (sum((c) => c.onlyDebsecan).length === 0) say('- none');
    say();
    const samples = comparisons.flatMap((c) => c.samples.map((s) => `host ${c.host}: ${s}`)).slice(0, 12);
    if (samples.length > 0) {
      say('Samples:');
      say();
      for (const s of samples) say(`- ${s}`);
      say();
    }
  } else say('debsecan: not run (`--no-peer` or no bookworm host).\n');

  say(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}.`,
  );
  if (o.results !== undefined) {
    writeFileSync(o.results, `${out.join('\n')}\n`);
    console.log(`\nwritten to ${o.results}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
