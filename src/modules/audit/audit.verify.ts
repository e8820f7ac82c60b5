import type { KeyObject } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import type { Database, Db } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { keyIdOf, parsePublicKey, verifyCheckpointSignature } from './audit.keys.ts';
import { type SequenceVerdict, SequenceAnomaly, claimedSeq } from './audit.sequence.ts';
import { type Checkpoint, allCheckpoints, checkpointsOf } from './audit.store.ts';
import { verifyInParallel, type ParallelOptions } from './audit.verify.parallel.ts';
import { MerkleFrontier, frontierRanges, hashLeaf } from './merkle.ts';

export type VerifyProblem =
  'modified' | 'deleted' | 'inserted' | 'reordered' | 'checkpoint_mismatch' | 'bad_signature' | 'truncated';

export interface VerifyOk {
  ok: true;
  entries: number;
  /** Hex root over all entries. */
  root: string;
  checkpoints: number;
}

export interface VerifyFailure {
  ok: false;
  /** The first sequence number that is, or may be, bad. */
  firstBadSeq: number;
  problem: VerifyProblem;
  message: string;
  /** When only a range can be named: the last seq that may be bad. */
  lastSuspectSeq?: number;
}

export type VerifyResult = VerifyOk | VerifyFailure;

/** One batch of rows in seq order; `leaves[i]` is the stored leaf of `seqs[i]`. */
export interface EntryBatch {
  seqs: number[];
  entries: string[];
  leaves: Buffer[];
}

/** What the walker reads: the checkpoints, the head's next seq, and every row in seq order. */
export interface LogSnapshot {
  checkpoints: Checkpoint[];
  headNext: number;
  batches(): AsyncIterable<EntryBatch>;
}

export interface VerifyOptions {
  /** Rows per read. */
  batchSize?: number;
  /** Hash in worker threads on SQLite (default on for large logs); false to stay on this thread. */
  parallel?: false | ParallelOptions;
}

/**
 * Recompute the whole audit log and compare it with what is stored and signed: every entry's leaf hash,
 * the seq in every entry, gap-free seqs from 1, the head, and the root and signature of every checkpoint.
 * Reads in seq order from one consistent snapshot without holding the log in memory: a separate read-only
 * connection on SQLite (so it never waits on, or blocks, the writer's connection), a REPEATABLE READ
 * transaction on PostgreSQL. Large SQLite logs are hashed in worker threads; any problem found there is
 * diagnosed again on one thread, so the answer is always the precise one from `walk`.
 */
export async function verifyAuditLog(
  database: Database,
  publicKey: KeyObject | string,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const key = parsePublicKey(publicKey);
  const batchSize = opts.batchSize ?? 5000;
  if (database.dialect === 'sqlite') {
    if (!database.file) throw new AppError('internal', 'audit_verify_unsupported', 'SQLite verification needs the database file');
    const file = database.file;
    if (opts.parallel !== false) {
      const fast = await verifyInParallel(file, key, opts.parallel ?? {});
      if (fast) return fast;
    }
    return withSqliteSnapshot(file, batchSize, (snap) => walk(snap, key));
  }
  return database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`SET TRANSACTION READ ONLY`.execute(trx);
      return walk(await kyselySnapshot(trx, batchSize), key);
    });
}

/** Run `fn` over a read-only SQLite connection inside one read transaction (one WAL snapshot). */
export async function withSqliteSnapshot<T>(file: string, batchSize: number, fn: (snap: LogSnapshot) => Promise<T>): Promise<T> {
  const conn = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    conn.pragma('busy_timeout = 10000');
    conn.exec('BEGIN');
    const checkpoints = checkpointsOf(conn);
    const head = conn.prepare('SELECT next_seq FROM audit_head WHERE id = 1').pluck().get();
    const rows = conn.prepare('SELECT seq, entry, leaf FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
    const snap: LogSnapshot = {
      checkpoints,
      headNext: Number(head ?? 1),
      async *batches() {
        let after = 0;
        for (;;) {
          const got = rows.all(after, batchSize) as [number, string, Buffer][];
          if (got.length === 0) return;
          yield { seqs: got.map((r) => r[0]), entries: got.map((r) => r[1]), leaves: got.map((r) => r[2]) };
          after = (got[got.length - 1] as [number, string, Buffer])[0];
          // Stay responsive when running inside the server.
          await tick();
        }
      },
    };
    return await fn(snap);
  } finally {
    if (conn.inTransaction) conn.exec('COMMIT');
    conn.close();
  }
}

