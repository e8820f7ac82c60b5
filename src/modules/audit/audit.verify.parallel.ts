import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { keyIdOf, verifyCheckpointSignature } from './audit.keys.ts';
import { type Checkpoint, checkpointsOf } from './audit.store.ts';
import type { VerifyOk } from './audit.verify.ts';
import { type ChunkJob, type ChunkResult, hashChunk, releaseConnections } from './audit.verify.worker.ts';
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
      // Inside the chunk the two frontiers simply follow each other; at its very end the chunk is one more
      // chunk root, which may merge with the roots before it.
      let tree: MerkleFrontier;
      if (local === chunkSize) {
        tree = chunks.clone();
        tree.push(latin1(nodes[0] as string));
      } else tree = MerkleFrontier.from(size, [...base, ...nodes.map(latin1)]);
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

/**
 * Verification workers, started on first use and kept (unreferenced, so they never hold the process open):
 * starting one costs about 250 ms here (it loads TypeScript through tsx), a tenth of verifying a million
 * entries, so only the first verification after start pays it. Between verifications a worker holds no
 * database connection (see `release` in the worker).
 */
interface PooledWorker {
  worker: Worker;
  ready: Promise<void>;
  isReady: boolean;
}
const pool: PooledWorker[] = [];

function pooledWorkers(count: number): PooledWorker[] {
  while (pool.length < count) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const target = new URL('./audit.verify.worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
    const worker = new Worker(boot, { eval: true });
    worker.unref();
    const entry: PooledWorker = { worker, isReady: false, ready: Promise.resolve() };
    entry.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (m) => {
        if (m !== 'ready') return reject(new Error('verify worker did not start'));
        entry.isReady = true;
        resolve();
      });
      worker.once('error', reject);
    });
    entry.ready.catch(() => undefined);
    const drop = (): void => {
      const i = pool.indexOf(entry);
      if (i >= 0) pool.splice(i, 1);
    };
    worker.once('error', drop);
    worker.once('exit', drop);
    pool.push(entry);
  }
  return pool.slice(0, count);
}

/** Stop the pooled workers (tests, shutdown); the next verification starts new ones. */
export async function stopVerifyWorkers(): Promise<void> {
  const all = pool.splice(0);
  await Promise.all(all.map((p) => p.worker.terminate()));
}

/**
 * Hand jobs to `count` pooled workers, one at a time each; null as soon as a chunk needs a closer look or a
 * worker fails. Until the first worker is up (only on the first use), this thread hashes chunks itself.
 */
async function runJobs(jobs: ChunkJob[], count: number): Promise<(ChunkResult | undefined)[] | null> {
  const results: (ChunkResult | undefined)[] = new Array<ChunkResult | undefined>(jobs.length);
  const workers = pooledWorkers(count);
  let nextJob = 0;
  let failed = false;
  try {
    // Settled, not all: a worker still hashing when another reports trouble must answer before it is reused,
    // or its late answer would be taken for a job of the next verification.
    const done = Promise.allSettled(
      workers.map(async (p) => {
        await p.ready;
        const w = p.worker;
        w.ref();
        try {
          for (let job = failed ? undefined : jobs[nextJob++]; job; job = failed ? undefined : jobs[nextJob++]) {
            const r = await ask(w, job);
            results[r.chunk] = r;
            if (!r.ok) throw new Error('chunk needs a closer look');
          }
        } catch (e) {
          failed = true;
          throw e;
        } finally {
          w.postMessage({ release: true });
          w.unref();
        }
      }),
    );
    while (!workers.some((p) => p.isReady) && !failed && nextJob < jobs.length) {
      const job = jobs[nextJob++] as ChunkJob;
      const r = hashChunk(job);
      results[job.chunk] = r;
      if (!r.ok) {
        failed = true;
        break;
      }
      await tick();
    }
    await done;
    return failed ? null : results;
  } catch {
    return null;
  } finally {
    // This thread's own connection, if it hashed chunks while the workers started.
    releaseConnections();
  }
}

/** One job to one worker: its answer, or the worker's failure. */
function ask(w: Worker, job: ChunkJob): Promise<ChunkResult> {
  return new Promise<ChunkResult>((resolve, reject) => {
    const settle = (): void => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: ChunkResult): void => {
      settle();
      resolve(m);
    };
    const onError = (e: Error): void => {
      settle();
      reject(e);
    };
    const onExit = (code: number): void => {
      settle();
      reject(new Error(`verify worker exited with ${code}`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(job);
  });
}
