/** Imported accounts, login events, LDAP sources and removal tasks as Kysely sees them (see migrations/0003-accounts.ts). */

export interface AccessAccountsTable {
  id: string;
  system_id: string;
  /** Lower-case account name as the system reports it. */
  account: string;
  display_name: string;
  email: string | null;
  /** The person the account belongs to; null = orphaned. */
  person_id: string | null;
  /** 1 when the system reports the account as privileged (admin flag, privileged group or role). */
  privileged: number;
  /** JSON array of groups or roles the system reported. */
  groups: string;
  disabled: number;
  last_used_at: string | null;
  first_seen_at: string;
  last_seen_import: string | null;
  gone_at: string | null;
  updated_at: string;
}

export interface AccessAccountImportsTable {
  id: string;
  system_id: string;
  /** csv | json | ldap */
  source: string;
  received_at: string;
  digest: string;
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
  gone: number;
  rejected: number;
  /** JSON [{line?, index?, account?, reason}] of rejected rows. */
  errors: string;
  actor: string;
}

export interface AccessLoginEventsTable {
  id: string;
  system_id: string;
  account: string;
  person_id: string | null;
  occurred_at: string;
  ip: string | null;
  method: string;
  /** succeeded | failed */
  outcome: string;
  /** sshd | panel */
  source: string;
  digest: string;
  audit_seq: number | null;
  recorded_at: string;
}

export interface AccessLdapSourcesTable {
  system_id: string;
  url: string;
  bind_dn: string;
  /** Sealed with the secrets box (key outside the database), context `access.ldap:<systemId>`. */
  bind_password: string;
  base_dn: string;
  filter: string;
  /** JSON {account, name, mail, memberOf, disabled?}. */
  attributes: string;
  /** JSON array of group DNs or names that make an account privileged. */
  privileged_groups: string;
  /** Minutes between scheduled pulls; null = only on demand. */
  interval_minutes: number | null;
  last_pull_at: string | null;
  last_result: string | null;
  updated_at: string;
}

export interface AccessTasksTable {
  id: string;
  /** remove-account */
  kind: string;
  system_id: string;
  account: string | null;
  person_id: string | null;
  grant_id: string | null;
  review_entry_id: string | null;
  /** open | done */
  state: string;
  reason: string;
  opened_by: string;
  opened_at: string;
  closed_at: string | null;
  closed_by: string | null;
  closed_reason: string | null;
}

export interface AccessAccountSignalsTable {
  dedup_key: string;
  /** firing | resolved */
  status: string;
  /** What the last firing signal named (sorted accounts), so an unchanged finding is not raised again. */
  fingerprint: string;
  updated_at: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    access_accounts: AccessAccountsTable;
    access_account_imports: AccessAccountImportsTable;
    access_login_events: AccessLoginEventsTable;
    access_ldap_sources: AccessLdapSourcesTable;
    access_tasks: AccessTasksTable;
    access_account_signals: AccessAccountSignalsTable;
  }
}
