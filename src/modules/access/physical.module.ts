import type { AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { AnyRoute } from '../../core/http/routes.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { AccessConfig } from './access.config.ts';
import { BADGE_IMPORT_ROUTES, badgesRoutes } from './api/badges.routes.ts';
import { sitesRoutes } from './api/sites.routes.ts';
import { BadgeEventsService } from './badge-events.service.ts';
import { BadgesService } from './badges.service.ts';
import { residencyCountries } from './residency.ts';
import { SiteGrantsService } from './site-grants.service.ts';
import { SitesService } from './sites.service.ts';
import './physical.tables.ts';

export interface PhysicalPartDeps {
  database: Database;
  clock: Clock;
  audit: AuditSink;
  signals: SignalSink;
  config: AccessConfig;
}

export interface PhysicalPart {
  sites: SitesService;
  badges: BadgesService;
  siteGrants: SiteGrantsService;
  badgeEvents: BadgeEventsService;
  /** Import URLs whose body may reach `maxImportBytes`. */
  importRoutes: readonly string[];
  routes(): AnyRoute[];
  /** Site grants past their expiry end. */
  sweep(): Promise<unknown>;
}

/** Physical access (issue 6 items 4–5; P1, P3, P4, P5): sites, doors, cameras, badges, site grants, badge events. */
export function createPhysicalPart(deps: PhysicalPartDeps): PhysicalPart {
  const { clock, config } = deps;
  const sites = new SitesService({
    clock,
    signals: deps.signals,
    residencyCountries: residencyCountries(config.residencyCountries),
  });
  const badges = new BadgesService({ clock });
  const siteGrants = new SiteGrantsService({ clock, audit: deps.audit, expiringSoonDays: config.expiringSoonDays });
  const badgeEvents = new BadgeEventsService({
    clock,
    audit: deps.audit,
    signals: deps.signals,
    denialThreshold: config.badgeDenialThreshold,
    denialWindowMinutes: config.badgeDenialWindowMinutes,
  });
  return {
    sites,
    badges,
    siteGrants,
    badgeEvents,
    importRoutes: BADGE_IMPORT_ROUTES,
    routes: () => [
      ...sitesRoutes({ sites }),
      ...badgesRoutes({ badges, siteGrants, badgeEvents, maxImportBytes: config.maxImportBytes }),
    ],
    sweep: () => siteGrants.expireDue(deps.database.db),
  };
}
