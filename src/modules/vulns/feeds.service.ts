import { randomUUID } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import { conflict, notFound } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { FeedBody } from './api/vulns.schemas.ts';
import { type Download, FeedDownloadError, type FeedDownloader } from './feed-download.ts';
import { deleteDataset, type FeedKind, type ImportCounts, importFeedFile } from './feed-import.ts';
import type { VulnsFeedsTable } from './vulns.tables.ts';

/** A feed as the API shows it: definition, last outcome, and freshness. */
export interface FeedView {
  id: string;
  kind: FeedKind;
  name: string;
  url: string | null;
  path: string | null;
  ecosystems: string[];
  intervalSeconds: number;
  enabled: boolean;
  /** `never` (not yet imported), `ok`, or `error` (the last attempt failed; the last good data stays in force). */
  status: 'never' | 'ok' | 'error';
  reason: string | null;
  /** Version of the data in force (KEV catalog version, EPSS score date, else the content hash's prefix). */
  version: string | null;
  records: number;
  contentHash: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastChangeAt: string | null;
  /** No successful check for longer than `feedStaleHours`. */
  stale: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Outcome of one refresh; never thrown. */
export interface FeedRefreshResult {
  id: string;
  /** `updated` (new content imported), `unchanged` (304 or same hash), `failed` (the last good data stays). */
  status: 'updated' | 'unchanged' | 'failed';
  reason?: string | undefined;
  /** Records in force after the refresh. */
  records: number;
  version: string | null;
  counts?: ImportCounts | undefined;
  /** Milliseconds from the start of the import until its data was in force (updated only). */
  importMs?: number | undefined;
}

export interface FeedsServiceDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  signals: SignalSink;
  downloader: FeedDownloader;
  /** Last good copies live in `<dataDir>/vulns/feeds/`. */
  dataDir: string;
  feedStaleHours: number;
  /**
   * Called after an import that changed the data in force has committed (or a feed was removed): drop the cached
   * index and re-evaluate every asset (issue 5 item 12).
   */
  onChange: () => Promise<void>;
  /** Waits until no advisory index build that may read a retired dataset is in progress. */
  beforePurge?: () => Promise<void>;
}

/** A dataset still `staging` this long after its import began belongs to an import a stop or a crash cut short. */
const STAGING_ABANDONED_MS = 3_600_000;

const EXT: Record<FeedKind, string> = {
  'debian-tracker': 'json',
  'debian-dsa': 'txt',
  'debian-dla': 'txt',
  osv: 'json',
  kev: 'json',
  epss: 'csv',
};

function describe(err: unknown): string {
  if (err instanceof Error) return err.message.slice(0, 500);
  return String(err).slice(0, 500);
}

/**
 * Advisory feeds (issue 5 item 3): definitions in `vulns_feeds`; each is fetched from an https URL on its interval
 * with a conditional GET, or read from a local file on air-gapped sites; content with the same sha256 is not
 * re-imported. A changed feed is parsed as a stream into a new dataset beside the one in force (short transactions),
 * and the feed points at it only once the whole document parsed: a malformed one leaves the last good data in force,
 * with the feed in `error`. Replaced datasets are deleted afterwards (`purgeDatasets`).
 */
export class VulnsFeedsService {
  readonly #inflight = new Map<string, Promise<FeedRefreshResult>>();

  constructor(private readonly deps: FeedsServiceDeps) {}

  #view(r: VulnsFeedsTable, now: number): FeedView {
    return {
      id: r.id,
      kind: r.kind as FeedKind,
      name: r.name,
      url: r.url,
      path: r.path,
      ecosystems: JSON.parse(r.ecosystems) as string[],
      intervalSeconds: Number(r.interval_seconds),
      enabled: Number(r.enabled) === 1,
      status: r.status as FeedView['status'],
      reason: r.reason,
      version: r.version,
      records: Number(r.records),
      contentHash: r.content_hash,
      lastAttemptAt: r.last_attempt_at,
      lastSuccessAt: r.last_success_at,
      lastChangeAt: r.last_change_at,
      stale: this.#isStale(r, now),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  #isStale(r: Pick<VulnsFeedsTable, 'last_success_at' | 'created_at'>, now: number): boolean {
    return now - Date.parse(r.last_success_at ?? r.created_at) > this.deps.feedStaleHours * 3_600_000;
  }