async function kyselySnapshot(db: Db, batchSize: number): Promise<LogSnapshot> {
  const checkpoints = await allCheckpoints(db);
  const head = await db.selectFrom('audit_head').select('next_seq').where('id', '=', 1).executeTakeFirst();
  return {
    checkpoints,
    headNext: Number(head?.next_seq ?? 1),
    async *batches() {
      let after = 0;
      for (;;) {
        const got = await db
          .selectFrom('audit_entries')
          .select(['seq', 'entry', 'leaf'])
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(batchSize)
          .execute();
        if (got.length === 0) return;
        yield {
          seqs: got.map((r) => Number(r.seq)),
          entries: got.map((r) => r.entry),
          leaves: got.map((r) => Buffer.from(r.leaf)),
        };
        after = Number(got[got.length - 1]?.seq);
      }
    },
  };
}

const fail = (firstBadSeq: number, problem: VerifyProblem, message: string, lastSuspectSeq?: number): VerifyFailure =>
  lastSuspectSeq !== undefined && lastSuspectSeq !== firstBadSeq
    ? { ok: false, firstBadSeq, problem, message, lastSuspectSeq }
    : { ok: false, firstBadSeq, problem, message };

const range = (a: number, b: number): string => (a === b ? `seq ${a}` : `seqs ${a}–${b}`);

/**
 * The precise verifier: walks the rows once, in order, and names the first bad seq.
 *
 * What can be pinpointed: an entry edited without its stored leaf hash (that row), missing seqs, rows moved
 * or added (see audit.sequence.ts), and truncation. When the stored leaf hash was rewritten along with the
 * entry, every row looks right on its own and only a signed root disagrees. The original leaf hashes then
 * exist nowhere but inside that root, so the change can only be narrowed to the smallest subtree that both
 * the checkpoint (its stored frontier, which must fold to its signed root) and our recomputation name and
 * that comes after the last checkpoint that matched. That is one row when checkpoints are dense around it
 * and a range otherwise: `firstBadSeq` is then the first seq that may be bad and `lastSuspectSeq` the last.
 */
