import { isIP } from 'node:net';
import type { Overflow, ThreatEvent, ThreatKind, ThreatService } from '../events.ts';
import { EventView } from './event-view.ts';
import { groupKey, keyScope } from './group-key.ts';
import { LruMap } from './lru-map.ts';
import { overflowRemediation, type Scenario } from './scenario.ts';

/** Samples kept per bucket: the first HEAD lines and a ring of the last TAIL lines (evidence on the alert). */
const HEAD = 5;
const TAIL = 5;
/** Distinct source IPs remembered per bucket (for /24, /64 and user keys). */
const MAX_IPS = 32;
/** A sample longer than this is cut (the evidence is for people, not for re-parsing). */
const MAX_SAMPLE = 2048;
/** Pushes between two incremental expiry passes. */
const EXPIRE_EVERY = 4096;

/** Called for an event that falls into a blackholed key, so the decision stage can count it into the open alert. */
export type BlackholeHook = (scenario: string, key: string, event: ThreatEvent) => void;

export interface DetectorOptions {
  scenarios: readonly Scenario[];
  /** Most buckets alive at once, over all scenarios; the oldest is dropped (and counted) to make room. */
  maxBuckets?: number | undefined;
  onOverflow: (overflow: Overflow) => void;
  onBlackholed?: BlackholeHook | undefined;
}

export interface ScenarioStats {
  name: string;
  buckets: number;
  overflows: number;
}

export interface DetectorStats {
  /** Events pushed, and events some scenario's filter accepted (counted once per scenario). */
  events: number;
  poured: number;
  liveBuckets: number;
  /** Buckets dropped to stay under maxBuckets (state lost: an attacker may get a fresh bucket). */
  evicted: number;
  /** Buckets dropped because they had leaked empty or their window had passed. */
  expired: number;
  overflows: number;
  /** Events ignored because their key was blackholed after an overflow. */
  blackholed: number;
  scenarios: ScenarioStats[];
}

export interface Detector {
  /** Feed one parsed event (hot path, synchronous; overflows are delivered through onOverflow before it returns). */
  push(event: ThreatEvent): void;
  /** True when some loaded scenario reads raw lines: the pipeline must then call pushLine for every line. */
  readonly wantsLines: boolean;
  /** Feed one raw line (for `input: line` scenarios such as imported fail2ban filters), with its time (epoch ms). */
  pushLine(line: string, time: number, host?: string): void;
  /** Drop buckets that are empty at `now` (event time). Incremental unless `full`; returns how many were dropped. */
  expire(now: number, full?: boolean): number;
  stats(): DetectorStats;
}

interface Bucket {
  /** leaky: level after the last leak computation. */
  level: number;
  /** leaky: the time of the last leak computation. */
  leakAt: number;
  count: number;
  firstAt: number;
  lastAt: number;
  blackholeUntil: number;
  /** window: event times (oldest first), at most `threshold`; with distinct, the value hashes alongside. */
  times: number[] | undefined;
  hashes: number[] | undefined;
  /** leaky + distinct: hashes of values already counted (a small array: a Set costs far more per bucket). */
  seen: number[] | undefined;
  ip: string;
  ips: string[] | undefined;
  /** The first sample in a field, the next HEAD - 1 in an array (most buckets never get a second line). */
  first: string | undefined;
  head: string[] | undefined;
  tail: string[] | undefined;
  tailPos: number;
}

interface ScenarioState {
  sc: Scenario;
  name: string;
  buckets: LruMap<Bucket>;
  overflows: number;
  leakMs: number;
  capacity: number;
  windowMs: number;
  threshold: number;
  blackholeMs: number;
  maxSeen: number;
  overflowBase: Pick<Overflow, 'severity' | 'labels' | 'remediation' | 'simulated'>;
}

