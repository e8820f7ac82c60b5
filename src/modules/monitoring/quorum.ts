import type { MonitorState } from './monitoring.store.ts';

/**
 * A multi-location monitor's state from its locations' states (each already past its own thresholds): down when at
 * least `quorum` locations are down; otherwise up again, or up on a first verdict once some location is up. A location
 * that has not reported yet counts as not failing.
 */
export function quorumState(prev: MonitorState, states: readonly MonitorState[], quorum: number): MonitorState {
  let down = 0;
  let up = 0;
  for (const s of states) {
    if (s === 'down') down++;
    else if (s === 'up') up++;
  }
  if (down >= quorum) return 'down';
  if (prev === 'unknown' && up === 0) return 'unknown';
  return 'up';
}
