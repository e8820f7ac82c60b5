import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { keyIdOf, verifyCheckpointSignature } from './audit.keys.ts';
import { type Checkpoint, checkpointsOf } from './audit.store.ts';
import type { VerifyOk } from './audit.verify.ts';
import { type ChunkJob, type ChunkResult, hashChunk } from './audit.verify.worker.ts';
import { MerkleFrontier } from './merkle.ts';

export interface ParallelOptions {
  /** Worker threads (default: the number of CPUs, at most 8); 0 runs the same fast path on this thread. */
  workers?: number;
  /** Leaves per chunk, a power of two (default 32,768). */
  chunkSize?: number;
  /** Below this many entries one thread is faster than starting workers (default 200,000). */
  minEntries?: number;
}

/**
 * The fast path of verification on SQLite: the log is cut into power-of-two aligned chunks, workers hash
 * them (each over its own read-only connection), and this thread combines the chunk subtrees into the tree
 * and checks every checkpoint. Chunk j covers leaves [j·C, (j+1)·C); the frontier of a tree of size
 * j·C + x is the frontier of j chunk roots followed by the chunk's own frontier at x, so checkpoint roots
 * come out without re-hashing. Returns the OK result, or null when the log is small or anything at all
 * looks wrong (the caller then runs the precise verifier, which names the problem).
 */
export async function verifyInParallel(file: string, publicKey: KeyObject, opts: ParallelOptions): Promise<VerifyOk | null> {
  const chunkSize = opts.chunkSize ?? 32_768;
  if (!(chunkSize > 0 && 2 ** Math.round(Math.log2(chunkSize)) === chunkSize))
    throw new RangeError('chunkSize must be a power of two');
  const conn = new SQLite(file, { readonly: true, fileMustExist: true });
  let n: number;
  let count: number;
  let headNext: number;
  let checkpoints: Checkpoint[];
  try {
    conn.exec('BEGIN');
    const stats = conn.prepare('SELECT max(seq) AS n, count(*) AS c FROM audit_entries').get() as { n: number | null; c: number };
    n = Number(stats.n ?? 0);
    count = Number(stats.c);
    headNext = Number(conn.prepare('SELECT next_seq FROM audit_head WHERE id = 1').pluck().get() ?? 1);
    checkpoints = checkpointsOf(conn);
    conn.exec('COMMIT');
  } finally {
    conn.close();
  }
  if (n < (opts.minEntries ?? 200_000)) return null;
  if (count !== n || headNext - 1 !== n) return null;
  const last = checkpoints[checkpoints.length - 1];
  if (last && last.treeSize > n) return null;

  const jobs: ChunkJob[] = [];
  for (let lo = 1, chunk = 0; lo <= n; lo += chunkSize, chunk++) {
    const hi = Math.min(lo + chunkSize - 1, n);
    const snapshots = checkpoints.filter((c) => c.treeSize >= lo && c.treeSize <= hi).map((c) => c.treeSize - lo + 1);
    jobs.push({ file, chunk, lo, hi, snapshots });
  }
  const results = await runJobs(jobs, Math.max(0, Math.min(opts.workers ?? availableParallelism(), 8, jobs.length)));
  if (!results) return null;

  const keyId = keyIdOf(publicKey);
  const byChunk = new Map(checkpoints.map((c) => [c.treeSize, c]));
  const chunks = MerkleFrontier.empty();
  let final: MerkleFrontier | null = null;
  for (const job of jobs) {
    const r = results[job.chunk];
    if (!r?.ok) return null;
    const base = chunks.nodes;
    for (const [local, nodes] of r.snapshots) {
      const size = job.lo - 1 + local;
      const cp = byChunk.get(size);
      if (!cp) return null;
      const tree = MerkleFrontier.from(size, [...base, ...nodes.map(latin1)]);
      if (tree.root().toString('hex') !== cp.root || cp.keyId !== keyId || !verifyCheckpointSignature(publicKey, cp)) return null;
      try {
        if (MerkleFrontier.fromHex(cp.treeSize, cp.frontier).root().toString('hex') !== cp.root) return null;
      } catch {
        return null;
      }
    }
    if (job.hi - job.lo + 1 === chunkSize) chunks.push(latin1(r.nodes[0] as string));
    else final = MerkleFrontier.from(n, [...base, ...r.nodes.map(latin1)]);
  }
  const tree = final ?? chunks;
  return { ok: true, entries: n, root: tree.root().toString('hex'), checkpoints: checkpoints.length };
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Start workers that load the TypeScript worker module through tsx (the same way bin/skjold.js runs). */
function startWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./audit.verify.worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(boot, { eval: true });
}

/**
 * Hand jobs to `count` workers, one at a time each; null as soon as a chunk needs a closer look or a worker
 * fails. Starting a worker takes a few hundred milliseconds (it loads TypeScript through tsx): until the
 * first one is up, this thread hashes chunks itself.
 */
async function runJobs(jobs: ChunkJob[], count: number): Promise<(ChunkResult | undefined)[] | null> {
  const results: (ChunkResult | undefined)[] = new Array<ChunkResult | undefined>(jobs.length);
  const workers = Array.from({ length: count }, startWorker);
  let nextJob = 0;
  let ready = 0;
  let failed = false;
  try {
    const done = Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = (): void => {
              const job = failed ? undefined : jobs[nextJob++];
              if (!job) return resolve();
              w.postMessage(job);
            };
            w.on('message', (r: ChunkResult | 'ready') => {
              if (r === 'ready') {
                ready++;
                return give();
              }
              results[r.chunk] = r;
              if (!r.ok) {
                failed = true;
                return reject(new Error('chunk needs a closer look'));
              }
              give();
            });
            w.on('error', reject);
            w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`verify worker exited with ${code}`))));
          }),
      ),
    );
    // Avoid an unhandled rejection while this thread is still busy below.
    done.catch(() => (failed = true));
    while (ready === 0 && !failed && nextJob < jobs.length) {
      const job = jobs[nextJob++] as ChunkJob;
      const r = hashChunk(job);
      results[job.chunk] = r;
      if (!r.ok) return null;
      await tick();
    }
    await done;
    return failed ? null : results;
  } catch {
    return null;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
