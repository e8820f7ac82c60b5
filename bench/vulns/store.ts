/**
 * The vulnerability module end to end on SQLite or PostgreSQL, through its HTTP API as an operator and the host agents
 * use it: the three feeds added as local files and refreshed (streamed into the database), `hosts` agent uploads
 * (each one registers the host, snapshots it and matches it into findings), then two feed changes, each timed until
 * the re-evaluation it sets off in the background is done (`vulns.idle()`): the next day's tracker (new DSAs, new
 * CVEs: statements change, the hosts with those packages are re-matched), then the next KEV catalog (+20 entries:
 * priorities change, no host is re-matched). Uses `test/app.ts` for a whole Skjold on a fresh database (PostgreSQL: a
 * database of its own on `SKJOLD_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432, dropped at the end).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestApp, openTestApp, type TestApp } from '../../test/app.ts';
import { PG_ADMIN_URL, type TestDatabase } from '../../test/databases.ts';
import { createUserWithToken } from '../../test/identity.ts';
import { GENERATOR_VERSION } from './generate.ts';
import type { ReevaluateResult } from '../../src/modules/vulns/findings.service.ts';

export type StoreDialect = 'sqlite' | 'postgres';

/** One feed change: the refresh request, then the background re-evaluation it set off. */
export interface ChangeFigures {
  /** From the refresh request to `vulns.idle()`. */
  totalMs: number;
  /** The refresh request alone (download, import, commit). */
  refreshMs: number;
  findingsRows: number;
  /** The re-evaluation's own account (`FindingsService.lastReevaluation`). */
  run: ReevaluateResult | undefined;
  load: number[];
}

export interface StoreFigures {
  dialect: StoreDialect;
  /** `status` is the refresh's: `updated` when imported, `failed` with the reason (the last good data stays). */
  feeds: { kind: string; ms: number; records: number; status: string; reason?: string | undefined }[];
  importMs: number;
  uploads: number;
  uploadMs: number[];
  /** Wall time of all uploads, first request to last answer. */
  uploadWallMs: number;
  findingsRows: number;
  /** The changed tracker refreshed and the re-evaluation it sets off. */
  change: ChangeFigures | undefined;
  /** The changed KEV catalog refreshed and the re-evaluation it sets off. */
  kevChange: ChangeFigures | undefined;
  peakRss: number;
}

interface Feed {
  id: string;
}
interface Refresh {
  status: string;
  records?: number;
  reason?: string;
}

/** What the seeding part (feeds imported, agent uploads) measured, kept beside a saved seed. */
interface SeedFigures {
  generator: number;
  hosts: number;
  seededAt: string;
  database: string;
  headers: Record<string, string>;
  ids: Record<string, string>;
  feeds: StoreFigures['feeds'];
  importMs: number;
  uploadMs: number[];
  uploadWallMs: number;
}