export async function walk(snap: LogSnapshot, publicKey: KeyObject): Promise<VerifyResult> {
  const keyId = keyIdOf(publicKey);
  const cps = snap.checkpoints;
  const f = MerkleFrontier.empty();
  let next = 0; // index of the first checkpoint not yet reached
  let lastGood = 0; // tree size of the last checkpoint whose root matched
  let anomaly: SequenceAnomaly | null = null;
  let verdict: SequenceVerdict | null = null;

  /** A stored checkpoint's frontier, if its signature and fold check out; else the failure it is. */
  const vouched = (cp: Checkpoint, prevSize: number): MerkleFrontier | VerifyFailure => {
    if (cp.keyId !== keyId || !verifyCheckpointSignature(publicKey, cp)) {
      return fail(
        prevSize + 1,
        'bad_signature',
        `checkpoint at tree size ${cp.treeSize} is not signed by key ${keyId}: ${range(prevSize + 1, cp.treeSize)} are not covered by a valid signature`,
        cp.treeSize,
      );
    }
    try {
      const stored = MerkleFrontier.fromHex(cp.treeSize, cp.frontier);
      if (stored.root().toString('hex') === cp.root) return stored;
    } catch {
      // fall through
    }
    return fail(
      prevSize + 1,
      'checkpoint_mismatch',
      `checkpoint at tree size ${cp.treeSize} was altered: its stored frontier does not fold to its signed root`,
      cp.treeSize,
    );
  };

  /** First of our frontier nodes ending at or before `limit` that the checkpoint's frontier contradicts. */
  const contradiction = (stored: MerkleFrontier, limit: number): VerifyFailure | null => {
    const theirs = frontierRanges(stored.size);
    const ours = frontierRanges(f.size);
    for (let i = 0; i < theirs.length && i < ours.length; i++) {
      const [s, e] = theirs[i] as [number, number];
      const [os, oe] = ours[i] as [number, number];
      if (e > limit || s !== os || e !== oe) break;
      if (!(stored.nodes[i] as Buffer).equals(f.nodes[i] as Buffer)) {
        const lo = Math.max(s, lastGood);
        if (lo >= e)
          return fail(
            e,
            'checkpoint_mismatch',
            `checkpoint at tree size ${stored.size} contradicts the checkpoint at ${lastGood} that matched`,
          );
        const what = lo + 1 === e ? `entry ${e} was modified` : `one or more of ${range(lo + 1, e)} were modified`;
        return fail(
          lo + 1,
          'modified',
          `${what}: the entries hash consistently with their stored leaf hashes, but not to the root signed at tree size ${stored.size}, so the stored leaf hashes were rewritten too`,
          e,
        );
      }
    }
    return null;
  };

  /**
   * Before reporting a problem at `bad`, look for an earlier one the rows alone cannot show: the next
   * checkpoint not yet reached either has a bad signature itself, or vouches for subtrees before `bad`.
   */
  const earliest = (found: VerifyFailure): VerifyFailure => {
    const cp = cps[next];
    if (!cp) return found;
    const stored = vouched(cp, lastGood);
    if (!(stored instanceof MerkleFrontier)) return stored.firstBadSeq < found.firstBadSeq ? stored : found;
    return contradiction(stored, found.firstBadSeq - 1) ?? found;
  };

  const reachCheckpoints = (): VerifyFailure | null => {
    while (next < cps.length && (cps[next] as Checkpoint).treeSize === f.size) {
      const cp = cps[next] as Checkpoint;
      const stored = vouched(cp, lastGood);
      if (!(stored instanceof MerkleFrontier)) return stored;
      if (f.root().toString('hex') !== cp.root) {
        return (
          contradiction(stored, f.size) ??
          fail(
            lastGood + 1,
            'checkpoint_mismatch',
            `checkpoint at tree size ${cp.treeSize} does not match the entries ${range(lastGood + 1, cp.treeSize)}`,
            cp.treeSize,
          )
        );
      }
      lastGood = cp.treeSize;
      next++;
    }
    return null;
  };

  // Checkpoints of size 0 or below cannot be reached by any row.
  while (next < cps.length && (cps[next] as Checkpoint).treeSize <= 0) next++;

  for await (const b of snap.batches()) {
    for (let i = 0; i < b.seqs.length; i++) {
      const seq = b.seqs[i] as number;
      const entry = b.entries[i] as string;
      if (anomaly) {
        verdict = anomaly.feed(seq, claimedSeq(entry));
        if (verdict) break;
        continue;
      }
      const expected = f.size + 1;
      if (seq !== expected) {
        const found = fail(
          expected,
          'deleted',
          `${range(expected, seq - 1)} ${seq - expected === 1 ? 'is' : 'are'} missing`,
          seq - 1,
        );
        return earliest(found);
      }
      const claimed = claimedSeq(entry);
      if (claimed !== seq) {
        anomaly = new SequenceAnomaly(seq, claimed);
        continue;
      }
      const leaf = hashLeaf(entry);
      if (!leaf.equals(b.leaves[i] as Buffer)) {
        return earliest(fail(seq, 'modified', `entry ${seq} was modified: its text does not hash to its stored leaf hash`));
      }
      f.push(leaf);
      if (next < cps.length && (cps[next] as Checkpoint).treeSize === f.size) {
        const bad = reachCheckpoints();
        if (bad) return bad;
      }
    }
    if (verdict) break;
  }
  if (anomaly) {
    const v = verdict ?? anomaly.finish();
    return earliest(fail(v.firstBadSeq, v.problem, v.message));
  }
  const n = f.size;
  const beyond = cps[cps.length - 1];
  if (beyond && beyond.treeSize > n) {
    return earliest(
      fail(
        n + 1,
        'truncated',
        `the log ends at seq ${n}, but a checkpoint covers ${beyond.treeSize} entries: ${range(n + 1, beyond.treeSize)} were removed`,
        beyond.treeSize,
      ),
    );
  }
  if (snap.headNext - 1 > n) {
    return fail(
      n + 1,
      'truncated',
      `the log ends at seq ${n}, but sequence numbers up to ${snap.headNext - 1} were handed out`,
      snap.headNext - 1,
    );
  }
  return { ok: true, entries: n, root: f.root().toString('hex'), checkpoints: cps.length };
}
