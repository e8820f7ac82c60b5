import { type CsvError, parse as parseCsv } from 'csv-parse/sync';
import { invalid } from '../../core/errors.ts';
import type { BadgeResult } from './physical.model.ts';

/**
 * Badge events as the access-card system exports them (issue 6 item 5, P4): CSV with a header row, or syslog lines.
 * Parsing is pure and row by row: a bad row becomes a `RejectedRow` with its line number and the reason, the rest
 * goes on. Nothing here touches the database.
 *
 * CSV: a header row naming the columns `time`, `badge`, `door`, `site`, `result` in any order (case, spaces, `_`
 * and `-` ignored; aliases below, e.g. `timestamp`, `card_number`, `reader`, `location`, `outcome`). Other columns
 * are ignored.
 *
 * Syslog: one event per line, RFC 5424 (`<134>1 2026-11-27T08:15:02Z cardsrv pacs - - - badge=1001 door="Main
 * entrance" site=DC1 result=granted`) or RFC 3164 / bare lines carrying `time=<ISO 8601>`. The fields are
 * `key=value` pairs (double-quote values with spaces; `\"` inside quotes) in the message or in structured data
 * (`[pacs@32473 badge="1001" …]`). A `time=` field wins over the header's timestamp.
 *
 * Times are ISO 8601 with a zone (`Z` or `+01:00`); a time without a zone is refused (its instant is unknown).
 * Results: granted (also grant, allowed, ok, accepted, success) or denied (also deny, rejected, refused, failed).
 */

export type BadgeImportFormat = 'csv' | 'syslog';

export interface ParsedBadgeRow {
  line: number;
  /** ISO 8601 UTC with milliseconds. */
  occurredAt: string;
  badge: string;
  door: string;
  site: string;
  result: BadgeResult;
}

export interface RejectedRow {
  line: number;
  /** The row's text, cut at 200 characters. */
  text: string;
  reason: string;
}

export interface ParsedBadgeFile {
  format: BadgeImportFormat;
  /** Lines read (data rows for CSV, not counting the header; non-empty lines for syslog). */
  lines: number;
  rows: ParsedBadgeRow[];
  rejected: RejectedRow[];
}

const FIELDS = ['time', 'badge', 'door', 'site', 'result'] as const;
type Field = (typeof FIELDS)[number];

/** Header names accepted for each field (compared without case, spaces, `_` and `-`). */
export const CSV_ALIASES: Record<Field, readonly string[]> = {
  time: ['time', 'timestamp', 'occurredat', 'datetime', 'date', 'when', 'eventtime'],
  badge: ['badge', 'badgenumber', 'badgeno', 'badgeid', 'card', 'cardnumber', 'cardno', 'cardid'],
  door: ['door', 'doorname', 'reader', 'readername', 'entrance'],
  site: ['site', 'sitename', 'location', 'datacenter', 'datacentre', 'building'],
  result: ['result', 'outcome', 'status', 'access', 'decision'],
};

const GRANTED = new Set(['granted', 'grant', 'allowed', 'allow', 'ok', 'accepted', 'success', 'accessgranted']);
const DENIED = new Set(['denied', 'deny', 'rejected', 'refused', 'failed', 'fail', 'failure', 'accessdenied']);

const squash = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
const cut = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

const CONTROL = /[\u0000-\u001f\u007f]/;
const BADGE = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** An ISO 8601 time with a zone as UTC ISO, or the reason it is not one. */
export function parseEventTime(raw: string): { ok: true; iso: string } | { ok: false; reason: string } {
  const m = ISO.exec(raw.trim());
  if (!m) return { ok: false, reason: `time ${JSON.stringify(cut(raw))} is not ISO 8601 (2026-11-27T08:15:02Z)` };
  const [, y, mo, d, h, mi, s, , zone] = m;
  if (!zone) return { ok: false, reason: `time ${raw.trim()} has no zone (add Z or an offset like +01:00)` };
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysIn || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59)
    return { ok: false, reason: `time ${raw.trim()} is not a real date and time` };
  const normal = raw
    .trim()
    .replace(' ', 'T')
    .replace(',', '.')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(normal);
  if (Number.isNaN(t)) return { ok: false, reason: `time ${raw.trim()} cannot be read` };
  return { ok: true, iso: new Date(t).toISOString() };
}

