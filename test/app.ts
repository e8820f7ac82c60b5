import { createApp, loadSkjoldConfig, type SkjoldApp } from '../src/app.ts';
import type { DialectName } from '../src/core/db/database.ts';
import { ManualClock } from '../src/core/clock.ts';
import { createLogger } from '../src/core/logger.ts';
import { freshDatabase, type TestDatabase } from './databases.ts';

export interface TestApp extends SkjoldApp {
  testDb: TestDatabase;
  manualClock: ManualClock | undefined;
  /** Close the app and drop its database. */
  dispose(): Promise<void>;
}

/**
 * A whole Skjold on a fresh database, without a listening socket (use app.inject) unless `tls: true`.
 * Pass `env` to set configuration as an operator would.
 */
/**
 * Where a test's manual clock starts: now, or `SKJOLD_TEST_CLOCK_START` (an ISO time) to run the clock-driven tests
 * at an awkward instant, e.g. `SKJOLD_TEST_CLOCK_START=2026-12-31T23:58:30Z` (midnight, month and year end) or
 * `2027-03-28T00:59:00Z` (Copenhagen's DST change); one test failed only when CI ran just before midnight.
 */
function manualClockStart(): Date {
  const v = process.env['SKJOLD_TEST_CLOCK_START'];
  if (!v) return new Date();
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`SKJOLD_TEST_CLOCK_START is not a time: ${v}`);
  return d;
}

export async function createTestApp(
  dialect: DialectName,
  opts: { env?: Record<string, string>; manualClock?: boolean; tls?: boolean } = {},
): Promise<TestApp> {
  return openTestApp(await freshDatabase(dialect), opts);
}

/**
 * Another Skjold on an existing test database and data directory (a restart: what the first one kept is there).
 * Its `dispose` drops the database too; close the first one with `close()` beforehand.
 */
export async function openTestApp(
  testDb: TestDatabase,
  opts: { env?: Record<string, string>; manualClock?: boolean; tls?: boolean } = {},
): Promise<TestApp> {
  const config = loadSkjoldConfig({
    env: {
      SKJOLD_DATA_DIR: testDb.dataDir,
      DATABASE_URL: testDb.databaseUrl,
      SKJOLD_PORT: '0',
      SKJOLD_HOST: '127.0.0.1',
      ...opts.env,
    },
  });
  const manualClock = opts.manualClock ? new ManualClock(manualClockStart()) : undefined;
  const app = await createApp({
    config,
    tls: opts.tls ?? false,
    log: createLogger('silent'),
    ...(manualClock ? { clock: manualClock } : {}),
  });
  return Object.assign(app, {
    testDb,
    manualClock,
    async dispose() {
      await app.close();
      await testDb.drop();
    },
  });
}
