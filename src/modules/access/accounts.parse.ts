import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { importUnreadable } from './accounts.errors.ts';

/**
 * Account lists as systems export them (issue 6 items 3 and 9): CSV with a header row, or JSON (an array of objects),
 * with the same fields under common aliases. Every row is validated on its own: a bad row is reported with its CSV line
 * or JSON array index and the rest is handled. Only a file that cannot be read at all (no account column, not a JSON
 * array) is refused whole.
 */

/** One account as a system reports it. */
export interface AccountRow {
  /** Lower-case account name. */
  account: string;
  displayName: string;
  email: string | null;
  privileged: boolean;
  groups: string[];
  /** ISO 8601 UTC, or null when the system never saw it used. */
  lastLogin: string | null;
  disabled: boolean;
}

/** Where a row sits in what was sent: the CSV line (1-based) or the JSON array index (0-based). */
export interface RowRef {
  line?: number | undefined;
  index?: number | undefined;
}

export interface RejectedRow extends RowRef {
  /** The account name when the row had a readable one (that account is left as it was). */
  account?: string | undefined;
  reason: string;
}

export interface ParsedAccountList {
  source: 'csv' | 'json' | 'ldap';
  digest: string;
  rows: (AccountRow & RowRef)[];
  rejected: RejectedRow[];
}

/** Most rows one list may hold. */
export const MAX_ACCOUNT_ROWS = 200_000;

type Field = 'account' | 'name' | 'email' | 'privileged' | 'groups' | 'lastLogin' | 'disabled' | 'enabled';
const ALIASES: Record<string, Field> = {};
const alias = (field: Field, names: string[]) => names.forEach((n) => (ALIASES[n] = field));
alias('account', ['account', 'accountname', 'username', 'user', 'login', 'uid', 'samaccountname', 'userid']);
alias('name', ['name', 'displayname', 'fullname', 'cn']);
alias('email', ['email', 'mail', 'emailaddress']);
alias('privileged', ['privileged', 'admin', 'isadmin', 'superuser', 'privilegedaccount']);
alias('groups', ['groups', 'roles', 'role', 'memberof']);
alias('lastLogin', ['lastlogin', 'lastloginat', 'lastused', 'lastusedat', 'lastlogon', 'lastsignin', 'lastseen']);
alias('disabled', ['disabled', 'locked', 'suspended']);
alias('enabled', ['enabled', 'active']);

/** `Last Login`, `last_login`, `last-login` → `lastlogin`. */
const fieldOf = (header: string): Field | undefined => ALIASES[header.toLowerCase().replace(/[\s_-]+/g, '')];

// Anchored, no nested quantifiers: linear on any input.
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const EMAIL = /^[^\s@]{1,200}@[^\s@]{1,200}$/;

const TRUE = new Set(['true', 'yes', 'y', '1', 'ja', 'x']);
const FALSE = new Set(['false', 'no', 'n', '0', 'nej', '']);

class RowProblem extends Error {}

function bool(v: unknown, what: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  throw new RowProblem(`${what} must be true or false (yes/no, 1/0), not ${JSON.stringify(v).slice(0, 40)}`);
}

function text(v: unknown, what: string, max: number): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new RowProblem(`${what} must be text`);
  const s = v.trim();
  if (s.length > max) throw new RowProblem(`${what} is longer than ${max} characters`);
  if (CONTROL.test(s)) throw new RowProblem(`${what} holds control characters`);
  return s;
}

function date(v: unknown, now: Date): string | null {
  const s = text(v, 'last_login', 40);
  if (s === '' || s.toLowerCase() === 'never') return null;
  if (!DATE.test(s)) throw new RowProblem(`last_login ${JSON.stringify(s)} is not a date (YYYY-MM-DD or ISO 8601)`);
  const t = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T'));
  if (Number.isNaN(t)) throw new RowProblem(`last_login ${JSON.stringify(s)} is not a valid date`);
  if (t > now.getTime() + 24 * 3_600_000) throw new RowProblem(`last_login ${s} is in the future`);
  return new Date(t).toISOString();
}

function groups(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[;|]/) : null;
  if (!list) throw new RowProblem('groups must be a list (or text separated by ; or |)');
  if (list.length > 500) throw new RowProblem('more than 500 groups');
  return list.map((g, i) => text(g, `groups[${i}]`, 512)).filter((g) => g !== '');
}

/** One row's fields (already mapped to field names) → an AccountRow, or a RowProblem. */
function toRow(fields: Partial<Record<Field, unknown>>, now: Date): AccountRow {
  const account = text(fields.account, 'account', 256).toLowerCase();
  if (account === '') throw new RowProblem('account is empty');
  const email = text(fields.email, 'email', 320).toLowerCase();
  if (email !== '' && !EMAIL.test(email)) throw new RowProblem(`email ${JSON.stringify(email)} is not an e-mail address`);
  const disabled =
    fields.disabled !== undefined
      ? bool(fields.disabled, 'disabled')
      : fields.enabled !== undefined
        ? !bool(fields.enabled, 'enabled')
        : false;
  return {
    account,
    displayName: text(fields.name, 'name', 256),
    email: email === '' ? null : email,
    privileged: bool(fields.privileged, 'privileged'),
    groups: groups(fields.groups),
    lastLogin: date(fields.lastLogin, now),
    disabled,
  };
}

