import type { AuditSink } from '../../core/audit.ts';
import type { Actor, Permission } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import { AdvisoryStore } from './advisories.store.ts';
import { assetsRoutes } from './api/assets.routes.ts';
import { vulnsFeedsRoutes } from './api/feeds.routes.ts';
import { findingsRoutes } from './api/findings.routes.ts';
import { UPLOAD_ROUTES, inventoryRoutes } from './api/inventory.routes.ts';
import { AssetsService } from './assets.service.ts';
import { FeedDownloader } from './feed-download.ts';
import { VulnsFeedsService } from './feeds.service.ts';
import { FindingsService } from './findings.service.ts';
import { InventoryService } from './inventory.service.ts';
import { m0001Vulns } from './migrations/0001-vulns.ts';
import { m0002KevSignalIndex } from './migrations/0002-kev-signal-index.ts';
import { m0003FleetBaseline } from './migrations/0003-fleet-baseline.ts';
import { m0004SweepIndexes } from './migrations/0004-sweep-indexes.ts';
import { m0005OpenSignals } from './migrations/0005-open-signals.ts';
import { m0006FeedDatasets } from './migrations/0006-feed-datasets.ts';
import { m0007SlaNearAt } from './migrations/0007-sla-near-at.ts';
import { loadInventory } from './snapshots.ts';
import type { VulnsConfig } from './vulns.config.ts';
import { vulnsPermissions } from './vulns.permissions.ts';
import './vulns.tables.ts';
import { registerVulnsMetrics } from './vulns.metrics.ts';
import type { Registry } from 'prom-client';

export { vulnsConfig, type VulnsConfig } from './vulns.config.ts';
export { vulnsPermissions } from './vulns.permissions.ts';
export type { AssetView } from './assets.service.ts';
export type { FeedView, FeedRefreshResult } from './feeds.service.ts';
export type { UploadResult } from './inventory.service.ts';
export type { SnapshotView } from './snapshots.ts';
export { FeedDownloader, type FeedDownloaderOptions } from './feed-download.ts';

export interface VulnsDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: VulnsConfig;
  audit: AuditSink;
  signals: SignalSink;
  dataDir: string;
  /** Run the feed schedule and SLA sweeps in this process (the `engine` role). */
  runEngine: boolean;
  /** The access policy's check (accepting a risk needs vulns.accept beside vulns.triage). */
  allows: (actor: Actor, p: Permission) => boolean;
  /** Feed downloads (tests pass one trusting their own CA). */
  downloader?: FeedDownloader | undefined;
}

export interface VulnsModule extends SkjoldModule {
  assets: AssetsService;
  inventory: InventoryService;
  feeds: VulnsFeedsService;
  advisories: AdvisoryStore;
  findings: FindingsService;
  /** One run of the feed schedule: due feeds refreshed, stale feeds and silent hosts signalled. */
  checkFeeds(): Promise<void>;
  /** One SLA sweep (near-breach and breach signals, expired risk acceptances, KEV signals). */
  sweep(): Promise<void>;
  /** Wait for background work in progress (feed imports, re-evaluations). */
  idle(): Promise<void>;
  /** Findings needing action, feed ages and silent hosts on /metrics. */
  registerMetrics(registry: Registry): void;
}

export const vulnsMigrations = {
  '0001-vulns': m0001Vulns,
  '0002-kev-signal-index': m0002KevSignalIndex,
  '0003-fleet-baseline': m0003FleetBaseline,
  '0004-sweep-indexes': m0004SweepIndexes,
  '0005-open-signals': m0005OpenSignals,
  '0006-feed-datasets': m0006FeedDatasets,
  '0007-sla-near-at': m0007SlaNearAt,
};

/**
 * Vulnerability management (issue 5; P12, P13, P14): the asset inventory with host and SBOM uploads, advisory feeds
 * imported on a schedule, distro-correct matching into findings with triage, priority and SLA, and signals for
 * stale feeds, silent hosts, SLA breaches and new KEV entries on exposed hosts.
 */
