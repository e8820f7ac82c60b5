import type { AlertWriter, PendingAlert } from './alerts.writer.ts';
import type { LogType, Overflow, ParseOutcome, ThreatEvent } from './events.ts';
import type { IpIndex } from './intel/ip-index.ts';
import { createLineParser } from './parse/index.ts';

/** The detector as the pipeline drives it (see detect/). */
export interface EventDetector {
  push(event: ThreatEvent): void;
  /** True when a scenario reads raw lines (imported fail2ban filters): every line goes to `pushLine` too. */
  readonly wantsLines: boolean;
  pushLine(line: string, time: number, host?: string): void;
}

export interface PipelineStats {
  lines: number;
  events: number;
  ignored: number;
  unparsable: number;
  /** Events from allowlisted addresses: parsed and counted, never fed to scenarios. */
  allowlisted: number;
  /** Events whose source IP a threat-intel feed lists (enrichment: counted, shown, not paged alone). */
  listedHits: number;
  listedHitsByFeed: Record<string, number>;
  successAfterBruteForce: number;
  /** Addresses that attacked several customer environments (each pages once per hour of log time). */
  multiTarget: number;
  /** Log time of the newest event (epoch ms). */
  lastEventAt: number;
}

export interface PipelineOptions {
  timeZone: string;
  now: () => number;
  /** The current threat-intel + allowlist index (swapped atomically by rebuilds). */
  index: () => IpIndex;
  /** Customer environments: networks (CIDRs) and host names. */
  customerNetworks: () => IpIndex | null;
  customerHosts: ReadonlySet<string>;
  writer: Pick<AlertWriter, 'add'> & Partial<Pick<AlertWriter, 'extend'>>;
  /** Distinct customer environments one IP must attack within an hour of log time before it pages (default 3). */
  multiTargetThreshold?: number | undefined;
}

const BRUTE_FORCE_MEMORY_MS = 24 * 3600_000;
const MAX_BRUTE_FORCE_IPS = 200_000;
const MULTI_TARGET_WINDOW_MS = 3600_000;
const MAX_MULTI_TARGET_IPS = 200_000;

/** Hostile kinds: what counts as attacking an environment (a plain successful request does not). */
function isHostile(e: ThreatEvent): boolean {
  return (
    e.kind === 'auth_failed' ||
    e.kind === 'invalid_user' ||
    e.kind === 'drop' ||
    (e.kind === 'request' && e.status !== undefined && (e.status === 401 || e.status === 403 || e.status === 404))
  );
}

interface Targets {
  first: number;
  last: number;
  hosts: string[];
  samples: string[];
  paged: boolean;
}

/**
 * One line's way through Skjold: parse (the line's own timestamp is the clock), look the source up in the threat-intel
 * index, skip allowlisted sources, mark customer-environment targets, feed the scenarios, and watch for a successful
 * login from an address that brute-forced before (which pages). Synchronous and allocation-light: the caller batches.
 */
export class ThreatPipeline {
  private readonly parsers = new Map<LogType, (line: string) => ParseOutcome>();
  private readonly bruteForcers = new Map<string, number>();
  private readonly targets = new Map<string, Targets>();
  private detector: EventDetector | undefined;
  private userDetector: EventDetector | undefined;
  readonly counts: PipelineStats = {
    lines: 0,
    events: 0,
    ignored: 0,
    unparsable: 0,
    allowlisted: 0,
    listedHits: 0,
    listedHitsByFeed: {},
    successAfterBruteForce: 0,
    multiTarget: 0,
    lastEventAt: 0,
  };

  constructor(private readonly opts: PipelineOptions) {}

  /**
   * Attach the detectors (built after the pipeline, since their overflow callback comes back here). `user`, when
   * given, runs the user-keyed scenarios for events arriving on the user lane (scale-out); otherwise `main` runs all.
   */
  attach(main: EventDetector, user?: EventDetector): void {
    this.detector = main;
    this.userDetector = user;
  }

  private parserFor(type: LogType): (line: string) => ParseOutcome {
    let p = this.parsers.get(type);
    if (!p) {
      p = createLineParser({ type, timeZone: this.opts.timeZone, now: this.opts.now });
      this.parsers.set(type, p);
    }
    return p;
  }

  /** Run one raw line through parsing and detection; returns the event it became (or null). */
  process(line: string, type: LogType = 'auto'): ThreatEvent | null {
    const e = this.parse(line, type);
    if (e) this.handle(e, 'all');
    return e;
  }

  /**
   * Parse one raw line (counted); a collector publishes what this returns. Lines no parser understood still reach
   * raw-line scenarios (imported fail2ban filters) in this process.
   */
  parse(line: string, type: LogType = 'auto'): ThreatEvent | null {
    this.counts.lines++;
    const r = this.parserFor(type)(line);
    if (!r.ok) {
      if (r.reason === 'ignored') this.counts.ignored++;
      else this.counts.unparsable++;
      if (this.detector?.wantsLines) this.detector.pushLine(line, this.counts.lastEventAt || this.opts.now());
      return null;
    }
    return r.event;
  }

