import type BetterSqlite3 from 'better-sqlite3';
import { sql, type GeneratedAlways } from 'kysely';
import type { AuditInput } from '../../core/audit.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { hashLeaf } from './merkle.ts';

export interface AuditEntriesTable {
  seq: number;
  /** Canonical JSON of the record; the only thing hashed. */
  entry: string;
  /** SHA-256(0x00 || entry), the RFC 6962 leaf hash. */
  leaf: Uint8Array;
  ts: GeneratedAlways<string>;
  actor: GeneratedAlways<string>;
  action: GeneratedAlways<string>;
  target: GeneratedAlways<string | null>;
  outcome: GeneratedAlways<string>;
}

export interface AuditHeadTable {
  id: number;
  next_seq: number;
}

export interface AuditCheckpointsTable {
  tree_size: number;
  /** Hex Merkle root. */
  root: string;
  ts: string;
  key_id: string;
  /** Base64 Ed25519 signature over the checkpoint text. */
  signature: string;
  /** JSON array of hex subtree hashes (the right edge of the tree), to extend the tree incrementally. */
  frontier: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    audit_entries: AuditEntriesTable;
    audit_head: AuditHeadTable;
    audit_checkpoints: AuditCheckpointsTable;
  }
}

/** The canonical record text: fixed key order, undefined fields left out, `v` for the format version. */
export function canonicalEntry(seq: number, ts: string, e: AuditInput): string {
  return withSeq(seq, canonicalTail(ts, e));
}

/**
 * The canonical text after its seq: `"ts":…}`. The seq is known only inside the committing transaction, so
 * writers prepare this part beforehand and prefix `{"v":1,"seq":<seq>,` (exactly what JSON.stringify of the
 * whole record gives).
 */
export function canonicalTail(ts: string, e: AuditInput): string {
  return JSON.stringify({
    ts,
    actor: e.actor,
    actorName: e.actorName,
    action: e.action,
    target: e.target,
    ip: e.ip,
    ua: e.userAgent,
    outcome: e.outcome,
    status: e.status,
    rid: e.requestId,
    changes: e.changes,
    detail: e.detail,
  }).slice(1);
}

/** Put the version and seq in front of a canonical tail. */
export function withSeq(seq: number, tail: string): string {
  return `{"v":1,"seq":${seq},${tail}`;
}

/** RFC 6962 leaf hash: SHA-256(0x00 || entry). */
export function leafHash(entry: string): Buffer {
  return hashLeaf(entry);
}

/**
 * Append records inside the caller's transaction. Sequence numbers come from the single head row
 * (UPDATE … RETURNING), so they are gap-free and commit or roll back with the caller's change.
 */
export async function appendEntries(trx: Db, items: { ts: string; input: AuditInput }[]): Promise<number> {
  const n = items.length;
  const head = await sql<{
    next_seq: number;
  }>`UPDATE audit_head SET next_seq = next_seq + ${n} WHERE id = 1 RETURNING next_seq`.execute(trx);
  const next = Number(head.rows[0]?.next_seq);
  if (!Number.isFinite(next)) throw new Error('audit_head row missing');
  const first = next - n;
  const rows = items.map((it, i) => {
    const entry = canonicalEntry(first + i, it.ts, it.input);
    return { seq: first + i, entry, leaf: leafHash(entry) };
  });
  // Chunked so one statement stays under both databases' bound-parameter limits.
  for (let i = 0; i < rows.length; i += 2000) {
    await trx
      .insertInto('audit_entries')
      .values(rows.slice(i, i + 2000))
      .execute();
  }
  return first;
}

/** A signed checkpoint as the rest of the module sees it. */
export interface Checkpoint {
  treeSize: number;
  /** Hex Merkle root over entries 1..treeSize. */
  root: string;
  ts: string;
  keyId: string;
  /** Base64 Ed25519 signature over `checkpointText(treeSize, root, ts)`. */
  signature: string;
  /** Hex hashes of the perfect subtrees on the tree's right edge, largest first. */
  frontier: string[];
}

type CheckpointRow = AuditCheckpointsTable;

function toCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    treeSize: Number(r.tree_size),
    root: r.root,
    ts: r.ts,
    keyId: r.key_id,
    signature: r.signature,
    frontier: parseFrontier(r.frontier),
  };
}

/** A frontier that is not a JSON list of strings reads as empty: verification then reports it (it cannot fold to the root). */
function parseFrontier(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : [];
  } catch {
    return [];
  }
}

/** Every checkpoint, ascending, read over a raw SQLite connection. */
export function checkpointsOf(conn: BetterSqlite3.Database): Checkpoint[] {
  const rows = conn
    .prepare('SELECT tree_size, root, ts, key_id, signature, frontier FROM audit_checkpoints ORDER BY tree_size')
    .all() as {
    tree_size: number;
    root: string;
    ts: string;
    key_id: string;
    signature: string;
    frontier: string;
  }[];
  return rows.map((r) => ({
    treeSize: Number(r.tree_size),
    root: r.root,
    ts: r.ts,
    keyId: r.key_id,
    signature: r.signature,
    frontier: parseFrontier(r.frontier),
  }));
}

