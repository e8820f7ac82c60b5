/**
 * SignalSink.raise latency and throughput: `node --import tsx bench/incidents/raise.ts`.
 *
 * On SQLite and (when 127.0.0.1:5432 answers) PostgreSQL, with the incidents module on a fresh database and a few
 * maintenance windows in place: N signals (INCIDENTS_BENCH_SIGNALS, default 5,000) spread over 500 dedup keys, each a
 * firing signal most of the time and a recovery now and then (so incidents open, join, resolve and reopen), raised
 * one at a time (latency p50/p99) and then with 16 concurrent callers (signals/s).
 */
import { ManualClock } from '../../src/core/clock.ts';
import { openDatabase, type Database } from '../../src/core/db/database.ts';
import { migrate } from '../../src/core/db/migrate.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { SignalInput } from '../../src/core/signals.ts';
import { createIncidentsModule, incidentsConfig } from '../../src/modules/incidents/index.ts';
import { freshDatabase } from '../../test/databases.ts';

const N = Number(process.env['INCIDENTS_BENCH_SIGNALS'] ?? 5000);
const KEYS = 500;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

function signal(i: number): SignalInput {
  return {
    source: 'monitoring',
    dedupKey: `monitor:${i % KEYS}`,
    status: i % 7 === 6 ? 'resolved' : 'firing',
    severity: 'major',
    summary: `check ${i % KEYS} failed`,
    details: { responseMs: i % 1000 },
  };
}

async function run(dialect: 'sqlite' | 'postgres'): Promise<void> {
  const tdb = await freshDatabase(dialect);
  const database: Database = openDatabase({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, poolMax: 16 });
  const clock = new ManualClock('2026-06-01T10:00:00.000Z');
  const mod = createIncidentsModule({
    database,
    clock,
    log: createLogger('silent'),
    config: incidentsConfig.schema.parse({}),
    timeZone: 'Europe/Copenhagen',
  });
  try {
    const res = await migrate(database, [mod]);
    if (res.error) throw new Error('migration failed', { cause: res.error });
    for (let w = 0; w < 5; w++) {
      await mod.maintenance.create(
        database.db,
        {
          title: `w${w}`,
          changeRef: `CHG-${w}`,
          keyPrefixes: [`monitor:${w}`],
          components: [],
          kind: 'weekly',
          startsAt: '2026-01-01T00:00:00.000Z',
          endsAt: null,
          weekdays: [1 + w],
          localTime: '02:00',
          durationMinutes: 120,
          timeZone: 'Europe/Copenhagen',
        },
        'system:bench',
      );
    }
    const lat: number[] = [];
    for (let i = 0; i < N; i++) {
      clock.advance(1000);
      const t0 = performance.now();
      await mod.sink.raise(database.db, signal(i));
      lat.push(performance.now() - t0);
    }
    const t0 = performance.now();
    let next = N;
    const worker = async () => {
      while (next < 2 * N) {
        const i = next++;
        clock.advance(10);
        await mod.sink.raise(database.db, signal(i));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const secs = (performance.now() - t0) / 1000;
    const count = await database.db
      .selectFrom('incidents_signals')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    console.log(
      `${dialect.padEnd(8)} sequential p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms; ` +
        `16 concurrent: ${Math.round(N / secs)} signals/s; ${Number(count.n)} signals registered (expected ${2 * N})`,
    );
  } finally {
    await database.close();
    await tdb.drop();
  }
}

await run('sqlite');
try {
  await run('postgres');
} catch (e) {
  console.log(`postgres skipped: ${(e as Error).message}`);
}
