/**
 * Audit log benchmarks: `node --import tsx bench/audit/run.ts` (or `npm run bench:audit`).
 *
 *   1. sustained appends/s, every entry durable when its promise resolves (group commit through
 *      GroupCommitAuditSink.append with many concurrent appenders), on SQLite (WAL, synchronous=FULL)
 *      and on PostgreSQL (a fresh database, dropped afterwards);
 *   2. verification entries/s over a log of AUDIT_BENCH_VERIFY entries (default 1,000,000) with a signed
 *      checkpoint every 1,000 entries, on SQLite (worker threads, and one thread for comparison) and on
 *      PostgreSQL over a smaller log;
 *   3. what auditing adds to an authenticated API request (see `requestCost`).
 *
 * Sizes: AUDIT_BENCH_APPENDS (default 200,000), AUDIT_BENCH_VERIFY, AUDIT_BENCH_PG_VERIFY (default
 * 200,000), AUDIT_BENCH_REQUESTS (default 10,000). PostgreSQL parts are skipped when 127.0.0.1:5432 does not answer.
 * Targets: ≥ 20,000 appends/s and ≥ 500,000 verified entries/s on SQLite; auditing < 10 % of a request.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { iso, systemClock } from '../../src/core/clock.ts';
import { openDatabase, type Database } from '../../src/core/db/database.ts';
import { migrate } from '../../src/core/db/migrate.ts';
import { createLogger } from '../../src/core/logger.ts';
import { loadOrCreateSigningKey, signCheckpoint, type SigningKey } from '../../src/modules/audit/audit.keys.ts';
import { GroupCommitAuditSink } from '../../src/modules/audit/audit.sink.ts';
import { canonicalEntry, leafHash } from '../../src/modules/audit/audit.store.ts';
import { verifyAuditLog } from '../../src/modules/audit/audit.verify.ts';
import { auditMigrations } from '../../src/modules/audit/index.ts';
import { MerkleFrontier } from '../../src/modules/audit/merkle.ts';
import { requestCost } from './request-cost.ts';

const num = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const APPENDS = num('AUDIT_BENCH_APPENDS', 200_000);
const VERIFY = num('AUDIT_BENCH_VERIFY', 1_000_000);
const PG_VERIFY = num('AUDIT_BENCH_PG_VERIFY', 200_000);
const PG_ADMIN = process.env['SKJOLD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = createLogger('silent');

interface Row {
  what: string;
  db: string;
  n: number;
  seconds: number;
  rate: string;
  target: string;
}
const rows: Row[] = [];
const record = (what: string, db: string, n: number, seconds: number, target: string, unit = '/s'): void => {
  rows.push({
    what,
    db,
    n,
    seconds: Math.round(seconds * 100) / 100,
    rate: `${Math.round(n / seconds).toLocaleString('en')}${unit}`,
    target,
  });
  process.stderr.write(`  ${what} on ${db}: ${Math.round(n / seconds).toLocaleString('en')}${unit}\n`);
};

const sample = (i: number) => ({
  actor: `user:${i % 97}`,
  actorName: `user${i % 97}`,
  action: ['users.read', 'incidents.ack', 'audit.export', 'checks.create'][i % 4] as string,
  target: `thing:${i}`,
  ip: '127.0.0.1',
  userAgent: 'bench/1.0',
  outcome: 'allowed' as const,
  status: 200,
  requestId: randomBytes(16).toString('hex'),
});

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh SQLite data dir or PostgreSQL database with the audit tables; `drop` removes it. */
async function freshStore(
  dialect: 'sqlite' | 'postgres',
): Promise<{ database: Database; dataDir: string; drop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skjold-bench-'));
  let databaseUrl = '';
  let name = '';
  if (dialect === 'postgres') {
    name = `skjold_bench_${randomBytes(5).toString('hex')}`;
    const a = new pg.Client({ connectionString: PG_ADMIN });
    await a.connect();
    await a.query(`CREATE DATABASE ${name}`);
    await a.end();
    const u = new URL(PG_ADMIN);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
  }
  const database = openDatabase({ dataDir, databaseUrl, poolMax: 20 });
  const res = await migrate(database, [{ name: 'audit', migrations: auditMigrations }]);
  if (res.error) throw new Error(`migration failed: ${(res.error as Error).message}`);
  return {
    database,
    dataDir,
    async drop() {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (name) {
        const a = new pg.Client({ connectionString: PG_ADMIN });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      }
    },
  };
}

/** `appenders` concurrent loops, each appending and awaiting durability before its next entry. */
async function appendBench(dialect: 'sqlite' | 'postgres', total: number, appenders: number): Promise<void> {
  const s = await freshStore(dialect);
  try {
    const sink = new GroupCommitAuditSink(s.database, systemClock, log);
    let i = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: appenders }, async () => {
        while (i < total) await sink.append(sample(i++));
      }),
    );
    await sink.flush();
    record(
      `durable appends (${appenders} appenders)`,
      dialect,
      total,
      (performance.now() - started) / 1000,
      dialect === 'sqlite' ? '≥ 20,000/s' : '',
    );
  } finally {
    await s.drop();
  }
}

