import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectName } from '../src/core/db/database.ts';

/**
 * Real databases for tests: SQLite in a fresh directory, and PostgreSQL in a fresh database per use.
 * PostgreSQL tests are skipped, loudly, only when no server answers; with SKJOLD_REQUIRE_POSTGRES=1 (CI)
 * an unreachable server fails the run instead.
 */
export const PG_ADMIN_URL = process.env['SKJOLD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function pgReachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const pgProblem = await pgReachable();
if (pgProblem) {
  const msg = `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${pgProblem}): PostgreSQL tests are SKIPPED`;
  if (process.env['SKJOLD_REQUIRE_POSTGRES'] === '1') throw new Error(`${msg}, but SKJOLD_REQUIRE_POSTGRES=1`);
  console.warn(`\n*** ${msg} ***\n`);
}

export interface TestDatabase {
  dialect: DialectName;
  dataDir: string;
  /** '' for SQLite. */
  databaseUrl: string;
  drop(): Promise<void>;
}

/** Dialects to run store tests on: `describe.each(DIALECTS)`. PostgreSQL entries carry a skip flag. */
export const DIALECTS: { dialect: DialectName; skip: boolean }[] = [
  { dialect: 'sqlite', skip: false },
  { dialect: 'postgres', skip: pgProblem !== null },
];

/** A fresh, empty database of the given dialect plus a fresh data directory. */
export async function freshDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skjold-test-'));
  if (dialect === 'sqlite') {
    return { dialect, dataDir, databaseUrl: '', drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })) };
  }
  const name = `skjold_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
