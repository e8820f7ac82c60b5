import { hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

/**
 * Worker side of the parallel verification: hashes one aligned chunk of the log (seqs lo..hi) read over
 * its own read-only SQLite connection, and reports the chunk's local frontier at its end and at each
 * requested local size (checkpoints inside the chunk). It only answers "all fine" or "look closer": the
 * diagnosis is left to the precise single-threaded verifier.
 *
 * Hot loop: hashes are kept as 32-character latin1 strings, because crypto.hash with a string output costs
 * half as much as one that allocates a Buffer, and strings compare without allocating.
 */

export interface ChunkJob {
  file: string;
  chunk: number;
  lo: number;
  hi: number;
  /** Local tree sizes (1..hi-lo+1) at which to report the frontier, ascending. */
  snapshots: number[];
}

export interface ChunkResult {
  chunk: number;
  ok: boolean;
  /** Local frontier at the chunk's end, latin1 hash strings. */
  nodes: string[];
  snapshots: [number, string[]][];
}

const READ_BATCH = 4096;
const scratch = Buffer.alloc(65);
scratch[0] = 1;
const PREFIX = Buffer.from('{"v":1,"seq":');

function node(left: string, right: string): string {
  scratch.write(left, 1, 'latin1');
  scratch.write(right, 33, 'latin1');
  return hash('sha256', scratch, 'binary');
}

/** Whether the entry whose 0x00 separator is at `zero` starts with the canonical `{"v":1,"seq":<seq>,`. */
function claimsSeq(buf: Buffer, zero: number, seq: number): boolean {
  let k = zero + 1;
  for (let j = 0; j < PREFIX.length; j++, k++) if (buf[k] !== PREFIX[j]) return false;
  let v = 0;
  for (const stop = k + 16; k < stop && k < buf.length; k++) {
    const c = (buf[k] as number) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  return v === seq && buf[k] === 44; /* , */
}

const connections = new Map<string, SQLite.Statement>();

/**
 * One row per batch: every entry's bytes, each behind a 0x00 byte (so entry i is hashed as the subarray
 * from its separator: exactly 0x00 || entry, with no copy), the stored leaves back to back, and the count.
 * With the count equal to the seq span, the unique integer seqs are exactly that span. Entries come out of
 * a rowid range scan in seq order; if they ever did not, the seq check fails and the chunk is only
 * reported as "look closer" — the precise verifier reads row by row.
 */
function statement(file: string): SQLite.Statement {
  let s = connections.get(file);
  if (!s) {
    const conn = new SQLite(file, { readonly: true, fileMustExist: true });
    conn.pragma('busy_timeout = 10000');
    s = conn
      .prepare(
        "SELECT CAST(char(0) || group_concat(entry, char(0)) AS BLOB), CAST(group_concat(leaf, '') AS BLOB), count(*) FROM audit_entries WHERE seq > ? AND seq <= ?",
      )
      .raw(true);
    connections.set(file, s);
  }
  return s;
}

/** Hash one chunk. Exported for tests and for running in-thread; the worker calls it per message. */
export function hashChunk(job: ChunkJob): ChunkResult {
  const read = statement(job.file);
  const nodes: string[] = [];
  const snapshots: [number, string[]][] = [];
  let snapAt = 0;
  let size = 0;
  const bad = (): ChunkResult => ({ chunk: job.chunk, ok: false, nodes: [], snapshots: [] });
  for (let after = job.lo - 1; after < job.hi; after += READ_BATCH) {
    const upTo = Math.min(after + READ_BATCH, job.hi);
    const [entries, stored, count] = read.get(after, upTo) as [Buffer | null, Buffer | null, number];
    if (!entries || !stored || count !== upTo - after || stored.length !== count * 32) return bad();
    const storedText = stored.toString('latin1');
    let zero = 0;
    for (let i = 0; i < count; i++) {
      if (zero >= entries.length) return bad();
      let end = entries.indexOf(0, zero + 1);
      if (end < 0) end = entries.length;
      if (!claimsSeq(entries, zero, after + i + 1)) return bad();
      let h = hash('sha256', entries.subarray(zero, end), 'binary');
      if (!storedText.startsWith(h, i * 32)) return bad();
      let s = size;
      if (s % 2 === 1) {
        // A right leaf: its parent is H(0x01 || stored leaf i-1 || stored leaf i), copied in one go (both were
        // just checked against the recomputed hashes; batches start at even leaf indexes).
        stored.copy(scratch, 1, (i - 1) * 32, (i + 1) * 32);
        h = hash('sha256', scratch, 'binary');
        nodes.pop();
        s = (s - 1) / 2;
      }
      for (; s % 2 === 1; s = (s - 1) / 2) h = node(nodes.pop() as string, h);
      nodes.push(h);
      size++;
      if (size === job.snapshots[snapAt]) {
        snapshots.push([size, [...nodes]]);
        snapAt++;
      }
      zero = end;
    }
    if (zero !== entries.length) return bad();
  }
  return { chunk: job.chunk, ok: size === job.hi - job.lo + 1, nodes, snapshots };
}

parentPort?.postMessage('ready');
/** Close this thread's connections: a pooled worker holds none between verifications. */
export function releaseConnections(): void {
  for (const s of connections.values()) s.database.close();
  connections.clear();
}

parentPort?.on('message', (job: ChunkJob | { release: true }) => {
  if ('release' in job) return releaseConnections();
  let result: ChunkResult;
  try {
    result = hashChunk(job);
  } catch {
    result = { chunk: job.chunk, ok: false, nodes: [], snapshots: [] };
  }
  parentPort?.postMessage(result);
});
