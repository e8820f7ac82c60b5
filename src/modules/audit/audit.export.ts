import type { KeyObject } from 'node:crypto';
import { type Clock, iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, invalid, notFound } from '../../core/errors.ts';
import { frontierAt } from './audit.checkpoints.ts';
import { keyIdOf, parsePublicKey, verifyCheckpointSignature } from './audit.keys.ts';
import { boundedNodes, leavesBetween } from './audit.proofs.ts';
import { seqBoundsOfTimes } from './audit.search.ts';
import { SequenceAnomaly, type SequenceVerdict, claimedSeq } from './audit.sequence.ts';
import { type Checkpoint, checkpointCovering, checkpointsBetween, committedSize, readEntries } from './audit.store.ts';
import type { VerifyProblem } from './audit.verify.ts';
import { MerkleFrontier, frontierLength, hashLeaf, hexHash, rangeProof, rootFromRangeProof } from './merkle.ts';

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
    const proof = rangeProof(a, end, cp.treeSize, boundedNodes(left, end, cp === cover ? right : []));
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

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  const computed: Buffer[] = [];
  const listed: (Buffer | undefined)[] = [];
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
          if (start + i >= 0 && typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)) listed[start + i] = hexHash(x);
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
    computed.push(hashLeaf(line));
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
  const missingLeaf = Array.from({ length: expected }, (_, i) => i).find((i) => !listed[i]);
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
    while (f.size < end) f.push(listed[f.size - a] as Buffer);
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
    if (!(computed[i] as Buffer).equals(listed[i] as Buffer)) {
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
