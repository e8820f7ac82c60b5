import type { MonitorDefinition } from './api/monitor.schemas.ts';
import type { MonitorRow, MonitorState } from './monitoring.store.ts';

/** A monitor as the API shows it. The heartbeat token is never shown again after creation (only its hash is kept). */
export interface Monitor {
  id: string;
  name: string;
  type: MonitorDefinition['type'];
  definition: MonitorDefinition;
  paused: boolean;
  state: MonitorState;
  stateChangedAt: string | null;
  lastCheckAt: string | null;
  lastOk: boolean | null;
  lastResponseMs: number | null;
  lastError: string | null;
  lastHeartbeatAt: string | null;
  /** Where the monitor runs from (`local` = this Skjold's engine); probes will add locations. */
  locations: string[];
  /** How many locations must fail for the monitor to count as failing. */
  quorum: number;
  /** Component name on the public status page; null: not shown there. */
  publicComponent: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A monitor in the list, with its last-24-hours figures from the hourly aggregates. */
export interface MonitorListItem extends Monitor {
  uptime24h: number | null;
  /** Average response time per hour over the last 24 hours, oldest first (null: no checks that hour). */
  spark: (number | null)[];
}

export function toMonitor(r: MonitorRow): Monitor {
  return {
    id: r.id,
    name: r.name,
    type: r.type as Monitor['type'],
    definition: JSON.parse(r.definition) as MonitorDefinition,
    paused: r.paused === 1,
    state: r.state,
    stateChangedAt: r.state_changed_at,
    lastCheckAt: r.last_check_at,
    lastOk: r.last_ok === null ? null : r.last_ok === 1,
    lastResponseMs: r.last_response_ms,
    lastError: r.last_error,
    lastHeartbeatAt: r.last_heartbeat_at,
    locations: JSON.parse(r.locations) as string[],
    quorum: r.quorum,
    publicComponent: r.public_component,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The monitor for the audit log: header values hidden (they often carry credentials). */
export function auditView(m: Monitor): Record<string, unknown> {
  const d = m.definition;
  const definition =
    d.type === 'http' ? { ...d, headers: Object.fromEntries(Object.keys(d.headers).map((k) => [k, '[redacted]'])) } : d;
  return { id: m.id, name: m.name, type: m.type, paused: m.paused, definition };
}

/** What the monitor looks at, for summaries: a URL, host:port, a DNS query. */
export function targetOf(d: MonitorDefinition): string {
  switch (d.type) {
    case 'http':
      return d.url;
    case 'dns':
      return `${d.query} ${d.recordType}${d.resolver ? ` @${d.resolver}` : ''}`;
    case 'heartbeat':
      return 'heartbeat';
    case 'tls':
      return `${d.host}:${d.port}${d.starttls ? ` (STARTTLS ${d.starttls})` : ''}`;
    case 'tcp':
      return `${d.host}:${d.port}`;
    default:
      return `${d.host}${d.port ? `:${d.port}` : ''}`;
  }
}
