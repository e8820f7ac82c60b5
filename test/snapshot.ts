import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../src/core/db/database.ts';

/**
 * A fingerprint of every row of every table, to prove that a refused request changed nothing.
 * `ignore` lists tables whose change is expected (the audit log records the refusal itself).
 */
export async function snapshotDatabase(
  database: Database,
  ignore: (table: string) => boolean,
  /** Bookkeeping columns any authenticated request may touch (a session's last activity, a token's last use). */
  ignoreColumns: readonly string[] = ['last_seen_at', 'last_used_at'],
): Promise<Record<string, string>> {
  const db = database.db;
  const tables =
    database.dialect === 'sqlite'
      ? (
          await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(
            db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string;
          }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`.execute(db)
        ).rows.map((r) => r.name);
  const out: Record<string, string> = {};
  for (const t of tables.sort()) {
    if (ignore(t)) continue;
    const rows = (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(t)}`.execute(db)).rows;
    const lines = rows
      .map((r) =>
        JSON.stringify(r, (k, v: unknown) =>
          ignoreColumns.includes(k) ? undefined : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
        ),
      )
      .sort();
    out[t] = `${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
  }
  return out;
}