  /**
   * Detection for one parsed event. `lane` is where it came from: `all` in one process; with scale-out, `ip` (this
   * worker owns the source's partition: intel, IP-keyed scenarios, multi-target, login after brute force) or `user`
   * (this worker owns the target user's partition: user-keyed scenarios such as password spraying).
   */
  handle(e: ThreatEvent, lane: 'all' | 'ip' | 'user' = 'all'): void {
    if (lane !== 'user') {
      this.counts.events++;
      if (this.detector?.wantsLines) this.detector.pushLine(e.line, e.time, e.host);
    }
    if (e.time > this.counts.lastEventAt) this.counts.lastEventAt = e.time;
    const hit = this.opts.index().lookup(e.ip);
    if (hit) {
      let listed: string[] | undefined;
      for (const s of hit.sources) {
        if (s.kind === 'allow') {
          if (lane !== 'user') this.counts.allowlisted++;
          return;
        }
        (listed ??= []).push(s.name);
      }
      if (listed) {
        e.listedBy = listed;
        if (lane !== 'user') {
          this.counts.listedHits++;
          for (const f of listed) this.counts.listedHitsByFeed[f] = (this.counts.listedHitsByFeed[f] ?? 0) + 1;
        }
      }
    }
    if (lane === 'user') {
      this.userDetector?.push(e);
      return;
    }
    if (this.isCustomer(e)) {
      e.environment = 'customer';
      if (isHostile(e)) this.trackTargets(e);
    }
    if (e.kind === 'auth_success') this.checkSuccessAfterBruteForce(e);
    this.detector?.push(e);
  }

  /**
   * The detector's blackhole callback: an event for a key that already overflowed joins that alert (its count, and its
   * source address: a password spray keeps naming the addresses that join it after the alert).
   */
  onBlackholed = (scenario: string, key: string, e: ThreatEvent): void => {
    this.opts.writer.extend?.(scenario, key, e.ip, e.time);
  };

  /** The detector's overflow callback: remember brute forcers, then hand the overflow to the writer. */
  onOverflow = (o: Overflow): void => {
    if (o.labels.mitre?.startsWith('T1110'))
      for (const ip of o.ips.slice(0, 50)) {
        if (this.bruteForcers.size >= MAX_BRUTE_FORCE_IPS) {
          const first = this.bruteForcers.keys().next();
          if (!first.done) this.bruteForcers.delete(first.value);
        }
        this.bruteForcers.delete(ip);
        this.bruteForcers.set(ip, o.lastAt);
      }
    const listed = o.ips[0] ? this.opts.index().lookup(o.ips[0]) : null;
    const listedBy = listed ? listed.sources.filter((s) => s.kind === 'feed').map((s) => s.name) : [];
    const a: PendingAlert = { overflow: o, listedBy };
    if (o.labels.tier === 'page') {
      a.tier = 'page';
      a.summary = `${o.labels.summary ?? o.scenario} from ${o.scope?.value ?? o.key}`;
    }
    this.opts.writer.add(a);
  };

  private isCustomer(e: ThreatEvent): boolean {
    if (e.host !== undefined && this.opts.customerHosts.has(e.host)) return true;
    const nets = this.opts.customerNetworks();
    if (!nets) return false;
    if (e.dst !== undefined && nets.lookup(e.dst)) return true;
    return e.host !== undefined && nets.lookup(e.host) !== null;
  }

  /** One IP attacking many customer environments within an hour (log time) pages, whatever each scenario says. */
  private trackTargets(e: ThreatEvent): void {
    const target = e.host ?? e.dst;
    if (target === undefined) return;
    let t = this.targets.get(e.ip);
    if (t && e.time - t.first > MULTI_TARGET_WINDOW_MS) {
      this.targets.delete(e.ip);
      t = undefined;
    }
    if (!t) {
      if (this.targets.size >= MAX_MULTI_TARGET_IPS) {
        const first = this.targets.keys().next();
        if (!first.done) this.targets.delete(first.value);
      }
      t = { first: e.time, last: e.time, hosts: [], samples: [], paged: false };
      this.targets.set(e.ip, t);
    }
    t.last = Math.max(t.last, e.time);
    if (t.paged || t.hosts.includes(target)) return;
    t.hosts.push(target);
    t.samples.push(e.line.slice(0, 2000));
    const threshold = this.opts.multiTargetThreshold ?? 3;
    if (t.hosts.length < threshold) return;
    t.paged = true;
    this.counts.multiTarget++;
    this.opts.writer.add({
      listedBy: e.listedBy ?? [],
      tier: 'page',
      summary: `${e.ip} is attacking ${t.hosts.length} customer environments (${t.hosts.slice(0, 5).join(', ')})`,
      overflow: {
        scenario: 'multi-target',
        key: e.ip,
        scope: { kind: 'ip', value: e.ip },
        ips: [e.ip],
        count: t.hosts.length,
        firstAt: t.first,
        lastAt: t.last,
        severity: 'critical',
        labels: { service: e.service, mitre: 'T1595', targets: t.hosts.join(',').slice(0, 500) },
        remediation: { durationSeconds: 24 * 3600, scope: 'ip', escalate: [] },
        simulated: false,
        samples: t.samples.slice(0, 10),
      },
    });
  }

  private checkSuccessAfterBruteForce(e: ThreatEvent): void {
    const at = this.bruteForcers.get(e.ip);
    if (at === undefined || e.time - at > BRUTE_FORCE_MEMORY_MS) return;
    this.bruteForcers.delete(e.ip);
    this.counts.successAfterBruteForce++;
    this.opts.writer.add({
      listedBy: e.listedBy ?? [],
      tier: 'page',
      summary: `Successful ${e.service} login${e.user ? ` as ${e.user}` : ''}${e.host ? ` on ${e.host}` : ''} from ${e.ip} after a brute force`,
      overflow: {
        scenario: 'success-after-bruteforce',
        key: e.ip,
        scope: { kind: 'ip', value: e.ip },
        ips: [e.ip],
        count: 1,
        firstAt: at,
        lastAt: e.time,
        severity: 'critical',
        labels: { service: e.service, mitre: 'T1078', ...(e.host ? { host: e.host } : {}), ...(e.user ? { user: e.user } : {}) },
        simulated: false,
        samples: [e.line.slice(0, 2000)],
      },
    });
  }
}
