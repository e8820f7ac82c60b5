import { createHash } from 'node:crypto';
import { sql, type GeneratedAlways } from 'kysely';
import type { AuditInput } from '../../core/audit.ts';
import type { Db } from '../../core/db/database.ts';

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
  return JSON.stringify({
    v: 1,
    seq,
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
  });
}

/** RFC 6962 leaf hash: SHA-256(0x00 || entry). */
export function leafHash(entry: string): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry, 'utf8').digest();
}
const LEAF_PREFIX = Buffer.from([0]);

/**
 * Append records inside the caller's transaction. Sequence numbers come from the single head row
 * (UPDATE … RETURNING), so they are gap-free and commit or roll back with the caller's change.
 */
export async function appendEntries(trx: Db, items: { ts: string; input: AuditInput }[]): Promise<number> {
  const n = items.length;
  const head = await sql<{ next_seq: number }>`UPDATE audit_head SET next_seq = next_seq + ${n} WHERE id = 1 RETURNING next_seq`.execute(trx);
  const next = Number(head.rows[0]?.next_seq);
  if (!Number.isFinite(next)) throw new Error('audit_head row missing');
  const first = next - n;
  const rows = items.map((it, i) => {
    const entry = canonicalEntry(first + i, it.ts, it.input);
    return { seq: first + i, entry, leaf: leafHash(entry) };
  });
  // Chunked so one statement stays under both databases' bound-parameter limits.
  for (let i = 0; i < rows.length; i += 2000) {
    await trx.insertInto('audit_entries').values(rows.slice(i, i + 2000)).execute();
  }
  return first;
}
