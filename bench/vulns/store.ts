/**
 * The vulnerability module end to end on SQLite or PostgreSQL, through its HTTP API as an operator and the host agents
 * use it: the three feeds added as local files and refreshed (streamed into the database), `hosts` agent uploads
 * (each one registers the host, snapshots it and matches it into findings), then two feed changes, each timed until
 * the re-evaluation it sets off in the background is done (`vulns.idle()`): the next day's tracker (new DSAs, new
 * CVEs: statements change, the hosts with those packages are re-matched), then the next KEV catalog (+20 entries:
 * priorities change, no host is re-matched). Uses `test/app.ts` for a whole Skjold on a fresh database (PostgreSQL: a
 * database of its own on `SKJOLD_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432, dropped at the end).
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createTestApp } from '../../test/app.ts';
import { createUserWithToken } from '../../test/identity.ts';
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

/** Runs the store measurement; `files` are the benchmark's generated files (absolute paths). */
export async function measureStore(
  workDir: string,
  files: { tracker: string; tracker2: string; epss: string; kev: string; kev2: string },
  hostFiles: readonly string[],
  dialect: StoreDialect = 'sqlite',
  progress: (line: string) => void = () => undefined,
): Promise<StoreFigures> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const app = await createTestApp(dialect);
  try {
    const admin = await createUserWithToken(app, 'admin');
    const headers = admin.headers;
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
    const refresh = async (kind: string) => {
      const t0 = performance.now();
      const res = await app.app.inject({ method: 'POST', url: `/api/v1/vulns/feeds/${ids[kind] as string}/refresh`, headers });
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`refreshing the ${kind} feed: ${res.statusCode} ${res.body}`);
      const r = res.json<Refresh>();
      return { kind, ms, records: r.records ?? 0, status: r.status, reason: r.reason };
    };
    const feeds = [];
    const t0 = performance.now();
    for (const kind of ['debian-tracker', 'epss', 'kev']) feeds.push(await refresh(kind));
    await app.vulns.idle();
    const importMs = performance.now() - t0;
    progress(`${dialect}: feeds imported in ${(importMs / 1000).toFixed(1)} s`);
    // Without the tracker there is nothing to match: the rest would measure nothing worth a figure.
    const tracker = feeds[0] as StoreFigures['feeds'][number];
    if (tracker.status !== 'updated')
      return {
        dialect,
        feeds,
        importMs,
        uploads: 0,
        uploadMs: [],
        uploadWallMs: 0,
        findingsRows: 0,
        change: undefined,
        kevChange: undefined,
        peakRss,
      };

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
    const uploadWallMs = performance.now() - u0;
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
      const changed = await refresh(kind);
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
      feeds,
      importMs,
      uploads: hostFiles.length,
      uploadMs,
      uploadWallMs,
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
