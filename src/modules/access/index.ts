import type { AuditSink } from '../../core/audit.ts';
import type { Actor, Permission } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { AccessConfig } from './access.config.ts';
import { accessPermissions } from './access.permissions.ts';
import './access.tables.ts';
import { m0001Access } from './migrations/0001-access.ts';

export { accessConfig, type AccessConfig } from './access.config.ts';
export { accessPermissions } from './access.permissions.ts';

export interface AccessDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: AccessConfig;
  audit: AuditSink;
  signals: SignalSink;
  /** Run the sweeps (expiry, reminders, escalation) in this process (the `engine` role). */
  runEngine: boolean;
  /** The access policy's check (e.g. whether an actor may approve). */
  allows: (actor: Actor, p: Permission) => boolean;
}

export interface AccessModule extends SkjoldModule {
  /** One sweep: grants past their end expire, reviews remind, escalate and flag overdue entries. */
  sweep(): Promise<void>;
}

export const accessMigrations = {
  '0001-access': m0001Access,
};

/**
 * Access by need, reviewed (issue 6; P1, P3–P7, P11): people and systems, logical grants with four eyes for
 * privileged levels and just-in-time access, imported accounts and access events compared with the grants, physical
 * sites with doors, cameras, badges and badge events, and review campaigns that freeze their scope, collect decisions
 * and lock as evidence.
 */
export function createAccessModule(deps: AccessDeps): AccessModule {
  const { config } = deps;

  // Sweeps run one at a time on this chain; stop() waits for the one in progress.
  let work: Promise<unknown> = Promise.resolve();
  const sweeps: { what: string; run: () => Promise<unknown> }[] = [];
  const sweep = (): Promise<void> => {
    const next = work.then(async () => {
      for (const s of sweeps) {
        try {
          await s.run();
        } catch (err) {
          deps.log.error({ err }, `access: ${s.what} failed`);
        }
      }
    });
    work = next;
    return next;
  };

  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'access',
    migrations: accessMigrations,
    permissions: accessPermissions,
    sweep,
    routes: () => [],
    start() {
      if (!deps.runEngine) return Promise.resolve();
      timer = setInterval(() => void sweep(), config.sweepSeconds * 1000);
      timer.unref();
      return Promise.resolve();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await work;
    },
  };
}
