/**
 * The vulnerability module end to end on SQLite, through its HTTP API as an operator and the host agents use it:
 * the three feeds added as local files and refreshed (streamed into the database), `hosts` agent uploads (each one
 * registers the host, snapshots it and matches it into findings), then the feed change: the next day's tracker and
 * KEV catalog put in place of the old ones and refreshed, which re-evaluates every host in the background
 * (`vulns.idle()` waits for it). Uses `test/app.ts` for a whole Skjold on a fresh database.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp } from '../../test/app.ts';
import { createUserWithToken } from '../../test/identity.ts';

export interface StoreFigures {
  dialect: 'sqlite';
  /** `status` is the refresh's: `updated` when imported, `failed` with the reason (the last good data stays). */
  feeds: { kind: string; ms: number; records: number; status: string; reason?: string | undefined }[];
  importMs: number;
  uploads: number;
  uploadMs: number[];
  findingsRows: number;
  /** Refresh of the changed feeds (import) and the background re-evaluation of every host it set off. */
  /**
   * The changed tracker refreshed and the re-evaluation of every host it sets off, until `vulns.idle()`: one figure,
   * since the re-evaluation starts in the background while the refresh request is still being answered.
   */
  change: { totalMs: number; findingsRows: number } | undefined;
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
  files: { tracker: string; tracker2: string; epss: string; kev: string },
  hostFiles: readonly string[],
): Promise<StoreFigures> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const app = await createTestApp('sqlite');
  try {
    const admin = await createUserWithToken(app, 'admin');
    const headers = admin.headers;
    const dir = join(workDir, 'store-feeds');
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
    // Without the tracker there is nothing to match: the rest would measure nothing worth a figure.
    const tracker = feeds[0] as StoreFigures['feeds'][number];
    if (tracker.status !== 'updated')
      return { dialect: 'sqlite', feeds, importMs, uploads: 0, uploadMs: [], findingsRows: 0, change: undefined, peakRss };

    const reporter = await createUserWithToken(app, 'admin', { scopes: ['vulns.report'] });
    const uploadMs: number[] = [];
    for (const f of hostFiles) {
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
    }
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

    // The feed change: the next day's tracker where the feed reads it, refreshed; the import sets off the
    // re-evaluation of every host. (Only the tracker: each changed feed sets off its own re-evaluation.)
    copyFileSync(files.tracker2, paths.tracker);
    const c0 = performance.now();
    const changed = await refresh('debian-tracker');
    if (changed.status !== 'updated')
      throw new Error(`the changed tracker was not imported: ${changed.reason ?? changed.status}`);
    await app.vulns.idle();
    const c2 = performance.now();
    return {
      dialect: 'sqlite',
      feeds,
      importMs,
      uploads: hostFiles.length,
      uploadMs,
      findingsRows,
      change: { totalMs: c2 - c0, findingsRows: await count() },
      peakRss,
    };
  } finally {
    clearInterval(timer);
    await app.dispose();
  }
}
