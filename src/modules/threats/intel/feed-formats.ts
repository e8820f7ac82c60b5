/**
 * Readers for threat-intel feeds in their real published formats, and the check that decides whether a fresh download
 * may replace the last good copy. Every reader turns hostile text into canonical CIDR strings (single addresses as the
 * bare address), counts and reports bad lines one by one, and refuses entries that overlap private or special-purpose
 * ranges (see bogons.ts). Nothing here does I/O.
 */
import { overlapsBogon, parseNetwork, type BogonOptions } from './bogons.ts';

export const FEED_FORMATS = [
  'plain',
  'spamhaus-drop',
  'spamhaus-json',
  'spamhaus-asn-json',
  'feodo-txt',
  'feodo-csv',
  'feodo-json',
  'abuseipdb',
  'tor-exit',
] as const;
/**
 * - `plain`: one IP or CIDR per line, `#`/`;` comments (FireHOL netset/ipset, ET compromised, CINS, blocklist.de)
 * - `spamhaus-drop`: legacy `drop.txt`/`edrop.txt`/`dropv6.txt` (`1.10.16.0/20 ; SBL256894`, `;` comments)
 * - `spamhaus-json`: `drop_v4.json`/`drop_v6.json` JSON lines with a final metadata line
 * - `spamhaus-asn-json`: `asndrop.json` JSON lines: ASNs, not addresses
 * - `feodo-txt` / `feodo-csv` / `feodo-json`: abuse.ch Feodo Tracker `ipblocklist.{txt,csv,json}`
 * - `abuseipdb`: the AbuseIPDB `/api/v2/blacklist` plaintext export (one IP per line)
 * - `tor-exit`: `torbulkexitlist` (bare IPs) or the older `exit-addresses` (`ExitAddress <ip> <date> <time>`)
 */
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** Largest feed text accepted (UTF-16 code units): the biggest public lists are a few MB. */
export const MAX_FEED_CHARS = 64 * 1024 * 1024;
/** Longest line accepted; a longer one is a bad line (no real feed line comes near it). */
export const MAX_FEED_LINE = 4096;
/** Bad lines and skipped bogons kept with their text; the rest are only counted. */
export const MAX_REPORTED_ITEMS = 100;

export interface FeedBadLine {
  /** 1-based line number (for `feodo-json`, the 1-based position in the array). */
  line: number;
  /** The line, cut to 200 characters. */
  text: string;
  reason: string;
}

/** The trailer of Spamhaus JSON feeds. */
export interface FeedMetadata {
  /** Generation time, epoch seconds. */
  timestamp?: number | undefined;
  size?: number | undefined;
  records?: number | undefined;
  copyright?: string | undefined;
  terms?: string | undefined;
}

export interface FeedParseResult {
  format: FeedFormat;
  /** Canonical, de-duplicated networks in feed order: `1.2.3.4`, `1.10.16.0/20`, `2a06:e480::/29`. */
  cidrs: string[];
  /** Parallel to `cidrs`: when the feed says the entry was first seen (epoch seconds), if it says. */
  since: (number | undefined)[];
  /** Autonomous system numbers (ASN-DROP only). The IP index does not hold these: a caller matches them separately. */
  asns: number[];
  /** The first `MAX_REPORTED_ITEMS` bad lines. */
  bad: FeedBadLine[];
  badCount: number;
  /** Entries refused because they overlap a private/special range (first `MAX_REPORTED_ITEMS`). */
  skippedBogons: { cidr: string; reason: string }[];
  skippedBogonCount: number;
  /** Entries listed more than once (kept once, with the earliest `since`). */
  duplicates: number;
  /** Lines (or JSON array items) read, comments and blanks included. */
  lines: number;
  metadata?: FeedMetadata | undefined;
  /** A problem with the document as a whole (too large, HTML page, not JSON, truncated trailer): never accept it. */
  problem?: string | undefined;
}

export interface FeedParseOptions extends BogonOptions {
  /** Override of `MAX_FEED_CHARS`. */
  maxChars?: number | undefined;
}

