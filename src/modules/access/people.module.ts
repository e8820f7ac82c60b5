import type { Actor, Permission } from '../../core/auth.ts';
import type { AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { AnyRoute } from '../../core/http/routes.ts';
import type { AccessConfig } from './access.config.ts';
import { peopleRoutes } from './api/people.routes.ts';
import { type AccessEndedHook, GrantsService } from './grants.service.ts';
import { PeopleService } from './people.service.ts';
import { PrivilegedService } from './privileged.service.ts';
import { SystemsService } from './systems.service.ts';

/** People, systems, the privileged list and grants (issue 6 items 1–2) as the access module holds them. */
export interface PeoplePart {
  people: PeopleService;
  systems: SystemsService;
  privileged: PrivilegedService;
  grants: GrantsService;
  routes(): AnyRoute[];
  /** Grants past their end expire (actor `system:access`, audited). */
  sweep(): Promise<{ expired: number }>;
}

export function createPeoplePart(deps: {
  database: Database;
  clock: Clock;
  config: AccessConfig;
  audit: AuditSink;
  allows: (actor: Actor, p: Permission) => boolean;
  /** Removal tasks for the accounts of someone whose access ended outside a review (the accounts part). */
  accessEnded?: AccessEndedHook | undefined;
}): PeoplePart {
  const { clock } = deps;
  const grants = new GrantsService({
    clock,
    config: deps.config,
    database: deps.database,
    audit: deps.audit,
    accessEnded: deps.accessEnded,
  });
  const privileged = new PrivilegedService({ clock, grants });
  const people = new PeopleService({
    clock,
    grants,
    unlist: (db, personId, reason, actor, audit) => privileged.remove(db, personId, reason, actor, audit),
    isListed: (db, personId) => privileged.isListed(db, personId),
    accessEnded: deps.accessEnded,
  });
  const systems = new SystemsService({ clock });
  return {
    people,
    systems,
    privileged,
    grants,
    routes: () => peopleRoutes({ people, systems, privileged, grants, allows: deps.allows }),
    sweep: () => grants.sweep(),
  };
}
