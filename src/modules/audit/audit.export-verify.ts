import type { KeyObject } from 'node:crypto';
import { EXPORT_TYPE } from './audit.export.ts';
import { keyIdOf, parsePublicKey, verifyCheckpointSignature } from './audit.keys.ts';
import { SequenceAnomaly, type SequenceVerdict, claimedSeq } from './audit.sequence.ts';
import type { VerifyProblem } from './audit.verify.ts';
import { MerkleFrontier, frontierLength, hashLeaf, hexHash, rootFromRangeProof } from './merkle.ts';

export type ExportProblem = VerifyProblem | 'malformed';

export type ExportVerifyResult =
  | { ok: true; firstSeq: number; lastSeq: number; entries: number; checkpoints: number }
  | { ok: false; firstBadSeq: number; problem: ExportProblem; message: string };

interface CheckpointLine {
  treeSize: number;
  root: string;
  ts: string;
  keyId: string;
  signature: string;
  rangeProof: string[];
}

/** Leaf hashes by index, packed 32 bytes apiece (an export of millions of entries stays small). */
class LeafStore {
  #bytes = Buffer.alloc(32 * 1024);
  #present = new Uint8Array(1024);
  length = 0;

  set(i: number, leaf: Buffer): void {
    if (i >= this.#present.length) {
      const cap = Math.max(i + 1, this.#present.length * 2);
      const bytes = Buffer.alloc(cap * 32);
      this.#bytes.copy(bytes);
      const present = new Uint8Array(cap);
      present.set(this.#present);
      [this.#bytes, this.#present] = [bytes, present];
    }
    leaf.copy(this.#bytes, i * 32);
    this.#present[i] = 1;
    this.length = Math.max(this.length, i + 1);
  }

  has(i: number): boolean {
    return this.#present[i] === 1;
  }

  get(i: number): Buffer {
    return this.#bytes.subarray(i * 32, i * 32 + 32);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Verify an export offline, with nothing but its lines and the public key: every entry line's seq and
 * position, every checkpoint's signature, each range proof against its signed root (using the listed leaf
 * hashes), and then every entry line against its (now authenticated) leaf hash. Names the first bad seq.
 */
export async function verifyExport(
  lines: AsyncIterable<string> | Iterable<string>,
  publicKeyPem: string | KeyObject,
): Promise<ExportVerifyResult> {
  const key = parsePublicKey(publicKeyPem);
  const keyId = keyIdOf(key);
  let header: { firstSeq: number; lastSeq: number; checkpoints: number[] } | null = null;
  let entries = 0;
  let anomaly: SequenceAnomaly | null = null;
  let verdict: SequenceVerdict | null = null;
  const computed = new LeafStore();
  const listed = new LeafStore();
  const cps: CheckpointLine[] = [];
  const malformed = (seq: number, message: string): ExportVerifyResult => ({
    ok: false,
    firstBadSeq: seq,
    problem: 'malformed',
    message,
  });

  for await (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (!header) {
      let h: unknown;
      try {
        h = JSON.parse(line);
      } catch {
        h = null;
      }
      if (!isObj(h) || h['type'] !== EXPORT_TYPE || h['v'] !== 1)
        return malformed(0, 'the first line is not a Skjold audit export header');
      const [f, l, c] = [h['firstSeq'], h['lastSeq'], h['checkpoints']];
      if (
        typeof f !== 'number' ||
        typeof l !== 'number' ||
        !Array.isArray(c) ||
        !c.every((x) => typeof x === 'number') ||
        f < 1 ||
        l < f
      ) {
        return malformed(0, 'the export header is incomplete');
      }
      header = { firstSeq: f, lastSeq: l, checkpoints: c };
      continue;
    }
    if (line.startsWith('{"type":')) {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        return malformed(header.firstSeq + entries, `unreadable line after entry ${header.firstSeq + entries - 1}`);
      }
      if (isObj(v) && v['type'] === 'leaves' && typeof v['firstSeq'] === 'number' && Array.isArray(v['hashes'])) {
        const start = v['firstSeq'] - header.firstSeq;
        (v['hashes'] as unknown[]).forEach((x, i) => {
          if (start + i >= 0 && typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)) listed.set(start + i, hexHash(x));
        });
      } else if (isObj(v) && v['type'] === 'checkpoint') {
        const { treeSize, root, ts, keyId: kid, signature, rangeProof: proof } = v;
        if (
          typeof treeSize !== 'number' ||
          typeof root !== 'string' ||
          typeof ts !== 'string' ||
          typeof kid !== 'string' ||
          typeof signature !== 'string' ||
          !Array.isArray(proof) ||
          !proof.every((x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x))
        ) {
          return malformed(header.firstSeq, 'a checkpoint line is incomplete');
        }
        cps.push({ treeSize, root, ts, keyId: kid, signature, rangeProof: proof as string[] });
      } else {
        return malformed(header.firstSeq + entries, 'unknown line type');
      }
      continue;
    }
    // An entry line.
    const pos = header.firstSeq + entries;
    entries++;
    if (verdict) continue;
    const claimed = claimedSeq(line);
    if (anomaly) {
      verdict = anomaly.feed(pos, claimed);
      continue;
    }
    if (claimed !== pos) {
      anomaly = new SequenceAnomaly(pos, claimed);
      continue;
    }
    computed.set(computed.length, hashLeaf(line));
  }
  if (!header) return malformed(0, 'the export is empty');
  const { firstSeq, lastSeq } = header;
  const failures: { ok: false; firstBadSeq: number; problem: ExportProblem; message: string }[] = [];
  const add = (firstBadSeq: number, problem: ExportProblem, message: string): void =>
    void failures.push({ ok: false, firstBadSeq, problem, message });

  if (anomaly) {
    const v = verdict ?? anomaly.finish();
    add(v.firstBadSeq, v.problem, v.message);
  }
  const expected = lastSeq - firstSeq + 1;
  if (entries < expected && !anomaly)
    add(
      firstSeq + entries,
      'truncated',
      `the export ends after entry ${firstSeq + entries - 1}, its header promises entries up to ${lastSeq}`,
    );
  if (entries > expected && !anomaly)
    add(lastSeq + 1, 'inserted', `the export holds ${entries - expected} more entry lines than its header promises`);
  let missingLeaf: number | undefined;
  for (let i = 0; i < expected && missingLeaf === undefined; i++) if (!listed.has(i)) missingLeaf = i;
  if (missingLeaf !== undefined)
    add(
      firstSeq + missingLeaf,
      'truncated',
      `the leaf hashes of entry ${firstSeq + missingLeaf} and maybe later ones are missing`,
    );

  // Checkpoints, smallest first; each vouches for the exported entries up to its size.
  const want = [...header.checkpoints].sort((x, y) => x - y);
  const bySize = new Map(cps.map((c) => [c.treeSize, c]));
  const a = firstSeq - 1;
  const leftCount = frontierLength(a);
  let vouchedUpTo = a;
  let f: MerkleFrontier | null = null;
  let leftHex: string | null = null;
  if (want.length === 0 || (want[want.length - 1] as number) < lastSeq)
    add(firstSeq, 'truncated', 'no checkpoint in the export covers its last entry');
  for (const size of want) {
    const cp = bySize.get(size);
    const from = vouchedUpTo + 1;
    if (!cp) {
      add(from, 'truncated', `the checkpoint at tree size ${size} named in the header is missing`);
      break;
    }
    if (cp.keyId !== keyId || !verifyCheckpointSignature(key, cp)) {
      add(from, 'bad_signature', `the checkpoint at tree size ${size} is not signed by key ${keyId}`);
      break;
    }
    const end = Math.min(size, lastSeq);
    const leftPart = cp.rangeProof.slice(0, leftCount);
    if (leftHex === null) leftHex = leftPart.join();
    if (leftPart.join() !== leftHex || cp.rangeProof.length < leftCount || missingLeaf !== undefined) {
      add(from, 'checkpoint_mismatch', `the range proof of the checkpoint at tree size ${size} does not fit the export`);
      break;
    }
    f ??= MerkleFrontier.fromHex(a, leftPart);
    while (f.size < end) f.push(listed.get(f.size - a));
    const frontier: MerkleFrontier = f;
    const root = rootFromRangeProof(0, end, size, (lo, hi) => frontier.node(lo, hi), cp.rangeProof.slice(leftCount).map(hexHash));
    if (!root || root.toString('hex') !== cp.root) {
      add(
        from,
        'checkpoint_mismatch',
        `the listed leaf hashes of ${from === end ? `entry ${from}` : `entries ${from}–${end}`} do not give the root signed at tree size ${size}`,
      );
      break;
    }
    vouchedUpTo = end;
  }
  // The listed leaf hashes are authentic as far as a checkpoint vouched for them: compare each entry line.
  for (let i = 0; i < computed.length && firstSeq + i <= vouchedUpTo; i++) {
    if (!computed.get(i).equals(listed.get(i))) {
      add(firstSeq + i, 'modified', `entry ${firstSeq + i} was modified: its line does not hash to its signed leaf hash`);
      break;
    }
  }
  if (failures.length > 0) {
    // The smallest seq first; for the same seq the most specific kind (the order failures were added).
    return failures.reduce((best, x) => (x.firstBadSeq < best.firstBadSeq ? x : best));
  }
  return { ok: true, firstSeq, lastSeq, entries, checkpoints: cps.length };
}

/** Split a stream of text chunks into lines. */
export async function* linesOf(chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): AsyncGenerator<string> {
  let rest = '';
  for await (const c of chunks) {
    rest += typeof c === 'string' ? c : c.toString('utf8');
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
  if (rest !== '') yield rest;
}
