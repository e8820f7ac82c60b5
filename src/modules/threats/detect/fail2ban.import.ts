import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { ThreatService } from '../events.ts';
import { compileRe2 } from './filter.compile.ts';
import type { Scenario } from './scenario.ts';
import { loadScenarioText, type ScenarioError } from './scenarios.loader.ts';

/**
 * The common.conf definitions fail2ban filters lean on (logtype `file`), so a filter imports without its includes.
 * Copied from fail2ban 1.x `filter.d/common.conf`.
 */
const COMMON: Record<string, string> = {
  logtype: 'file',
  _daemon: '\\S*',
  __pid_re: '(?:\\[\\d+\\])',
  __daemon_re: '[\\[\\(]?<_daemon>(?:\\(\\S+\\))?[\\]\\)]?:?',
  __daemon_extra_re: '\\[ID \\d+ \\S+\\]',
  __daemon_combs_re: '(?:<__pid_re>?:\\s+<__daemon_re>|<__daemon_re><__pid_re>?:?)',
  __kernel_prefix: 'kernel:\\s?\\[ *\\d+\\.\\d+\\]:?',
  __hostname: '\\S+',
  __md5hex: '(?:[\\da-f]{2}:){15}[\\da-f]{2}',
  __bsd_syslog_verbose: '<[^.]+\\.[^.]+>',
  __vserver: '@vserver_\\S+',
  __date_ambit: '(?:\\[\\])',
  __prefix_line:
    '<__date_ambit>?\\s*(?:<__bsd_syslog_verbose>\\s+)?(?:<__hostname>\\s+)?(?:<__kernel_prefix>\\s+)?(?:<__vserver>\\s+)?(?:<__daemon_combs_re>\\s+)?(?:<__daemon_extra_re>\\s+)?',
  __pam_auth: 'pam_unix',
};

/**
 * fail2ban strips the line's date before matching; a raw line still has it, so `^`-anchored patterns get an optional
 * date in front: RFC 3164 (`Nov 27 10:00:01`), ISO 8601 / RFC 5424, or an nginx/apache `[27/Nov/2026:10:00:01 +0100]`.
 */
const DATE_PREFIX =
  '(?:(?:[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d|\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?|\\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\\])\\s+)?';

/** `<HOST>`: an IPv4 or IPv6 address (fail2ban also accepts DNS names; we do not resolve names). */
const IP_RE = '(?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:\\.\\d{1,3}){0,3})';

export interface Fail2banImportOptions {
  /** The scenario's name (e.g. `f2b-sshd`). */
  name: string;
  /** The service the lines concern (default ssh). */
  service?: ThreatService | undefined;
  /** fail2ban `maxretry` (default 5) and `findtime` (default `10m`): a sliding window. */
  maxRetry?: number | undefined;
  findTime?: string | undefined;
  /** fail2ban `bantime` (default `10m`); `none` for alert-only. */
  banTime?: string | undefined;
  /**
   * A directory to read `[INCLUDES] before/after` files from (e.g. `/etc/fail2ban/filter.d`); without it includes are
   * ignored with a note and only the built-in common.conf definitions are known.
   */
  includeDir?: string | undefined;
  /** Filter parameters as fail2ban's `filter = sshd[mode=aggressive]` gives them. */
  vars?: Record<string, string> | undefined;
}

/** One failregex/ignoreregex that could not be imported, with the reason (RE2 has no lookaround, backreference, …). */
export interface Fail2banRegexError {
  kind: 'failregex' | 'ignoreregex';
  /** Position among the filter's (interpolated) patterns of that kind. */
  index: number;
  /** The pattern as written after interpolation (cut to 300 characters). */
  pattern: string;
  message: string;
}

export interface Fail2banImport {
  /** The loaded scenario (undefined when no failregex survived). */
  scenario?: Scenario | undefined;
  /** The same scenario as YAML, to save beside the built-in ones. */
  yaml: string;
  imported: { failregex: number; ignoreregex: number };
  errors: Fail2banRegexError[];
  /** Things accepted with a caveat (ignored includes, unsupported options). */
  notes: string[];
  /** Problems of the generated scenario itself (should not happen; reported rather than thrown). */
  scenarioErrors: ScenarioError[];
}

interface Ini {
  sections: Map<string, Map<string, string>>;
}

