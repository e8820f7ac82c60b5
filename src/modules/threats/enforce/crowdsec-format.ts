/**
 * CrowdSec's wire format for decisions (`models.Decision` of its Local API), written by hand with string
 * concatenation: a startup pull can carry 100,000 decisions, and bouncers parse exactly these field names and Go's
 * duration text.
 */

/** A decision row as the stream reads it: only the columns the wire format needs. */
export interface FeedRow {
  seq: number;
  id: string;
  value: string;
  scope: string;
  origin: string;
  scenario: string;
  /** Epoch ms. */
  until: number;
}

/**
 * A whole number of seconds as Go's `time.Duration.String()` writes it (`3h59m58s`, `1h0m0s`, `4m0s`, `7s`, `0s`,
 * `-12s`), which bouncers read back with `time.ParseDuration`.
 */
export function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const neg = seconds < 0;
  let s = Math.abs(Math.trunc(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg ? `-${text}` : text;
}

/**
 * A JSON string literal. Values are canonical IPs/CIDRs and ids are UUIDs, so the common case is a plain wrap after
 * one scan; anything with a quote, backslash or control character goes through JSON.stringify.
 */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** CrowdSec's scope names: `Ip` and `Range` (bouncers compare them case-insensitively). */
export function crowdsecScope(scope: string): string {
  return scope === 'range' ? 'Range' : 'Ip';
}

/**
 * Builds decision JSON objects, caching the escaped text of scenarios and origins (a handful of distinct values
 * across 100,000 rows). `forDelete` writes the time left as it is (negative once expired, as CrowdSec does); an
 * active decision gets at least one second, since some bouncers read `0s` as "no timeout".
 */
export class DecisionJsonWriter {
  readonly #escaped = new Map<string, string>();

  constructor(private readonly now: number) {}

  #esc(s: string): string {
    let e = this.#escaped.get(s);
    if (e === undefined) {
      e = JSON.stringify(s);
      if (this.#escaped.size < 10_000) this.#escaped.set(s, e);
    }
    return e;
  }

  write(r: FeedRow, forDelete: boolean): string {
    const left = (r.until - this.now) / 1000;
    const seconds = forDelete ? Math.round(left) : Math.max(1, Math.ceil(left));
    return (
      `{"duration":"${goDuration(seconds)}","id":${r.seq},"origin":${this.#esc(r.origin)},"scenario":${this.#esc(r.scenario)},` +
      `"scope":"${crowdsecScope(r.scope)}","simulated":false,"type":"ban","uuid":${quote(r.id)},"value":${quote(r.value)}}`
    );
  }

  /** A JSON array of decisions, or `null` for none (CrowdSec answers `null`, not `[]`). */
  array(rows: readonly FeedRow[], forDelete: boolean): string {
    if (rows.length === 0) return 'null';
    const parts = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) parts[i] = this.write(rows[i] as FeedRow, forDelete);
    return `[${parts.join(',')}]`;
  }
}

/** `{"new": …, "deleted": …}`, the body of `GET /v1/decisions/stream`. */
export function streamBody(now: number, added: readonly FeedRow[], deleted: readonly FeedRow[]): string {
  const w = new DecisionJsonWriter(now);
  return `{"new":${w.array(added, false)},"deleted":${w.array(deleted, true)}}`;
}

/** Filters a bouncer may send (comma-separated lists, as go-cs-bouncer sends them). */
export interface StreamFilters {
  scopes?: string | undefined;
  origins?: string | undefined;
  scenarios_containing?: string | undefined;
  scenarios_not_containing?: string | undefined;
}

const list = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/**
 * A predicate for the bouncer's filters, as CrowdSec applies them: `scopes` (default `ip,range`, case-insensitive),
 * `origins` (exact), `scenarios_containing` (any of the words) and `scenarios_not_containing` (none of them).
 */
export function feedFilter(f: StreamFilters): (r: FeedRow) => boolean {
  const scopes = list(f.scopes ?? 'ip,range').map((s) => s.toLowerCase());
  const origins = list(f.origins);
  const containing = list(f.scenarios_containing);
  const notContaining = list(f.scenarios_not_containing);
  return (r) =>
    scopes.includes(r.scope) &&
    (origins.length === 0 || origins.includes(r.origin)) &&
    (containing.length === 0 || containing.some((c) => r.scenario.includes(c))) &&
    !notContaining.some((c) => r.scenario.includes(c));
}
