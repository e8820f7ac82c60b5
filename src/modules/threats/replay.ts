import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertTier, PendingAlert } from './alerts.writer.ts';
import { banTargetOf, canonicalTarget, cidrsOverlap } from './cidr.ts';
import { createDetector } from './detect/detector.ts';
import { builtinScenarios, loadScenarios } from './detect/scenarios.loader.ts';
import type { LogType, Overflow } from './events.ts';
import { detectFeedFormat, parseFeed } from './intel/feed-formats.ts';
import { buildIpIndex, type IndexSource } from './intel/ip-index.ts';
import { ThreatPipeline, type PipelineStats } from './pipeline.ts';

export interface ReplayOptions {
  timeZone?: string | undefined;
  /** "Now" for RFC 3164 years; default: the real clock. */
  now?: (() => number) | undefined;
  /** A directory of feed files (any supported format, detected per file) to look sources up in. */
  feedsDir?: string | undefined;
  /** Extra scenario YAML files. */
  scenarioFiles?: readonly string[] | undefined;
  /** Networks never banned. */
  allowlist?: readonly string[] | undefined;
  customerNetworks?: readonly string[] | undefined;
  customerHosts?: readonly string[] | undefined;
  /** Ban durations by offence (seconds). */
  banDurations?: readonly number[] | undefined;
  maxBuckets?: number | undefined;
}

export interface ReplayAlert {
  scenario: string;
  key: string;
  ips: string[];
  count: number;
  /** Further overflows counted into this alert while its decision was active. */
  overflows: number;
  firstAt: string;
  lastAt: string;
  severity: string;
  tier: AlertTier;
  listedBy: readonly string[];
  labels: Record<string, string>;
  samples: string[];
  decision?: string | undefined;
}

export interface ReplayDecision {
  value: string;
  scope: 'ip' | 'range';
  scenario: string;
  /** Start and end in log time. */
  from: string;
  until: string;
  offence: number;
  simulated: boolean;
}

export interface ReplayResult {
  alerts: ReplayAlert[];
  decisions: ReplayDecision[];
  /** Bans the allowlist refused. */
  refused: { value: string; scenario: string; allowedBy: string }[];
  stats: PipelineStats & {
    suppressed: number;
    scenarioErrors: string[];
    feeds: { file: string; entries: number; problems: number }[];
  };
}

/**
 * The same pipeline as the live engine, offline: lines in, alerts and decisions out, in log time, with no database
 * (`skjold threats replay`, the benchmarks, rule testing on old logs). Decisions follow the live rules: the allowlist
 * wins, a target with an active decision folds further overflows into its alert, repeat offenders get longer bans.
 */
