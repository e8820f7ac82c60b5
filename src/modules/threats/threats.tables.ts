/** The threats module's tables as Kysely sees them (see migrations/0001-threats.ts for what each column means). */

export interface ThreatsAlertsTable {
  id: string;
  scenario: string;
  key: string;
  ip: string | null;
  scope_value: string | null;
  severity: string;
  /** `enrich` (feed hit only), `decision` (behaviour: ban + digest), `page` (raises a signal). */
  tier: string;
  /** JSON object. */
  labels: string;
  /** JSON array of source IPs (capped). */
  ips: string;
  /** JSON array of feed names listing the IP. */
  listed_by: string;
  events: number;
  /** Overflows counted into this alert (1 + later overflows while its decision is active). */
  overflows: number;
  first_at: string;
  last_at: string;
  /** JSON array of evidence lines (at most 10). */
  samples: string;
  decision_id: string | null;
  simulated: number;
  created_at: string;
  updated_at: string;
}

export interface ThreatsDecisionsTable {
  id: string;
  value: string;
  scope: string;
  type: string;
  origin: string;
  scenario: string;
  reason: string;
  alert_id: string | null;
  /** 1 for a first offence, 2 for the second … (escalating durations). */
  offence: number;
  simulated: number;
  created_at: string;
  until: string;
  deleted_at: string | null;
  deleted_by: string | null;
  /** Change number, bumped on create and on delete (bouncer deltas). */
  seq: number;
}

export interface ThreatsAllowlistTable {
  id: string;
  cidr: string;
  reason: string;
  created_at: string;
  created_by: string;
}

export interface ThreatsBouncersTable {
  id: string;
  name: string;
  /** SHA-256 hex of the API key (the key is shown once). */
  key_hash: string;
  created_at: string;
  created_by: string;
  last_pull_at: string | null;
  last_pull_seq: number | null;
  last_ip: string | null;
  user_agent: string | null;
}

export interface ThreatsCountersTable {
  name: string;
  value: number;
}

export interface ThreatsFeedsTable {
  id: string;
  /** JSON feed definition (url or file, format, refresh, licence, attribution). */
  definition: string;
  enabled: number;
  /** `ok`, `stale`, `rejected`, `failed`, `never`. */
  status: string;
  reason: string | null;
  entries: number;
  last_attempt_at: string | null;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    threats_alerts: ThreatsAlertsTable;
    threats_decisions: ThreatsDecisionsTable;
    threats_allowlist: ThreatsAllowlistTable;
    threats_bouncers: ThreatsBouncersTable;
    threats_counters: ThreatsCountersTable;
    threats_feeds: ThreatsFeedsTable;
  }
}
