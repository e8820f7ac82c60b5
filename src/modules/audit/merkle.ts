import { hash } from 'node:crypto';

/**
 * RFC 6962 Merkle trees over SHA-256 (leaf = H(0x00 || data), node = H(0x01 || left || right), a tree of n
 * leaves splits at the largest power of two smaller than n). Sizes and indexes are plain numbers: all the
 * arithmetic below uses division, not 32-bit bit operators, so it stays exact up to 2^53 leaves.
 *
 * Node ranges are half-open leaf-index intervals [lo, hi). Proof lists are ordered as RFC 6962 defines
 * (inclusion and consistency) or left to right (range proofs).
 */

export const HASH_BYTES = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const nodeScratch = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeScratch[0] = NODE_PREFIX;
let leafScratch = Buffer.alloc(4096);

/** RFC 6962 leaf hash: SHA-256(0x00 || data); strings are hashed as UTF-8. */
export function hashLeaf(data: Uint8Array | string): Buffer {
  const len = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  if (len + 1 > leafScratch.length) leafScratch = Buffer.alloc(Math.max(len + 1, leafScratch.length * 2));
  leafScratch[0] = LEAF_PREFIX;
  if (typeof data === 'string') leafScratch.write(data, 1, 'utf8');
  else leafScratch.set(data, 1);
  return hash('sha256', leafScratch.subarray(0, len + 1), 'buffer');
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_BYTES);
  return hash('sha256', nodeScratch, 'buffer');
}

/** Root of the empty tree: SHA-256 of nothing. */
export function emptyRoot(): Buffer {
  return hash('sha256', Buffer.alloc(0), 'buffer');
}

/** The split point k of a tree of n ≥ 2 leaves: the largest power of two smaller than n. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Number of perfect subtrees on the right edge of a tree of n leaves (the set bits of n). */
export function frontierLength(n: number): number {
  let c = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) c += s % 2;
  return c;
}

/** Leaf ranges of the right-edge perfect subtrees of a tree of n leaves, left to right (largest first). */
export function frontierRanges(n: number): [number, number][] {
  const out: [number, number][] = [];
  let lo = 0;
  for (let p = 2 ** Math.floor(Math.log2(Math.max(n, 1)) + 1); p >= 1; p /= 2) {
    if (lo + p <= n) {
      out.push([lo, lo + p]);
      lo += p;
    }
  }
  return out;
}

/**
 * The right edge of a Merkle tree: one hash per perfect subtree in the binary decomposition of its size.
 * It is all that is needed to append leaves and to compute the root, so a checkpoint can extend the tree
 * from the previous checkpoint without re-reading the log.
 */
export class MerkleFrontier {
  #size: number;
  readonly #nodes: Buffer[];