async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The database and data directory a saved seed is restored into (a copy: the seed stays as it was). */
async function restoreSeed(dir: string, seed: SeedFigures, dialect: StoreDialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skjold-bench-store-'));
  cpSync(join(dir, 'data'), dataDir, { recursive: true });
  if (dialect === 'sqlite')
    return { dialect, dataDir, databaseUrl: '', drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })) };
  const name = `skjold_bench_${randomBytes(6).toString('hex')}`;
  await pgAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${seed.database}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Runs the store measurement; `files` are the benchmark's generated files (absolute paths). With `reuse`, the state
 * after the uploads is saved once under `workDir` (the data directory, and for PostgreSQL a template database) and
 * later runs start from a copy of it: the feed changes are measured again without 15 minutes of uploads first. Every
 * run, seeded or not, measures the changes on a restarted Skjold (a new process's view of a kept database).
 */
export async function measureStore(
  workDir: string,
  files: { tracker: string; tracker2: string; epss: string; kev: string; kev2: string },
  hostFiles: readonly string[],
  dialect: StoreDialect = 'sqlite',
  progress: (line: string) => void = () => undefined,
  opts: { reuse?: boolean } = {},
): Promise<StoreFigures> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const dir = join(workDir, `store-feeds-${dialect}`);
  mkdirSync(dir, { recursive: true });
  const paths = {
    tracker: join(dir, 'debian-tracker.json'),
    epss: join(dir, 'epss_scores.csv.gz'),
    kev: join(dir, 'kev.json'),
  };
  copyFileSync(files.tracker, paths.tracker);
  copyFileSync(files.epss, paths.epss);
  copyFileSync(files.kev, paths.kev);
  const seedDir = join(workDir, `store-seed-${dialect}-${hostFiles.length}`);
  const seedFile = join(seedDir, 'seed.json');
  let seed: SeedFigures | undefined;
  if (opts.reuse && existsSync(seedFile)) {
    const kept = JSON.parse(readFileSync(seedFile, 'utf8')) as SeedFigures;
    if (kept.generator === GENERATOR_VERSION && kept.hosts === hostFiles.length) seed = kept;
  }
  const refresh = async (app: TestApp, headers: Record<string, string>, id: string, kind: string) => {
    const t0 = performance.now();
    const res = await app.app.inject({ method: 'POST', url: `/api/v1/vulns/feeds/${id}/refresh`, headers });
    const ms = performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`refreshing the ${kind} feed: ${res.statusCode} ${res.body}`);
    const r = res.json<Refresh>();
    return { kind, ms, records: r.records ?? 0, status: r.status, reason: r.reason };
  };

  let testDb: TestDatabase;
  if (seed === undefined) {
    const first = await createTestApp(dialect);
    try {
      seed = await seedStore(first, paths, hostFiles, dialect, progress, refresh);
      await first.close();
    } catch (err) {
      clearInterval(timer);
      await first.dispose();
      throw err;
    }
    testDb = first.testDb;
    if (seed.uploadMs.length === 0) {
      // Without the tracker there is nothing to match: the rest would measure nothing worth a figure.
      clearInterval(timer);
      await testDb.drop();
      return {
        dialect,
        feeds: seed.feeds,
        importMs: seed.importMs,
        uploads: 0,
        uploadMs: [],
        uploadWallMs: 0,
        findingsRows: 0,
        change: undefined,
        kevChange: undefined,
        peakRss,
      };
    }
    if (opts.reuse) {
      rmSync(seedDir, { recursive: true, force: true });
      mkdirSync(seedDir, { recursive: true });
      cpSync(testDb.dataDir, join(seedDir, 'data'), { recursive: true });
      if (dialect === 'postgres') {
        const from = new URL(testDb.databaseUrl).pathname.slice(1);
        const name = (seed.database = `skjold_bench_seed_${hostFiles.length}`);
        await pgAdmin(async (c) => {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.query(`CREATE DATABASE ${name} TEMPLATE ${from}`);
        });
      }
      writeFileSync(seedFile, JSON.stringify(seed));
      progress(`${dialect}: the state after the uploads is saved in ${seedDir} (--reuse-store starts from it next time)`);
    }
  } else {
    progress(`${dialect}: starting from the state saved ${seed.seededAt} in ${seedDir}`);
    testDb = await restoreSeed(seedDir, seed, dialect);
  }

  // The feed changes are measured on a restarted Skjold: what the first process kept in the database, nothing in memory.
  const app = await openTestApp(testDb);
  try {
    const headers = seed.headers;
    const ids = seed.ids;
    // The start's own work first (the catch-up check, the first feed check): not part of a change's figure.
    await app.vulns.idle();
    const db = app.database.db;
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('vulns_findings')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const findingsRows = await count();

    // A feed change: the new file where the feed reads it, refreshed; the import sets off the re-evaluation of the
    // fleet (only the hosts and findings the change can touch are worked on).
    const change = async (kind: string, from: string, to: string): Promise<ChangeFigures> => {
      copyFileSync(from, to);
      const load = loadavg();
      const c0 = performance.now();
      const changed = await refresh(app, headers, ids[kind] as string, kind);
      if (changed.status !== 'updated')
        throw new Error(`the changed ${kind} was not imported: ${changed.reason ?? changed.status}`);
      await app.vulns.idle();
      const totalMs = performance.now() - c0;
      const figures = {
        totalMs,
        refreshMs: changed.ms,
        findingsRows: await count(),
        run: app.vulns.findings.lastReevaluation,
        load,
      };
      progress(`${dialect}: ${kind} change re-evaluated in ${(totalMs / 1000).toFixed(1)} s`);
      return figures;
    };
    const trackerChange = await change('debian-tracker', files.tracker2, paths.tracker);
    const kevChange = await change('kev', files.kev2, paths.kev);
    return {
      dialect,
      feeds: seed.feeds,
      importMs: seed.importMs,
      uploads: hostFiles.length,
      uploadMs: seed.uploadMs,
      uploadWallMs: seed.uploadWallMs,
      findingsRows,
      change: trackerChange,
      kevChange,
      peakRss,
    };
  } finally {
    clearInterval(timer);
    await app.dispose();
  }
}

