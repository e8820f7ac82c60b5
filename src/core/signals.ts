import type { Db } from './db/database.ts';

/**
 * The one public entry through which every module reports a deviation (P16: every deviation is registered).
 * Core owns the shape; the incidents module implements it. Monitoring, threats, vulnerabilities and backups call
 * `raise`, inside their own transaction when the signal records a change they make.
 */

export type Severity = 'critical' | 'major' | 'minor' | 'info';

export interface SignalInput {
  /** Module that saw the deviation: `monitoring`, `threats`, `vulns`, `backup`, `oncall`, … */
  source: string;
  /** Same key = same problem: one open incident per key; later signals join it. E.g. `monitor:<id>`. */
  dedupKey: string;
  /** `firing` opens or joins an incident; `resolved` says the deviation is over (closes it if auto-resolving). */
  status: 'firing' | 'resolved';
  severity: Severity;
  /** One line for a person at 3 a.m.: what is wrong, where. */
  summary: string;
  /** Machine details (response time, error, location …). Never secrets. */
  details?: Record<string, unknown> | undefined;
  /** When the deviation happened (the check's time, the log line's time); defaults to now. */
  occurredAt?: Date | undefined;
  /** Dedup key of a parent (a host, a site link): while the parent's incident is open, this one joins it unpaged. */
  parentKey?: string | undefined;
  /** Public status-page component this concerns, if any. */
  component?: string | undefined;
  /** Whether a `resolved` signal closes the incident; defaults per source (incidents.autoResolveSources: monitoring). */
  autoResolve?: boolean | undefined;
}

export interface RaisedSignal {
  signalId: string;
  /** The incident the signal was registered on (always one: nothing is dropped). */
  incidentId: string;
  /** New incident, joined an open one, reopened a recently resolved one, or resolved one. */
  effect: 'opened' | 'joined' | 'reopened' | 'resolved' | 'recorded';
  /** Inside a maintenance window: registered, marked expected, not paged. */
  expected: boolean;
  /** Whether this signal asks for a page (false when expected, flapping, under an open parent, or resolved). */
  page: boolean;
}

export interface SignalSink {
  raise(db: Db, input: SignalInput): Promise<RaisedSignal>;
}