// Builds a result, de-duplicating networks and applying the bogon filter.
class Collector {
  readonly result: FeedParseResult;
  // Position of each network already taken, for de-duplication: IPv4 by number (cheaper to hash than text).
  readonly #index4 = new Map<number, number>();
  readonly #index6 = new Map<string, number>();
  readonly #asns = new Set<number>();
  readonly #options: BogonOptions;

  constructor(format: FeedFormat, options: BogonOptions) {
    this.#options = options;
    this.result = {
      format,
      cidrs: [],
      since: [],
      asns: [],
      bad: [],
      badCount: 0,
      skippedBogons: [],
      skippedBogonCount: 0,
      duplicates: 0,
      lines: 0,
    };
  }

  bad(line: number, text: string, reason: string): void {
    const r = this.result;
    r.badCount++;
    if (r.bad.length < MAX_REPORTED_ITEMS) r.bad.push({ line, text: text.length > 200 ? text.slice(0, 200) : text, reason });
  }

  network(line: number, token: string, since: number | undefined, text: string): void {
    const n = parseNetwork(token);
    if (!n) {
      this.bad(line, text, 'not an IP address or CIDR');
      return;
    }
    const r = this.result;
    const why = overlapsBogon(n, this.#options);
    if (why !== null) {
      r.skippedBogonCount++;
      if (r.skippedBogons.length < MAX_REPORTED_ITEMS) r.skippedBogons.push({ cidr: n.text, reason: why });
      return;
    }
    const key4 = n.family === 4 ? n.start * 64 + n.prefix : 0;
    const at = n.family === 4 ? this.#index4.get(key4) : this.#index6.get(n.text);
    if (at !== undefined) {
      r.duplicates++;
      const prev = r.since[at];
      if (since !== undefined && (prev === undefined || since < prev)) r.since[at] = since;
      return;
    }
    if (n.family === 4) this.#index4.set(key4, r.cidrs.length);
    else this.#index6.set(n.text, r.cidrs.length);
    r.cidrs.push(n.text);
    r.since.push(since);
  }

  asn(line: number, value: unknown, text: string): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 4294967295) {
      this.bad(line, text, 'asn is not a number between 1 and 4294967295');
      return;
    }
    if (this.#asns.has(value)) {
      this.result.duplicates++;
      return;
    }
    this.#asns.add(value);
    this.result.asns.push(value);
  }
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 0xfeff;

// Calls `onLine` with each line trimmed of surrounding whitespace (and CR), skipping blank lines; over-long lines are
// reported as bad. Returns the number of lines.
function eachLine(text: string, c: Collector, onLine: (line: string, lineNo: number) => void): void {
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    lineNo++;
    let s = pos;
    let e = nl;
    pos = nl + 1;
    while (s < e && isSpace(text.charCodeAt(s))) s++;
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
    if (s === e) continue;
    if (e - s > MAX_FEED_LINE) {
      c.bad(lineNo, text.slice(s, s + 200), `line longer than ${MAX_FEED_LINE} characters`);
      continue;
    }
    onLine(text.slice(s, e), lineNo);
  }
  c.result.lines = lineNo;
}

// Index of the first space or tab, or -1.
function firstSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 32 || ch === 9) return i;
  }
  return -1;
}

// Strips a trailing comment introduced by one of the two markers, then surrounding spaces.
function cutComment(line: string, a: string, b: string): string {
  let cut = line.indexOf(a);
  const other = line.indexOf(b);
  if (other >= 0 && (cut < 0 || other < cut)) cut = other;
  return cut < 0 ? line : line.slice(0, cut).trim();
}

// One token per line, after removing comments; anything after the address makes the line bad.
function parsePlain(text: string, c: Collector, markers: readonly [string, string]): void {
  eachLine(text, c, (line, lineNo) => {
    const ch = line.charCodeAt(0);
    if (ch === markers[0].charCodeAt(0) || ch === markers[1].charCodeAt(0)) return;
    const body = cutComment(line, markers[0], markers[1]);
    if (body.length === 0) return;
    if (firstSpace(body) >= 0) {
      c.bad(lineNo, line, 'unexpected text after the address');
      return;
    }
    c.network(lineNo, body, undefined, line);
  });
}