export function createReplay(opts: ReplayOptions = {}): {
  process(line: string, type?: LogType): void;
  finish(): Promise<ReplayResult>;
} {
  const now = opts.now ?? (() => Date.now());
  const sources: IndexSource[] = [];
  const feedInfo: ReplayResult['stats']['feeds'] = [];
  if (opts.feedsDir) {
    let id = 1;
    for (const f of readdirSync(opts.feedsDir).sort()) {
      const text = readFileSync(join(opts.feedsDir, f), 'utf8');
      const format = detectFeedFormat(text, f);
      if (!format) {
        feedInfo.push({ file: f, entries: 0, problems: 1 });
        continue;
      }
      const r = parseFeed(format, text);
      feedInfo.push({ file: f, entries: r.cidrs.length, problems: r.badCount });
      sources.push({
        id: id++,
        name: f.replace(/\.[^.]+$/, ''),
        kind: 'feed',
        cidrs: r.cidrs,
        since: r.since.map((s) => s ?? NaN),
      });
    }
  }
  const allowlist = opts.allowlist ?? [];
  if (allowlist.length) sources.push({ id: 10_000, name: 'allowlist', kind: 'allow', cidrs: allowlist });
  const index = buildIpIndex(sources);
  const customers = opts.customerNetworks?.length
    ? buildIpIndex([{ id: 1, name: 'customer', kind: 'feed', cidrs: opts.customerNetworks }])
    : null;
  const durations = opts.banDurations ?? [4 * 3600, 24 * 3600, 7 * 86_400];

  const alerts: ReplayAlert[] = [];
  const decisions: ReplayDecision[] = [];
  const refused: ReplayResult['refused'] = [];
  const active = new Map<string, { alert: ReplayAlert; until: number }>();
  const offences = new Map<string, number>();
  let suppressed = 0;

  const add = (a: PendingAlert): void => {
    const o: Overflow = a.overflow;
    const target = o.scope ? canonicalTarget(banTargetOf(o.scope)) : null;
    const key = target ? `${o.simulated ? 'sim:' : ''}${target.value}` : undefined;
    const held = key ? active.get(key) : undefined;
    if (held && held.until > o.lastAt && a.tier !== 'page') {
      held.alert.overflows++;
      held.alert.count += o.count;
      held.alert.lastAt = new Date(Math.max(Date.parse(held.alert.lastAt), o.lastAt)).toISOString();
      suppressed++;
      return;
    }
    const tier: AlertTier = a.tier ?? (a.listedBy.length > 0 ? 'page' : o.remediation ? 'decision' : 'enrich');
    const alert: ReplayAlert = {
      scenario: o.scenario,
      key: o.key,
      ips: o.ips.slice(0, 1000),
      count: o.count,
      overflows: 1,
      firstAt: new Date(o.firstAt).toISOString(),
      lastAt: new Date(o.lastAt).toISOString(),
      severity: o.severity,
      tier,
      listedBy: a.listedBy,
      labels: o.labels,
      samples: o.samples.slice(0, 10),
    };
    alerts.push(alert);
    byKey.set(`${o.scenario}\u0000${o.key}`, alert);
    if (!o.remediation || !target || !key) return;
    const allowedBy = allowlist.find((c) => cidrsOverlap(c, target.value));
    if (allowedBy) {
      refused.push({ value: target.value, scenario: o.scenario, allowedBy });
      return;
    }
    const offence = (offences.get(target.value) ?? 0) + 1;
    offences.set(target.value, offence);
    const seconds = o.remediation.escalate.length
      ? (o.remediation.escalate[Math.min(offence, o.remediation.escalate.length) - 1] as number)
      : (durations[Math.min(offence, durations.length) - 1] ?? o.remediation.durationSeconds);
    const until = o.lastAt + seconds * 1000;
    decisions.push({
      value: target.value,
      scope: target.scope,
      scenario: o.scenario,
      from: new Date(o.lastAt).toISOString(),
      until: new Date(until).toISOString(),
      offence,
      simulated: o.simulated,
    });
    alert.decision = target.value;
    active.set(key, { alert, until });
  };

  const byKey = new Map<string, ReplayAlert>();
  const extend = (scenario: string, key: string, ip: string, time: number): void => {
    const a = byKey.get(`${scenario}\u0000${key}`);
    if (!a) return;
    a.count++;
    if (a.ips.length < 1000 && !a.ips.includes(ip)) a.ips.push(ip);
    if (time > Date.parse(a.lastAt)) a.lastAt = new Date(time).toISOString();
  };
  const pipeline = new ThreatPipeline({
    timeZone: opts.timeZone ?? 'Europe/Copenhagen',
    now,
    index: () => index,
    customerNetworks: () => customers,
    customerHosts: new Set(opts.customerHosts ?? []),
    writer: { add, extend },
  });
  const extra = (opts.scenarioFiles ?? []).map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
  const loaded = extra.length ? loadScenarios(extra) : { scenarios: [], errors: [] };
  const detector = createDetector({
    scenarios: [...builtinScenarios(), ...loaded.scenarios],
    maxBuckets: opts.maxBuckets ?? 1_000_000,
    onOverflow: pipeline.onOverflow,
    onBlackholed: pipeline.onBlackholed,
  });
  pipeline.attach(detector);
  return {
    process(line, type = 'auto') {
      pipeline.process(line, type);
    },
    finish() {
      return Promise.resolve({
        alerts,
        decisions,
        refused,
        stats: {
          ...pipeline.counts,
          suppressed,
          scenarioErrors: loaded.errors.map((e) => `${e.file}: ${e.path} ${e.message}`),
          feeds: feedInfo,
        },
      });
    },
  };
}
