/**
 * Threat-detection benchmark, Skjold side by side with fail2ban and CrowdSec:
 *
 *   node --import tsx bench/threats/run.ts [--lines N] [--peers|--no-peers] [--timeout-s 600]
 *       [--crowdsec-lines 50000] [--fail2ban-lines 200000] [--dir DIR] [--seed S] [--feeds-dir DIR]
 *
 * Generates (or reuses, when `truth.json` matches) `sshd.log`, `nginx.log` and `mail.log` in DIR (default
 * `$TMPDIR/skjold-threats-bench`), then per log: Skjold's full pipeline (`createReplay`: parse, intel lookup, every
 * built-in scenario, decisions) in this process on one thread, on the whole file and on the CrowdSec prefix; fail2ban
 * (`fail2ban-regex` on the first `--fail2ban-lines` lines, 0 = all, judged with jail semantics maxretry=5
 * findtime=10m); CrowdSec (`crowdsec-replay.sh`, full and parse-only) on the first `--crowdsec-lines` lines, each
 * peer run under `timeout`. Scores every run against truth.json and
 * prints a table (also written to DIR/results.json and DIR/results.md). See README.md beside this file.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { canonicalTarget, cidrsOverlap } from '../../src/modules/threats/cidr.ts';
import type { LogType } from '../../src/modules/threats/events.ts';
import { createReplay, type ReplayResult } from '../../src/modules/threats/replay.ts';
import { ATTACK_KINDS, LOG_NAMES, type AttackKind, type LogName, type Truth } from './generate.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

// A full GC before each Skjold run, so one log's garbage does not count towards the next one's peak RSS.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const PEERS = '/work/shared/peers';

// ---------------------------------------------------------------------------------------------------------------
// Options

export interface BenchOptions {
  lines: number;
  seed: number;
  dir: string;
  peers: boolean;
  timeoutS: number;
  crowdsecLines: number;
  /** 0: the whole file. */
  fail2banLines: number;
  feedsDir?: string | undefined;
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const val = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number): number => {
    const v = val(name);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} wants a number, got ${v}`);
    return n;
  };
  const lines = num('--lines', 1_000_000);
  return {
    lines,
    seed: num('--seed', 1),
    dir: resolve(val('--dir') ?? join(tmpdir(), 'skjold-threats-bench')),
    peers: !argv.includes('--no-peers'),
    timeoutS: num('--timeout-s', 600),
    crowdsecLines: num('--crowdsec-lines', 50_000),
    fail2banLines: num('--fail2ban-lines', 200_000),
    feedsDir: val('--feeds-dir'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring

/** What a tool flagged: single addresses (alerts, bans) and networks (range bans). */
export interface Flags {
  ips: Set<string>;
  ranges: Set<string>;
}

export interface Score {
  /** Attackers in scope (active within the lines the tool saw). */
  total: number;
  found: number;
  missed: number;
  /** Flagged addresses (and networks) that are neither attackers nor neutral scanners. */
  falsePositives: number;
  falseSamples: string[];
  /** Background scanners flagged (neither a hit nor a false positive). */
  neutralFlagged: number;
  byKind: Partial<Record<AttackKind, { found: number; total: number }>>;
  /** Campaigns (a spraying botnet, a rotating /64 count once) with at least one address flagged. */
  campaigns: { found: number; total: number };
  missedSamples: string[];
}

const canon = (ip: string): string => canonicalTarget(ip)?.value ?? ip.toLowerCase();

/**
 * Scores `flags` against the attackers of `log` that were active at or before `until` (epoch ms; the end of the
 * lines the tool was given): found when a flagged address equals the attacker's or a flagged network contains it;
 * a false positive is a flagged address (or network) that holds no attacker and no neutral scanner.
 */
export function score(truth: Truth, log: LogName, flags: Flags, until = Infinity): Score {
  const inScope = truth.attackers.filter((a) => a.log === log && Date.parse(a.firstAt) <= until);
  const attackerIps = new Set(truth.attackers.filter((a) => a.log === log).map((a) => canon(a.ip)));
  const neutral = new Set(truth.neutral[log].map(canon));
  const ips = new Set([...flags.ips].map(canon));
  const ranges = [...flags.ranges];
  const covered = (ip: string): boolean => ips.has(ip) || ranges.some((r) => cidrsOverlap(r, ip));
  const s: Score = {
    total: inScope.length,
    found: 0,
    missed: 0,
    falsePositives: 0,
    falseSamples: [],
    neutralFlagged: 0,
    byKind: {},
    campaigns: { found: 0, total: 0 },
    missedSamples: [],
  };
  const campaigns = new Map<string, boolean>();
  for (const a of inScope) {
    const k = (s.byKind[a.kind] ??= { found: 0, total: 0 });
    k.total++;
    const hit = covered(canon(a.ip));
    campaigns.set(a.campaign, (campaigns.get(a.campaign) ?? false) || hit);
    if (hit) {
      s.found++;
      k.found++;
    } else {
      s.missed++;
      if (s.missedSamples.length < 8) s.missedSamples.push(`${a.kind} ${a.ip}`);
    }
  }
  s.campaigns = { total: campaigns.size, found: [...campaigns.values()].filter(Boolean).length };
  const falsy = (what: string): void => {
    s.falsePositives++;
    if (s.falseSamples.length < 8) s.falseSamples.push(what);
  };
  for (const ip of ips) {
    if (attackerIps.has(ip)) continue;
    if (neutral.has(ip)) s.neutralFlagged++;
    else falsy(ip);
  }
  for (const r of ranges) {
    const holds = (set: Set<string>): boolean => [...set].some((ip) => cidrsOverlap(r, ip));
    if (!holds(attackerIps) && !holds(neutral)) falsy(r);
  }
  return s;
}

/** fail2ban's jail: an IP is banned once `maxretry` failures fall within `findtime` seconds. */
export function jailBans(matches: readonly { time: number; ip: string }[], maxretry = 5, findtime = 600): Set<string> {
  const byIp = new Map<string, number[]>();
  for (const m of matches) {
    let l = byIp.get(m.ip);
    if (!l) byIp.set(m.ip, (l = []));
    l.push(m.time);
  }
  const banned = new Set<string>();
  for (const [ip, ts] of byIp) {
    ts.sort((a, b) => a - b);
    for (let i = maxretry - 1; i < ts.length; i++)
      if ((ts[i] as number) - (ts[i - maxretry + 1] as number) <= findtime) {
        banned.add(ip);
        break;
      }
  }
  return banned;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading and timing

/** Calls `onLine` for every line of `path` (up to `max`), reading 4 MiB at a time; yields to timers between reads. */
async function forEachLine(path: string, max: number, onLine: (line: string) => void): Promise<number> {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let carry = '';
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      // Decode up to the last newline; the tail waits for the next read (never splits a UTF-8 sequence).
      const lastNl = buf.lastIndexOf(10, got - 1);
      const end = lastNl < 0 ? got : lastNl + 1;
      const text = carry + buf.toString('utf8', 0, end);
      carry = end < got ? buf.toString('utf8', end, got) : '';
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0 && n < max; nl = text.indexOf('\n', from)) {
        onLine(text.slice(from, nl));
        n++;
        from = nl + 1;
      }
      if (n >= max) return n;
      if (from < text.length) carry = text.slice(from) + carry;
      await new Promise<void>((r) => setImmediate(r));
    }
    if (carry && n < max) {
      onLine(carry);
      n++;
    }
    return n;
  } finally {
    closeSync(fd);
  }
}

/** Samples this process's RSS every 100 ms; `stop()` returns the peak in MB. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The tools

export interface Run {
  tool: string;
  log: LogName;
  lines: number;
  seconds: number;
  peakRssMb: number;
  score: Score | null;
  notes: string[];
}

const LOG_TYPE: Record<LogName, LogType> = { sshd: 'auto', nginx: 'nginx', mail: 'auto' };

/** Skjold's whole pipeline over `file` in this process: read, parse, look up, detect, decide; timed, RSS sampled. */
async function runSkjold(
  file: string,
  log: LogName,
  truth: Truth,
  until: number,
  opts: BenchOptions,
): Promise<Run & { result: ReplayResult }> {
  const endMs = Date.parse(truth.end);
  gc();
  const baseMb = Math.round(process.memoryUsage.rss() / 1048576);
  const rss = rssSampler();
  const t0 = performance.now();
  const replay = createReplay({ timeZone: 'UTC', now: () => endMs + 3_600_000, feedsDir: opts.feedsDir });
  const type = LOG_TYPE[log];
  const lines = await forEachLine(file, Infinity, (l) => replay.process(l, type));
  const result = await replay.finish();
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMb = rss.stop();
  const st = result.stats;
  const notes = [
    `${fmt(st.events)} events, ${fmt(st.unparsable)} unparsable, ${result.alerts.length} alerts, ${result.decisions.length} decisions, RSS ${baseMb} MB before`,
  ];
  if (st.scenarioErrors.length) notes.push(`scenario errors: ${st.scenarioErrors.join('; ')}`);
  return { tool: 'skjold', log, lines, seconds, peakRssMb, score: score(truth, log, flagsOf(result), until), notes, result };
}

/** Epoch ms of a generated line (syslog `Nov 27 10:00:01`, or the `[27/Nov/2026:10:00:01 +0000]` of an access log). */
export function lineTime(line: string, truth: Truth): number {
  const year = new Date(truth.start).getUTCFullYear();
  const clf = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]/.exec(line);
  if (clf) return Date.parse(`${clf[1]} ${clf[2]} ${clf[3]} ${clf[4]}:${clf[5]}:${clf[6]} UTC`);
  return Date.parse(`${line.slice(0, 15)} ${year} UTC`);
}

interface Proc {
  code: number | null;
  stdout: string;
  seconds: number;
  timedOut: boolean;
}

/** Runs a command in its own process group; kills the whole group when it ends or overruns `timeoutS`. */
function runProc(cmd: string, args: readonly string[], timeoutS: number): Promise<Proc> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn('timeout', ['-k', '10', String(timeoutS), cmd, ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.on('close', (code) => {
      // Leftovers (crowdsec under /usr/bin/time) share the group: end them all.
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
      done({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        seconds: (performance.now() - t0) / 1000,
        timedOut: code === 124 || code === 137,
      });
    });
  });
}

/** Writes the first `n` lines of `file` to `dest` (once; through a temporary name, so an interrupted run leaves none). */
async function prefix(file: string, n: number, dest: string): Promise<string> {
  if (existsSync(dest)) return dest;
  const out = createWriteStream(`${dest}.part`);
  let chunk: string[] = [];
  await forEachLine(file, n, (l) => {
    chunk.push(l);
    if (chunk.length >= 50_000) {
      out.write(chunk.join('\n') + '\n');
      chunk = [];
    }
  });
  out.write(chunk.length ? chunk.join('\n') + '\n' : '');
  await new Promise<void>((r) => out.end(r));
  renameSync(`${dest}.part`, dest);
  return dest;
}

const F2B_FILTERS: Record<LogName, string[]> = {
  sshd: ['sshd', 'sshd[mode=aggressive]'],
  nginx: [join(HERE, 'fail2ban/nginx-web-attacks.conf'), 'nginx-botsearch'],
  mail: ['postfix[mode=auth]', 'dovecot'],
};

/**
 * fail2ban-regex over `file` with one filter, as `fail2ban-regex.sh` runs it but printing each match's time and IP
 * (`--out '<time> <ip>'`) instead of the matched lines, because jail semantics need the times.
 */
async function runFail2ban(
  file: string,
  filter: string,
  timeoutS: number,
): Promise<{ proc: Proc; matches: { time: number; ip: string }[]; rssMb: number }> {
  const f = filter.startsWith('/')
    ? filter
    : existsSync(`/etc/fail2ban/filter.d/${filter}.conf`)
      ? `/etc/fail2ban/filter.d/${filter}.conf`
      : filter;
  const proc = await runProc('/usr/bin/time', ['-v', 'fail2ban-regex', '-r', '--out', '<time> <ip>', file, f], timeoutS);
  const matches: { time: number; ip: string }[] = [];
  let rssMb = 0;
  for (const line of proc.stdout.split('\n')) {
    const m = /^(\d+(?:\.\d+)?) (\S+)$/.exec(line);
    if (m) matches.push({ time: Number(m[1]), ip: m[2] as string });
    const r = /Maximum resident set size \(kbytes\): (\d+)/.exec(line);
    if (r) rssMb = Math.round(Number(r[1]) / 1024);
  }
  return { proc, matches, rssMb };
}

/** CrowdSec's replay script; on a time-out the bans logged so far are still read from WORKDIR/crowdsec.out. */
async function runCrowdsec(
  file: string,
  type: string,
  work: string,
  parseOnly: boolean,
  timeoutS: number,
): Promise<{ proc: Proc; ips: string[]; rssMb: number; alerts: number; fatal: string | null }> {
  // A fresh work directory each run: a database left by an earlier (killed) run makes CrowdSec refuse to start.
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const args = [join(PEERS, 'crowdsec-replay.sh'), file, type, work, ...(parseOnly ? ['--parse-only'] : [])];
  const proc = await runProc('/bin/sh', args, timeoutS);
  let ips: string[] = [];
  let rssMb = 0;
  let alerts = 0;
  const summary = /crowdsec lines=\d+ seconds=\S+ lines_per_s=\S+ peak_rss_mb=(\d*) alerts=(\d+)/.exec(proc.stdout);
  if (summary) {
    rssMb = Number(summary[1] || 0);
    alerts = Number(summary[2]);
    const after = proc.stdout.slice(proc.stdout.indexOf('ips:') + 4);
    ips = after
      .split('\n')
      .map((l) => l.trim().split(' ')[0] ?? '')
      .filter((x) => x !== '');
  } else if (existsSync(join(work, 'crowdsec.out'))) {
    const raw = readFileSync(join(work, 'crowdsec.out'), 'utf8');
    ips = [...new Set([...raw.matchAll(/ by ip ([0-9a-f.:]+)/g)].map((m) => m[1] as string))];
    alerts = (raw.match(/ ban on /g) ?? []).length;
  }
  const out = existsSync(join(work, 'crowdsec.out')) ? readFileSync(join(work, 'crowdsec.out'), 'utf8') : '';
  const fatal = /level=fatal msg="([^"]{0,200})/.exec(out)?.[1] ?? null;
  // Anything of ours still running (the script's crowdsec, reparented) is ended by its pid.
  const ps = spawnSync('pgrep', ['-f', '--', `crowdsec -c ${work}/config.yaml`], { encoding: 'utf8' });
  for (const pid of ps.stdout.split('\n').filter((x) => /^\d+$/.test(x))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
  }
  return { proc, ips, rssMb, alerts, fatal };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const fmt = (n: number): string => Math.round(n).toLocaleString('en');

function table(runs: readonly Run[]): string {
  const rows = [
    '| tool | log | lines | seconds | lines/s | peak RSS MB | found | missed | false | neutral | campaigns | notes |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of runs) {
    const s = r.score;
    rows.push(
      `| ${r.tool} | ${r.log} | ${fmt(r.lines)} | ${r.seconds.toFixed(1)} | ${r.seconds > 0 ? fmt(r.lines / r.seconds) : '-'} | ${r.peakRssMb || '-'} | ` +
        `${s ? `${s.found}/${s.total}` : '-'} | ${s ? s.missed : '-'} | ${s ? s.falsePositives : '-'} | ${s ? s.neutralFlagged : '-'} | ${s ? `${s.campaigns.found}/${s.campaigns.total}` : '-'} | ${r.notes.join('; ')} |`,
    );
  }
  return rows.join('\n');
}

/** Per log, per attack kind: found/in scope for Skjold's runs and each peer's combined run. */
function kindTables(runs: readonly Run[]): string {
  const out: string[] = [];
  for (const log of LOG_NAMES) {
    const cols = runs.filter(
      (r) =>
        r.log === log &&
        r.score &&
        (r.tool === 'skjold' || r.tool.endsWith('(all jails)') || r.tool === 'crowdsec all scenarios'),
    );
    if (cols.length === 0) continue;
    const kinds = (Object.keys(ATTACK_KINDS) as AttackKind[]).filter((k) => ATTACK_KINDS[k] === log);
    out.push(
      `${log}:\n`,
      `| kind | ${cols.map((r) => `${r.tool} (${fmt(r.lines)} lines)`).join(' | ')} |`,
      `|---|${cols.map(() => '---:').join('|')}|`,
    );
    for (const k of kinds)
      out.push(
        `| ${k} | ${cols
          .map((r) => {
            const v = r.score?.byKind[k];
            return v ? `${v.found}/${v.total}` : 'not in prefix';
          })
          .join(' | ')} |`,
      );
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

function ensureLogs(opts: BenchOptions): Truth {
  const truthPath = join(opts.dir, 'truth.json');
  if (existsSync(truthPath)) {
    const t = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
    if (t.linesPerLog === opts.lines && t.seed === opts.seed && LOG_NAMES.every((l) => existsSync(join(opts.dir, t.files[l])))) {
      process.stderr.write(`reusing logs in ${opts.dir}\n`);
      return t;
    }
  }
  // In a child process, so the generator's memory does not count towards Skjold's peak RSS.
  process.stderr.write(`generating 3 × ${fmt(opts.lines)} lines in ${opts.dir} …\n`);
  const g = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'generate.ts'), '--lines', String(opts.lines), '--seed', String(opts.seed), '--out', opts.dir],
    { stdio: 'inherit' },
  );
  if (g.status !== 0) throw new Error('generation failed');
  return JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
}

function note(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  mkdirSync(opts.dir, { recursive: true });
  const truth = ensureLogs(opts);
  const peersOk =
    opts.peers &&
    existsSync(join(PEERS, 'crowdsec-replay.sh')) &&
    spawnSync('which', ['crowdsec', 'fail2ban-regex']).status === 0;
  if (opts.peers && !peersOk) note('peers not installed (run /work/shared/peers/install.sh as root): Skjold only');
  const runs: Run[] = [];
  const record = (r: Run): void => {
    // Only the figures: a Skjold run's full ReplayResult would stay alive (and end up in results.json) otherwise.
    runs.push({
      tool: r.tool,
      log: r.log,
      lines: r.lines,
      seconds: r.seconds,
      peakRssMb: r.peakRssMb,
      score: r.score,
      notes: r.notes,
    });
    const s = r.score;
    note(
      `${r.tool} ${r.log}: ${fmt(r.lines)} lines in ${r.seconds.toFixed(1)} s (${fmt(r.lines / Math.max(r.seconds, 1e-9))}/s), ${r.peakRssMb} MB` +
        (s ? `, found ${s.found}/${s.total}, false ${s.falsePositives}` : '') +
        (r.notes.length ? ` — ${r.notes.join('; ')}` : ''),
    );
  };
  const skjoldDetail: Record<string, unknown> = {};

  for (const log of LOG_NAMES) {
    const file = join(opts.dir, truth.files[log]);
    process.stderr.write(`${log}\n`);
    // What reading and splitting alone costs, so the pipeline's own share is visible.
    const r0 = performance.now();
    let chars = 0;
    const read = await forEachLine(file, Infinity, (l) => (chars += l.length));
    record({
      tool: 'reader only',
      log,
      lines: read,
      seconds: (performance.now() - r0) / 1000,
      peakRssMb: 0,
      score: null,
      notes: [`${fmt(chars / 1048576)} M chars, no parsing`],
    });
    const full = await runSkjold(file, log, truth, Infinity, opts);
    record(full);
    skjoldDetail[log] = {
      stats: full.result.stats,
      alertsByScenario: countBy(full.result.alerts.map((a) => a.scenario)),
      missed: full.score?.missedSamples,
      falseSamples: full.score?.falseSamples,
    };
    if (!peersOk) continue;

    // Peers read prefixes of the file: Skjold reads the same prefixes too, so detection compares like with like.
    const cut = async (n: number): Promise<{ file: string; lines: number; until: number }> => {
      if (n <= 0 || n >= truth.linesPerLog) return { file, lines: truth.linesPerLog, until: Infinity };
      const f = await prefix(file, n, join(opts.dir, `${log}.seed${truth.seed}-${truth.linesPerLog}.head${n}.log`));
      return { file: f, lines: n, until: lastLineTime(f, truth) };
    };
    const cs = await cut(opts.crowdsecLines);
    const f2b = await cut(opts.fail2banLines);
    for (const part of cs.lines === f2b.lines ? [cs] : [f2b, cs]) {
      if (part.file === file) continue;
      const p = await runSkjold(part.file, log, truth, part.until, opts);
      p.notes.push(`first ${fmt(part.lines)} lines (as the peers read)`);
      record(p);
    }
    const f2bFile = f2b.file;
    const f2bUntil = f2b.until;
    const f2bLines = f2b.lines;
    const union = new Set<string>();
    let f2bSeconds = 0;
    let f2bRss = 0;
    const f2bNotes: string[] = [];
    for (const filter of F2B_FILTERS[log]) {
      const name = filter.startsWith('/')
        ? (filter
            .split('/')
            .pop()
            ?.replace(/\.conf$/, '') ?? filter)
        : filter;
      const { proc, matches, rssMb } = await runFail2ban(f2bFile, filter, opts.timeoutS);
      const bans = jailBans(matches);
      for (const ip of bans) union.add(ip);
      f2bSeconds += proc.seconds;
      f2bRss = Math.max(f2bRss, rssMb);
      const notes = [`${fmt(matches.length)} matches, ${bans.size} banned (maxretry=5, findtime=10m)`];
      if (proc.timedOut) notes.push(`TIMED OUT at ${opts.timeoutS} s`);
      if (f2bFile !== file) notes.push(`first ${fmt(f2bLines)} lines`);
      f2bNotes.push(`${name}: ${bans.size} banned`);
      record({
        tool: `fail2ban ${name}`,
        log,
        lines: f2bLines,
        seconds: proc.seconds,
        peakRssMb: rssMb,
        score: score(truth, log, { ips: bans, ranges: new Set() }, f2bUntil),
        notes,
      });
    }
    record({
      tool: 'fail2ban (all jails)',
      log,
      lines: f2bLines,
      seconds: f2bSeconds,
      peakRssMb: f2bRss,
      score: score(truth, log, { ips: union, ranges: new Set() }, f2bUntil),
      notes: [`jails run one after another; ${f2bNotes.join(', ')}`],
    });

    // CrowdSec: parse-only (parser speed) and full (all shipped scenarios), on the prefix.
    const csType = log === 'nginx' ? 'nginx' : 'syslog';
    for (const parseOnly of [true, false]) {
      const work = join(opts.dir, `crowdsec-${log}-${parseOnly ? 'parse' : 'full'}`);
      const { proc, ips, rssMb, alerts, fatal } = await runCrowdsec(cs.file, csType, work, parseOnly, opts.timeoutS);
      const notes: string[] = [];
      if (fatal) notes.push(`CROWDSEC FAILED: ${fatal}`);
      if (cs.file !== file) notes.push(`first ${fmt(cs.lines)} lines`);
      if (proc.timedOut) notes.push(`TIMED OUT at ${opts.timeoutS} s (bans logged until then are scored)`);
      if (!parseOnly) notes.push(`${alerts} ban alerts`);
      if (log === 'mail') notes.push('no postfix/dovecot parser in the Debian 1.4.6 hub');
      record({
        tool: `crowdsec ${parseOnly ? 'parse-only' : 'all scenarios'}`,
        log,
        lines: cs.lines,
        seconds: proc.seconds,
        peakRssMb: rssMb,
        score: parseOnly ? null : score(truth, log, { ips: new Set(ips), ranges: new Set() }, cs.until),
        notes,
      });
    }
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = `threats bench ${new Date().toISOString()} — ${fmt(truth.linesPerLog)} lines per log, seed ${truth.seed}, ${cpus().length} × ${cpu}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, node ${process.version}`;
  const md = `${header}\n\n${table(runs)}\n\nPer attack kind (attacker IPs found / in scope):\n\n${kindTables(runs)}\n`;
  process.stdout.write(`\n${md}`);
  writeFileSync(join(opts.dir, 'results.md'), md);
  writeFileSync(join(opts.dir, 'results.json'), JSON.stringify({ header, options: opts, runs, skjold: skjoldDetail }, null, 1));
  process.stderr.write(`results in ${join(opts.dir, 'results.md')} and results.json\n`);
}

function flagsOf(result: ReplayResult): Flags {
  const flags: Flags = { ips: new Set(), ranges: new Set() };
  for (const a of result.alerts) {
    for (const ip of a.ips) flags.ips.add(ip);
    // An alert keyed by an address or a network (`2001:db8:bad:1::/64`) flags it; user keys are not addresses.
    const k = canonicalTarget(a.key);
    if (k) (k.scope === 'range' ? flags.ranges : flags.ips).add(k.value);
  }
  for (const d of result.decisions) (d.scope === 'range' ? flags.ranges : flags.ips).add(d.value);
  return flags;
}

function lastLineTime(file: string, truth: Truth): number {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n', text.length - 2);
  return lineTime(text.slice(end + 1), truth);
}

function countBy(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