function parseSpamhausDrop(text: string, c: Collector): void {
  eachLine(text, c, (line, lineNo) => {
    if (line.charCodeAt(0) === 59 /* ; */) return;
    const semi = line.indexOf(';');
    const token = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (token.length === 0 || firstSpace(token) >= 0) {
      c.bad(lineNo, line, 'expected "<cidr> ; <SBL id>"');
      return;
    }
    c.network(lineNo, token, undefined, line);
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 500) : undefined);

// JSON lines with a final `{"type":"metadata",...}` line; `key` is `cidr` (DROP) or `asn` (ASN-DROP).
function parseSpamhausJson(text: string, c: Collector, key: 'cidr' | 'asn'): void {
  let records = 0;
  eachLine(text, c, (line, lineNo) => {
    let obj: unknown;
    try {
      obj = line.charCodeAt(0) === 123 /* { */ ? JSON.parse(line) : undefined;
    } catch {
      obj = undefined;
    }
    if (!isRecord(obj)) {
      c.bad(lineNo, line, 'not a JSON object');
      return;
    }
    if (obj.type === 'metadata') {
      c.result.metadata = {
        timestamp: num(obj.timestamp),
        size: num(obj.size),
        records: num(obj.records),
        copyright: str(obj.copyright),
        terms: str(obj.terms),
      };
      return;
    }
    records++;
    if (key === 'asn') {
      c.asn(lineNo, obj.asn, line);
    } else if (typeof obj.cidr === 'string') {
      c.network(lineNo, obj.cidr, undefined, line);
    } else {
      c.bad(lineNo, line, 'no "cidr" string');
    }
  });
  const r = c.result;
  // The metadata line comes last: without it the download stopped early.
  if (!r.metadata) {
    r.problem = 'no metadata trailer line (download truncated?)';
  } else if (r.metadata.records !== undefined && records + 1 < r.metadata.records) {
    // One record of slack: we only want to catch real loss, never reject every update over a counting convention.
    r.problem = `metadata announces ${r.metadata.records} records, found ${records}`;
  }
}

function parseTorExit(text: string, c: Collector): void {
  eachLine(text, c, (line, lineNo) => {
    if (line.charCodeAt(0) === 35 /* # */) return;
    const sp = firstSpace(line);
    if (sp < 0) {
      c.network(lineNo, line, undefined, line);
      return;
    }
    const keyword = line.slice(0, sp);
    if (keyword === 'ExitAddress') {
      // "ExitAddress 171.25.193.20 2024-01-15 07:13:36": the date is when it was last tested, not first seen.
      const rest = line.slice(sp + 1).trimStart();
      const end = firstSpace(rest);
      c.network(lineNo, end < 0 ? rest : rest.slice(0, end), undefined, line);
    } else if (keyword !== 'ExitNode' && keyword !== 'Published' && keyword !== 'LastStatus') {
      c.bad(lineNo, line, 'unknown exit-addresses keyword');
    }
  });
}

/**
 * Epoch seconds of `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS[Z]` read as UTC (the abuse.ch
 * convention), or undefined. Anchored patterns without nested quantifiers: linear time.
 */
export function parseUtcTimestamp(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z?)?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : undefined;
}

// Splits one CSV line: comma separated, fields optionally in double quotes with "" as an escaped quote.
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const len = line.length;
  while (i <= len) {
    if (line.charCodeAt(i) === 34) {
      let field = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          field += line.slice(i);
          i = len;
          break;
        }
        field += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(field);
      const comma = line.indexOf(',', i);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        out.push(line.slice(i).trim());
        break;
      }
      out.push(line.slice(i, comma).trim());
      i = comma + 1;
    }
  }
  return out;
}