/** A fresh Skjold brought to the measured state: the three feeds added and imported, then every host's agent upload. */
async function seedStore(
  app: TestApp,
  paths: { tracker: string; epss: string; kev: string },
  hostFiles: readonly string[],
  dialect: StoreDialect,
  progress: (line: string) => void,
  refresh: (app: TestApp, headers: Record<string, string>, id: string, kind: string) => Promise<StoreFigures['feeds'][number]>,
): Promise<SeedFigures> {
  const admin = await createUserWithToken(app, 'admin');
  const headers = admin.headers;
  const ids: Record<string, string> = {};
  for (const [kind, path] of [
    ['debian-tracker', paths.tracker],
    ['epss', paths.epss],
    ['kev', paths.kev],
  ] as const) {
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/vulns/feeds',
      headers,
      payload: { kind, name: `bench ${kind}`, path },
    });
    if (res.statusCode !== 201) throw new Error(`creating the ${kind} feed: ${res.statusCode} ${res.body}`);
    ids[kind] = res.json<Feed>().id;
  }
  const feeds: StoreFigures['feeds'] = [];
  const t0 = performance.now();
  for (const kind of ['debian-tracker', 'epss', 'kev']) feeds.push(await refresh(app, headers, ids[kind] as string, kind));
  await app.vulns.idle();
  const importMs = performance.now() - t0;
  progress(`${dialect}: feeds imported in ${(importMs / 1000).toFixed(1)} s`);
  const base = {
    generator: GENERATOR_VERSION,
    hosts: hostFiles.length,
    seededAt: new Date().toISOString(),
    database: '',
    headers,
    ids,
    feeds,
    importMs,
  };
  if ((feeds[0] as StoreFigures['feeds'][number]).status !== 'updated') return { ...base, uploadMs: [], uploadWallMs: 0 };

  const reporter = await createUserWithToken(app, 'admin', { scopes: ['vulns.report'] });
  const uploadMs: number[] = [];
  const u0 = performance.now();
  for (const [i, f] of hostFiles.entries()) {
    const body = readFileSync(f, 'utf8');
    const t = performance.now();
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/vulns/inventory',
      headers: { ...reporter.headers, 'content-type': 'text/plain' },
      payload: body,
    });
    uploadMs.push(performance.now() - t);
    if (res.statusCode !== 201) throw new Error(`uploading ${f}: ${res.statusCode} ${res.body.slice(0, 500)}`);
    if ((i + 1) % 100 === 0)
      progress(
        `${dialect}: ${i + 1} uploads, ${((performance.now() - u0) / 1000).toFixed(1)} s, load ${loadavg()[0]?.toFixed(2)}`,
      );
  }
  await app.vulns.idle();
  return { ...base, uploadMs, uploadWallMs: performance.now() - u0 };
}
