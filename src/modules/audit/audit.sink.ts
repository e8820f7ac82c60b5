import type { AuditInput, AuditSink } from '../../core/audit.ts';
import { type Clock, iso } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import { appendEntries, canonicalTail } from './audit.store.ts';
import { SqliteAuditWriter } from './audit.writer.ts';

/**
 * The writer thread starts a commit at most this often (ms); what is queued in between goes in one batch.
 * Each commit is an fsync of the database's WAL, and on a virtual machine a stream of back-to-back fsyncs
 * slows the event loop's own reads of that database: committing every 1 ms under steady traffic added 25-65 %
 * to an authenticated GET, every 10 ms adds 2-6 % (bench/audit/request-cost.ts). Appends still reach tens of
 * thousands per second because a batch holds up to `maxBatch` records.
 */
export const COMMIT_INTERVAL_MS = 10;

interface Pending {
  ts: string;
  input: AuditInput;
  resolve(seq: number): void;
  reject(e: unknown): void;
}

/**
 * The audit log's writer. `appendInTx` writes inside the caller's transaction. `append` queues and
 * group-commits: everything queued while one commit is on its way to disk goes in the next single
 * transaction, so each record is durable when its promise resolves and throughput is not bound by fsync.
 * On SQLite those batches are committed by a writer thread with its own connection (see audit.writer.ts), so
 * the fsync does not stall the event loop; on PostgreSQL the driver is asynchronous already.
 */
export class GroupCommitAuditSink implements AuditSink {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #lastCommitAt = 0;
  readonly #writer: SqliteAuditWriter | null;
  /** Called after each commit with the number of records written (checkpoint trigger). */
  onCommitted: ((count: number) => void) | null = null;

  constructor(database: Database, clock: Clock, log: Logger, maxBatch = 2000) {
    this.#database = database;
    this.#clock = clock;
    this.#log = log;
    this.#maxBatch = maxBatch;
    this.#writer = database.dialect === 'sqlite' && database.file ? new SqliteAuditWriter(database.file) : null;
  }

  async appendInTx(trx: Db, input: AuditInput): Promise<number> {
    const seq = await appendEntries(trx, [{ ts: iso(this.#clock.now()), input }]);
    // Counted when the caller commits; a checkpoint only covers what is committed, so counting early is harmless.
    this.onCommitted?.(1);
    return seq;
  }

  append(input: AuditInput): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ ts: iso(this.#clock.now()), input, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  /** Resolves when every record queued before the call is durable. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /** Flush, then stop the writer thread. */
  async close(): Promise<void> {
    await this.flush();
    await this.#writer?.close();
  }

  /** Records waiting for their commit. */
  get pending(): number {
    return this.#queue.length;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        // Let the current tick's appends join the batch. With the writer thread, also keep commits at least
        // COMMIT_INTERVAL_MS apart, also under steady traffic: requests then share a commit and its fsync.
        const wait = this.#writer ? this.#lastCommitAt + COMMIT_INTERVAL_MS - performance.now() : 0;
        if (wait > 0) await new Promise<void>((r) => setTimeout(r, wait));
        else await new Promise<void>((r) => setImmediate(r));
        this.#lastCommitAt = performance.now();
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const first =
            this.#writer && !this.#writer.failed
              ? // Jobs of many transactions on the main connection let it through (WriteTurns).
                await this.#database.writeTurns.track(this.#writer.write(batch.map((p) => canonicalTail(p.ts, p.input))))
              : await this.#database.db.transaction().execute((trx) => appendEntries(trx, batch));
          batch.forEach((p, i) => p.resolve(first + i));
          this.onCommitted?.(batch.length);
        } catch (e) {
          this.#log.error({ err: e, count: batch.length }, 'audit batch commit failed');
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }
}