function parseFeodoCsv(text: string, c: Collector): void {
  // Column positions from the header line when present (it may itself be commented), else abuse.ch's documented order.
  let ipCol = 1;
  let firstSeenCol = 0;
  eachLine(text, c, (line, lineNo) => {
    const commented = line.charCodeAt(0) === 35;
    if (line.indexOf('dst_ip') >= 0) {
      const cols = splitCsv(commented ? line.slice(1).trim() : line);
      const ip = cols.indexOf('dst_ip');
      if (ip >= 0) {
        ipCol = ip;
        firstSeenCol = cols.indexOf('first_seen_utc');
      }
      return;
    }
    if (commented) return;
    const cols = splitCsv(line);
    const ip = cols[ipCol];
    if (ip === undefined || ip.length === 0) {
      c.bad(lineNo, line, 'no dst_ip column');
      return;
    }
    const seen = firstSeenCol >= 0 ? cols[firstSeenCol] : undefined;
    c.network(lineNo, ip, seen === undefined ? undefined : parseUtcTimestamp(seen), line);
  });
}

function parseFeodoJson(text: string, c: Collector): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    c.result.problem = `not valid JSON (${err instanceof Error ? err.message.slice(0, 120) : 'parse error'})`;
    return;
  }
  if (!Array.isArray(doc)) {
    c.result.problem = 'expected a JSON array of C2 entries';
    return;
  }
  c.result.lines = doc.length;
  for (let i = 0; i < doc.length; i++) {
    const item: unknown = doc[i];
    const line = i + 1;
    if (!isRecord(item) || typeof item.ip_address !== 'string') {
      c.bad(line, JSON.stringify(item) ?? '', 'no "ip_address" string');
      continue;
    }
    const seen = typeof item.first_seen === 'string' ? parseUtcTimestamp(item.first_seen) : undefined;
    c.network(line, item.ip_address, seen, item.ip_address);
  }
}

// An error page instead of a feed: HTML/XML markup at the start.
function looksLikeMarkup(text: string): boolean {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 60 /* < */) return false;
  const head = text.slice(i, i + 256).toLowerCase();
  return (
    head.startsWith('<!doctype') ||
    head.startsWith('<html') ||
    head.startsWith('<?xml') ||
    head.startsWith('<head') ||
    head.startsWith('<body') ||
    head.startsWith('<!--') ||
    head.startsWith('<h1') ||
    head.startsWith('<title')
  );
}

/**
 * Parses feed text in the given format into canonical networks (or ASNs), with per-line bad-line reports and the
 * entries refused as private/special-purpose ranges. Never throws: text larger than the cap, an HTML error page, a
 * Feodo JSON document that is not an array, or a Spamhaus JSON feed without its metadata trailer set `problem`, which
 * `validateFeedUpdate` refuses. Pass `allowDocumentationRanges` only in tests.
 */
export function parseFeed(format: FeedFormat, text: string, options: FeedParseOptions = {}): FeedParseResult {
  const c = new Collector(format, options);
  const maxChars = options.maxChars ?? MAX_FEED_CHARS;
  if (text.length > maxChars) {
    c.result.problem = `feed is larger than ${maxChars} characters`;
    return c.result;
  }
  if (looksLikeMarkup(text)) {
    c.result.problem = 'looks like an HTML/XML page, not a feed';
    return c.result;
  }
  switch (format) {
    case 'plain':
    case 'feodo-txt':
    case 'abuseipdb':
      parsePlain(text, c, ['#', ';']);
      break;
    case 'spamhaus-drop':
      parseSpamhausDrop(text, c);
      break;
    case 'spamhaus-json':
      parseSpamhausJson(text, c, 'cidr');
      break;
    case 'spamhaus-asn-json':
      parseSpamhausJson(text, c, 'asn');
      break;
    case 'feodo-csv':
      parseFeodoCsv(text, c);
      break;
    case 'feodo-json':
      parseFeodoJson(text, c);
      break;
    case 'tor-exit':
      parseTorExit(text, c);
      break;
  }
  return c.result;
}

/**
 * Guesses the format of feed text from its first 64 KiB and an optional file name or URL (`ipblocklist.csv`,
 * `asndrop.json`). Falls back to `plain`, the most common format, which also reports unparsable lines as bad.
 */
