import type { Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import { AdvisoryIndex } from './match/advisory-index.ts';
import type { AdvisoryStatement, AffectedRange, EpssRow, KevEntry, Severity, VendorStatus } from './model.ts';

/** Statements read per query while building the index (keyset pages over `(dataset, seq)`). */
const PAGE = 20_000;

interface VulnRow {
  aliases: string[];
  cvss: string[];
  summary: string;
  published: string | undefined;
  modified: string | undefined;
}

/**
 * The feeds' datasets in force, as a subquery: advisory rows are read through it, never rows of an import being
 * written or of a dataset replaced and waiting for deletion.
 */
export function inForce(db: Db) {
  return db.selectFrom('vulns_feeds').select('dataset');
}

/** The version a feed's data is recorded under beside each priority: its own version, else its content hash. */
export function feedVersion(f: { version: string | null; content_hash: string | null }): string {
  return f.version ?? f.content_hash?.slice(0, 12) ?? '';
}

/**
 * The advisory index the matcher reads, built from the database once (vendor statements with their vulnerabilities'
 * aliases and CVSS, KEV, EPSS) and cached until a feed import calls `invalidate()`. Statements are read in
 * keyset pages by `(dataset, seq)`, which both SQLite and PostgreSQL answer from that index without a cursor.
 */
export class AdvisoryStore {
  #cached: Promise<AdvisoryIndex> | undefined;
  readonly #building = new Set<Promise<AdvisoryIndex>>();
  #generation = 0;
  #versions: Record<string, string> = {};
  #loadMs = 0;
  /** The statements of the last index built, and the statement feeds' datasets they were read from. */
  #statements: { key: string; index: AdvisoryIndex } | undefined;

  constructor(private readonly deps: { log: Logger }) {}

  /** The current index, built on first use after start or after `invalidate()`. */
  index(db: Db): Promise<AdvisoryIndex> {
    if (this.#cached) return this.#cached;
    const generation = this.#generation;
    const build = this.#build(db, generation).catch((err: unknown) => {
      // A failed build is not cached: the next caller tries again.
      if (this.#generation === generation) this.#cached = undefined;
      throw err;
    });
    this.#cached = build;
    this.#building.add(build);
    void build.finally(() => this.#building.delete(build)).catch(() => undefined);
    return build;
  }

  /** Resolves when no build in progress now is left (a replaced feed dataset may be deleted after). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#building]);
  }

  /** Drop the cached index: the next `index()` reads the database again (after a feed import committed). */
  invalidate(): void {
    this.#generation++;
    this.#cached = undefined;
  }

  /** Feed id → version (the feed's own version or its content hash prefix) of the feeds in the current index. */
  feedVersions(): Record<string, string> {
    return { ...this.#versions };
  }

  /** How long the last build took, milliseconds. */
  get lastLoadMs(): number {
    return this.#loadMs;
  }

  async #build(db: Db, generation: number): Promise<AdvisoryIndex> {
    const started = performance.now();
    const feeds = await db
      .selectFrom('vulns_feeds')
      .select(['id', 'kind', 'version', 'content_hash', 'last_change_at', 'dataset'])
      .where('status', '<>', 'never')
      .orderBy('id')
      .execute();
    // Only KEV or EPSS data changed since the last build: its statements are kept, not read again (a second or more
    // of a tracker's half a million rows per change).
    const statementFeeds = feeds.filter((f) => f.kind === 'debian-tracker' || f.kind === 'osv');
    const key = JSON.stringify(statementFeeds.map((f) => [f.id, f.dataset]));
    const kept = this.#statements?.key === key ? this.#statements.index : undefined;
    const index = new AdvisoryIndex(kept);
    const versions: Record<string, string> = {};
    const kev: KevEntry[] = [];
    const kevVersions: string[] = [];
    const epss: EpssRow[] = [];
    const epssVersions: string[] = [];
    for (const f of feeds) {
      const version = feedVersion(f);
      versions[f.id] = version;
      if (f.kind === 'kev') {
        const rows = await db.selectFrom('vulns_kev').selectAll().where('dataset', '=', f.dataset).execute();
        for (const r of rows)
          kev.push({
            cve: r.cve,
            vendor: r.vendor,
            product: r.product,
            name: r.name,
            dateAdded: r.date_added,
            dueDate: r.due_date,
            ransomware: Number(r.ransomware) === 1,
            requiredAction: r.required_action,
          });
        if (rows.length) kevVersions.push(version);
      } else if (f.kind === 'epss') {
        const rows = await db
          .selectFrom('vulns_epss')
          .select(['cve', 'epss', 'percentile'])
          .where('dataset', '=', f.dataset)
          .execute();
        for (const r of rows) epss.push({ cve: r.cve, epss: Number(r.epss), percentile: Number(r.percentile) });
        if (rows.length) epssVersions.push(version);
      } else if ((f.kind === 'debian-tracker' || f.kind === 'osv') && kept === undefined) {
        await this.#loadStatements(db, index, f.dataset, f.kind);
      }
    }
    if (kevVersions.length) index.setKev(kev, kevVersions.join('+'));
    if (epssVersions.length) index.setEpss(epss, epssVersions.join('+'));
    // An index invalidated while it was being read is handed to its callers but not cached, nor its versions kept.
    if (this.#generation === generation) {
      this.#versions = versions;
      this.#statements = { key, index };
    }
    this.#loadMs = performance.now() - started;
    this.deps.log.info({ ms: Math.round(this.#loadMs), ...index.stats() }, 'vulns: advisory index built');
    return index;
  }

  async #loadStatements(db: Db, index: AdvisoryIndex, dataset: string, source: string): Promise<void> {
    const metas = new Map<string, VulnRow>();
    const vrows = await db
      .selectFrom('vulns_vulnerabilities')
      .select(['id', 'aliases', 'cvss', 'summary', 'published', 'modified'])
      .where('dataset', '=', dataset)
      .execute();
    for (const v of vrows)
      metas.set(v.id, {
        aliases: JSON.parse(v.aliases) as string[],
        cvss: JSON.parse(v.cvss) as string[],
        summary: v.summary,
        published: v.published ?? undefined,
        modified: v.modified ?? undefined,
      });
    const query = db
      .selectFrom('vulns_statements')
      .select(['seq', 'vuln', 'ecosystem', 'package', 'status', 'fixed', 'ranges', 'versions', 'severity', 'urgency', 'note'])
      .where('dataset', '=', dataset);
    type Row = Awaited<ReturnType<typeof query.executeTakeFirstOrThrow>>;
    const add = (rows: Row[]) => {
      const batch: AdvisoryStatement[] = new Array<AdvisoryStatement>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as (typeof rows)[number];
        // The vulnerability's aliases, CVSS and dates travel with its first statement only: the index keeps them once.
        const meta = metas.get(r.vuln);
        if (meta) metas.delete(r.vuln);
        batch[i] = {
          source,
          vuln: r.vuln,
          aliases: meta?.aliases ?? [],
          ecosystem: r.ecosystem,
          package: r.package,
          status: r.status as VendorStatus,
          fixed: r.fixed ?? undefined,
          ranges: r.ranges === null ? undefined : (JSON.parse(r.ranges) as AffectedRange[]),
          versions: r.versions === null ? undefined : (JSON.parse(r.versions) as string[]),
          severity: r.severity as Severity,
          urgency: r.urgency ?? undefined,
          note: r.note ?? undefined,
          cvss: meta?.cvss,
          published: meta?.published,
          modified: meta?.modified,
          summary: meta?.summary || undefined,
        };
      }
      index.add(batch);
    };
    // Keyset pages over the (dataset, seq) index on both databases (Kysely's SQLite stream measured no faster, and
    // PostgreSQL streams only with pg-cursor).
    let after = 0;
    for (;;) {
      const rows = await query.where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
      if (rows.length === 0) break;
      add(rows);
      after = Number(rows[rows.length - 1]?.seq);
      if (rows.length < PAGE) break;
      // SQLite answers synchronously: without a turn of the event loop no request would be served until the end.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