/** INI as fail2ban reads it: `[section]`, `key = value`, indented continuation lines, `#`/`;` comments. */
function parseIni(text: string): Ini {
  const sections = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  let key: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw)) continue;
    const sec = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (sec) {
      const name = sec[1] ?? '';
      cur = sections.get(name) ?? new Map<string, string>();
      sections.set(name, cur);
      key = undefined;
      continue;
    }
    if (!cur) continue;
    if (/^\s/.test(raw)) {
      if (key !== undefined && raw.trim() !== '') cur.set(key, `${cur.get(key) ?? ''}\n${raw.trim()}`);
      continue;
    }
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      key = undefined;
      continue;
    }
    key = raw.slice(0, eq).trim();
    cur.set(key, raw.slice(eq + 1).trim());
  }
  return { sections };
}

const TAG_NAMES = new Set(['HOST', 'ADDR', 'IP4', 'IP6', 'DNS', 'SUBNET', 'CIDR']);

/**
 * Resolve `%(name)s` and `<name>` references (innermost first, so `<mdre-<mode>>` works), at most 50 rounds (a
 * self-referencing option stops there and is reported as unresolved).
 */
function interpolate(value: string, vars: Map<string, string>, unknown: Set<string>): string {
  let s = value;
  for (let round = 0; round < 50; round++) {
    const next = s
      .replace(/%\(([\w\-/]+)\)s/g, (m, name: string) => {
        const v = vars.get(name);
        if (v === undefined) unknown.add(name);
        return v ?? m;
      })
      .replace(/<([\w\-/]+)>/g, (m, name: string) => {
        if (TAG_NAMES.has(name) || name.startsWith('F-')) return m;
        const v = vars.get(name);
        return v ?? m;
      });
    if (next === s) return s;
    s = next;
  }
  return s;
}

