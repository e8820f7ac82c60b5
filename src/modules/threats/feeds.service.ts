import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Database } from '../../core/db/database.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { type FeedDefinition, type FeedDefinitionInput, feedDefinitionSchema } from './intel/feed-catalog.ts';
import type { FeedFetcher, FeedUpdateResult, LoadedFeed } from './intel/feed-fetcher.ts';
import type { IndexSource } from './intel/ip-index.ts';
import type { ThreatsFeedsTable } from './threats.tables.ts';

/** A feed as the API shows it: its definition, whether it is in force, and how fresh its copy is. */
export interface FeedView {
  id: string;
  name: string;
  format: string;
  url: string | null;
  file: string | null;
  enabled: boolean;
  refreshSeconds: number;
  licence: string;
  attribution: string;
  homepage: string | null;
  /** `ok` (fresh), `stale` (older than twice its refresh interval), `rejected`, `failed` (last try; the last good copy stays), `never`. */
  status: 'ok' | 'stale' | 'rejected' | 'failed' | 'never';
  reason: string | null;
  entries: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
}

function view(r: ThreatsFeedsTable, now: number): FeedView {
  const d = JSON.parse(r.definition) as FeedDefinition;
  let status = r.status as FeedView['status'];
  if (status === 'ok' && r.last_success_at && now - Date.parse(r.last_success_at) > 2 * d.refreshSeconds * 1000) status = 'stale';
  return {
    id: r.id,
    name: d.name,
    format: d.format,
    url: d.url ?? null,
    file: d.file ?? null,
    enabled: Number(r.enabled) === 1,
    refreshSeconds: d.refreshSeconds,
    licence: d.licence,
    attribution: d.attribution,
    homepage: d.homepage ?? null,
    status,
    reason: r.reason,
    entries: Number(r.entries),
    lastAttemptAt: r.last_attempt_at,
    lastSuccessAt: r.last_success_at,
  };
}

/**
 * Threat-intel feeds: definitions kept in the database (API, `skjold apply`), copies downloaded on their own schedule
 * by the engine (conditional GET; a short or garbled download is rejected and the last good copy stays), and the
 * sources for the IP index. Licence and attribution travel with every feed.
 */
export class FeedsService {
  constructor(
    private readonly deps: {
      database: Database;
      clock: Clock;
      log: Logger;
      fetcher: FeedFetcher;
      /** Called when the set of feed copies in force changed (rebuild the index). */
      onChange: () => void;
    },
  ) {}

  async list(db: Db): Promise<FeedView[]> {
    const now = this.deps.clock.now().getTime();
    return (await db.selectFrom('threats_feeds').selectAll().orderBy('id').execute()).map((r) => view(r, now));
  }

  async get(db: Db, id: string): Promise<FeedView> {
    const r = await db.selectFrom('threats_feeds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('feed_not_found', `no feed ${id}`);
    return view(r, this.deps.clock.now().getTime());
  }

  private parse(input: unknown): FeedDefinition {
    const p = feedDefinitionSchema.safeParse(input);
    if (!p.success)
      throw invalid(
        'invalid_feed',
        'the feed definition is not valid',
        p.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message })),
      );
    return p.data;
  }

  async create(db: Db, input: FeedDefinitionInput, audit: AuditRecorder): Promise<FeedView> {
    const def = this.parse(input);
    const clash = await db.selectFrom('threats_feeds').select('id').where('id', '=', def.id).executeTakeFirst();
    if (clash) throw conflict('feed_exists', `a feed ${def.id} exists already`);
    const now = this.deps.clock.now().toISOString();
    const row: ThreatsFeedsTable = {
      id: def.id,
      definition: JSON.stringify(def),
      enabled: def.enabled ? 1 : 0,
      status: 'never',
      reason: null,
      entries: 0,
      last_attempt_at: null,
      last_success_at: null,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('threats_feeds').values(row).execute();
    audit.target(`feed:${def.id}`);
    audit.change({ type: 'threat_feed', id: def.id, after: def });
    return view(row, Date.parse(now));
  }

  async update(db: Db, id: string, input: FeedDefinitionInput, audit: AuditRecorder): Promise<FeedView> {
    const r = await db.selectFrom('threats_feeds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('feed_not_found', `no feed ${id}`);
    const def = this.parse({ ...input, id });
    const now = this.deps.clock.now().toISOString();
    await db
      .updateTable('threats_feeds')
      .set({ definition: JSON.stringify(def), enabled: def.enabled ? 1 : 0, updated_at: now })
      .where('id', '=', id)
      .execute();
    audit.target(`feed:${id}`);
    audit.change({ type: 'threat_feed', id, before: JSON.parse(r.definition) as Record<string, unknown>, after: def });
    this.deps.onChange();
    return this.get(db, id);
  }

  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const r = await db.selectFrom('threats_feeds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('feed_not_found', `no feed ${id}`);
    await db.deleteFrom('threats_feeds').where('id', '=', id).execute();
    audit.target(`feed:${id}`);
    audit.change({ type: 'threat_feed', id, before: JSON.parse(r.definition) as Record<string, unknown>, after: null });
    this.deps.onChange();
  }

  /** Refresh one feed now and record the outcome; the result is the fetcher's (never thrown). */
  async refresh(id: string): Promise<FeedUpdateResult> {
    const db = this.deps.database.db;
    const r = await db.selectFrom('threats_feeds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('feed_not_found', `no feed ${id}`);
    const def = JSON.parse(r.definition) as FeedDefinition;
    const res = await this.deps.fetcher.update(def);
    const now = this.deps.clock.now().toISOString();
    const ok = res.status === 'updated' || res.status === 'unchanged';
    await db
      .updateTable('threats_feeds')
      .set({
        status: ok ? 'ok' : res.status,
        reason: ok ? null : (res.reason ?? res.status).slice(0, 500),
        entries: res.entries,
        last_attempt_at: now,
        ...(ok ? { last_success_at: now } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    if (res.status === 'updated') this.deps.onChange();
    if (!ok)
      this.deps.log.warn({ feed: id, status: res.status, reason: res.reason }, 'threats: feed update kept the last good copy');
    return res;
  }

  /** Refresh every enabled feed that is due (the engine's schedule); one failing feed does not stop the others. */
  async refreshDue(): Promise<FeedUpdateResult[]> {
    const now = this.deps.clock.now().getTime();
    const rows = await this.deps.database.db.selectFrom('threats_feeds').selectAll().where('enabled', '=', 1).execute();
    const out: FeedUpdateResult[] = [];
    for (const r of rows) {
      const def = JSON.parse(r.definition) as FeedDefinition;
      if (r.last_attempt_at && now - Date.parse(r.last_attempt_at) < def.refreshSeconds * 1000) continue;
      out.push(await this.refresh(r.id));
    }
    return out;
  }

  /** The enabled feeds' last good copies as index sources (ids from 1, in id order). */
  async sources(): Promise<IndexSource[]> {
    const rows = await this.deps.database.db
      .selectFrom('threats_feeds')
      .selectAll()
      .where('enabled', '=', 1)
      .orderBy('id')
      .execute();
    const out: IndexSource[] = [];
    let n = 1;
    for (const r of rows) {
      const copy: LoadedFeed | null = await this.deps.fetcher.load({ id: r.id }).catch(() => null);
      const def = JSON.parse(r.definition) as FeedDefinition;
      if (copy) out.push({ id: n, name: def.name, kind: 'feed', cidrs: copy.cidrs, since: copy.since });
      n++;
    }
    return out;
  }
}
