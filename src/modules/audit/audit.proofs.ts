import type { KeyObject } from 'node:crypto';
import type { Db } from '../../core/db/database.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { frontierAt, trustedFrontier } from './audit.checkpoints.ts';
import { type Checkpoint, checkpointOfSize, readLeaves } from './audit.store.ts';
import { MerkleFrontier, type NodeSource, consistencyProof, hashChildren, inclusionProof, splitPoint } from './merkle.ts';

/**
 * Subtree hashes for proofs without reading the whole log: subtrees left of `left.size` must be nodes of
 * that frontier (every proof only asks for those there), subtrees from `rightStart` on are hashed from
 * `right` (the leaves rightStart, rightStart+1, …), and a subtree across the boundary (only when
 * rightStart = left.size) is split.
 */
export function boundedNodes(left: MerkleFrontier, rightStart: number, right: PackedLeaves): NodeSource {
  const node: NodeSource = (lo, hi) => {
    if (hi <= left.size) {
      const h = left.node(lo, hi);
      if (!h)
        throw new AppError(
          'internal',
          'audit_proof_node_unavailable',
          `subtree [${lo}, ${hi}) is not on the frontier of ${left.size}`,
        );
      return h;
    }
    if (lo >= rightStart) {
      if (hi - rightStart > right.count)
        throw new AppError('internal', 'audit_proof_node_unavailable', `leaves up to ${hi} were not read`);
      return right.treeHash(lo - rightStart, hi - rightStart);
    }
    if (rightStart !== left.size)
      throw new AppError('internal', 'audit_proof_node_unavailable', `subtree [${lo}, ${hi}) spans unread leaves`);
    const k = splitPoint(hi - lo);
    return hashChildren(node(lo, lo + k), node(lo + k, hi));
  };
  return node;
}

/** Leaf hashes packed 32 bytes apiece (a million leaves is 32 MB, not a million Buffers). */
export class PackedLeaves {
  readonly bytes: Buffer;
  readonly count: number;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
    this.count = bytes.length / 32;
  }

  static readonly EMPTY = new PackedLeaves(Buffer.alloc(0));

  at(i: number): Buffer {
    return this.bytes.subarray(i * 32, i * 32 + 32);
  }

  /** Tree hash of leaves [lo, hi) of this list. */
  treeHash(lo: number, hi: number): Buffer {
    const f = MerkleFrontier.empty();
    for (let i = lo; i < hi; i++) f.push(this.at(i));
    return f.root();
  }
}

/** Stored leaves of seqs after+1..upTo, i.e. leaf indexes after..upTo-1. */
export async function leavesBetween(db: Db, after: number, upTo: number): Promise<PackedLeaves> {
  const out = Buffer.alloc(Math.max(0, upTo - after) * 32);
  let n = 0;
  for await (const b of readLeaves(db, after, upTo)) for (const l of b) out.set(l, 32 * n++);
  return new PackedLeaves(out);
}

export interface InclusionProof {
  seq: number;
  leafIndex: number;
  treeSize: number;
  /** Hex leaf hash of the entry. */
  leaf: string;
  /** Hex audit path, deepest sibling first (RFC 6962). */
  path: string[];
}

/** RFC 6962 inclusion proof of entry `seq` in the tree of checkpoint `cp`. */
export async function proveInclusion(db: Db, publicKey: KeyObject, seq: number, cp: Checkpoint): Promise<InclusionProof> {
  if (seq < 1 || seq > cp.treeSize)
    throw new AppError('invalid', 'audit_proof_out_of_range', `entry ${seq} is not in the tree of size ${cp.treeSize}`);
  const index = seq - 1;
  const left = await frontierAt(db, index, publicKey);
  const right = await leavesBetween(db, index, cp.treeSize);
  const path = inclusionProof(index, cp.treeSize, boundedNodes(left, index, right));
  return {
    seq,
    leafIndex: index,
    treeSize: cp.treeSize,
    leaf: right.at(0).toString('hex'),
    path: path.map((h) => h.toString('hex')),
  };
}

/** RFC 6962 consistency proof between the checkpoints of sizes `from` ≤ `to`. */
export async function proveConsistency(
  db: Db,
  publicKey: KeyObject,
  from: number,
  to: number,
): Promise<{ from: Checkpoint; to: Checkpoint; proof: string[] }> {
  if (!(from >= 1 && from <= to))
    throw new AppError('invalid', 'audit_consistency_range', 'from must be at least 1 and at most to');
  const [a, b] = await Promise.all([checkpointOfSize(db, from), checkpointOfSize(db, to)]);
  if (!a) throw notFound('audit_checkpoint_not_found', `there is no checkpoint of tree size ${from}`);
  if (!b) throw notFound('audit_checkpoint_not_found', `there is no checkpoint of tree size ${to}`);
  const left = trustedFrontier(a, publicKey);
  if (!left)
    throw new AppError('internal', 'audit_checkpoint_corrupt', `checkpoint ${from} does not verify; run the audit verification`);
  const right = await leavesBetween(db, from, to);
  const proof = from === to ? [] : consistencyProof(from, to, boundedNodes(left, from, right));
  return { from: a, to: b, proof: proof.map((h) => h.toString('hex')) };
}
