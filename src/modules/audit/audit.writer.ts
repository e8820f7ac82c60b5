import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The SQLite audit writer: a thread with its own connection that commits group-commit batches, so that the
 * fsync of each commit (synchronous=FULL) happens off the event loop. Requests that only read are then not
 * slowed by the audit record of the request before them.
 *
 * Correctness is SQLite's: both this connection and the main one take sequence numbers from the single
 * audit_head row inside a write transaction (the main one with BEGIN IMMEDIATE, see core/db/database.ts), so
 * seqs stay gap-free and in commit order; a batch commits or rolls back as a whole. The thread only gets
 * canonical tails and prefixes the seq it takes (see `canonicalTail`); its code is a few lines of plain
 * JavaScript so that it starts in milliseconds without a TypeScript loader.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 1000');
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const rollback = db.prepare('ROLLBACK');
const head = db.prepare('UPDATE audit_head SET next_seq = next_seq + ? WHERE id = 1 RETURNING next_seq').pluck();
const insert = db.prepare('INSERT INTO audit_entries (seq, entry, leaf) VALUES (?, ?, ?)');
const pause = new Int32Array(new SharedArrayBuffer(4));
function write(tails) {
  // A long write transaction elsewhere (e.g. a verification request) only delays a batch: never drop it.
  for (let attempt = 0; ; attempt++) {
    try {
      begin.run();
      break;
    } catch (e) {
      if (e.code !== 'SQLITE_BUSY' || attempt > 600) throw e;
      Atomics.wait(pause, 0, 0, 50);
    }
  }
  try {
    const next = Number(head.get(tails.length));
    if (!Number.isFinite(next)) throw new Error('audit_head row missing');
    const first = next - tails.length;
    for (let i = 0; i < tails.length; i++) {
      const entry = '{"v":1,"seq":' + (first + i) + ',' + tails[i];
      insert.run(first + i, entry, hash('sha256', '\\u0000' + entry, 'buffer'));
    }
    commit.run();
    return first;
  } catch (e) {
    if (db.inTransaction) rollback.run();
    throw e;
  }
}
parentPort.on('message', (m) => {
  if (m.close) { db.close(); parentPort.close(); return; }
  try {
    parentPort.postMessage({ id: m.id, first: write(m.tails) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
`;

interface Reply {
  id: number;
  first?: number;
  error?: string;
}

/** Commits batches of canonical tails on its own thread; resolves with the first seq once durable. */
export class SqliteAuditWriter {
  readonly #file: string;
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve(first: number): void; reject(e: Error): void }>();
  #failed: Error | null = null;

  constructor(file: string) {
    this.#file = file;
  }

  /** Whether the thread died; the sink then commits on the main connection instead. */
  get failed(): boolean {
    return this.#failed !== null;
  }

  write(tails: string[]): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    const w = this.#thread();
    const id = this.#nextId++;
    return new Promise<number>((resolve, reject) => {
      // Referenced only while a batch is in flight: an awaited append keeps the process alive, an idle writer does not.
      if (this.#waiting.size === 0) w.ref();
      this.#waiting.set(id, { resolve, reject });
      w.postMessage({ id, tails });
    });
  }

  /** Finish what was sent, then stop the thread. */
  async close(): Promise<void> {
    const w = this.#worker;
    if (!w) return;
    this.#worker = null;
    // Keep the process alive until the thread has closed its connection.
    w.ref();
    w.postMessage({ close: true });
    await new Promise<void>((resolve) => w.once('exit', () => resolve()));
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(WRITER_SOURCE, { eval: true, workerData: { file: this.#file, driver } });
    w.on('message', (r: Reply) => {
      const p = this.#waiting.get(r.id);
      if (!p) return;
      this.#waiting.delete(r.id);
      if (this.#waiting.size === 0) w.unref();
      if (r.error !== undefined) p.reject(new Error(r.error));
      else p.resolve(r.first as number);
    });
    const die = (e: Error): void => {
      this.#failed = e;
      for (const p of this.#waiting.values()) p.reject(e);
      this.#waiting.clear();
    };
    w.on('error', die);
    w.on('exit', (code) => {
      if (this.#waiting.size > 0) die(new Error(`audit writer thread exited (${code}) with batches in flight`));
    });
    w.unref();
    this.#worker = w;
    return w;
  }
}