/** Python `re` features RE2 lacks, found before RE2 gives a less helpful message. */
function unsupported(p: string): string | undefined {
  if (/\(\?<?[=!]/.test(p)) return 'lookahead/lookbehind assertions are not supported by RE2';
  if (/\(\?\(/.test(p)) return 'conditional groups (?(name)…) are not supported by RE2';
  if (/\(\?P=/.test(p) || /\\[1-9]/.test(p)) return 'backreferences are not supported by RE2';
  return undefined;
}

/**
 * Turn fail2ban tags into RE2: the first `<HOST>`/`<ADDR>`/`<IP4>`/`<IP6>` becomes the `host` group (later ones plain
 * address patterns), the first `<F-USER>` the `user` group; every other `<F-…>` tag is a plain group.
 */
function convertTags(p: string): string {
  let host = false;
  let user = false;
  let out = p.replace(/<(HOST|ADDR|IP4|IP6|DNS|SUBNET|CIDR)>/g, () => {
    if (host) return IP_RE;
    host = true;
    return `\\[?(?P<host>${IP_RE})\\]?`;
  });
  out = out.replace(/<(\/?)F-([A-Z_]+)>/g, (_m, close: string, name: string) => {
    if (close === '/') return ')';
    if (name === 'USER' && !user) {
      user = true;
      return '(?P<user>';
    }
    return '(?:';
  });
  return out.replace(/\\Z/g, '\\z').replace(/\(\?P<cond_\w+>/g, '(?:');
}

/**
 * Import a fail2ban filter (`filter.d/*.conf` text) as an `input: line` scenario: `failregex` lines (after
 * `%(…)s`/`<…>` interpolation against the filter, its `[DEFAULT]` and a built-in copy of common.conf) become RE2
 * patterns whose `host` group gives the source IP; `ignoreregex` lines become exclusions; `prefregex` is folded into
 * each pattern; an optional date is allowed before `^`. Patterns RE2 cannot run (lookaround, backreferences,
 * conditionals) are reported one by one and the rest imported. `maxretry`/`findtime` become a sliding window.
 */
export function importFail2banFilter(text: string, opts: Fail2banImportOptions): Fail2banImport {
  const ini = parseIni(text);
  const notes: string[] = [];
  const errors: Fail2banRegexError[] = [];
  const vars = new Map<string, string>(Object.entries(COMMON));
  vars.set('lt_file/__prefix_line', COMMON.__prefix_line ?? '');
  // Section-qualified names (`lt_file/__prefix_line`) for every section, then plain names by precedence.
  const merge = (f: Ini) => {
    for (const [sec, kv] of f.sections) for (const [k, v] of kv) vars.set(`${sec}/${k}`, v);
    for (const sec of ['DEFAULT', 'Init', 'Definition']) for (const [k, v] of f.sections.get(sec) ?? []) vars.set(k, v);
  };
  const withIncludes = (f: Ini, depth: number, which: 'before' | 'after') => {
    const inc = f.sections.get('INCLUDES')?.get(which);
    if (inc === undefined || inc.trim() === '') return;
    for (const name of inc.split(/\s+/).filter((x) => x !== '')) {
      if (opts.includeDir === undefined || depth > 3) {
        notes.push(`[INCLUDES] ${which} = ${name} ignored (common.conf definitions are built in)`);
        continue;
      }
      try {
        const included = parseIni(readFileSync(join(opts.includeDir, basename(name)), 'utf8'));
        withIncludes(included, depth + 1, 'before');
        merge(included);
        withIncludes(included, depth + 1, 'after');
      } catch {
        notes.push(`[INCLUDES] ${which} = ${name} not found in ${opts.includeDir}`);
      }
    }
  };
  withIncludes(ini, 0, 'before');
  merge(ini);
  withIncludes(ini, 0, 'after');
  for (const [k, v] of Object.entries(opts.vars ?? {})) vars.set(k, v);
  const def = ini.sections.get('Definition');
  if (!def) notes.push('no [Definition] section');
  for (const k of ['datepattern', 'maxlines', 'journalmatch']) {
    if (def?.has(k)) notes.push(`${k} ignored (the pipeline reads dates and frames lines itself)`);
  }

  const unknown = new Set<string>();
  let pre = '^';
  const prefregex = def?.get('prefregex');
  if (prefregex) {
    const p = interpolate(prefregex, vars, unknown);
    const at = p.indexOf('<F-CONTENT>');
    if (at >= 0) pre = p.slice(0, at);
    else notes.push('prefregex without <F-CONTENT> ignored');
  }
  pre = pre.startsWith('^') ? `^${DATE_PREFIX}${pre.slice(1)}` : `^${DATE_PREFIX}.*?${pre}`;

  const build = (kind: 'failregex' | 'ignoreregex'): string[] => {
    const raw = interpolate(def?.get(kind) ?? '', vars, unknown);
    const out: string[] = [];
    const lines = raw
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    lines.forEach((line, index) => {
      const err = (message: string) => errors.push({ kind, index, pattern: line.slice(0, 300), message });
      // A `<name>` right after `(?P` / `(?` is a group name, not a reference.
      const left = /%\(([\w\-/]+)\)s|(?<!\(\?P?)<([a-z_][\w\-/]*)>/.exec(line);
      const preBad = unsupported(pre);
      const bad = left
        ? `unresolved reference ${left[0]}`
        : (unsupported(line) ?? (preBad === undefined ? undefined : `prefregex: ${preBad}`));
      if (bad !== undefined) {
        err(bad);
        return;
      }
      // Both kinds match the whole raw line: date, then prefregex's prefix, then the pattern.
      const p = convertTags(line.startsWith('^') ? pre + line.slice(1) : `${pre}.*?${line}`);
      if (kind === 'failregex' && !p.includes('(?P<host>')) {
        err('no <HOST> (the source address) in the pattern; multi-line matching (maxlines) is not supported');
        return;
      }
      const re = compileRe2(p, true);
      if (typeof re === 'string') err(re);
      else out.push(p);
    });
    return out;
  };
  const fail = build('failregex');
  const ignore = build('ignoreregex');
  for (const u of unknown) notes.push(`unknown interpolation %(${u})s`);

  const banTime = opts.banTime ?? '10m';
  const spec = {
    name: opts.name,
    description: `Imported from a fail2ban filter: ${fail.length} failregex, ${ignore.length} ignoreregex.`,
    input: 'line',
    filter: {
      raw: fail.map((re2) => ({ re2, caseSensitive: true })),
      ...(ignore.length > 0 ? { not: { raw: ignore.map((re2) => ({ re2, caseSensitive: true })) } } : {}),
    },
    groupBy: 'ip',
    type: 'window',
    window: opts.findTime ?? '10m',
    threshold: opts.maxRetry ?? 5,
    blackhole: banTime === 'none' ? '1m' : banTime,
    severity: 'minor',
    labels: { service: opts.service ?? 'ssh', source: 'fail2ban' },
    remediation: banTime === 'none' ? 'none' : { duration: banTime, scope: 'ip' },
  };
  const yaml = toYaml(spec, { lineWidth: 0 });
  if (fail.length === 0) {
    return { yaml, imported: { failregex: 0, ignoreregex: ignore.length }, errors, notes, scenarioErrors: [] };
  }
  const loaded = loadScenarioText(yaml, `fail2ban:${opts.name}`);
  return {
    scenario: loaded.scenario,
    yaml,
    imported: { failregex: fail.length, ignoreregex: ignore.length },
    errors,
    notes,
    scenarioErrors: loaded.errors,
  };
}
