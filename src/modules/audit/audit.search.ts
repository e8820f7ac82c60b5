import { sql } from 'kysely';
import type { Database, Db } from '../../core/db/database.ts';

export interface AuditSearch {
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  outcome?: string | undefined;
  /** ISO time, inclusive. */
  from?: string | undefined;
  /** ISO time, exclusive. */
  to?: string | undefined;
  /** Continue after this seq (the previous page's nextCursor). */
  cursor?: number | undefined;
  limit: number;
  order: 'desc' | 'asc';
}

export interface AuditEntryView {
  seq: number;
  [field: string]: unknown;
}

/**
 * Time bounds become seq bounds through the ts index (one index probe each), so that every search is a
 * range scan in seq order on the primary key or on one (column, seq) index, never a sort. Entries are
 * written in seq order with the clock of the moment, so ts and seq agree; an entry whose ts is out of
 * order with its seq (concurrent transactions, a clock step) right at a boundary may be left out.
 */
export async function seqBoundsOfTimes(
  db: Db,
  from: string | undefined,
  to: string | undefined,
): Promise<{ lo?: number; hi?: number; empty: boolean }> {
  let lo: number | undefined;
  let hi: number | undefined;
  if (from !== undefined) {
    const r = await db
      .selectFrom('audit_entries')
      .select('seq')
      .where('ts', '>=', from)
      .orderBy('ts', 'asc')
      .orderBy('seq', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (!r) return { empty: true };
    lo = Number(r.seq);
  }
  if (to !== undefined) {
    const r = await db
      .selectFrom('audit_entries')
      .select('seq')
      .where('ts', '<', to)
      .orderBy('ts', 'desc')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!r) return { empty: true };
    hi = Number(r.seq);
  }
  return {
    ...(lo !== undefined ? { lo } : {}),
    ...(hi !== undefined ? { hi } : {}),
    empty: lo !== undefined && hi !== undefined && lo > hi,
  };
}

/** The search query itself (exported so tests can look at its plan). */
export function searchQuery(database: Database, f: AuditSearch, bounds: { lo?: number | undefined; hi?: number | undefined }) {
  const db = database.db;
  // On SQLite `+ts` keeps the planner off the ts index for the residual time filter (seq bounds do that work).
  const ts = database.dialect === 'sqlite' ? sql<string>`+ts` : sql<string>`ts`;
  let q = db.selectFrom('audit_entries').select(['seq', 'entry']);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.target !== undefined) q = q.where('target', '=', f.target);
  if (f.outcome !== undefined) q = q.where('outcome', '=', f.outcome);
  if (bounds.lo !== undefined) q = q.where('seq', '>=', bounds.lo);
  if (bounds.hi !== undefined) q = q.where('seq', '<=', bounds.hi);
  if (f.from !== undefined) q = q.where(ts, '>=', f.from);
  if (f.to !== undefined) q = q.where(ts, '<', f.to);
  if (f.cursor !== undefined) q = q.where('seq', f.order === 'desc' ? '<' : '>', f.cursor);
  return q.orderBy('seq', f.order).limit(f.limit + 1);
}

/** Search the audit log; keyset pages in seq order (newest first by default). */
export async function searchEntries(
  database: Database,
  f: AuditSearch,
): Promise<{ items: AuditEntryView[]; nextCursor: number | null }> {
  const bounds = await seqBoundsOfTimes(database.db, f.from, f.to);
  if (bounds.empty) return { items: [], nextCursor: null };
  const rows = await searchQuery(database, f, bounds).execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  const items = page.map((r) => viewOf(Number(r.seq), r.entry));
  return { items, nextCursor: more ? (items[items.length - 1]?.seq ?? null) : null };
}

/** An entry as the API shows it: its seq plus the fields of its JSON. */
export function viewOf(seq: number, entry: string): AuditEntryView {
  let fields: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(entry);
    if (v && typeof v === 'object' && !Array.isArray(v)) fields = v as Record<string, unknown>;
  } catch {
    fields = { unreadable: true };
  }
  return { ...fields, seq };
}

/** One entry by seq. */
export async function getEntry(db: Db, seq: number): Promise<{ seq: number; entry: string; leaf: Buffer } | undefined> {
  const r = await db.selectFrom('audit_entries').select(['seq', 'entry', 'leaf']).where('seq', '=', seq).executeTakeFirst();
  return r && { seq: Number(r.seq), entry: r.entry, leaf: Buffer.from(r.leaf) };
}
