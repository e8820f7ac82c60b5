import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditSink } from '../../core/audit.ts';
import type { Actor, Permission } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import { AlertsService } from './alerts.service.ts';
import { AlertWriter } from './alerts.writer.ts';
import { AllowlistService } from './allowlist.service.ts';
import { threatsRoutes } from './api/threats.routes.ts';
import { blocklistRoutes } from './api/blocklist.routes.ts';
import { bouncerAdminRoutes, bouncerApiRoutes } from './api/bouncer.routes.ts';
import { BouncersService } from './bouncers.service.ts';
import { feedsRoutes } from './api/feeds.routes.ts';
import { DecisionsService } from './decisions.service.ts';
import { FeedsService } from './feeds.service.ts';
import { GeoLookup } from './geo.ts';
import type { TransportCounters } from './ingest/ingest-stats.ts';
import { FeedFetcher } from './intel/feed-fetcher.ts';
import type { IndexSource } from './intel/ip-index.ts';
import { m0001Threats } from './migrations/0001-threats.ts';
import type { ThreatsConfig } from './threats.config.ts';
import { ThreatsEngine } from './threats.engine.ts';
import { threatsPermissions } from './threats.permissions.ts';
import './threats.tables.ts';

export { threatsConfig, type ThreatsConfig } from './threats.config.ts';
export { threatsPermissions } from './threats.permissions.ts';
export { createReplay, type ReplayOptions, type ReplayResult } from './replay.ts';
export type { Decision, ThreatEvent, Overflow, LogType, ThreatService } from './events.ts';
export { importFail2banFilter, type Fail2banImport } from './detect/fail2ban.import.ts';
export { LOG_TYPES } from './events.ts';
/** The line parsers (the access module reads sshd logins from auth logs with them). */
export { createLineParser, type LineParser } from './parse/index.ts';
export { DecisionsService, type DecisionView } from './decisions.service.ts';
export { AlertsService, type AlertView } from './alerts.service.ts';

export interface ThreatsDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: ThreatsConfig;
  audit: AuditSink;
  signals: SignalSink;
  dataDir: string;
  timeZone: string;
  /** Run detection and feed updates in this process (the `engine` role); without NATS it also receives the logs. */
  runEngine: boolean;
  /** The `collector` role: receive and parse logs and publish them to NATS (needs `natsServers`). */
  runCollector?: boolean | undefined;
  /** The server's certificate, for syslog over TLS. */
  tls?: { cert: string; key: string } | undefined;
  /** The access policy's check, for the blocklist (bouncer keys or user tokens). */
  allows: (actor: Actor, p: Permission) => boolean;
}

export interface ThreatsModule extends SkjoldModule {
  decisions: DecisionsService;
  alerts: AlertsService;
  allowlist: AllowlistService;
  feeds: FeedsService;
  /** CrowdSec-compatible bouncer keys. */
  bouncers: BouncersService;
  writer: AlertWriter;
  /** Present in the engine role. */
  engine: ThreatsEngine | undefined;
  /** Rebuild the IP index from the enabled feeds' last good copies and the allowlist (off the event loop). */
  rebuildIndex(): Promise<void>;
  /** Prometheus metrics of ingestion and detection. */
  registerMetrics(registry: Registry): void;
}

export const threatsMigrations = { '0001-threats': m0001Threats };

/**
 * Network inspection (P9, P10, P11): log lines from syslog, files and the HTTP bulk endpoint are parsed, looked up in
 * the threat-intel index, run through declarative scenarios, and turned into alerts, bans for firewalls and bouncers,
 * and — for behaviour plus a feed hit, multi-target attacks and a login after a brute force — signals that page.
 */