/** Store a checkpoint; a checkpoint of the same size made by another process first wins (same root). */
export async function insertCheckpoint(db: Db, cp: Checkpoint): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values({
      tree_size: cp.treeSize,
      root: cp.root,
      ts: cp.ts,
      key_id: cp.keyId,
      signature: cp.signature,
      frontier: JSON.stringify(cp.frontier),
    })
    .onConflict((oc) => oc.column('tree_size').doNothing())
    .execute();
}

/** The checkpoint with the largest tree size, if any. */
export async function latestCheckpoint(db: Db): Promise<Checkpoint | undefined> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  return r && toCheckpoint(r);
}

/** The smallest checkpoint with tree_size ≥ size (the first that covers entry `size`). */
export async function checkpointCovering(db: Db, size: number): Promise<Checkpoint | undefined> {
  const r = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tree_size', '>=', size)
    .orderBy('tree_size', 'asc')
    .limit(1)
    .executeTakeFirst();
  return r && toCheckpoint(r);
}

/** The largest checkpoint with tree_size ≤ size. */
export async function checkpointAtOrBefore(db: Db, size: number): Promise<Checkpoint | undefined> {
  const r = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tree_size', '<=', size)
    .orderBy('tree_size', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r && toCheckpoint(r);
}

/** The checkpoint of exactly this size. */
export async function checkpointOfSize(db: Db, size: number): Promise<Checkpoint | undefined> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', size).executeTakeFirst();
  return r && toCheckpoint(r);
}

/** Checkpoints with from ≤ tree_size ≤ to, ascending. */
export async function checkpointsBetween(db: Db, from: number, to: number): Promise<Checkpoint[]> {
  const rows = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tree_size', '>=', from)
    .where('tree_size', '<=', to)
    .orderBy('tree_size', 'asc')
    .execute();
  return rows.map(toCheckpoint);
}

/** A page of checkpoints, newest first, before `cursor` (a tree size) when given. */
export async function listCheckpoints(db: Db, opts: { cursor?: number | undefined; limit: number }): Promise<Checkpoint[]> {
  let q = db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(opts.limit);
  if (opts.cursor !== undefined) q = q.where('tree_size', '<', opts.cursor);
  return (await q.execute()).map(toCheckpoint);
}

/** Every checkpoint, ascending (verification; one row per `checkpointEvery` entries, so small). */
export async function allCheckpoints(db: Db): Promise<Checkpoint[]> {
  return (await db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'asc').execute()).map(toCheckpoint);
}

/** Size of the committed log: its largest seq (commits happen in seq order, so the rows are 1..max). */
export async function committedSize(db: Db): Promise<number> {
  const r = await db
    .selectFrom('audit_entries')
    .select((eb) => eb.fn.max('seq').as('max'))
    .executeTakeFirst();
  return Number(r?.max ?? 0);
}

/**
 * Stored leaf hashes of seqs (after, upTo], in seq order and keyset batches. Throws AppError
 * `audit_log_gap` if a seq is missing: a tree cannot be built over a gap.
 */
export async function* readLeaves(db: Db, after: number, upTo: number, batch = 5000): AsyncGenerator<Buffer[]> {
  let last = after;
  while (last < upTo) {
    const rows = await db
      .selectFrom('audit_entries')
      .select(['seq', 'leaf'])
      .where('seq', '>', last)
      .where('seq', '<=', upTo)
      .orderBy('seq')
      .limit(batch)
      .execute();
    if (rows.length === 0) break;
    const out: Buffer[] = [];
    for (const r of rows) {
      if (Number(r.seq) !== last + 1) throw new AppError('internal', 'audit_log_gap', `audit entry ${last + 1} is missing`);
      out.push(Buffer.from(r.leaf));
      last++;
    }
    yield out;
  }
  if (last < upTo) throw new AppError('internal', 'audit_log_gap', `audit entry ${last + 1} is missing`);
}

/** Stored entry rows (seq, entry text, leaf) for seqs first..last, in keyset batches. */
export async function* readEntries(
  db: Db,
  first: number,
  last: number,
  batch = 2000,
): AsyncGenerator<{ seq: number; entry: string; leaf: Buffer }[]> {
  let after = first - 1;
  while (after < last) {
    const rows = await db
      .selectFrom('audit_entries')
      .select(['seq', 'entry', 'leaf'])
      .where('seq', '>', after)
      .where('seq', '<=', last)
      .orderBy('seq')
      .limit(batch)
      .execute();
    if (rows.length === 0) return;
    yield rows.map((r) => ({ seq: Number(r.seq), entry: r.entry, leaf: Buffer.from(r.leaf) }));
    after = Number(rows[rows.length - 1]?.seq);
  }
}
