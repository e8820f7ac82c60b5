/** The access module's core tables as Kysely sees them (see migrations/0001-access.ts for what each column means). */

export interface AccessPeopleTable {
  id: string;
  name: string;
  email: string | null;
  kind: string;
  team: string;
  manager_id: string | null;
  status: string;
  left_at: string | null;
  user_id: string | null;
  /** JSON array of lower-case account names. */
  identifiers: string;
  created_at: string;
  updated_at: string;
}

export interface AccessSystemsTable {
  id: string;
  name: string;
  kind: string;
  classification: string;
  owner_id: string | null;
  description: string;
  /** JSON AccessLevel[]. */
  levels: string;
  created_at: string;
  updated_at: string;
}

export interface AccessPrivilegedTable {
  person_id: string;
  reason: string;
  added_by: string;
  added_at: string;
}

export interface AccessGrantsTable {
  id: string;
  person_id: string;
  system_id: string;
  level: string;
  privileged: number;
  /** JIT length in hours; 0 = not just-in-time. */
  jit: number;
  justification: string;
  requested_by: string;
  requested_by_name: string | null;
  approved_by: string | null;
  approved_by_name: string | null;
  approved_at: string | null;
  second_approved_by: string | null;
  second_approved_by_name: string | null;
  second_approved_at: string | null;
  state: string;
  starts_at: string;
  expires_at: string | null;
  ended_at: string | null;
  ended_by: string | null;
  end_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccessGrantEventsTable {
  id: string;
  grant_id: string;
  /** 1, 2, 3 … within the grant. */
  seq: number;
  at: string;
  /** requested | approved | second-approved | activated | amended | rejected | revoked | expired | reduced */
  event: string;
  actor: string;
  actor_name: string | null;
  reason: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    access_people: AccessPeopleTable;
    access_systems: AccessSystemsTable;
    access_privileged: AccessPrivilegedTable;
    access_grants: AccessGrantsTable;
    access_grant_events: AccessGrantEventsTable;
  }
}