export function createThreatsModule(deps: ThreatsDeps): ThreatsModule {
  const { database, clock, log, config } = deps;
  const decisions = new DecisionsService({
    clock,
    audit: deps.audit,
    banDurations: config.banDurations,
    offenceMemoryDays: config.offenceMemoryDays,
    configAllowlist: config.allowlist,
  });
  const alerts = new AlertsService({ clock });
  const writer = new AlertWriter({ database, clock, log, decisions, signals: deps.signals, flushMs: config.flushMs });
  const nats = config.natsServers.length > 0;
  if (deps.runCollector && !nats) log.error('threats: the collector role needs SKJOLD_THREATS_NATS_SERVERS; it receives nothing');
  const ingest = nats ? deps.runCollector === true : deps.runEngine;
  const detect = deps.runEngine ? (nats ? 'nats' : 'local') : 'none';
  const engine =
    ingest || detect !== 'none'
      ? new ThreatsEngine({
          clock,
          log,
          config,
          dataDir: deps.dataDir,
          timeZone: deps.timeZone,
          writer,
          tls: deps.tls,
          ingest,
          detect,
        })
      : undefined;
  const detects = detect !== 'none';
  const geo = new GeoLookup();
  const bouncers = new BouncersService({ clock });
  let rebuildTimer: NodeJS.Timeout | undefined;
  const scheduleRebuild = () => {
    if (!engine) return;
    if (rebuildTimer) clearTimeout(rebuildTimer);
    // After the changing transaction has committed.
    rebuildTimer = setTimeout(
      () => void rebuildIndex().catch((err: unknown) => log.error({ err }, 'threats: index rebuild failed')),
      50,
    );
  };
  const allowlist = new AllowlistService({ clock, configAllowlist: config.allowlist, onChange: scheduleRebuild });
  const fetcher = new FeedFetcher({ dataDir: deps.dataDir, clock });
  const feeds = new FeedsService({ database, clock, log, fetcher, onChange: scheduleRebuild });

  async function rebuildIndex(): Promise<void> {
    if (!engine || !detects) return;
    const sources: IndexSource[] = await feeds.sources();
    const allow = [...config.allowlist, ...(await allowlist.cidrs(database.db))];
    if (allow.length) sources.push({ id: 100_000, name: 'allowlist', kind: 'allow', cidrs: allow });
    await engine.index.rebuild(sources);
  }

  let feedTimer: NodeJS.Timeout | undefined;
  let feedRun: Promise<unknown> = Promise.resolve();
  return {
    name: 'threats',
    migrations: threatsMigrations,
    permissions: threatsPermissions,
    decisions,
    alerts,
    allowlist,
    feeds,
    bouncers,
    writer,
    engine,
    rebuildIndex,
    routes: () => [
      ...threatsRoutes({
        alerts,
        decisions,
        allowlist,
        geo: (ip) => geo.lookup(ip).catch(() => null),
        stats: () => (engine ? engine.stats() : null),
        ingest: (body, format, type, peer) => (engine && ingest ? engine.ingestHttp(body, format, type, peer) : null),
        forget: (v) => writer.forget(v),
        listing: (ip) => {
          if (!engine || !detects) return null;
          const hit = engine.index.current.lookup(ip);
          return (hit?.sources ?? []).map((x) => ({
            name: x.name,
            kind: x.kind,
            since: x.since === undefined || Number.isNaN(x.since) ? null : new Date(x.since * 1000).toISOString(),
          }));
        },
      }),
      ...feedsRoutes({ feeds }),
      ...bouncerAdminRoutes({ bouncers }),
      ...bouncerApiRoutes({ bouncers, audit: deps.audit, log }),
      ...blocklistRoutes({ bouncers, allows: deps.allows }),
    ],
    async start() {
      if (!engine) return;
      if (!detects) return engine.start();
      await rebuildIndex().catch((err: unknown) =>
        log.error({ err }, 'threats: building the IP index failed; feeds are not in force'),
      );
      writer.start();
      await engine.start();
      const runFeeds = () => {
        feedRun = feedRun
          .then(() => feeds.refreshDue())
          .catch((err: unknown) => log.error({ err }, 'threats: feed refresh failed'));
      };
      feedTimer = setInterval(runFeeds, config.feedCheckSeconds * 1000);
      feedTimer.unref();
      runFeeds();
    },
    async stop() {
      if (feedTimer) clearInterval(feedTimer);
      if (rebuildTimer) clearTimeout(rebuildTimer);
      await engine?.stop();
      await writer.stop();
      await feedRun;
    },
    registerMetrics(registry) {
      if (!engine) return;
      /** A Prometheus counter fed from a cumulative reading at scrape time (label values joined by `|`). */
      const counter = (name: string, help: string, labelNames: string[], read: () => Record<string, number>) => {
        const last = new Map<string, number>();
        new Counter({
          name,
          help,
          labelNames,
          registers: [registry],
          collect() {
            for (const [k, v] of Object.entries(read())) {
              const d = v - (last.get(k) ?? 0);
              const values = k.split('|');
              if (d > 0) this.inc(Object.fromEntries(labelNames.map((l, i) => [l, values[i] ?? ''])), d);
              last.set(k, v);
            }
          },
        });
      };
      const perTransport = () => engine.transportCounters();
      const each = (f: (c: TransportCounters) => number) =>
        Object.fromEntries(Object.entries(perTransport()).map(([t, c]) => [t, f(c)]));
      counter('skjold_threats_lines_read_total', 'Log lines received, by transport', ['transport'], () =>
        each((c) => c.linesRead),
      );
      counter('skjold_threats_lines_truncated_total', 'Lines cut at the message size limit, by transport', ['transport'], () =>
        each((c) => c.truncated),
      );
      counter('skjold_threats_invalid_utf8_total', 'Invalid UTF-8 sequences replaced, by transport', ['transport'], () =>
        each((c) => c.invalidUtf8),
      );
      counter(
        'skjold_threats_dropped_total',
        'Lines dropped, by transport and reason (UDP while full, cut-off frames, hard limit)',
        ['transport', 'reason'],
        () => {
          const out: Record<string, number> = {};
          for (const [t, c] of Object.entries(perTransport()))
            for (const [reason, n] of Object.entries(c.dropped)) out[`${t}|${reason}`] = n;
          out['queue|hard_limit'] = engine.queue.stats().dropped;
          return out;
        },
      );
      counter('skjold_threats_parse_failures_total', 'Lines no parser understood', [], () => ({
        '': engine.pipeline.counts.unparsable,
      }));
      counter(
        'skjold_threats_alerts_suppressed_total',
        'Overflows counted into an existing alert (target already banned)',
        [],
        () => ({
          '': writer.stats().suppressed,
        }),
      );
      counter('skjold_threats_alerts_total', 'Alerts written', [], () => ({ '': writer.stats().alerts }));
      counter('skjold_threats_decisions_total', 'Bans made by scenarios', [], () => ({ '': writer.stats().decisions }));
      counter('skjold_threats_feed_hits_total', 'Events whose source a threat-intel feed lists, by feed', ['feed'], () => ({
        ...engine.pipeline.counts.listedHitsByFeed,
      }));
      new Gauge({
        name: 'skjold_threats_ingest_lag_seconds',
        help: 'Age of the oldest line waiting for the detector',
        registers: [registry],
        collect() {
          const o = engine.queue.oldestReceivedAt();
          this.set(o === undefined ? 0 : Math.max(0, (clock.now().getTime() - o) / 1000));
        },
      });
      new Gauge({
        name: 'skjold_threats_live_buckets',
        help: 'Scenario buckets alive now',
        registers: [registry],
        collect() {
          this.set(engine.detector.stats().liveBuckets);
        },
      });
      new Gauge({
        name: 'skjold_threats_queue_lines',
        help: 'Lines waiting for the detector',
        registers: [registry],
        collect() {
          this.set(engine.queue.depth);
        },
      });
    },
  };
}