/** Fill an empty SQLite log fast (bulk, one writer) with the same rows and checkpoints the sink makes. */
function fillSqlite(file: string, n: number, key: SigningKey): void {
  const conn = new SQLite(file);
  conn.pragma('synchronous = OFF');
  const ins = conn.prepare('INSERT INTO audit_entries (seq, entry, leaf) VALUES (?, ?, ?)');
  const cp = conn.prepare(
    'INSERT INTO audit_checkpoints (tree_size, root, ts, key_id, signature, frontier) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const f = MerkleFrontier.empty();
  const ts = iso(new Date());
  conn.transaction(() => {
    for (let seq = 1; seq <= n; seq++) {
      const entry = canonicalEntry(seq, ts, sample(seq));
      const leaf = leafHash(entry);
      ins.run(seq, entry, leaf);
      f.push(leaf);
      if (seq % 1000 === 0 || seq === n) {
        const root = f.root().toString('hex');
        cp.run(seq, root, ts, key.keyId, signCheckpoint(key, seq, root, ts), JSON.stringify(f.toHex()));
      }
    }
    conn.prepare('UPDATE audit_head SET next_seq = ? WHERE id = 1').run(n + 1);
  })();
  conn.pragma('wal_checkpoint(TRUNCATE)');
  conn.close();
}

async function fillPostgres(database: Database, n: number, key: SigningKey): Promise<void> {
  const f = MerkleFrontier.empty();
  const ts = iso(new Date());
  for (let start = 1; start <= n; start += 5000) {
    const batch = [];
    const cps = [];
    for (let seq = start; seq < start + 5000 && seq <= n; seq++) {
      const entry = canonicalEntry(seq, ts, sample(seq));
      const leaf = leafHash(entry);
      batch.push({ seq, entry, leaf });
      f.push(leaf);
      if (seq % 1000 === 0 || seq === n) {
        const root = f.root().toString('hex');
        cps.push({
          tree_size: seq,
          root,
          ts,
          key_id: key.keyId,
          signature: signCheckpoint(key, seq, root, ts),
          frontier: JSON.stringify(f.toHex()),
        });
      }
    }
    for (let i = 0; i < batch.length; i += 2000)
      await database.db
        .insertInto('audit_entries')
        .values(batch.slice(i, i + 2000))
        .execute();
    if (cps.length) await database.db.insertInto('audit_checkpoints').values(cps).execute();
  }
  await database.db
    .updateTable('audit_head')
    .set({ next_seq: n + 1 })
    .where('id', '=', 1)
    .execute();
}

async function verifyBench(dialect: 'sqlite' | 'postgres', n: number): Promise<void> {
  const s = await freshStore(dialect);
  try {
    const key = loadOrCreateSigningKey(s.dataDir);
    process.stderr.write(`  building a ${n.toLocaleString('en')}-entry log on ${dialect}…\n`);
    if (dialect === 'sqlite') fillSqlite(s.database.file as string, n, key);
    else await fillPostgres(s.database, n, key);
    const variants: [string, Parameters<typeof verifyAuditLog>[2], string][] =
      dialect === 'sqlite'
        ? [
            ['verify (worker threads)', {}, '≥ 500,000/s'],
            ['verify (fast path on this thread)', { parallel: { workers: 0, minEntries: 1 } }, ''],
            ['verify (precise walker, used to diagnose)', { parallel: false }, ''],
          ]
        : [['verify', {}, '']];
    for (const [what, opts, target] of variants) {
      // Median of three runs: this machine's two cores are shared, so single runs scatter.
      const times: number[] = [];
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        const res = await verifyAuditLog(s.database, key.publicKey, opts);
        times.push((performance.now() - started) / 1000);
        if (!res.ok || res.entries !== n) throw new Error(`verification failed: ${JSON.stringify(res)}`);
      }
      times.sort((a, b) => a - b);
      record(
        `${what}, median of 3 (best ${Math.round(n / (times[0] as number)).toLocaleString('en')}/s)`,
        dialect,
        n,
        times[1] as number,
        target,
      );
    }
  } finally {
    await s.drop();
  }
}

function table(): string {
  const head = ['benchmark', 'db', 'n', 'seconds', 'rate', 'target'];
  const body = rows.map((r) => [r.what, r.db, r.n.toLocaleString('en'), String(r.seconds), r.rate, r.target]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const loadAtStart = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
const havePg = await pgReachable();
process.stderr.write(`audit benchmarks (PostgreSQL ${havePg ? 'at 127.0.0.1:5432' : 'not reachable: skipped'})\n`);
await appendBench('sqlite', APPENDS, 2000);
if (havePg) await appendBench('postgres', Math.min(APPENDS, 100_000), 2000);
await verifyBench('sqlite', VERIFY);
if (havePg) await verifyBench('postgres', PG_VERIFY);
for (const r of await requestCost()) rows.push(r);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
process.stdout.write(`\n${table()}\n`);
// The machine may be shared: rates scale with the CPU this run actually got.
process.stdout.write(`\n${availableParallelism()} CPUs; load average at start ${loadAtStart}, at end ${load()}\n`);
