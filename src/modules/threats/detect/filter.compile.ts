import RE2 from 're2';
import type { ThreatKind, ThreatService } from '../events.ts';
import { decodesField, type EventView, type TextField } from './event-view.ts';
import type { SignatureSet } from './literal-matcher.ts';
import type { FilterSpec, MatcherSpec } from './scenario.schema.ts';

/** An RE2 set (the `re2` package's `RE2.Set`): many patterns, one pass. */
export type RE2Set = InstanceType<typeof RE2.Set>;

/** Compile patterns that share flags into one RE2 set; undefined when the flags differ or RE2 refuses. */
export function compileRe2Set(patterns: readonly RE2[]): RE2Set | undefined {
  const flags = patterns[0]?.flags;
  if (flags === undefined || patterns.some((p) => p.flags !== flags)) return undefined;
  try {
    return new RE2.Set(
      patterns.map((p) => p.source),
      flags,
    );
  } catch {
    return undefined;
  }
}

/** A compiled filter: a closure over the shared event view. */
export type EventTest = (v: EventView) => boolean;

/** A problem found while compiling (an unknown list, a pattern RE2 refuses), with its path inside the scenario. */
export interface CompileProblem {
  path: string;
  message: string;
}

export interface CompiledFilter {
  test: EventTest;
  /** Services/kinds the top-level filter requires (undefined: any), for the detector's candidate index. */
  services: ReadonlySet<ThreatService> | undefined;
  kinds: ReadonlySet<ThreatKind> | undefined;
  problems: CompileProblem[];
}

/** The signature set that holds a list (`sqli`), and the list's bit in it. */
export type ListLookup = (name: string) => { set: SignatureSet; bit: number } | undefined;

/** A lookup over one signature set. */
export function listLookup(set: SignatureSet): ListLookup {
  return (name) => {
    const bit = set.bit(name);
    return bit === undefined ? undefined : { set, bit };
  };
}

/**
 * Compile an RE2 pattern; a pattern RE2 refuses (lookbehind, backreference, bad syntax) comes back as an error
 * message. RE2 runs in time linear in the input, so a catastrophic shape like `(a+)+$` is harmless here.
 */