/** Adds a row, refusing a second row for the same account (the list must name each account once). */
function collect(
  out: ParsedAccountList,
  seen: Map<string, string>,
  ref: RowRef,
  fields: Partial<Record<Field, unknown>>,
  now: Date,
) {
  try {
    const row = toRow(fields, now);
    const where = ref.line !== undefined ? `line ${ref.line}` : `index ${ref.index}`;
    const first = seen.get(row.account);
    if (first) {
      out.rejected.push({ ...ref, account: row.account, reason: `account ${row.account} is listed twice (first at ${first})` });
      return;
    }
    seen.set(row.account, where);
    out.rows.push({ ...row, ...ref });
  } catch (e) {
    if (!(e instanceof RowProblem)) throw e;
    const account = typeof fields.account === 'string' ? fields.account.trim().toLowerCase().slice(0, 256) : undefined;
    out.rejected.push({ ...ref, ...(account ? { account } : {}), reason: e.message });
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A CSV account list with a header row naming its columns (aliases accepted, unknown columns ignored). */
export function parseAccountCsv(csv: string, now: Date): ParsedAccountList {
  const out: ParsedAccountList = { source: 'csv', digest: sha256(csv), rows: [], rejected: [] };
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(csv, {
      info: true,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        if (err) out.rejected.push({ line: Number(err.lines), reason: err.message });
        return undefined;
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    throw importUnreadable(`the CSV cannot be read: ${(e as Error).message}`);
  }
  const header = records[0];
  if (!header) throw importUnreadable('the CSV is empty: it needs a header row naming an account column');
  const columns = header.record.map((h) => fieldOf(h));
  if (!columns.includes('account'))
    throw importUnreadable(`the CSV header (line ${header.info.lines}) has no account column (account, username, login, uid …)`);
  if (records.length - 1 > MAX_ACCOUNT_ROWS) throw importUnreadable(`the list has more than ${MAX_ACCOUNT_ROWS} rows`);
  const seen = new Map<string, string>();
  for (const { record, info } of records.slice(1)) {
    if (record.length !== columns.length) {
      out.rejected.push({ line: info.lines, reason: `the row has ${record.length} fields, the header ${columns.length}` });
      continue;
    }
    const fields: Partial<Record<Field, unknown>> = {};
    record.forEach((v, i) => {
      const f = columns[i];
      if (f) fields[f] = v;
    });
    collect(out, seen, { line: info.lines }, fields, now);
  }
  out.rejected.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return out;
}

/** A JSON account list: an array of objects with the CSV's fields (aliases accepted). `raw` is the text as sent. */
export function parseAccountJson(value: unknown, raw: string, now: Date): ParsedAccountList {
  const out: ParsedAccountList = { source: 'json', digest: sha256(raw), rows: [], rejected: [] };
  if (!Array.isArray(value)) throw importUnreadable('a JSON account list must be an array of objects');
  if (value.length > MAX_ACCOUNT_ROWS) throw importUnreadable(`the list has more than ${MAX_ACCOUNT_ROWS} rows`);
  const seen = new Map<string, string>();
  value.forEach((item: unknown, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      out.rejected.push({ index, reason: 'the entry is not an object' });
      return;
    }
    const fields: Partial<Record<Field, unknown>> = {};
    for (const [k, v] of Object.entries(item)) {
      const f = fieldOf(k);
      if (f) fields[f] = v;
    }
    collect(out, seen, { index }, fields, now);
  });
  return out;
}

/** Rows read from a directory (LDAP): validated like any other list; the digest covers what was read. */
export function accountListFromEntries(entries: Partial<Record<Field, unknown>>[], now: Date): ParsedAccountList {
  const out: ParsedAccountList = { source: 'ldap', digest: '', rows: [], rejected: [] };
  const seen = new Map<string, string>();
  entries.forEach((fields, index) => collect(out, seen, { index }, fields, now));
  const canonical = [...out.rows].sort((a, b) => a.account.localeCompare(b.account)).map(({ index: _i, ...r }) => r);
  out.digest = sha256(JSON.stringify({ rows: canonical, rejected: out.rejected }));
  return out;
}

/** A body as the route receives it: CSV or JSON text (text/plain), or an already parsed JSON array. */
export function parseAccountList(body: unknown, now: Date): ParsedAccountList {
  if (typeof body === 'string') {
    const start = body.trimStart();
    if (start.startsWith('[')) {
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch (e) {
        throw importUnreadable(`the JSON cannot be read: ${(e as Error).message}`);
      }
      return parseAccountJson(value, body, now);
    }
    return parseAccountCsv(body, now);
  }
  return parseAccountJson(body, JSON.stringify(body), now);
}
