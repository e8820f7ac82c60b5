import type { Selectable } from 'kysely';
import type { Severity } from '../../core/signals.ts';

/** triggered → acknowledged → resolved (and back to triggered when reopened). */
export type IncidentState = 'triggered' | 'acknowledged' | 'resolved';

export interface IncidentsTable {
  id: string;
  dedup_key: string;
  source: string;
  severity: Severity;
  summary: string;
  component: string | null;
  state: IncidentState;
  /** Opened inside a maintenance window. */
  expected: number;
  change_ref: string | null;
  flapping: number;
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  last_signal_at: string;
  signal_count: number;
  reopen_count: number;
  /** Number of timeline entries: the next entry's seq (the row update also serialises appends). */
  timeline_count: number;
  postmortem_summary: string | null;
  postmortem_root_cause: string | null;
  /** JSON array of { text, owner?, done }. */
  postmortem_actions: string | null;
  postmortem_updated_at: string | null;
  postmortem_updated_by: string | null;
  updated_at: string;
}

export interface SignalsTable {
  id: string;
  incident_id: string;
  source: string;
  dedup_key: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  summary: string;
  /** JSON object or null. */
  details: string | null;
  occurred_at: string;
  received_at: string;
  parent_key: string | null;
  component: string | null;
  effect: 'opened' | 'joined' | 'reopened' | 'resolved' | 'recorded';
  expected: number;
  change_ref: string | null;
  window_id: string | null;
  page: number;
  /** Recorded on the parent's incident because the parent was down. */
  via_parent: number;
}

/** What happened on an incident. Append-only (database triggers refuse UPDATE and DELETE). */
export type TimelineKind =
  'signal' | 'state' | 'ack' | 'escalation' | 'notification' | 'note' | 'resolution' | 'flapping' | 'child' | 'postmortem';

export interface TimelineTable {
  incident_id: string;
  seq: number;
  at: string;
  kind: TimelineKind;
  /** `user:<id>`, `token:<id>`, `system:<name>` or `signal`. */
  actor: string | null;
  actor_name: string | null;
  signal_id: string | null;
  /** JSON object. */
  body: string;
}

export interface MaintenanceWindowsTable {
  id: string;
  title: string;
  change_ref: string;
  /** JSON array of dedup-key prefixes. */
  key_prefixes: string;
  /** JSON array of component names. */
  components: string;
  kind: 'once' | 'weekly';
  /** once: start and end (UTC ISO). weekly: first and (optional) last moment the rule applies. */
  starts_at: string;
  ends_at: string | null;
  /** weekly: JSON array of ISO weekdays (1 = Monday … 7 = Sunday). */
  weekdays: string | null;
  /** weekly: local start time `HH:MM`. */
  local_time: string | null;
  duration_minutes: number | null;
  time_zone: string;
  /** Set when deleted after it covered signals: the window stops applying but stays as evidence. */
  ended_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** The monitoring half of the daily completeness record: checks expected vs executed per subject and day. */
export interface CompletenessChecksTable {
  day: string;
  source: string;
  subject: string;
  checks_expected: number;
  checks_executed: number;
  recorded_at: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    incidents_incidents: IncidentsTable;
    incidents_signals: SignalsTable;
    incidents_timeline: TimelineTable;
    incidents_maintenance_windows: MaintenanceWindowsTable;
    incidents_completeness_checks: CompletenessChecksTable;
  }
}

export type IncidentRow = Selectable<IncidentsTable>;
export type SignalRow = Selectable<SignalsTable>;
export type TimelineRow = Selectable<TimelineTable>;
export type WindowRow = Selectable<MaintenanceWindowsTable>;

/** Unique violation on either database. */
export const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(err?.message ?? '');
};
