import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import type { SignalSink } from '../../core/signals.ts';
import { incidentsRoutes } from './api/incidents.routes.ts';
import { maintenanceRoutes } from './api/maintenance.routes.ts';
import type { IncidentsConfig } from './incidents.config.ts';
import { incidentsPermissions } from './incidents.permissions.ts';
import { IncidentsService, type NotificationRecord, type OpenComponentIncident } from './incidents.service.ts';
import { IncidentEvents } from './incidents.events.ts';
import { IncidentsSink } from './incidents.sink.ts';
import { MaintenanceService } from './maintenance.service.ts';
import { m0001Incidents } from './migrations/0001-incidents.ts';

export { incidentsConfig, type IncidentsConfig } from './incidents.config.ts';
export { incidentsPermissions } from './incidents.permissions.ts';
export type {
  Incident,
  IncidentDetail,
  NotificationRecord,
  PostmortemAction,
  CompletenessRow,
  OpenComponentIncident,
} from './incidents.service.ts';
export type { PageRequest, IncidentSettled } from './incidents.events.ts';
export { IncidentEvents } from './incidents.events.ts';
export type { TimelineEntry } from './incidents.timeline.ts';
export type { MaintenanceWindow } from './maintenance.service.ts';

export interface IncidentsDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: IncidentsConfig;
  /** Default time zone of weekly maintenance windows (core.timeZone). */
  timeZone: string;
}

/** Monitoring's half of the daily completeness record, reported per subject (monitor) and UTC day. */
export interface CheckCompleteness {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Reporting module, e.g. `monitoring`: matches the `source` of its signals. */
  source: string;
  /** What was checked, e.g. `monitor:<id>`. */
  subject: string;
  expected: number;
  executed: number;
}

export interface IncidentsModule extends SkjoldModule {
  /** Where every module reports deviations (P16). Pass it to modules that raise signals. */
  sink: SignalSink;
  /** Put a notification attempt (channel, recipient, receipt or error) on an incident's timeline, in the caller's transaction. */
  recordNotification(db: Db, n: NotificationRecord): Promise<number>;
  /** Put an escalation step on an incident's timeline, in the caller's transaction. */
  recordEscalation(
    db: Db,
    e: { incidentId: string; level: number; target: string; reason?: string | undefined },
  ): Promise<number>;
  /** Record checks expected vs executed for one subject and day (idempotent; the latest report wins). */
  recordCheckCompleteness(db: Db, c: CheckCompleteness): Promise<void>;
  /** Open incidents on these status-page components, without internal fields (for the public status page). */
  openOnComponents(db: Db, components: readonly string[]): Promise<OpenComponentIncident[]>;
  /** Domain operations for tests and the CLI. */
  service: IncidentsService;
  maintenance: MaintenanceService;
  /** Pages asked for and incidents settled, delivered inside the changing transaction (the on-call module pages). */
  events: IncidentEvents;
}

/**
 * Incident management: the SignalSink every deviation goes through (dedup, join, reopen, flapping, parent/child,
 * maintenance windows), the append-only timeline, postmortems, maintenance windows and the completeness record.
 */
export function createIncidentsModule(deps: IncidentsDeps): IncidentsModule {
  const { clock, config, database } = deps;
  const maintenance = new MaintenanceService(clock);
  const events = new IncidentEvents();
  const service = new IncidentsService(clock, events);
  const sink = new IncidentsSink({ clock, config, maintenance, dialect: database.dialect, events });
  return {
    name: 'incidents',
    migrations: { '0001-incidents': m0001Incidents },
    permissions: incidentsPermissions,
    sink,
    service,
    maintenance,
    events,
    recordNotification: (db, n) => service.recordNotification(db, n),
    recordEscalation: (db, e) => service.recordEscalation(db, e),
    recordCheckCompleteness: (db, c) => service.recordChecks(db, c),
    openOnComponents: (db, components) => service.openOnComponents(db, components),
    routes: () => [...incidentsRoutes({ service, sink }), ...maintenanceRoutes({ maintenance, defaultTimeZone: deps.timeZone })],
  };
}