/** FNV-1a over a string: the identity of a distinct value (collisions are harmless at these set sizes). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function distinctHash(st: ScenarioState, e: ThreatEvent): number | undefined {
  switch (st.sc.spec.distinct) {
    case undefined:
      return undefined;
    case 'user':
      return e.user === undefined ? undefined : hashString(e.user);
    case 'ip':
      return hashString(e.ip);
    case 'path':
      return e.path === undefined ? undefined : hashString(e.path);
    case 'dstPort':
      return e.dstPort;
  }
}

const SERVICES: readonly ThreatService[] = ['ssh', 'http', 'smtp', 'imap', 'pop3', 'ftp', 'firewall'];
const KINDS: readonly ThreatKind[] = ['auth_failed', 'invalid_user', 'auth_success', 'preauth_close', 'request', 'drop'];

/**
 * Create the bucket engine. Every enabled event scenario gets a map from bucket key to a compact bucket; `push`
 * runs only the scenarios whose service/kind can match, pours into leaky buckets (level leaks in event time),
 * sliding windows (at most `threshold` timestamps) or triggers, and calls `onOverflow` when one overflows. After an
 * overflow the key is blackholed for the scenario's `blackhole` (events counted, `onBlackholed` told). State is
 * bounded: at `maxBuckets` live buckets the least recently touched bucket is dropped and counted as evicted, and
 * buckets that leaked empty are dropped as event time passes. Event time drives everything, so replays behave
 * like live traffic.
 */
