import type { MonitorState } from './monitoring.store.ts';

/** The streak counters behind a monitor's state. */
export interface StateCounters {
  state: MonitorState;
  failures: number;
  successes: number;
}

export interface Thresholds {
  failureThreshold: number;
  successThreshold: number;
}

/**
 * Apply one check result. A monitor goes down only after `failureThreshold` consecutive failures (one lost packet
 * pages nobody) and comes back up only after `successThreshold` consecutive successes (recovery does not flap). The
 * first verdict of a new monitor: up on its first success, down after the failure threshold.
 * Returns the new counters and the transition, if any.
 */
export function applyResult(
  c: StateCounters,
  ok: boolean,
  t: Thresholds,
): { next: StateCounters; transition: { from: MonitorState; to: MonitorState } | null } {
  const failures = ok ? 0 : c.failures + 1;
  const successes = ok ? c.successes + 1 : 0;
  let state = c.state;
  if (ok && state !== 'up' && (state === 'unknown' || successes >= t.successThreshold)) state = 'up';
  if (!ok && state !== 'down' && failures >= t.failureThreshold) state = 'down';
  return { next: { state, failures, successes }, transition: state === c.state ? null : { from: c.state, to: state } };
}
