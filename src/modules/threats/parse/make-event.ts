/**
 * One constructor for every event, so all events share one object shape (fields the parser has no value for are
 * undefined, not missing): the stages after parsing then see a single hidden class.
 */
import type { ParseOutcome, ThreatEvent, ThreatKind, ThreatService } from '../events.ts';

/** What a service parser returns: an event, or why there is none. */
export type ServiceResult = ThreatEvent | typeof IGNORED | typeof UNPARSABLE;
export const IGNORED = 0;
export const UNPARSABLE = 1;

export const IGNORED_OUTCOME: ParseOutcome = Object.freeze({ ok: false, reason: 'ignored' });
export const UNPARSABLE_OUTCOME: ParseOutcome = Object.freeze({ ok: false, reason: 'unparsable' });

/** The longest path kept on an event (the rest of a longer request target is cut). */
export const MAX_PATH_LENGTH = 8 * 1024;

export function makeEvent(
  line: string,
  time: number,
  ip: string,
  service: ThreatService,
  kind: ThreatKind,
  parser: string,
  user: string | undefined,
): ThreatEvent {
  return {
    time,
    ip,
    service,
    kind,
    parser,
    host: undefined,
    user,
    method: undefined,
    path: undefined,
    status: undefined,
    userAgent: undefined,
    dst: undefined,
    proto: undefined,
    dstPort: undefined,
    listedBy: undefined, // set later by the pipeline; present from the start so the shape never changes
    environment: undefined,
    line,
  };
}
