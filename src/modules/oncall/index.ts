import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import { hkdfSync } from 'node:crypto';
import { loadSecretsKey, secretBoxFromKey } from '../../core/secrets.ts';
import type { IncidentEvents } from '../incidents/incidents.events.ts';
import { oncallRoutes } from './api/oncall.routes.ts';
import { type IncidentAcker, pagingRoutes } from './api/paging.routes.ts';
import { type IncidentTimeline, PagingEngine } from './paging.engine.ts';
import { PagingSetup } from './paging.policies.ts';
import { CoverageGapsJob } from './jobs/coverage-gaps.job.ts';
import { m0001Oncall } from './migrations/0001-oncall.ts';
import { m0002Paging } from './migrations/0002-paging.ts';
import type { OncallConfig } from './oncall.config.ts';
import { oncallPermissions } from './oncall.permissions.ts';
import { OncallService, type UserLookup } from './oncall.service.ts';

export { oncallConfig, type OncallConfig } from './oncall.config.ts';
export { oncallPermissions } from './oncall.permissions.ts';
export { resolveSchedule, whoIsOnCall, findGaps } from './oncall-schedule.ts';
export type { ScheduleLayer, ScheduleOverride, ScheduleRules, Shift, LayerRestriction, RotationKind } from './oncall-schedule.ts';
export type {
  Schedule,
  Override,
  ShiftView,
  OnCallNow,
  ScheduleGaps,
  IssuedKey,
  OncallUser,
  UserLookup,
} from './oncall.service.ts';
export { CoverageGapsJob, gapKey, type CoverageResult } from './jobs/coverage-gaps.job.ts';
// SMTP for other modules' e-mail (access review reminders): the bounded sender, its settings and its one error type.
export { smtpSender, isEmailAddress, type OutgoingMail, type SmtpSender } from './channels/email.channel.ts';
export { emailChannelSchema, type EmailChannelConfig, ChannelError } from './channels/channels.ts';
export { escapeHtml, oneLine } from './channels/page-text.ts';

export interface OncallDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: OncallConfig;
  /** Where coverage gaps are reported (the incidents module's sink). */
  signals: SignalSink;
  /** Find users by id (the identity module, wired in app.ts): schedules may only name existing users. */
  lookupUsers: UserLookup;
  /** Default zone of new schedules (core.timeZone). */
  timeZone: string;
  /** Run the hourly coverage-gap job and the paging engine in this process (the `engine` role). */
  runEngine: boolean;
  /** Data directory: the secrets key seals channel secrets and signs acknowledgement links. */
  dataDir: string;
  /** Incidents: pages asked for and incidents settled, delivered inside the changing transaction. */
  incidentEvents: IncidentEvents;
  /** Incidents: where notifications and escalation steps are written. */
  timeline: IncidentTimeline;
  /** Incidents: acknowledge through a page's link. */
  incidents: IncidentAcker;
  /** This server's own URL (https://host:port), when `publicUrl` is not configured. */
  selfUrl: string;
}

export interface OncallModule extends SkjoldModule {
  /** Domain operations for tests, the CLI and other modules (escalation will ask `now`). */
  service: OncallService;
  /** The coverage-gap job (`perform()` for tests). */
  coverage: CoverageGapsJob;
  /** Escalation policies, notification channels and contact details. */
  paging: PagingSetup;
  /** Escalations and the durable outbox (`runOnce()`/`idle()` for tests; runs by itself in the engine role). */
  pager: PagingEngine;
}

/**
 * On-call: schedules of layered rotations with local-time hand-offs (correct across DST), overrides, who is on call
 * now, coverage gaps raised as signals, and secret-key iCalendar feeds per schedule and per user.
 */
export function createOncallModule(deps: OncallDeps): OncallModule {
  const { database, clock, config, log } = deps;
  const service = new OncallService({ clock, config, lookupUsers: deps.lookupUsers });
  const coverage = new CoverageGapsJob({ database, clock, service, signals: deps.signals });
  const secretsKey = loadSecretsKey(deps.dataDir);
  const paging = new PagingSetup({
    clock,
    secrets: secretBoxFromKey(secretsKey),
    lookupUsers: (db, ids) => deps.lookupUsers(db, ids),
    findUsers: async (db, keys) => {
      const byName = await deps.lookupUsers(db, keys, 'username');
      const byId = await deps.lookupUsers(
        db,
        keys.filter((k) => !byName.has(k)),
      );
      return new Map([...byId, ...byName]);
    },
  });
  const pager = new PagingEngine({
    database,
    clock,
    log,
    setup: paging,
    schedules: service,
    timeline: deps.timeline,
    signals: deps.signals,
    lookupUsers: (db, ids) => deps.lookupUsers(db, ids),
    ackKey: Buffer.from(hkdfSync('sha256', secretsKey, Buffer.alloc(0), 'skjold oncall acknowledgement links', 32)),
    publicUrl: config.publicUrl ?? deps.selfUrl,
    ackLinkSeconds: config.ackLinkHours * 3600,
    pollMs: config.pagingPollMs,
    attemptsPerChannel: config.pagingAttemptsPerChannel,
    sendTimeoutMs: config.pagingSendTimeoutMs,
    // Longer than any send can take: a page still held when it runs out was lost with its process.
    leaseSeconds: Math.ceil(config.pagingSendTimeoutMs / 1000) * 2 + 2,
    concurrency: config.pagingConcurrency,
  });
  deps.incidentEvents.onPage((db, p) => pager.onPage(db, p));
  deps.incidentEvents.onSettled((db, e) => pager.onSettled(db, e));
  let timer: NodeJS.Timeout | undefined;
  const run = () =>
    void coverage
      .perform()
      .then((results) => {
        for (const r of results)
          if (r.status === 'failed') log.error({ scheduleId: r.scheduleId, reason: r.reason }, 'oncall: coverage check failed');
      })
      .catch((e: unknown) => log.error({ err: e }, 'oncall: coverage check failed'));
  return {
    name: 'oncall',
    migrations: { '0001-oncall': m0001Oncall, '0002-paging': m0002Paging },
    permissions: oncallPermissions,
    service,
    coverage,
    paging,
    pager,
    routes: () => [
      ...oncallRoutes({ service, signals: deps.signals, defaultTimeZone: deps.timeZone }),
      ...pagingRoutes({ setup: paging, engine: pager, incidents: deps.incidents }),
    ],
    start() {
      if (!deps.runEngine) return Promise.resolve();
      run();
      timer = setInterval(run, config.gapCheckSeconds * 1000);
      timer.unref?.();
      pager.start();
      return Promise.resolve();
    },
    async stop() {
      clearInterval(timer);
      await pager.stop();
      await coverage.settled();
    },
  };
}
