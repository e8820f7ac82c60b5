import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import { heartbeatRoutes, monitorsRoutes } from './api/monitors.routes.ts';
import { type CompletenessReporter, RollupJob } from './jobs/rollup.job.ts';
import type { MonitoringConfig } from './monitoring.config.ts';
import { MonitoringEngine } from './monitoring.engine.ts';
import { monitoringPermissions } from './monitoring.permissions.ts';
import { MonitoringService } from './monitoring.service.ts';
import { m0001Monitoring } from './migrations/0001-monitoring.ts';
import { m0002PublicComponent } from './migrations/0002-public-component.ts';
import { m0003Probes } from './migrations/0003-probes.ts';
import { statusRoutes } from './api/status.routes.ts';
import { probeApiRoutes, probesRoutes } from './api/probes.routes.ts';
import { ProbesService } from './probes/probes.service.ts';
import { ProbeSilenceJob } from './jobs/probe-silence.job.ts';
import { type OpenIncidentsReader, StatusPageService } from './status-page.service.ts';

export { monitoringConfig, type MonitoringConfig } from './monitoring.config.ts';
export { monitoringPermissions } from './monitoring.permissions.ts';
export type { Monitor, MonitorListItem } from './monitoring.model.ts';
export type { CreatedMonitor, UptimeWindow, CompletenessItem, ResultsPage } from './monitoring.service.ts';
export type { MonitorDefinition, MonitorInput } from './api/monitor.schemas.ts';
export { MonitoringService } from './monitoring.service.ts';
export { MonitoringEngine } from './monitoring.engine.ts';
export {
  StatusPageService,
  type OpenIncidentsReader,
  type StatusDocument,
  type StatusComponent,
  type StatusIncident,
} from './status-page.service.ts';
export { RollupJob, type RollupResult, type CompletenessReporter } from './jobs/rollup.job.ts';
export { ProbesService, type Probe, type ProbeWithToken, type Assignments, type ResultsAnswer } from './probes/probes.service.ts';
export { ProbeSilenceJob, type ProbeSilenceResult } from './jobs/probe-silence.job.ts';
export { PROBE_TOKEN_HEADER, PROBE_TOKEN_PREFIX } from './probes/probe-token.ts';
export { runProbeAgent, type ProbeAgentOptions, type ProbeAgentHandle } from './probe-agent/probe-agent.ts';
export { probeAgentConfig, type ProbeAgentConfig } from './probe-agent/probe-agent.config.ts';

export interface MonitoringDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: MonitoringConfig;
  /** Where deviations go (the incidents module's sink). */
  signals: SignalSink;
  /** Run the scheduler and the rollup job in this process (the `engine` role). */
  runEngine: boolean;
  /** Hand each monitor's daily checks expected vs executed to the incidents module's completeness record. */
  reportCompleteness?: CompletenessReporter | undefined;
  /** Open incidents on status-page components (the incidents module's `openOnComponents`); default: none. */
  openIncidents?: OpenIncidentsReader | undefined;
}

export interface MonitoringModule extends SkjoldModule {
  service: MonitoringService;
  /** The check engine (scheduler, runners, result writer); started only in the engine role. */
  engine: MonitoringEngine;
  rollup: RollupJob;
  /** The public status page's document (cached). */
  status: StatusPageService;
  /** Remote probes: registration, tokens, assignments and reported results. */
  probes: ProbesService;
  /** Raises a signal for each probe that stopped reporting (run every probeSilenceCheckSeconds in the engine role). */
  probeSilence: ProbeSilenceJob;
}

/** The monitoring module's migrations, in order (also for benchmarks that run the engine alone). */
export const monitoringMigrations = {
  '0001-monitoring': m0001Monitoring,
  '0002-public-component': m0002PublicComponent,
  '0003-probes': m0003Probes,
};

/**
 * Monitoring (P15): HTTP(S), TCP, DNS, TLS/STARTTLS, SMTP/IMAP/POP3 banner and heartbeat monitors; a min-heap
 * scheduler spreading checks over their interval; thresholds; every state change a signal (P16); compact storage with
 * hourly/daily rollups and retention; a daily completeness record for auditors. Remote probes (`skjold start --roles
 * probe`) run monitors from other locations with a k-of-n quorum; a probe that stops reporting is itself a deviation.
 */
export function createMonitoringModule(deps: MonitoringDeps): MonitoringModule {
  const service = new MonitoringService({ clock: deps.clock, signals: deps.signals, config: deps.config });
  const engine = new MonitoringEngine(deps);
  const rollup = new RollupJob(deps);
  const probes = new ProbesService({ clock: deps.clock, signals: deps.signals, config: deps.config });
  const probeSilence = new ProbeSilenceJob(deps);
  let silenceTimer: NodeJS.Timeout | undefined;
  let silencing: Promise<unknown> = Promise.resolve();
  const runSilence = () => {
    silencing = silencing
      .then(() => probeSilence.perform())
      .catch((e: unknown) => deps.log.error({ err: e }, 'monitoring: probe silence check failed'));
  };
  const status = new StatusPageService({
    clock: deps.clock,
    title: deps.config.statusTitle,
    openIncidents: deps.openIncidents ?? (() => Promise.resolve([])),
  });
  let rollupTimer: NodeJS.Timeout | undefined;
  let rolling: Promise<unknown> = Promise.resolve();
  let started = false;
  const runRollup = () => {
    rolling = rollup.perform().catch((e: unknown) => deps.log.error({ err: e }, 'monitoring: rollup failed'));
  };
  return {
    name: 'monitoring',
    migrations: monitoringMigrations,
    permissions: monitoringPermissions,
    service,
    engine,
    rollup,
    status,
    probes,
    probeSilence,
    routes: () => [
      // Lag figures only where the scheduler runs (the engine role); null elsewhere.
      ...monitorsRoutes({ service, scheduler: () => (deps.runEngine ? { ...engine.stats(), running: started } : null) }),
      ...heartbeatRoutes({ service }),
      ...statusRoutes({ status }),
      ...probesRoutes({ probes }),
      ...probeApiRoutes({ probes }),
    ],
    async start() {
      if (!deps.runEngine) return;
      service.onChange = (c) => engine.apply(c);
      await engine.start();
      started = true;
      runRollup();
      rollupTimer = setInterval(runRollup, deps.config.rollupSeconds * 1000);
      rollupTimer.unref?.();
      silenceTimer = setInterval(runSilence, probeSilence.intervalMs);
      silenceTimer.unref?.();
    },
    async stop() {
      clearInterval(rollupTimer);
      clearInterval(silenceTimer);
      service.onChange = undefined;
      started = false;
      await engine.stop();
      await rolling;
      await silencing;
    },
  };
}
