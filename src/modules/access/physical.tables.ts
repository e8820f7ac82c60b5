/** The physical-access tables as Kysely sees them (see migrations/0002-physical.ts for what each column means). */

export interface AccessSitesTable {
  id: string;
  name: string;
  address: string;
  country: string;
  /** JSON SiteHolding[]. */
  holds: string;
  operator: string;
  owner_id: string | null;
  notes: string;
  /** 1 while a P1 residency signal is firing for the site. */
  residency_signalled: number;
  created_at: string;
  updated_at: string;
}

export interface AccessDoorsTable {
  id: string;
  site_id: string;
  name: string;
  entrance: number;
  created_at: string;
}

export interface AccessCamerasTable {
  id: string;
  site_id: string;
  name: string;
  door_id: string | null;
  created_at: string;
}

export interface AccessBadgesTable {
  id: string;
  number: string;
  person_id: string;
  issued_at: string;
  revoked_at: string | null;
  revoke_reason: string | null;
  created_at: string;
}

export interface AccessSiteGrantsTable {
  id: string;
  person_id: string;
  site_id: string;
  justification: string;
  requested_by: string;
  approved_by: string | null;
  approved_at: string | null;
  state: string;
  starts_at: string;
  expires_at: string | null;
  ended_at: string | null;
  ended_by: string | null;
  end_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccessBadgeImportsTable {
  id: string;
  format: string;
  imported_by: string;
  imported_at: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** JSON RejectedRow[] (at most the first 1000). */
  rejected_rows: string;
}

export interface AccessBadgeEventsTable {
  id: string;
  occurred_at: string;
  badge: string;
  site_id: string;
  site_name: string;
  door_id: string;
  door_name: string;
  result: string;
  person_id: string | null;
  /** Why the event is a finding, if it is: JSON string[] of `no-grant` | `leaver` | `denials`. */
  findings: string;
  digest: string;
  import_id: string;
  line: number;
  created_at: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    access_sites: AccessSitesTable;
    access_doors: AccessDoorsTable;
    access_cameras: AccessCamerasTable;
    access_badges: AccessBadgesTable;
    access_site_grants: AccessSiteGrantsTable;
    access_badge_imports: AccessBadgeImportsTable;
    access_badge_events: AccessBadgeEventsTable;
  }
}