export function compileRe2(pattern: string, caseSensitive: boolean): RE2 | string {
  try {
    return new RE2(pattern, caseSensitive ? 'u' : 'iu');
  } catch (err) {
    return `RE2 refuses the pattern: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function parseRange(r: number | string): [number, number] {
  if (typeof r === 'number') return [r, r];
  const dash = r.indexOf('-');
  if (dash < 0) return [Number(r), Number(r)];
  return [Number(r.slice(0, dash)), Number(r.slice(dash + 1))];
}

/** A test on a number field against ranges; a bitmap when the ranges are small (status codes, ports). */
function numberTest(ranges: (number | string)[], get: (v: EventView) => number | undefined): EventTest {
  const pairs = ranges.map(parseRange);
  const max = Math.max(...pairs.map((p) => p[1]));
  if (max <= 65_535) {
    const bits = new Uint8Array(max + 1);
    for (const [lo, hi] of pairs) for (let i = lo; i <= hi; i++) bits[i] = 1;
    return (v) => {
      const n = get(v);
      return n !== undefined && n <= max && bits[n] === 1;
    };
  }
  return (v) => {
    const n = get(v);
    return n !== undefined && pairs.some(([lo, hi]) => n >= lo && n <= hi);
  };
}

function matcherTest(field: TextField, m: MatcherSpec, lists: ListLookup, path: string, problems: CompileProblem[]): EventTest {
  const cs = m.caseSensitive === true;
  const get = cs ? (v: EventView) => v.raw(field) : (v: EventView) => v.folded(field);
  const fold = (xs: string[]) => (cs ? xs : xs.map((x) => x.toLowerCase()));
  if (m.list !== undefined) {
    const lm = lists(m.list);
    if (!lm) {
      problems.push({ path: `${path}.list`, message: `no signature list named "${m.list}"` });
      return () => false;
    }
    const decode = decodesField(field);
    const { set, bit } = lm;
    // Lists scan the field as sent (the scanner folds and decodes on the fly, without a copy); the set answers all
    // lists in one pass and remembers it, so four list scenarios on one path cost one scan.
    return (v) => {
      const s = v.raw(field);
      return s !== undefined && (set.scan(s, decode) & bit) !== 0;
    };
  }
  if (m.re2 !== undefined) {
    const re = compileRe2(m.re2, cs);
    if (typeof re === 'string') {
      problems.push({ path: `${path}.re2`, message: re });
      return () => false;
    }
    return (v) => {
      const s = get(v);
      return s !== undefined && re.test(s);
    };
  }
  if (m.equals !== undefined) {
    const set = new Set(fold(m.equals));
    return (v) => {
      const s = get(v);
      return s !== undefined && set.has(s);
    };
  }
  if (m.prefix !== undefined) {
    const xs = fold(m.prefix);
    return (v) => {
      const s = get(v);
      if (s === undefined) return false;
      for (const x of xs) if (s.startsWith(x)) return true;
      return false;
    };
  }
  if (m.suffix !== undefined) {
    const xs = fold(m.suffix);
    return (v) => {
      const s = get(v);
      if (s === undefined) return false;
      for (const x of xs) if (s.endsWith(x)) return true;
      return false;
    };
  }
  const xs = fold(m.contains ?? []);
  return (v) => {
    const s = get(v);
    if (s === undefined) return false;
    for (const x of xs) if (s.includes(x)) return true;
    return false;
  };
}

function anyOf(tests: EventTest[]): EventTest {
  if (tests.length === 1) return tests[0] ?? (() => false);
  return (v) => {
    for (const t of tests) if (t(v)) return true;
    return false;
  };
}

function allOf(tests: EventTest[]): EventTest {
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0] ?? (() => true);
  if (tests.length === 2) {
    const [a, b] = tests as [EventTest, EventTest];
    return (v) => a(v) && b(v);
  }
  return (v) => {
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}

function compileInto(spec: FilterSpec, lists: ListLookup, path: string, problems: CompileProblem[]): EventTest {
  // Cheap conditions first: most events are rejected by an integer or set check before any text is looked at.
  const tests: EventTest[] = [];
  if (spec.listed !== undefined) {
    const want = spec.listed;
    tests.push((v) => (v.e.listedBy !== undefined && v.e.listedBy.length > 0) === want);
  }
  if (spec.environment !== undefined) {
    const env = spec.environment;
    tests.push((v) => v.e.environment === env);
  }
  if (spec.service) {
    const set = new Set<string>(spec.service);
    tests.push((v) => set.has(v.e.service));
  }
  if (spec.kind) {
    const set = new Set<string>(spec.kind);
    tests.push((v) => set.has(v.e.kind));
  }
  if (spec.status) tests.push(numberTest(spec.status, (v) => v.e.status));
  if (spec.dstPort) tests.push(numberTest(spec.dstPort, (v) => v.e.dstPort));
  if (spec.method) {
    const set = new Set(spec.method.map((m) => m.toUpperCase()));
    tests.push((v) => v.e.method !== undefined && set.has(v.e.method));
  }
  for (const field of ['user', 'host', 'path', 'userAgent', 'raw'] as const) {
    const ms = spec[field];
    if (!ms) continue;
    const tf: TextField = field === 'raw' ? 'line' : field;
    tests.push(anyOf(ms.map((m, i) => matcherTest(tf, m, lists, `${path}${field}[${i}]`, problems))));
  }
  if (spec.any) {
    tests.push(anyOf(spec.any.map((f, i) => compileInto(f, lists, `${path}any[${i}].`, problems))));
  }
  if (spec.not) {
    const inner = compileInto(spec.not, lists, `${path}not.`, problems);
    tests.push((v) => !inner(v));
  }
  return allOf(tests);
}

/**
 * Compile a declarative filter into one closure. Problems (an unknown list, a pattern RE2 refuses) are returned with
 * their path; the offending condition then never matches, and the loader refuses the scenario.
 */
export function compileFilter(spec: FilterSpec, lists: ListLookup, basePath = 'filter.'): CompiledFilter {
  const problems: CompileProblem[] = [];
  const test = compileInto(spec, lists, basePath, problems);
  return {
    test,
    services: spec.service ? new Set(spec.service as ThreatService[]) : undefined,
    kinds: spec.kind ? new Set(spec.kind as ThreatKind[]) : undefined,
    problems,
  };
}
