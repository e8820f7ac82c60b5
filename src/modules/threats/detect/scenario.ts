import type RE2 from 're2';
import type { RE2Set } from './filter.compile.ts';
import type { Overflow, ThreatService } from '../events.ts';
import type { CompiledFilter } from './filter.compile.ts';
import type { ScenarioSpec } from './scenario.schema.ts';

/** Rules of a scenario that reads raw lines (`input: line`, e.g. an imported fail2ban filter). */
export interface LineRule {
  /** Patterns with a `host` named group (the source IP) and optionally `user`; the first that matches counts. */
  match: RE2[];
  /** All of `match` in one RE2 set (when they share flags): one pass says which patterns can match a line. */
  set?: RE2Set | undefined;
  /** A line matching any of these is not counted (fail2ban `ignoreregex`). */
  ignore: RE2[];
  /** The service the line concerns (labels.service, default ssh). */
  service: ThreatService;
}

/** A loaded scenario: the validated spec, its compiled filter, and where it came from. */
export interface Scenario {
  spec: ScenarioSpec;
  filter: CompiledFilter;
  /** Present for `input: line` scenarios. */
  lineRule?: LineRule | undefined;
  /** A file name, `builtin:<file>`, or `inline`. */
  source: string;
}

/** The remediation of a spec in the Overflow's shape (seconds), or undefined for alert-only scenarios. */
export function overflowRemediation(spec: ScenarioSpec): Overflow['remediation'] {
  const r = spec.remediation;
  if (!r) return undefined;
  return {
    durationSeconds: Math.round(r.duration / 1000),
    scope: r.scope,
    escalate: r.escalate.map((ms) => Math.round(ms / 1000)),
  };
}