  /** Where the last good copy of a feed is kept. */
  copyPath(r: Pick<VulnsFeedsTable, 'id' | 'kind' | 'url' | 'path'>): string {
    const source = r.url ?? r.path ?? '';
    const ext = r.kind === 'osv' && /\.zip(\?|$)/i.test(source) ? 'zip' : EXT[r.kind as FeedKind];
    return join(this.deps.dataDir, 'vulns', 'feeds', `${r.id}.${ext}`);
  }

  async row(db: Db, id: string): Promise<VulnsFeedsTable> {
    const r = await db.selectFrom('vulns_feeds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('feed_not_found', `no feed ${id}`);
    return r;
  }

  async list(db: Db): Promise<FeedView[]> {
    const now = this.deps.clock.now().getTime();
    return (await db.selectFrom('vulns_feeds').selectAll().orderBy('name').orderBy('id').execute()).map((r) =>
      this.#view(r, now),
    );
  }

  async get(db: Db, id: string): Promise<FeedView> {
    return this.#view(await this.row(db, id), this.deps.clock.now().getTime());
  }

  async create(db: Db, input: FeedBody, audit: AuditRecorder): Promise<FeedView> {
    const clash = await db.selectFrom('vulns_feeds').select('id').where('name', '=', input.name).executeTakeFirst();
    if (clash) throw conflict('feed_exists', `a feed named ${input.name} exists already`);
    const now = this.deps.clock.now().toISOString();
    const row: VulnsFeedsTable = {
      id: randomUUID(),
      kind: input.kind,
      name: input.name,
      url: input.url,
      path: input.path,
      ecosystems: JSON.stringify(input.ecosystems),
      interval_seconds: input.intervalSeconds,
      enabled: input.enabled ? 1 : 0,
      etag: null,
      last_modified: null,
      content_hash: null,
      version: null,
      status: 'never',
      reason: null,
      records: 0,
      last_attempt_at: null,
      last_success_at: null,
      last_change_at: null,
      stale_signalled: 0,
      // No rows yet: the first import writes a dataset of its own.
      dataset: randomUUID(),
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('vulns_feeds').values(row).execute();
    audit.target(`vulns_feed:${row.id}`);
    audit.change({ type: 'vulns_feed', id: row.id, after: input });
    return this.#view(row, Date.parse(now));
  }

  /**
   * Change a feed's definition. A new source (URL or path) or kind forgets the validators and content hash, so the
   * next refresh imports whatever the new source holds; the data in force stays until then.
   */
  async update(db: Db, id: string, input: FeedBody, audit: AuditRecorder): Promise<FeedView> {
    const before = await this.row(db, id);
    const clash = await db
      .selectFrom('vulns_feeds')
      .select('id')
      .where('name', '=', input.name)
      .where('id', '<>', id)
      .executeTakeFirst();
    if (clash) throw conflict('feed_exists', `a feed named ${input.name} exists already`);
    const moved = before.url !== input.url || before.path !== input.path || before.kind !== input.kind;
    const sameEcosystems = before.ecosystems === JSON.stringify(input.ecosystems);
    const now = this.deps.clock.now().toISOString();
    await db
      .updateTable('vulns_feeds')
      .set({
        kind: input.kind,
        name: input.name,
        url: input.url,
        path: input.path,
        ecosystems: JSON.stringify(input.ecosystems),
        interval_seconds: input.intervalSeconds,
        enabled: input.enabled ? 1 : 0,
        ...(moved || !sameEcosystems ? { etag: null, last_modified: null, content_hash: null } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    audit.target(`vulns_feed:${id}`);
    audit.change({ type: 'vulns_feed', id, before: this.#auditShape(before), after: input });
    return this.get(db, id);
  }

  #auditShape(r: VulnsFeedsTable): Record<string, unknown> {
    return {
      kind: r.kind,
      name: r.name,
      url: r.url,
      path: r.path,
      ecosystems: JSON.parse(r.ecosystems) as unknown,
      intervalSeconds: r.interval_seconds,
      enabled: Number(r.enabled) === 1,
    };
  }

  /**
   * Remove a feed; findings it alone supported close on the re-evaluation that follows the commit. Its data is out of
   * force at once (no feed points at it) and deleted afterwards by `purgeDatasets`, a few thousand rows at a time.
   */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const before = await this.row(db, id);
    await this.#retire(db, id, before.dataset);
    await db.deleteFrom('vulns_feeds').where('id', '=', id).execute();
    if (Number(before.stale_signalled) === 1) await this.#raiseStale(db, before, 'resolved');
    audit.target(`vulns_feed:${id}`);
    audit.change({ type: 'vulns_feed', id, before: this.#auditShape(before), after: null });
  }

  /** Delete a removed feed's last good copy (after the removal committed). */
  async forgetCopy(r: Pick<VulnsFeedsTable, 'id' | 'kind' | 'url' | 'path'>): Promise<void> {
    await unlink(this.copyPath(r)).catch(() => undefined);
  }

  /** Refresh one feed now (outside any request transaction); concurrent calls for the same feed share one run. */
  refresh(id: string): Promise<FeedRefreshResult> {
    const running = this.#inflight.get(id);
    if (running) return running;
    const run = this.#refresh(id).finally(() => this.#inflight.delete(id));
    this.#inflight.set(id, run);
    return run;
  }

  /** Wait for every refresh in progress (shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()]);
  }

  /** Refresh every enabled feed whose interval has passed; one failing feed does not stop the others. */
  async refreshDue(): Promise<FeedRefreshResult[]> {
    const now = this.deps.clock.now().getTime();
    const rows = await this.deps.database.db
      .selectFrom('vulns_feeds')
      .selectAll()
      .where('enabled', '=', 1)
      .orderBy('id')
      .execute();
    const out: FeedRefreshResult[] = [];
    for (const r of rows) {
      if (r.last_attempt_at && now - Date.parse(r.last_attempt_at) < Number(r.interval_seconds) * 1000) continue;
      out.push(await this.refresh(r.id));
    }
    return out;
  }

  async #refresh(id: string): Promise<FeedRefreshResult> {
    const db = this.deps.database.db;
    const row = await this.row(db, id);
    const startedAt = this.deps.clock.now().toISOString();
    await db.updateTable('vulns_feeds').set({ last_attempt_at: startedAt }).where('id', '=', id).execute();
    const dest = this.copyPath(row);
    let dl: Download;
    try {
      // Validators only while a good copy is in force: a 304 must never leave a feed without data.
      const cond = row.content_hash ? { etag: row.etag, lastModified: row.last_modified } : {};
      if (row.url) dl = await this.deps.downloader.download(row.url, dest, cond);
      else if (row.path) dl = await this.deps.downloader.copyLocal(row.path, dest);
      else return await this.#fail(row, 'the feed has neither a URL nor a path');
    } catch (err) {
      const reason = err instanceof FeedDownloadError ? err.message : describe(err);
      return this.#fail(row, reason);
    }
    if (dl.kind === 'not-modified' || (row.content_hash !== null && dl.sha256 === row.content_hash)) {
      if (dl.kind === 'file') await unlink(dl.file).catch(() => undefined);
      const now = this.deps.clock.now().toISOString();
      await db
        .updateTable('vulns_feeds')
        .set({
          status: 'ok',
          reason: null,
          last_success_at: now,
          ...(dl.kind === 'file' && dl.etag ? { etag: dl.etag } : {}),
          ...(dl.kind === 'file' && dl.lastModified ? { last_modified: dl.lastModified } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      await this.#checkStaleOne(id);
      return {
        id,
        status: 'unchanged',
        reason: dl.kind === 'not-modified' ? 'not modified' : 'same content',
        records: Number(row.records),
        version: row.version,
      };
    }

    const file = dl.file;
    const started = performance.now();
    // The new content goes into a dataset of its own, beside the one in force, in short transactions; one small
    // transaction then points the feed at it. A document that fails to parse leaves the feed on its last good data.
    const dataset = randomUUID();
    await db
      .insertInto('vulns_feed_datasets')
      .values({ dataset, feed_id: id, state: 'staging', created_at: this.deps.clock.now().toISOString() })
      .execute();
    let imported;
    try {
      const r = await importFeedFile(
        this.deps.database,
        { id, kind: row.kind as FeedKind, ecosystems: JSON.parse(row.ecosystems) as string[] },
        dataset,
        file,
      );
      imported = await db.transaction().execute(async (tx) => {
        // Still ours: an import running for longer than STAGING_ABANDONED_MS is taken for abandoned and deleted.
        const mine = await tx
          .deleteFrom('vulns_feed_datasets')
          .where('dataset', '=', dataset)
          .where('state', '=', 'staging')
          .executeTakeFirst();
        if (Number(mine.numDeletedRows) !== 1) throw new Error('the import ran so long that its data was deleted as abandoned');
        const current = await tx.selectFrom('vulns_feeds').select('dataset').where('id', '=', id).executeTakeFirst();
        if (!current) throw new Error('the feed was removed during its import');
        const now = this.deps.clock.now().toISOString();
        const version = r.version ?? dl.sha256.slice(0, 12);
        await tx
          .updateTable('vulns_feeds')
          .set({
            dataset,
            status: 'ok',
            reason: null,
            version,
            records: r.records,
            content_hash: dl.sha256,
            etag: dl.etag,
            last_modified: dl.lastModified,
            last_success_at: now,
            last_change_at: now,
            updated_at: now,
          })
          .where('id', '=', id)
          .execute();
        await this.#retire(tx, id, current.dataset);
        return { ...r, version };
      });
    } catch (err) {
      await unlink(file).catch(() => undefined);
      await this.#retire(db, id, dataset).catch(() => undefined);
      void this.purgeDatasets().catch((e: unknown) => this.deps.log.warn({ err: e }, 'vulns: could not delete a failed import'));
      return this.#fail(row, describe(err));
    }
    const importMs = Math.round(performance.now() - started);
    // Only now, with the import committed, does the download become the last good copy.
    await rename(file, dest).catch((err: unknown) => {
      this.deps.log.warn({ err, feed: id }, 'vulns: could not keep the feed copy');
      return unlink(file).catch(() => undefined);
    });
    this.deps.log.info({ feed: id, kind: row.kind, records: imported.records, ms: importMs }, 'vulns: feed imported');
    await this.#checkStaleOne(id);
    await this.deps.onChange();
    return {
      id,
      status: 'updated',
      records: imported.records,
      version: imported.version,
      counts: imported.counts,
      importMs,
    };
  }

  /** Mark a dataset for deletion (replaced, failed, or its feed removed); `purgeDatasets` deletes it. */
  async #retire(db: Db, feedId: string, dataset: string): Promise<void> {
    await db
      .insertInto('vulns_feed_datasets')
      .values({ dataset, feed_id: feedId, state: 'retired', created_at: this.deps.clock.now().toISOString() })
      .onConflict((oc) => oc.column('dataset').doUpdateSet({ state: 'retired' }))
      .execute();
  }

  /**
   * Delete the rows of retired datasets, and of imports that were cut short (a stop or a crash: staging for longer
   * than `STAGING_ABANDONED_MS`), a few thousand rows per transaction. No feed points at them, so no reader sees them;
   * `beforePurge` waits for index builds that started before a swap. Returns the rows deleted.
   */
  async purgeDatasets(): Promise<number> {
    const db = this.deps.database.db;
    const abandoned = new Date(this.deps.clock.now().getTime() - STAGING_ABANDONED_MS).toISOString();
    const gone = await db
      .selectFrom('vulns_feed_datasets')
      .select(['dataset', 'state'])
      .where((eb) => eb.or([eb('state', '=', 'retired'), eb('created_at', '<', abandoned)]))
      .where('dataset', 'not in', db.selectFrom('vulns_feeds').select('dataset'))
      .orderBy('created_at')
      .execute();
    if (gone.length === 0) return 0;
    await this.deps.beforePurge?.();
    let rows = 0;
    for (const d of gone) {
      if (d.state === 'staging') {
        // Claimed first, so that the import, should it still be running, finds its dataset gone and does not swap.
        const claimed = await db
          .updateTable('vulns_feed_datasets')
          .set({ state: 'retired' })
          .where('dataset', '=', d.dataset)
          .where('state', '=', 'staging')
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) continue;
      }
      rows += await deleteDataset(this.deps.database, d.dataset);
      await db.deleteFrom('vulns_feed_datasets').where('dataset', '=', d.dataset).execute();
    }
    this.deps.log.info({ datasets: gone.length, rows }, 'vulns: old feed data deleted');
    return rows;
  }

  async #fail(row: VulnsFeedsTable, reason: string): Promise<FeedRefreshResult> {
    const now = this.deps.clock.now().toISOString();
    await this.deps.database.db
      .updateTable('vulns_feeds')
      .set({ status: 'error', reason: reason.slice(0, 1000), updated_at: now })
      .where('id', '=', row.id)
      .execute();
    this.deps.log.warn({ feed: row.id, reason }, 'vulns: feed refresh failed; the last good data stays in force');
    return { id: row.id, status: 'failed', reason, records: Number(row.records), version: row.version };
  }

  /**
   * Raise `vulns:feed-stale:<id>` (minor) once for every enabled feed without a successful check for longer than
   * `feedStaleHours`, and resolve it when the feed is fresh again (or disabled or removed).
   */
  async checkStale(): Promise<{ raised: number; resolved: number }> {
    const rows = await this.deps.database.db.selectFrom('vulns_feeds').select('id').execute();
    let raised = 0;
    let resolved = 0;
    for (const r of rows) {
      const e = await this.#checkStaleOne(r.id);
      if (e === 'raised') raised++;
      if (e === 'resolved') resolved++;
    }
    return { raised, resolved };
  }

  async #checkStaleOne(id: string): Promise<'raised' | 'resolved' | null> {
    const now = this.deps.clock.now().getTime();
    return this.deps.database.db.transaction().execute(async (tx) => {
      const r = await tx.selectFrom('vulns_feeds').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) return null;
      const stale = Number(r.enabled) === 1 && this.#isStale(r, now);
      const signalled = Number(r.stale_signalled) === 1;
      if (stale === signalled) return null;
      await tx
        .updateTable('vulns_feeds')
        .set({ stale_signalled: stale ? 1 : 0 })
        .where('id', '=', id)
        .execute();
      await this.#raiseStale(tx, r, stale ? 'firing' : 'resolved');
      return stale ? 'raised' : 'resolved';
    });
  }

  async #raiseStale(db: Db, r: VulnsFeedsTable, status: 'firing' | 'resolved'): Promise<void> {
    await this.deps.signals.raise(db, {
      source: 'vulns',
      dedupKey: `vulns:feed-stale:${r.id}`,
      status,
      severity: 'minor',
      summary:
        status === 'firing'
          ? `advisory feed ${r.name} (${r.kind}) has had no successful check since ${r.last_success_at ?? 'it was added'}: new vulnerabilities may be missed`
          : `advisory feed ${r.name} (${r.kind}) is fresh again`,
      details: { feedId: r.id, kind: r.kind, lastSuccessAt: r.last_success_at, reason: r.reason },
      autoResolve: true,
    });
  }
}
