import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import type { Tables } from './tables.ts';

export type DialectName = 'sqlite' | 'postgres';

/** Storage handle: one Kysely instance over SQLite (default) or PostgreSQL. */
export interface Database {
  db: Kysely<Tables>;
  dialect: DialectName;
  /** Human description without credentials, for logs. */
  describe: string;
  /** SQLite only: the database file, for extra read-only connections (long reads beside the one writer). */
  file?: string;
  /** Writes on other connections (SQLite's audit writer thread) that jobs of many transactions let through. */
  writeTurns: WriteTurns;
  close(): Promise<void>;
}

/**
 * What a job of many transactions (a fleet re-evaluation, a feed import, deleting a replaced feed) lets through before
 * each of its transactions, with `turn()`:
 * - the event loop: better-sqlite3 is synchronous, so a job on SQLite that only awaits its queries never gives the
 *   loop a turn, and no request, timer or thread reply is handled until it ends;
 * - writes on other connections to the same SQLite file (the audit writer thread): such a writer gets the write lock
 *   only when its busy handler happens to look while the main connection holds none, which back-to-back transactions
 *   almost never leave. A write registered with `track` is waited for.
 * On PostgreSQL nothing is registered and the turn costs one pass of the event loop.
 */
export class WriteTurns {
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Register a write on another connection until it settles; returns it. */
  track<T>(write: Promise<T>): Promise<T> {
    this.#inFlight.add(write);
    const done = () => this.#inFlight.delete(write);
    write.then(done, done);
    return write;
  }

  /** Resolves after one pass of the event loop, once no registered write is in flight. */
  async turn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}

export type Db = Kysely<Tables>;

/**
 * A module migration. The server only migrates forward (`up`); `down` undoes `up` exactly, back to the schema before
 * it, and is what the migration tests (test/migrations.ts) run on both databases: up, down, up again.
 */
export interface ModuleMigration {
  // Migrations are written against an untyped handle: the typed schema describes the latest state only.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down?(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

export interface OpenOptions {
  dataDir: string;
  databaseUrl: string;
  /** Pool size for PostgreSQL. */
  poolMax?: number;
}

/** Open SQLite in dataDir (WAL, durable commits) or PostgreSQL when databaseUrl is set. */
export function openDatabase(opts: OpenOptions): Database {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? 10,
      // int8 (counts, sequence numbers) as JS numbers: they stay far below 2^53.
      types: {
        getTypeParser: ((oid: number, format: 'text') =>
          oid === 20
            ? (v: string) => Number(v)
            : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client whose connection dies (server restart, a terminated backend) is dropped by the pool and
    // the next query reconnects; without a listener the pool's 'error' event would crash the process.
    pool.on('error', () => undefined);
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    const u = new URL(opts.databaseUrl);
    return {
      db,
      dialect: 'postgres',
      describe: `postgres://${u.host}${u.pathname}`,
      writeTurns: new WriteTurns(),
      close: () => db.destroy(),
    };
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = join(opts.dataDir, 'skjold.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before it returns (the audit log's durability promise).
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  // Transactions take the write lock up front (BEGIN IMMEDIATE): with other connections writing too (the
  // audit writer thread, a CLI command), a deferred transaction that read first could not upgrade to a
  // write (SQLITE_BUSY_SNAPSHOT); an immediate one waits for the lock instead (busy_timeout).
  const database = { close: () => sqlite.close(), prepare: (q: string) => sqlite.prepare(q === 'begin' ? 'begin immediate' : q) };
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', describe: `sqlite:${file}`, file, writeTurns: new WriteTurns(), close: () => db.destroy() };
}

/** Current time in the database's own clock is never used: times come from the injected Clock. */
export const nowSql = sql`CURRENT_TIMESTAMP`;

export type { Migration };
