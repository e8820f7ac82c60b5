import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type RE2 from 're2';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { ThreatService } from '../events.ts';
import { compileFilter, compileRe2, compileRe2Set, listLookup, type ListLookup } from './filter.compile.ts';
import { createSignatureSet } from './literal-matcher.ts';
import type { LineRule, Scenario } from './scenario.ts';
import { scenarioSchema, type FilterSpec, type MatcherSpec, type ScenarioSpec } from './scenario.schema.ts';
import { builtinSignatureSet } from './signature-lists.ts';

/** Where the built-in scenarios live: one `<name>.yaml` each, beside their fixtures. */
export const BUILTIN_SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

/** Largest scenario file read (a scenario is a screenful; anything bigger is a mistake or an attack). */
const MAX_FILE_BYTES = 256 * 1024;

/** One problem with one scenario file: the file, the path inside it (`filter.path[0].re2`), and what is wrong. */
export interface ScenarioError {
  file: string;
  path: string;
  message: string;
}

export interface LoadResult {
  scenarios: Scenario[];
  errors: ScenarioError[];
}

export interface LoadOptions {
  /** Signature lists (name → literals); default the built-in ones (`sqli`, `xss`, `path-traversal`, …). */
  lists?: ReadonlyMap<string, readonly string[]> | undefined;
}

function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/** Turn zod issues into errors, one per bad key (unknown keys are named one by one). */
function zodErrors(file: string, issues: readonly z.core.$ZodIssue[]): ScenarioError[] {
  const out: ScenarioError[] = [];
  for (const issue of issues) {
    const at = issuePath(issue);
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ file, path: at === '' ? k : `${at}.${k}`, message: 'unknown key' });
    } else out.push({ file, path: at, message: issue.message });
  }
  return out;
}

const SERVICES: readonly string[] = ['ssh', 'http', 'smtp', 'imap', 'pop3', 'ftp', 'firewall'];

/** Build the line rule of an `input: line` scenario: only `raw` (and `not.raw`) RE2 patterns, each with a host group. */
function lineRuleOf(spec: ScenarioSpec, file: string, errors: ScenarioError[]): LineRule | undefined {
  const f: FilterSpec = spec.filter;
  const extra = Object.keys(f).filter((k) => k !== 'raw' && k !== 'not');
  const notExtra = f.not ? Object.keys(f.not).filter((k) => k !== 'raw') : [];
  for (const k of extra) errors.push({ file, path: `filter.${k}`, message: 'input: line allows only raw and not.raw' });
  for (const k of notExtra) errors.push({ file, path: `filter.not.${k}`, message: 'input: line allows only raw and not.raw' });
  if (!f.raw) errors.push({ file, path: 'filter.raw', message: 'input: line needs raw patterns' });
  if (extra.length > 0 || notExtra.length > 0 || !f.raw) return undefined;
  const compile = (ms: MatcherSpec[], at: string, needHost: boolean): RE2[] => {
    const out: RE2[] = [];
    ms.forEach((m, i) => {
      if (m.re2 === undefined) {
        errors.push({ file, path: `${at}[${i}]`, message: 'input: line takes re2 patterns only' });
        return;
      }
      if (needHost && !/\(\?P?<host>/.test(m.re2)) {
        errors.push({ file, path: `${at}[${i}].re2`, message: 'needs a named group "host" (the source IP)' });
        return;
      }
      const re = compileRe2(m.re2, m.caseSensitive === true);
      if (typeof re === 'string') errors.push({ file, path: `${at}[${i}].re2`, message: re });
      else out.push(re);
    });
    return out;
  };
  const before = errors.length;
  const match = compile(f.raw, 'filter.raw', true);
  const ignore = f.not?.raw ? compile(f.not.raw, 'filter.not.raw', false) : [];
  if (errors.length > before) return undefined;
  const svc = spec.labels.service;
  return {
    match,
    set: match.length > 1 ? compileRe2Set(match) : undefined,
    ignore,
    service: (svc !== undefined && SERVICES.includes(svc) ? svc : 'ssh') as ThreatService,
  };
}

/**
 * Parse, validate and compile one scenario text. Returns the scenario, or the errors (all of them, each with its
 * path) and no scenario: a file is loaded whole or not at all.
 */
export function loadScenarioText(
  text: string,
  file: string,
  lists: ListLookup = listLookup(builtinSignatureSet()),
): { scenario?: Scenario | undefined; errors: ScenarioError[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    return { errors: [{ file, path: '', message: `not YAML: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const parsed = scenarioSchema.safeParse(doc);
  if (!parsed.success) return { errors: zodErrors(file, parsed.error.issues) };
  const spec = parsed.data;
  const errors: ScenarioError[] = [];
  if (spec.input === 'line') {
    const lineRule = lineRuleOf(spec, file, errors);
    if (!lineRule) return { errors };
    return { scenario: { spec, filter: compileFilter({}, lists), lineRule, source: file }, errors };
  }
  const filter = compileFilter(spec.filter, lists);
  for (const p of filter.problems) errors.push({ file, path: p.path, message: p.message });
  if (errors.length > 0) return { errors };
  return { scenario: { spec, filter, source: file }, errors };
}

/**
 * Load scenarios from a directory (every `*.yaml`/`*.yml`, sorted) or from texts (`{ file, text }`). A bad file is
 * reported (with every problem's path) and skipped; the others load. A second scenario with a name already loaded is
 * an error too. Never throws for bad content; an unreadable directory is reported as one error.
 */
export function loadScenarios(source: string | readonly { file: string; text: string }[], options: LoadOptions = {}): LoadResult {
  const lists = listLookup(options.lists ? createSignatureSet(options.lists) : builtinSignatureSet());
  const errors: ScenarioError[] = [];
  let texts: { file: string; text: string }[] = [];
  if (typeof source === 'string') {
    try {
      for (const name of readdirSync(source).sort()) {
        if (!name.endsWith('.yaml') && !name.endsWith('.yml')) continue;
        const path = join(source, name);
        const size = statSync(path).size;
        if (size > MAX_FILE_BYTES) errors.push({ file: name, path: '', message: `larger than ${MAX_FILE_BYTES} bytes` });
        else texts.push({ file: name, text: readFileSync(path, 'utf8') });
      }
    } catch (err) {
      errors.push({ file: source, path: '', message: `cannot read: ${err instanceof Error ? err.message : String(err)}` });
    }
  } else texts = [...source];
  const scenarios: Scenario[] = [];
  const names = new Set<string>();
  for (const { file, text } of texts) {
    const r = loadScenarioText(text, file, lists);
    errors.push(...r.errors);
    if (!r.scenario) continue;
    if (names.has(r.scenario.spec.name)) {
      errors.push({ file, path: 'name', message: `another scenario is already named "${r.scenario.spec.name}"` });
      continue;
    }
    names.add(r.scenario.spec.name);
    scenarios.push(r.scenario);
  }
  return { scenarios, errors };
}

let builtin: Scenario[] | undefined;

/**
 * The built-in scenarios (SSH, mail, FTP and WordPress brute force, slow brute force, user enumeration, password
 * spraying, HTTP probing and signature probes, bad user agents, port scans, listed IPs reaching customers). Throws if
 * one of them does not load: that is a bug in the product, caught by the tests.
 */
export function builtinScenarios(): Scenario[] {
  if (!builtin) {
    const r = loadScenarios(BUILTIN_SCENARIO_DIR);
    if (r.errors.length > 0) throw new Error(`built-in scenario errors: ${JSON.stringify(r.errors)}`);
    builtin = r.scenarios;
  }
  return builtin;
}