/** Check one row's five fields; returns the row or the reason it is refused. */
function checkRow(line: number, f: Partial<Record<Field, string>>): ParsedBadgeRow | string {
  const missing = FIELDS.filter((k) => !f[k]?.trim());
  if (missing.length) return `missing ${missing.join(', ')}`;
  const time = parseEventTime(f.time ?? '');
  if (!time.ok) return time.reason;
  const badge = (f.badge ?? '').trim();
  if (!BADGE.test(badge))
    return `badge ${JSON.stringify(cut(badge))} is not a badge number (letters, digits, : . _ -, at most 64)`;
  const door = (f.door ?? '').trim();
  const site = (f.site ?? '').trim();
  for (const [k, v] of [
    ['door', door],
    ['site', site],
  ] as const) {
    if (v.length > 200) return `${k} is longer than 200 characters`;
    if (CONTROL.test(v)) return `${k} holds control characters`;
  }
  const r = squash(f.result ?? '');
  const result: BadgeResult | null = GRANTED.has(r) ? 'granted' : DENIED.has(r) ? 'denied' : null;
  if (!result) return `result ${JSON.stringify(cut(f.result ?? ''))} is neither granted nor denied`;
  return { line, occurredAt: time.iso, badge, door, site, result };
}

/** Read a CSV export with a header row. A header without the five columns refuses the whole file (400). */
export function parseBadgeCsv(text: string): ParsedBadgeFile {
  const out: ParsedBadgeFile = { format: 'csv', lines: 0, rows: [], rejected: [] };
  // csv-parse counts a CRLF inside a quoted field as two lines; with LF only, its line numbers are right.
  const records = parseCsv(text.replace(/\r\n/g, '\n'), {
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      out.lines++;
      const line = Number((err as { lines?: number } | undefined)?.lines ?? 0);
      out.rejected.push({
        line,
        text: cut(raw ?? ''),
        reason:
          err?.code === 'CSV_QUOTE_NOT_CLOSED'
            ? 'a quote is never closed: the file from this row on cannot be read'
            : `not CSV: ${err?.message ?? 'unreadable row'}`,
      });
      return undefined;
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const header = records.shift();
  if (!header) throw invalid('access_badge_import_empty', 'the file holds no header row and no events');
  const names = header.record.map(squash);
  const index: Partial<Record<Field, number>> = {};
  for (const f of FIELDS) {
    const i = names.findIndex((n) => CSV_ALIASES[f].includes(n));
    if (i >= 0) index[f] = i;
  }
  const absent = FIELDS.filter((f) => index[f] === undefined);
  if (absent.length)
    throw invalid(
      'access_badge_import_header',
      `the header row (line 1) lacks the column${absent.length > 1 ? 's' : ''} ${absent.join(', ')}; it names ${header.record.join(', ')}`,
      absent.map((f) => ({ path: `header.${f}`, message: `a column named ${CSV_ALIASES[f].join(' | ')}` })),
    );
  for (const { record, info } of records) {
    out.lines++;
    // A quoted field may span lines: report the line the row starts on.
    const line = info.lines - record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0);
    const fields: Partial<Record<Field, string>> = {};
    for (const f of FIELDS) fields[f] = record[index[f] ?? -1];
    const r = checkRow(line, fields);
    if (typeof r === 'string') out.rejected.push({ line, text: cut(record.join(',')), reason: r });
    else out.rows.push(r);
  }
  out.rejected.sort((a, b) => a.line - b.line);
  return out;
}

/** `key=value` and `key="quoted \"value\""` pairs anywhere in `s`, in one linear pass (no backtracking). */
export function keyValues(s: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const n = s.length;
  const isKey = (c: string) => /[A-Za-z0-9_.-]/.test(c);
  while (i < n) {
    const c = s.charAt(i);
    if (c === ' ' || c === '\t' || c === '[' || c === ']') {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isKey(s.charAt(i))) i++;
    if (i > start && s.charAt(i) === '=') {
      const key = s.slice(start, i).toLowerCase();
      i++;
      let value = '';
      if (s.charAt(i) === '"') {
        i++;
        while (i < n && s.charAt(i) !== '"') {
          if (s.charAt(i) === '\\' && i + 1 < n) i++;
          value += s.charAt(i);
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && s.charAt(i) !== ' ' && s.charAt(i) !== '\t' && s.charAt(i) !== ']') i++;
        value = s.slice(vs, i);
      }
      if (!out.has(key)) out.set(key, value);
    } else {
      // Not a pair: skip the rest of this word.
      while (i < n && s.charAt(i) !== ' ' && s.charAt(i) !== '\t') i++;
    }
  }
  return out;
}

const KEY_ALIASES: Record<Field, readonly string[]> = {
  time: ['time', 'timestamp', 'ts'],
  badge: ['badge', 'card'],
  door: ['door', 'reader'],
  site: ['site', 'location'],
  result: ['result', 'outcome', 'access'],
};

/** One syslog line's fields: `time` from the RFC 5424 header unless the message carries `time=`. */
function syslogFields(line: string): Partial<Record<Field, string>> {
  let rest = line;
  let headerTime: string | undefined;
  const pri = /^<\d{1,3}>/.exec(rest);
  if (pri) rest = rest.slice(pri[0].length);
  if (rest.startsWith('1 ')) {
    // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then structured data and the message.
    const parts = rest.split(' ', 6);
    if (parts[1] && parts[1] !== '-') headerTime = parts[1];
    rest = rest.slice(parts.join(' ').length);
  }
  const kv = keyValues(rest.length > 8192 ? rest.slice(0, 8192) : rest);
  const fields: Partial<Record<Field, string>> = {};
  for (const f of FIELDS) {
    const k = KEY_ALIASES[f].find((a) => kv.has(a));
    if (k !== undefined) fields[f] = kv.get(k);
  }
  if (!fields.time && headerTime) fields.time = headerTime;
  return fields;
}

/** Read syslog lines (RFC 5424, RFC 3164 or bare `key=value` lines with `time=`). Empty lines are not events. */
export function parseBadgeSyslog(text: string): ParsedBadgeFile {
  const out: ParsedBadgeFile = { format: 'syslog', lines: 0, rows: [], rejected: [] };
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineText.trim() === '') continue;
    out.lines++;
    const line = i + 1;
    if (lineText.length > 8192) {
      out.rejected.push({ line, text: cut(lineText), reason: 'longer than 8192 characters' });
      continue;
    }
    const fields = syslogFields(lineText);
    if (!fields.time && fields.badge)
      out.rejected.push({ line, text: cut(lineText), reason: 'no time: use an RFC 5424 timestamp or a time= field' });
    else {
      const r = checkRow(line, fields);
      if (typeof r === 'string') out.rejected.push({ line, text: cut(lineText), reason: r });
      else out.rows.push(r);
    }
  }
  return out;
}

/**
 * Which format a body is in: the `format` query wins, then `text/csv`; otherwise a first line starting with `<`
 * (a syslog priority) or holding `badge=` is syslog, and anything else CSV.
 */
export function detectFormat(text: string, contentType: string | undefined, format?: BadgeImportFormat): BadgeImportFormat {
  if (format) return format;
  if (contentType?.toLowerCase().startsWith('text/csv')) return 'csv';
  const first = text.trimStart().split('\n', 1)[0] ?? '';
  return first.startsWith('<') || /\bbadge=/.test(first) ? 'syslog' : 'csv';
}

export function parseBadgeFile(text: string, format: BadgeImportFormat): ParsedBadgeFile {
  return format === 'csv' ? parseBadgeCsv(text) : parseBadgeSyslog(text);
}
