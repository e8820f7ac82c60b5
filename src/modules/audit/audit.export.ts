import type { KeyObject } from 'node:crypto';
import { type Clock, iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, invalid, notFound } from '../../core/errors.ts';
import { frontierAt } from './audit.checkpoints.ts';
import { keyIdOf } from './audit.keys.ts';
import { PackedLeaves, boundedNodes, leavesBetween } from './audit.proofs.ts';
import { seqBoundsOfTimes } from './audit.search.ts';
import { type Checkpoint, checkpointCovering, checkpointsBetween, committedSize, readEntries } from './audit.store.ts';
import { rangeProof } from './merkle.ts';

/**
 * The auditor's export, JSON lines:
 *   1. a header: `{"type":"skjold-audit-export","v":1,"firstSeq","lastSeq","checkpoints":[sizes],…}`;
 *   2. every entry's stored text verbatim, one per line, in seq order; after every batch of entries a
 *      `{"type":"leaves","firstSeq":s,"hashes":[…]}` line with their stored leaf hashes (so an edited line
 *      can be named exactly, not just "somewhere under this root");
 *   3. one `{"type":"checkpoint",…,"rangeProof":[…]}` line per checkpoint: the first one at or after the
 *      last entry (made at export time if there is none yet) and every one inside the range. The range
 *      proof covers the exported entries within that checkpoint's tree.
 * Ranges: `from`/`to` are seq numbers (both inclusive) or ISO times (from inclusive, to exclusive).
 */

export const EXPORT_TYPE = 'skjold-audit-export';

export interface ExportRange {
  from?: string | undefined;
  to?: string | undefined;
}

export interface ExportDeps {
  db: Db;
  publicKey: KeyObject;
  clock: Clock;
  /** Makes a checkpoint over everything committed (when none covers the range yet). */
  checkpointNow(): Promise<Checkpoint | null>;
}

const SEQ = /^[0-9]{1,15}$/;

/** Resolve `from`/`to` (seqs or ISO times) to an inclusive seq range over the committed log. */
export async function resolveRange(db: Db, r: ExportRange): Promise<{ first: number; last: number }> {
  const size = await committedSize(db);
  const time = (v: string | undefined, name: string): string | undefined => {
    if (v === undefined || SEQ.test(v)) return undefined;
    const t = new Date(v);
    if (Number.isNaN(t.getTime())) throw invalid('audit_range_invalid', `${name} must be a seq number or an ISO time`);
    return t.toISOString();
  };
  const bounds = await seqBoundsOfTimes(db, time(r.from, 'from'), time(r.to, 'to'));
  if (bounds.empty) throw notFound('audit_range_empty', 'no audit entries in that range');
  const first = r.from !== undefined && SEQ.test(r.from) ? Number(r.from) : (bounds.lo ?? 1);
  const last = r.to !== undefined && SEQ.test(r.to) ? Math.min(Number(r.to), size) : (bounds.hi ?? size);
  if (size === 0 || first < 1 || first > last) throw notFound('audit_range_empty', 'no audit entries in that range');
  return { first, last };
}

/**
 * Prepare an export: resolve the range, find or make the checkpoints and compute their range proofs (this
 * reads the frontier before the range and the leaves between its end and the covering checkpoint, not the
 * whole log). The returned lines are produced lazily, entries streamed in keyset batches.
 */
export async function exportAuditLog(
  deps: ExportDeps,
  r: ExportRange,
): Promise<{ first: number; last: number; lines: AsyncIterable<string> }> {
  const { db, publicKey } = deps;
  const { first, last } = await resolveRange(db, r);
  const cover = (await checkpointCovering(db, last)) ?? (await deps.checkpointNow());
  if (!cover || cover.treeSize < last)
    throw new AppError('unavailable', 'audit_checkpoint_unavailable', 'could not make a checkpoint covering the range');
  const inside = await checkpointsBetween(db, first, last - 1);
  const a = first - 1;
  const left = await frontierAt(db, a, publicKey);
  const right = await leavesBetween(db, last, cover.treeSize);
  const lines = [...inside, cover].map((cp) => {
    const end = Math.min(cp.treeSize, last);
    const proof = rangeProof(a, end, cp.treeSize, boundedNodes(left, end, cp === cover ? right : PackedLeaves.EMPTY));
    return JSON.stringify({
      type: 'checkpoint',
      treeSize: cp.treeSize,
      root: cp.root,
      ts: cp.ts,
      keyId: cp.keyId,
      signature: cp.signature,
      rangeProof: proof.map((h) => h.toString('hex')),
    });
  });
  const header = JSON.stringify({
    type: EXPORT_TYPE,
    v: 1,
    firstSeq: first,
    lastSeq: last,
    from: r.from ?? null,
    to: r.to ?? null,
    keyId: keyIdOf(publicKey),
    exportedAt: iso(deps.clock.now()),
    checkpoints: [...inside, cover].map((c) => c.treeSize),
  });
  async function* generate(): AsyncGenerator<string> {
    yield `${header}\n`;
    for await (const batch of readEntries(db, first, last)) {
      let text = '';
      for (const row of batch) text += `${row.entry}\n`;
      yield text;
      yield `${JSON.stringify({ type: 'leaves', firstSeq: batch[0]?.seq, hashes: batch.map((row) => row.leaf.toString('hex')) })}\n`;
    }
    for (const l of lines) yield `${l}\n`;
  }
  return { first, last, lines: generate() };
}