  private constructor(size: number, nodes: Buffer[]) {
    this.#size = size;
    this.#nodes = nodes;
  }

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /** Rebuild from stored nodes; throws if the node count does not fit the size. */
  static from(size: number, nodes: readonly Uint8Array[]): MerkleFrontier {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad tree size ${size}`);
    if (nodes.length !== frontierLength(size))
      throw new RangeError(`a tree of ${size} leaves has ${frontierLength(size)} frontier nodes, got ${nodes.length}`);
    for (const n of nodes) if (n.length !== HASH_BYTES) throw new RangeError('frontier nodes must be 32-byte hashes');
    return new MerkleFrontier(
      size,
      nodes.map((n) => Buffer.from(n)),
    );
  }

  /** From hex strings as stored in audit_checkpoints.frontier. */
  static fromHex(size: number, hexNodes: readonly string[]): MerkleFrontier {
    return MerkleFrontier.from(size, hexNodes.map(hexHash));
  }

  get size(): number {
    return this.#size;
  }

  get nodes(): readonly Buffer[] {
    return this.#nodes;
  }

  /** Append one leaf hash. */
  push(leaf: Uint8Array): void {
    let h: Buffer = Buffer.from(leaf);
    // Each trailing 1 bit of the size is a perfect subtree the new leaf completes.
    for (let s = this.#size; s % 2 === 1; s = (s - 1) / 2) h = hashChildren(this.#nodes.pop() as Buffer, h);
    this.#nodes.push(h);
    this.#size++;
  }

  /** The tree hash (root) of everything pushed so far. */
  root(): Buffer {
    const n = this.#nodes.length;
    if (n === 0) return emptyRoot();
    let acc = this.#nodes[n - 1] as Buffer;
    for (let i = n - 2; i >= 0; i--) acc = hashChildren(this.#nodes[i] as Buffer, acc);
    return acc;
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(this.#size, [...this.#nodes]);
  }

  /** Hash of the frontier node covering exactly [lo, hi), if there is one. */
  node(lo: number, hi: number): Buffer | undefined {
    const ranges = frontierRanges(this.#size);
    const i = ranges.findIndex(([a, b]) => a === lo && b === hi);
    return i < 0 ? undefined : this.#nodes[i];
  }

  toHex(): string[] {
    return this.#nodes.map((n) => n.toString('hex'));
  }
}

/** Tree hash (MTH) of a list of leaf hashes. */
export function treeHash(leaves: readonly Uint8Array[]): Buffer {
  const f = MerkleFrontier.empty();
  for (const l of leaves) f.push(l);
  return f.root();
}

/** Parse a 64-character hex hash; throws on anything else. */
export function hexHash(hex: string): Buffer {
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new RangeError('not a 64-character hex hash');
  return Buffer.from(hex, 'hex');
}

/** Gives the hash of the subtree over leaves [lo, hi). */
export type NodeSource = (lo: number, hi: number) => Buffer;

/** A NodeSource over an in-memory list of all leaf hashes (tests, small trees). */
export function nodesFromLeaves(leaves: readonly Uint8Array[]): NodeSource {
  return (lo, hi) => treeHash(leaves.slice(lo, hi));
}

/** RFC 6962 audit path of leaf `index` in the tree of `size` leaves, deepest sibling first. */
export function inclusionProof(index: number, size: number, node: NodeSource): Buffer[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is outside a tree of ${size}`);
  const path: Buffer[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    if (hi - lo <= 1) return;
    const k = splitPoint(hi - lo);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(node(lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(node(lo, lo + k));
    }
  };
  walk(index, 0, size);
  return path;
}

const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** RFC 9162 §2.1.3.2: does `path` prove that `leaf` is leaf `index` of the tree with `root`? */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = hashChildren(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && r.equals(root);
}

/** RFC 6962 §2.1.2 consistency proof PROOF(m, D[n]) between tree sizes 0 < m ≤ n. */
export function consistencyProof(m: number, n: number, node: NodeSource): Buffer[] {
  if (!(m > 0 && m <= n)) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  const out: Buffer[] = [];
  const sub = (mm: number, lo: number, hi: number, complete: boolean): void => {
    if (mm === hi - lo) {
      if (!complete) out.push(node(lo, hi));
      return;
    }
    const k = splitPoint(hi - lo);
    if (mm <= k) {
      sub(mm, lo, lo + k, complete);
      out.push(node(lo + k, hi));
    } else {
      sub(mm - k, lo + k, hi, false);
      out.push(node(lo, lo + k));
    }
  };
  sub(m, 0, n, true);
  return out;
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree (n, newRoot) extends the tree (m, oldRoot)? */
export function verifyConsistency(
  m: number,
  n: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (m < 0 || m > n) return false;
  if (m === n) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (m === 0) return proof.length === 0;
  const path: Uint8Array[] = [...proof];
  if (2 ** Math.floor(Math.log2(m)) === m) path.unshift(oldRoot);
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = hashChildren(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return fr.equals(oldRoot) && sr.equals(newRoot) && sn === 0;
}

/**
 * Range proof for the leaves [start, end) of a tree of `size` leaves: the hashes of the maximal subtrees
 * that lie wholly outside the range, left to right. With the range's own leaves they give the root, and
 * no hash in it can be left out. The left part is always the frontier of a tree of `start` leaves.
 */
export function rangeProof(start: number, end: number, size: number, node: NodeSource): Buffer[] {
  if (!(start >= 0 && start < end && end <= size)) throw new RangeError(`bad range [${start}, ${end}) in a tree of ${size}`);
  const out: Buffer[] = [];
  const walk = (lo: number, hi: number): void => {
    if (hi <= start || lo >= end) {
      out.push(node(lo, hi));
      return;
    }
    if (start <= lo && hi <= end) return;
    const k = splitPoint(hi - lo);
    walk(lo, lo + k);
    walk(lo + k, hi);
  };
  walk(0, size);
  return out;
}

/**
 * Root of a tree of `size` leaves from a range proof for [start, end) plus the hashes of subtrees inside
 * the range: `inside(lo, hi)` returns the hash of [lo, hi) when it can (a single leaf, or a known subtree)
 * and undefined to have it split further. Returns null if the proof has too few or too many hashes.
 */
export function rootFromRangeProof(
  start: number,
  end: number,
  size: number,
  inside: (lo: number, hi: number) => Uint8Array | undefined,
  proof: readonly Uint8Array[],
): Buffer | null {
  if (!(start >= 0 && start < end && end <= size)) return null;
  let next = 0;
  const walk = (lo: number, hi: number): Buffer | null => {
    if (hi <= start || lo >= end) {
      const p = proof[next++];
      return p ? Buffer.from(p) : null;
    }
    if (start <= lo && hi <= end) {
      const known = inside(lo, hi);
      if (known) return Buffer.from(known);
      if (hi - lo === 1) return null;
    }
    const k = splitPoint(hi - lo);
    const l = walk(lo, lo + k);
    const r = l && walk(lo + k, hi);
    return l && r ? hashChildren(l, r) : null;
  };
  const root = walk(0, size);
  return root && next === proof.length ? root : null;
}

/** Does `proof` with the range's leaf hashes (leaves[i] is leaf start+i) give `root`? */
export function verifyRangeProof(
  start: number,
  end: number,
  size: number,
  leaves: readonly Uint8Array[],
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leaves.length !== end - start) return false;
  const got = rootFromRangeProof(start, end, size, (lo, hi) => (hi - lo === 1 ? leaves[lo - start] : undefined), proof);
  return got !== null && got.equals(root);
}