export function detectFeedFormat(text: string, nameHint?: string): FeedFormat {
  const head = text.slice(0, 64 * 1024);
  const name = (nameHint ?? '').toLowerCase();
  const trimmed = head.trimStart();
  if (trimmed.startsWith('[')) return 'feodo-json';
  if (trimmed.startsWith('{')) {
    const nl = trimmed.indexOf('\n');
    const firstLine = nl < 0 ? trimmed : trimmed.slice(0, nl);
    if (firstLine.indexOf('"asn"') >= 0 || name.indexOf('asndrop') >= 0) return 'spamhaus-asn-json';
    return 'spamhaus-json';
  }
  if (head.indexOf('dst_ip') >= 0 || name.endsWith('.csv')) return 'feodo-csv';
  if (head.indexOf('ExitAddress ') >= 0 || head.indexOf('ExitNode ') >= 0) return 'tor-exit';
  if (head.indexOf('; SBL') >= 0 || trimmed.startsWith(';')) return 'spamhaus-drop';
  return 'plain';
}

/** Acceptance thresholds for a new copy of a feed. */
export interface FeedValidationPolicy {
  /** Largest share of bad lines among data lines (default 0.05). */
  maxBadShare: number;
  /** Largest drop in entries against the last good copy, as a fraction (default 0.5: half the entries gone). */
  maxShrink: number;
}

export const DEFAULT_FEED_VALIDATION: FeedValidationPolicy = { maxBadShare: 0.05, maxShrink: 0.5 };

export type FeedRejection =
  | 'feed_problem' // the document as a whole is wrong (too large, HTML, not JSON, truncated trailer)
  | 'feed_empty'
  | 'feed_garbled'
  | 'feed_shrunk';

export type FeedValidation = { ok: true; entries: number } | { ok: false; code: FeedRejection; reason: string };

/**
 * Decides whether a freshly parsed feed may replace the last good copy. Refuses a document-level problem, an empty
 * result, a share of bad lines above `maxBadShare` (garbled or wrong-format download), and a result that lost more
 * than `maxShrink` of the previous copy's entries (a short download that still parses). The reason names the numbers
 * and the first bad line so an operator can act. Entries are networks plus ASNs; skipped bogons do not count.
 */
export function validateFeedUpdate(
  previous: { entries: number } | null,
  next: FeedParseResult,
  policy: { maxBadShare?: number | undefined; maxShrink?: number | undefined } = {},
): FeedValidation {
  // Explicit `undefined` (an unset option of a feed definition) means "default", not "no limit".
  const p: FeedValidationPolicy = {
    maxBadShare: policy.maxBadShare ?? DEFAULT_FEED_VALIDATION.maxBadShare,
    maxShrink: policy.maxShrink ?? DEFAULT_FEED_VALIDATION.maxShrink,
  };
  if (next.problem !== undefined) return { ok: false, code: 'feed_problem', reason: next.problem };
  const entries = next.cidrs.length + next.asns.length;
  const dataLines = entries + next.duplicates + next.skippedBogonCount + next.badCount;
  if (next.badCount > 0 && next.badCount > dataLines * p.maxBadShare) {
    const first = next.bad[0];
    const pct = ((100 * next.badCount) / dataLines).toFixed(1);
    const where = first ? `; first at line ${first.line}: ${first.reason}` : '';
    return {
      ok: false,
      code: 'feed_garbled',
      reason: `${next.badCount} of ${dataLines} data lines (${pct} %) are not valid entries${where}`,
    };
  }
  if (entries === 0) {
    const note = next.skippedBogonCount > 0 ? ` (${next.skippedBogonCount} private/special ranges skipped)` : '';
    return { ok: false, code: 'feed_empty', reason: `no entries${note}` };
  }
  if (previous && previous.entries > 0 && entries < previous.entries * (1 - p.maxShrink)) {
    const pct = ((100 * (previous.entries - entries)) / previous.entries).toFixed(1);
    return {
      ok: false,
      code: 'feed_shrunk',
      reason: `${entries} entries against ${previous.entries} in the last good copy (${pct} % fewer, limit ${Math.round(p.maxShrink * 100)} %)`,
    };
  }
  return { ok: true, entries };
}