export function createVulnsModule(deps: VulnsDeps): VulnsModule {
  const { database, clock, log, config } = deps;
  const advisories = new AdvisoryStore({ log });
  const findings = new FindingsService({
    database,
    clock,
    log,
    audit: deps.audit,
    signals: deps.signals,
    config,
    advisories,
    loadInventory,
  });
  const assets = new AssetsService({
    clock,
    signals: deps.signals,
    reprioritise: (db: Db, assetId: string) => findings.reconcileAsset(db, assetId),
  });
  const inventory = new InventoryService({
    clock,
    assets,
    defaultExposure: config.defaultExposure,
    snapshotsKept: config.snapshotsKept,
    reconcile: (db: Db, assetId: string) => findings.reconcileAsset(db, assetId),
  });

  // Background work runs one piece at a time on this chain; stop() waits for it.
  let work: Promise<unknown> = Promise.resolve();
  const enqueue = (what: string, job: () => Promise<unknown>): Promise<void> => {
    const next = work.then(job).catch((err: unknown) => log.error({ err }, `vulns: ${what} failed`));
    work = next;
    return next.then(() => undefined);
  };
  const reevaluate = () => {
    advisories.invalidate();
    return findings.reevaluateAll();
  };
  const feeds = new VulnsFeedsService({
    database,
    clock,
    log,
    signals: deps.signals,
    downloader: deps.downloader ?? new FeedDownloader(),
    dataDir: deps.dataDir,
    feedStaleHours: config.feedStaleHours,
    // Every feed change re-evaluates every asset (issue 5 item 12), after the import committed, in the background
    // (a fleet takes up to a minute; a refresh request does not wait for it).
    onChange: () => {
      advisories.invalidate();
      void enqueue('re-evaluation after a feed change', reevaluate);
      void enqueue('deleting replaced feed data', purge);
      return Promise.resolve();
    },
    beforePurge: () => advisories.settled(),
  });
  // Replaced and removed feed data goes after the re-evaluation that stopped reading it.
  const purge = () => feeds.purgeDatasets();

  const checkFeeds = async () => {
    await feeds.refreshDue();
    await feeds.checkStale();
    await assets.sweepSilent(database.db);
  };
  const sweep = async () => {
    await findings.sweep(database.db);
  };

  let feedTimer: NodeJS.Timeout | undefined;
  let slaTimer: NodeJS.Timeout | undefined;
  return {
    name: 'vulns',
    migrations: vulnsMigrations,
    permissions: vulnsPermissions,
    assets,
    inventory,
    feeds,
    advisories,
    findings,
    largeBodies: { urls: UPLOAD_ROUTES, maxBytes: config.maxUploadBytes },
    checkFeeds: () => enqueue('feed check', checkFeeds),
    sweep: () => enqueue('SLA sweep', sweep),
    async idle() {
      await feeds.idle();
      await work;
    },
    registerMetrics: (registry) => registerVulnsMetrics(registry, database, clock),
    routes: () => [
      ...assetsRoutes({ assets }),
      ...findingsRoutes({ findings, allows: deps.allows }),
      ...inventoryRoutes({ inventory, maxUploadBytes: config.maxUploadBytes }),
      ...vulnsFeedsRoutes({
        feeds,
        // After the removal committed: its copy goes, and every asset is re-evaluated without its data.
        afterRemove: (f) => {
          void feeds.forgetCopy(f);
          void enqueue('re-evaluation after a feed removal', reevaluate);
          void enqueue('deleting removed feed data', purge);
        },
      }),
    ],
    start() {
      if (!deps.runEngine) return Promise.resolve();
      feedTimer = setInterval(() => void enqueue('feed check', checkFeeds), config.feedCheckSeconds * 1000);
      feedTimer.unref();
      slaTimer = setInterval(() => void enqueue('SLA sweep', sweep), config.slaCheckSeconds * 1000);
      slaTimer.unref();
      // A re-evaluation cut short by a stop (the feeds moved on, the fleet did not) is caught up before anything else.
      void enqueue('catch-up re-evaluation', async () => {
        if (await findings.behindFeeds()) await reevaluate();
      });
      // Feed data left by an import a stop cut short, or replaced but not yet deleted.
      void enqueue('deleting old feed data', purge);
      void enqueue('feed check', checkFeeds);
      return Promise.resolve();
    },
    async stop() {
      if (feedTimer) clearInterval(feedTimer);
      if (slaTimer) clearInterval(slaTimer);
      await feeds.idle();
      await work;
    },
  };
}
