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
import { createPeoplePart } from './people.module.ts';
import type { GrantsService } from './grants.service.ts';
import type { PeopleService } from './people.service.ts';
import type { PrivilegedService } from './privileged.service.ts';
import type { SystemsService } from './systems.service.ts';
import { ACCOUNT_IMPORT_ROUTES, type AccountsArea, createAccountsArea } from './accounts.module.ts';
import { m0003Accounts } from './migrations/0003-accounts.ts';
import { m0002Physical } from './migrations/0002-physical.ts';
import { createPhysicalPart } from './physical.module.ts';
import { m0004Reviews } from './migrations/0004-reviews.ts';
import { createReviewsPart, type ReviewsPart } from './reviews.module.ts';
import { m0005ReviewMail } from './migrations/0005-review-mail.ts';

export { accessConfig, type AccessConfig } from './access.config.ts';
export { accessPermissions } from './access.permissions.ts';
export { residencyViolation, residencyCountries, type ResidencySubject } from './residency.ts';

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
  /** Where `secrets.key` lives (LDAP bind passwords are sealed with it); without it LDAP sources cannot be used. */
  dataDir?: string | undefined;
  /** Zone for auth-log times without one (RFC 3164) and due dates in reminder e-mails; default Europe/Copenhagen. */
  timeZone?: string | undefined;
  /** Base URL people reach the console at (SKJOLD_ONCALL_PUBLIC_URL, else this server): links in reminder e-mails. */
  publicUrl?: string | undefined;
}

export interface AccessModule extends SkjoldModule {
  /** One sweep: grants past their end expire, reviews remind, escalate and flag overdue entries. */
  sweep(): Promise<void>;
  /** People (employees, contractors): `findByIdentifier`, `matcher`, `row`, `historyChecks` (see people.service.ts). */
  people: PeopleService;
  /** The systems register with owners, classifications and access levels. */
  systems: SystemsService;
  /** The privileged list (P6): `isListed`, `list`. */
  privileged: PrivilegedService;
  /** Logical grants: `activeFor`, `activeOnSystem`, `revoke`, `reduce`, `endForPerson` (see grants.service.ts). */
  grants: GrantsService;
  /** Physical access: sites, doors, cameras (P1, P5), badges, site grants and badge events (P3, P4). */
  physical: ReturnType<typeof createPhysicalPart>;
  /** Imported accounts, login events, LDAP sources and removal tasks (`accounts.service.openRemovalTask` for reviews). */
  accounts: AccountsArea;
  /** Review policies, campaigns, decisions and evidence (P7); `reviews.sweep()` runs the review part of the sweep alone. */
  reviews: ReviewsPart;
}

export const accessMigrations = {
  '0001-access': m0001Access,
  '0002-physical': m0002Physical,
  '0003-accounts': m0003Accounts,
  '0004-reviews': m0004Reviews,
  '0005-review-mail': m0005ReviewMail,
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

  // A grant revoked by hand or expired, or a leaver: their accounts still on the system get removal tasks (the
  // accounts area is created below; the hook only runs in requests and sweeps, after both exist).
  const peoplePart = createPeoplePart({
    ...deps,
    accessEnded: (db, e, audit) => accounts.service.openRemovalTasksForPerson(db, e, audit),
  });
  sweeps.push({ what: 'grant expiry', run: () => peoplePart.sweep() });
  const physical = createPhysicalPart(deps);
  sweeps.push({ what: 'site grant expiry', run: () => physical.sweep() });
  // Import URLs whose bodies may reach maxImportBytes (the app raises Fastify's body limit for them).
  const importRoutes: string[] = [...physical.importRoutes];
  const accounts = createAccountsArea(deps);
  sweeps.push(...accounts.sweeps);
  importRoutes.push(...ACCOUNT_IMPORT_ROUTES);
  const reviews = createReviewsPart({
    ...deps,
    grants: peoplePart.grants,
    siteGrants: physical.siteGrants,
    openRemovalTask: (trx, input, rec) => accounts.service.openRemovalTask(trx, input, rec),
  });
  sweeps.push({ what: 'access reviews', run: () => reviews.sweep() });

  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'access',
    migrations: accessMigrations,
    permissions: accessPermissions,
    sweep,
    people: peoplePart.people,
    systems: peoplePart.systems,
    privileged: peoplePart.privileged,
    grants: peoplePart.grants,
    physical,
    accounts,
    largeBodies: { urls: importRoutes, maxBytes: config.maxImportBytes },
    reviews,
    routes: () => [...peoplePart.routes(), ...physical.routes(), ...accounts.routes(), ...reviews.routes()],
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