export function createDetector(options: DetectorOptions): Detector {
  const maxBuckets = Math.max(1, options.maxBuckets ?? 1_000_000);
  const { onOverflow, onBlackholed } = options;
  const states: ScenarioState[] = [];
  const lineStates: ScenarioState[] = [];
  for (const sc of options.scenarios) {
    if (!sc.spec.enabled) continue;
    const s = sc.spec;
    const st: ScenarioState = {
      sc,
      name: s.name,
      buckets: new LruMap<Bucket>(),
      overflows: 0,
      leakMs: s.leakSpeed ?? 0,
      capacity: s.type === 'leaky' ? (s.capacity ?? 0) : 0,
      windowMs: s.window ?? 0,
      threshold: s.threshold ?? 1,
      blackholeMs: s.blackhole,
      maxSeen: Math.min(256, Math.max(16, 2 * ((s.capacity ?? 0) + 1))),
      overflowBase: {
        severity: s.severity,
        labels: s.labels,
        remediation: overflowRemediation(s),
        simulated: s.simulation,
      },
    };
    (sc.lineRule ? lineStates : states).push(st);
  }
  const all = [...states, ...lineStates];

  // Candidate index: service → kind → the scenarios whose top-level filter admits that pair.
  const index = new Map<string, Map<string, ScenarioState[]>>();
  for (const svc of SERVICES) {
    const byKind = new Map<string, ScenarioState[]>();
    for (const kind of KINDS) {
      byKind.set(
        kind,
        states.filter((st) => {
          const f = st.sc.filter;
          return (!f.services || f.services.has(svc)) && (!f.kinds || f.kinds.has(kind));
        }),
      );
    }
    index.set(svc, byKind);
  }

  const view = new EventView();
  let live = 0;
  let evicted = 0;
  let expired = 0;
  let overflows = 0;
  let blackholed = 0;
  let events = 0;
  let poured = 0;
  let maxTime = 0;
  let sinceExpire = 0;

  function evictOne(preferred: ScenarioState): void {
    // The scenario being written gives up its oldest bucket if it holds more than its share; otherwise the largest does.
    let victim = preferred;
    if (preferred.buckets.size * all.length < maxBuckets) {
      for (const st of all) if (st.buckets.size > victim.buckets.size) victim = st;
    }
    if (!victim.buckets.deleteOldest()) return;
    live--;
    evicted++;
  }

  function newBucket(t: number, ip: string): Bucket {
    return {
      level: 0,
      leakAt: t,
      count: 0,
      firstAt: t,
      lastAt: t,
      blackholeUntil: 0,
      times: undefined,
      hashes: undefined,
      seen: undefined,
      ip,
      ips: undefined,
      first: undefined,
      head: undefined,
      tail: undefined,
      tailPos: 0,
    };
  }

  function sample(b: Bucket, line: string): void {
    const s = line.length > MAX_SAMPLE ? line.slice(0, MAX_SAMPLE) : line;
    if (b.first === undefined) b.first = s;
    else if (b.head === undefined) b.head = [s];
    else if (b.head.length < HEAD - 1) b.head.push(s);
    else if (b.tail === undefined) b.tail = [s];
    else if (b.tail.length < TAIL) b.tail.push(s);
    else {
      b.tail[b.tailPos] = s;
      b.tailPos = (b.tailPos + 1) % TAIL;
    }
  }

  function samplesOf(b: Bucket): string[] {
    const out = b.first === undefined ? [] : [b.first];
    if (b.head) out.push(...b.head);
    if (b.tail) for (let i = 0; i < b.tail.length; i++) out.push(b.tail[(b.tailPos + i) % b.tail.length] ?? '');
    return out;
  }

  function emit(st: ScenarioState, key: string, b: Bucket, t: number): void {
    overflows++;
    st.overflows++;
    const spec = st.sc.spec;
    onOverflow({
      scenario: st.name,
      key,
      scope: keyScope(spec.groupBy, key, b.ip),
      ips: b.ips ? [...b.ips] : [b.ip],
      count: b.count,
      firstAt: b.firstAt,
      lastAt: b.lastAt,
      ...st.overflowBase,
      labels: { ...st.overflowBase.labels },
      remediation: st.overflowBase.remediation,
      samples: samplesOf(b),
    });
    if (st.blackholeMs > 0) {
      // Keep the key (as an empty bucket) only to remember the blackhole.
      b.blackholeUntil = t + st.blackholeMs;
      b.level = 0;
      b.leakAt = t;
      b.count = 0;
      b.times = b.hashes = b.seen = b.ips = b.head = b.tail = b.first = undefined;
      b.tailPos = 0;
    } else {
      st.buckets.delete(key);
      live--;
    }
  }

  /** Slide the window to `from`, add the event (a distinct value replaces its older entry); true on overflow. */
  function pourWindow(st: ScenarioState, b: Bucket, t: number, from: number, h: number | undefined): boolean {
    const times = (b.times ??= []);
    let drop = 0;
    while (drop < times.length && (times[drop] ?? 0) < from) drop++;
    if (drop > 0) {
      times.splice(0, drop);
      b.hashes?.splice(0, drop);
    }
    if (h !== undefined) {
      const hashes = (b.hashes ??= []);
      const at = hashes.indexOf(h);
      if (at >= 0) {
        hashes.splice(at, 1);
        times.splice(at, 1);
      }
      hashes.push(h);
    }
    times.push(t);
    if (times.length > st.threshold) {
      times.shift();
      b.hashes?.shift();
    }
    return times.length >= st.threshold;
  }

  function pour(st: ScenarioState, e: ThreatEvent, key: string): void {
    poured++;
    const t = e.time;
    // Touching moves the bucket to the young end: eviction and incremental expiry take from the old end.
    let b = st.buckets.touch(key);
    if (b !== undefined) {
      if (b.blackholeUntil > t) {
        blackholed++;
        onBlackholed?.(st.name, key, e);
        return;
      }
      if (b.blackholeUntil !== 0) {
        b.blackholeUntil = 0;
        b.firstAt = t;
        b.leakAt = t;
      }
    } else {
      if (live >= maxBuckets) evictOne(st);
      b = newBucket(t, e.ip);
      st.buckets.add(key, b);
      live++;
    }
    const spec = st.sc.spec;
    if (e.ip !== b.ip && spec.groupBy !== 'ip') {
      if (b.ips === undefined) b.ips = [b.ip, e.ip];
      else if (b.ips.length < MAX_IPS && !b.ips.includes(e.ip)) b.ips.push(e.ip);
    }
    const h = distinctHash(st, e);
    let overflow = false;
    if (spec.type === 'leaky') {
      // Leak in event time first (out-of-order events never leak backwards).
      if (t > b.leakAt) {
        b.level = Math.max(0, b.level - (t - b.leakAt) / st.leakMs);
        b.leakAt = t;
      }
      if (h !== undefined && spec.distinct !== undefined) {
        if (b.seen === undefined) b.seen = [h];
        else {
          if (b.seen.includes(h)) return;
          if (b.seen.length >= st.maxSeen) b.seen.shift();
          b.seen.push(h);
        }
      } else if (spec.distinct !== undefined) return;
      b.level += 1;
      overflow = b.level > st.capacity;
    } else if (spec.type === 'window') {
      if (spec.distinct !== undefined && h === undefined) return;
      const from = t - st.windowMs;
      if (b.times === undefined && h === undefined) {
        // Most keys (one-shot scanners, floods) never see a second event: the window holds at most `lastAt` until
        // then, and the array is only made when a second event falls inside it.
        if (b.count > 0 && b.lastAt >= from) b.times = t >= b.lastAt ? [b.lastAt, t] : [t, b.lastAt];
        overflow = (b.times?.length ?? 1) >= st.threshold;
      } else {
        overflow = pourWindow(st, b, t, from, h);
      }
    } else {
      overflow = true;
    }
    b.count++;
    if (t < b.firstAt) b.firstAt = t;
    if (t > b.lastAt) b.lastAt = t;
    sample(b, e.line);
    if (overflow) emit(st, key, b, t);
  }

  function keyOf(st: ScenarioState, e: ThreatEvent): string | undefined {
    return groupKey(st.sc.spec.groupBy, e.ip, e.host, e.user);
  }

  function tick(t: number): void {
    if (t > maxTime) maxTime = t;
    if (++sinceExpire >= EXPIRE_EVERY) {
      sinceExpire = 0;
      expire(maxTime, false);
    }
  }

  function dead(st: ScenarioState, b: Bucket, now: number): boolean {
    if (b.blackholeUntil > now) return false;
    if (b.blackholeUntil !== 0) return true;
    switch (st.sc.spec.type) {
      case 'leaky':
        return b.level - (now - b.leakAt) / st.leakMs <= 0;
      case 'window':
        return b.lastAt < now - st.windowMs;
      case 'trigger':
        return true;
    }
  }

  function expire(now: number, full = false): number {
    let dropped = 0;
    for (const st of all) {
      // Least recently touched first: in an incremental pass the first live bucket ends the walk.
      dropped += st.buckets.walk((_key, b) => (dead(st, b, now) ? 'delete' : full ? 'next' : 'stop'));
    }
    live -= dropped;
    expired += dropped;
    return dropped;
  }

  function push(e: ThreatEvent): void {
    events++;
    tick(e.time);
    const cands = index.get(e.service)?.get(e.kind);
    if (cands === undefined || cands.length === 0) return;
    view.reset(e);
    for (const st of cands) {
      if (!st.sc.filter.test(view)) continue;
      const key = keyOf(st, e);
      if (key !== undefined) pour(st, e, key);
    }
  }

  function pushLine(line: string, time: number, host?: string): void {
    if (lineStates.length === 0) return;
    tick(time);
    for (const st of lineStates) {
      const rule = st.sc.lineRule;
      if (!rule) continue;
      let ip: string | undefined;
      let user: string | undefined;
      // One pass of the set says which patterns match; only those run again for their groups.
      const which = rule.set ? rule.set.match(line) : undefined;
      if (which !== undefined && which.length === 0) continue;
      const n = which ? which.length : rule.match.length;
      for (let i = 0; i < n; i++) {
        const m = rule.match[which ? (which[i] ?? 0) : i]?.exec(line);
        if (m?.groups?.host) {
          ip = m.groups.host.toLowerCase();
          user = m.groups.user;
          break;
        }
      }
      if (ip === undefined || isIP(ip) === 0 || rule.ignore.some((re) => re.test(line))) continue;
      const e: ThreatEvent = { time, ip, service: rule.service, kind: 'auth_failed', parser: 'line', host, user, line };
      const key = keyOf(st, e);
      if (key !== undefined) pour(st, e, key);
    }
  }

  return {
    push,
    pushLine,
    wantsLines: lineStates.length > 0,
    expire,
    stats: () => ({
      events,
      poured,
      liveBuckets: live,
      evicted,
      expired,
      overflows,
      blackholed,
      scenarios: all.map((st) => ({ name: st.name, buckets: st.buckets.size, overflows: st.overflows })),
    }),
  };
}
