import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import { oncallRoutes } from './api/oncall.routes.ts';
import { CoverageGapsJob } from './jobs/coverage-gaps.job.ts';
import { m0001Oncall } from './migrations/0001-oncall.ts';
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
  /** Run the hourly coverage-gap job in this process (the `engine` role). */
  runEngine: boolean;
}

export interface OncallModule extends SkjoldModule {
  /** Domain operations for tests, the CLI and other modules (escalation will ask `now`). */
  service: OncallService;
  /** The coverage-gap job (`perform()` for tests). */
  coverage: CoverageGapsJob;
}

/**
 * On-call: schedules of layered rotations with local-time hand-offs (correct across DST), overrides, who is on call
 * now, coverage gaps raised as signals, and secret-key iCalendar feeds per schedule and per user.
 */
export function createOncallModule(deps: OncallDeps): OncallModule {
  const { database, clock, config, log } = deps;
  const service = new OncallService({ clock, config, lookupUsers: deps.lookupUsers });
  const coverage = new CoverageGapsJob({ database, clock, service, signals: deps.signals });
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
    migrations: { '0001-oncall': m0001Oncall },
    permissions: oncallPermissions,
    service,
    coverage,
    routes: () => oncallRoutes({ service, signals: deps.signals, defaultTimeZone: deps.timeZone }),
    start() {
      if (!deps.runEngine) return Promise.resolve();
      run();
      timer = setInterval(run, config.gapCheckSeconds * 1000);
      timer.unref?.();
      return Promise.resolve();
    },
    async stop() {
      clearInterval(timer);
      await coverage.settled();
    },
  };
}
