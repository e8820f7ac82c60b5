/**
 * Detector benchmark: `node --import tsx bench/threats/detect.ts` (or with `--expose-gc` for steadier memory figures).
 *
 *   1. throughput: events/s through `createDetector` with every built-in scenario loaded, on events parsed beforehand
 *      from the generator's realistic logs (sshd, nginx, mail; planted attackers among normal traffic), so only the
 *      detector is timed; median of 3 runs after a warm-up run. Target ≥ 600,000 events/s on one core (the whole
 *      pipeline must do 200,000 lines/s, and detection is one of three stages);
 *   2. a flood of DETECT_BENCH_FLOOD (default 10,000,000) distinct attacking IPs, each failing one SSH login, with the
 *      default cap of 1,000,000 buckets: live buckets must stay at the cap, heap growth must level off, and the
 *      evictions are counted. Reports events/s and heap used at 1M, 5M and 10M IPs.
 *
 *   3. when /etc/fail2ban/filter.d/sshd.conf exists: lines/s through `pushLine` with that filter imported (its
 *      patterns behind one RE2 set), on a mix of matching and non-matching sshd lines.
 *
 * Sizes: DETECT_BENCH_LINES (lines per log for part 1, default 300,000), DETECT_BENCH_FLOOD.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ThreatEvent } from '../../src/modules/threats/events.ts';
import { builtinScenarios, createDetector, importFail2banFilter } from '../../src/modules/threats/detect/index.ts';
import { createLineParser } from '../../src/modules/threats/parse/index.ts';
import { generateLogs, LOG_NAMES } from './generate.ts';

const num = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const LINES = num('DETECT_BENCH_LINES', 300_000);
const FLOOD = num('DETECT_BENCH_FLOOD', 10_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

function heap(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

function throughput(): void {
  const dir = mkdtempSync(join(tmpdir(), 'skjold-detect-bench-'));
  try {
    const truth = generateLogs({ dir, lines: LINES, seed: 7 });
    const parse = createLineParser({ type: 'auto', timeZone: 'UTC', now: () => Date.parse(truth.end) + 86_400_000 });
    const events: ThreatEvent[] = [];
    for (const name of LOG_NAMES) {
      for (const line of readFileSync(join(dir, truth.files[name]), 'utf8').split('\n')) {
        const r = parse(line);
        if (r.ok) events.push(r.event);
      }
    }
    // Interleave the three logs by time, as a live pipeline sees them.
    events.sort((a, b) => a.time - b.time);
    const scenarios = builtinScenarios();
    const times: number[] = [];
    let overflows = 0;
    for (let run = 0; run < 4; run++) {
      let n = 0;
      const d = createDetector({ scenarios, onOverflow: () => n++ });
      const t0 = process.hrtime.bigint();
      for (const e of events) d.push(e);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (run > 0) times.push(ms);
      overflows = n;
    }
    times.sort((a, b) => a - b);
    const med = times[1] ?? 0;
    console.log(
      `throughput: ${events.length.toLocaleString()} events, ${scenarios.length} built-in scenarios, ` +
        `${overflows} overflows; median ${med.toFixed(0)} ms = ${Math.round(events.length / (med / 1000)).toLocaleString()} events/s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function flood(): void {
  const d = createDetector({ scenarios: builtinScenarios(), onOverflow: () => undefined });
  const before = heap();
  const e: ThreatEvent = {
    time: Date.UTC(2026, 10, 27),
    ip: '',
    service: 'ssh',
    kind: 'auth_failed',
    parser: 'sshd',
    host: 'web1',
    user: 'root',
    line: '',
  };
  const t0 = process.hrtime.bigint();
  for (let i = 1; i <= FLOOD; i++) {
    e.ip = `${1 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    // A realistic line per event: samples keep a reference to it, so it counts in the heap.
    e.line = `Nov 27 10:00:01 web1 sshd[4242]: Failed password for root from ${e.ip} port 50000 ssh2`;
    e.time += i & 1; // ~2 events per ms of event time: a flood, nothing has time to leak
    d.push(e);
    if (i === 1_000_000 || i === 5_000_000 || i === FLOOD) {
      const s = d.stats();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      console.log(
        `flood: ${i.toLocaleString()} distinct IPs: live ${s.liveBuckets.toLocaleString()} buckets, ` +
          `evicted ${s.evicted.toLocaleString()}, expired ${s.expired.toLocaleString()}, heap +${mb(heap() - before)}, ` +
          `${Math.round(i / (ms / 1000)).toLocaleString()} events/s`,
      );
    }
  }
}

function imported(): void {
  const path = '/etc/fail2ban/filter.d/sshd.conf';
  if (!existsSync(path)) return;
  const scenario = importFail2banFilter(readFileSync(path, 'utf8'), { name: 'f2b-sshd' }).scenario;
  if (!scenario) return;
  const d = createDetector({ scenarios: [scenario], onOverflow: () => undefined });
  const shapes = [
    (ip: string) => `Nov 27 10:00:01 web1 sshd[4242]: Failed password for root from ${ip} port 50000 ssh2`,
    (ip: string) => `Nov 27 10:00:01 web1 sshd[4242]: Invalid user admin from ${ip} port 50000`,
    (ip: string) => `Nov 27 10:00:01 web1 sshd[4242]: Accepted publickey for deploy from ${ip} port 50000 ssh2: ED25519 SHA256:x`,
    () => `Nov 27 10:00:01 web1 sshd[4242]: pam_unix(sshd:session): session closed for user deploy`,
    () => `Nov 27 10:00:01 web1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)`,
  ];
  const lines: string[] = [];
  for (let i = 0; i < 200_000; i++) lines.push(shapes[i % shapes.length]?.(`198.51.${(i >> 8) & 255}.${i & 255}`) ?? '');
  const t0 = process.hrtime.bigint();
  lines.forEach((l, i) => d.pushLine(l, Date.UTC(2026, 10, 27) + i, 'web1'));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `fail2ban sshd filter imported: ${Math.round(lines.length / (ms / 1000)).toLocaleString()} lines/s through pushLine`,
  );
}

console.log(`node ${process.version}, load ${loadavg()[0]?.toFixed(2)}, gc ${gc ? 'exposed' : 'not exposed'}`);
throughput();
imported();
flood();
