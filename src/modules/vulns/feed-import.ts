/**
 * Writes one feed's parsed content into the advisory tables under a new dataset (`vulns_feeds.dataset`), in short
 * transactions of a few thousand rows as the streaming parser yields them, beside the dataset in force: readers and
 * writers (on SQLite, every request shares one connection) wait at most one such transaction, not the whole import.
 * The caller points the feed at the new dataset once the whole document parsed, or deletes what was written when it
 * did not, so the last good data stays in force either way (issue 5 item 3).
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { Database, Db } from '../../core/db/database.ts';
import { parseDebianAdvisoryList } from './advisories/debian-dsa.ts';
import { parseDebianTracker } from './advisories/debian-tracker.ts';
import { parseEpss } from './advisories/epss.ts';
import { AdvisoryFeedError } from './advisories/feed-error.ts';
import { MAX_KEV_BYTES, parseKev } from './advisories/kev.ts';
import { MAX_OSV_ENTRY_BYTES, parseOsvRecord, readOsvZip } from './advisories/osv.ts';
import type { AdvisoryStatement, DebianAdvisory, EpssRow, KevEntry } from './model.ts';
import type {
  VulnsDebianAdvisoriesTable,
  VulnsEpssTable,
  VulnsKevTable,
  VulnsStatementsTable,
  VulnsVulnerabilitiesTable,
} from './vulns.tables.ts';

export const FEED_KINDS = ['debian-tracker', 'debian-dsa', 'debian-dla', 'osv', 'kev', 'epss'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** What a parser hands the importer, one kind of row per batch. */
export type ImportBatch =
  | { statements: readonly AdvisoryStatement[] }
  | { kev: readonly KevEntry[] }
  | { epss: readonly EpssRow[] }
  | { advisories: readonly DebianAdvisory[] };

/** A parser's adapter: batches, then the feed's own version (KEV catalog version, EPSS score date) when it has one. */
export type FeedParser = (
  file: string,
  opts: { ecosystems: readonly string[] },
) => AsyncGenerator<ImportBatch, { version?: string | undefined; summary?: unknown }>;

/** Run a streaming parser over a file, wrapping each batch. */
async function* each<T, R>(gen: AsyncGenerator<T, R>, wrap: (batch: T) => ImportBatch | null): AsyncGenerator<ImportBatch, R> {
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done === true) return r.value;
      const b = wrap(r.value);
      if (b) yield b;
    }
  } finally {
    await gen.return(undefined as R);
  }
}

async function* trackerParser(file: string): AsyncGenerator<ImportBatch, { summary: unknown }> {
  const summary = yield* each(parseDebianTracker(createReadStream(file)), (statements) => ({ statements }));
  return { summary };
}

async function* dsaParser(file: string): AsyncGenerator<ImportBatch, { summary: unknown }> {
  const summary = yield* each(parseDebianAdvisoryList(createReadStream(file)), (list) => ({
    advisories: list.map((a) => ({ id: a.id, date: a.date, package: a.package, cves: a.cves, fixed: a.fixed })),
  }));
  return { summary };
}

async function* epssParser(file: string): AsyncGenerator<ImportBatch, { version: string | undefined; summary: unknown }> {
  const summary = yield* each(parseEpss(createReadStream(file)), (epss) => ({ epss }));
  return { version: summary.scoreDate?.slice(0, 10) ?? summary.modelVersion, summary };
}

async function* kevParser(file: string): AsyncGenerator<ImportBatch, { version: string; summary: unknown }> {
  const info = await stat(file);
  if (info.size > MAX_KEV_BYTES) throw new AdvisoryFeedError('kev', `the catalog is larger than ${MAX_KEV_BYTES} bytes`);
  // About 1.5 MB: parsed whole (validated entry by entry).
  const catalog = parseKev(await readFile(file, 'utf8'));
  for (let i = 0; i < catalog.entries.length; i += BATCH_ROWS) yield { kev: catalog.entries.slice(i, i + BATCH_ROWS) };
  return { version: catalog.version, summary: { entries: catalog.entries.length, released: catalog.released } };
}

/** Whether an OSV ecosystem passes a feed's filter (`Debian:12` exactly, `Ubuntu` for every Ubuntu release). */
function keepsEcosystem(filter: readonly string[], ecosystem: string): boolean {
  return filter.length === 0 || filter.some((f) => ecosystem === f || ecosystem.startsWith(`${f}:`));
}

async function* osvParser(
  file: string,
  opts: { ecosystems: readonly string[] },
): AsyncGenerator<ImportBatch, { summary: unknown }> {
  const keep = (statements: AdvisoryStatement[]): ImportBatch | null => {
    const kept = statements.filter((s) => keepsEcosystem(opts.ecosystems, s.ecosystem));
    return kept.length ? { statements: kept } : null;
  };
  const fh = await open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await fh.read(magic, 0, 2, 0);
  } finally {
    await fh.close();
  }
  if (magic[0] === 0x50 && magic[1] === 0x4b) {
    const summary = yield* each(readOsvZip(file), keep);
    return { summary };
  }
  // One record, or an array of records, as JSON.
  const info = await stat(file);
  if (info.size > MAX_OSV_ENTRY_BYTES * 16)
    throw new AdvisoryFeedError('osv', `a JSON document larger than ${MAX_OSV_ENTRY_BYTES * 16} bytes: use the all.zip archive`);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new AdvisoryFeedError('osv', `not valid JSON (${(err as Error).message})`);
  }
  const records = Array.isArray(doc) ? doc : [doc];
  let statements = 0;
  for (let i = 0; i < records.length; i++) {
    const r = parseOsvRecord(records[i], { entry: Array.isArray(doc) ? `[${i}]` : undefined });
    const b = keep(r.statements);
    if (b) {
      statements += r.statements.length;
      yield b;
    }
  }
  return { summary: { records: records.length, statements } };
}

/** The parser of each feed kind (the parsers themselves live in `advisories/`). */
export const FEED_PARSERS: Record<FeedKind, FeedParser> = {
  'debian-tracker': trackerParser,
  'debian-dsa': dsaParser,
  'debian-dla': dsaParser,
  osv: osvParser,
  kev: kevParser,
  epss: epssParser,
};

/** Rows per INSERT: far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters at 11 columns a row. */
const BATCH_ROWS = 500;

export interface ImportCounts {
  statements: number;
  vulnerabilities: number;
  kev: number;
  epss: number;
  advisories: number;
}

export interface ImportResult {
  /** Rows imported (statements, KEV entries, EPSS rows or advisories). */
  records: number;
  counts: ImportCounts;
  /** The feed's own version, when the format carries one. */
  version: string | undefined;
  summary: unknown;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** Rows deleted per transaction when a dataset goes. */
const DELETE_ROWS = 5_000;

/**
 * Delete a dataset's rows from every advisory table, a few thousand rows per statement (each its own short
 * transaction outside `db.transaction()`), so that a retired half-million-row dataset does not hold SQLite's only
 * connection. Returns the rows deleted.
 */
export async function deleteDataset(database: Database, dataset: string): Promise<number> {
  const db = database.db;
  let deleted = 0;
  // Statements: ranges of the (dataset, seq) index, from the lowest seq left (seqs are dense, 1, 2, …).
  for (let after = 0; ;) {
    const next = await db
      .selectFrom('vulns_statements')
      .select('seq')
      .where('dataset', '=', dataset)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    if (!next) break;
    const from = Number(next.seq) - 1;
    after = from + DELETE_ROWS;
    await database.writeTurns.turn();
    const r = await db
      .deleteFrom('vulns_statements')
      .where('dataset', '=', dataset)
      .where('seq', '>', from)
      .where('seq', '<=', after)
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  // The others: by primary key (dataset, id | cve), a page at a time.
  const keyed = [
    ['vulns_vulnerabilities', 'id'],
    ['vulns_kev', 'cve'],
    ['vulns_epss', 'cve'],
    ['vulns_debian_advisories', 'id'],
  ] as const;
  for (const [table, key] of keyed)
    for (;;) {
      const page = db.selectFrom(table).select(key).where('dataset', '=', dataset).limit(DELETE_ROWS);
      await database.writeTurns.turn();
      const r = await db.deleteFrom(table).where('dataset', '=', dataset).where(key, 'in', page).executeTakeFirst();
      deleted += Number(r.numDeletedRows);
      if (Number(r.numDeletedRows) < DELETE_ROWS) break;
    }
  return deleted;
}

/** Rows written per transaction (in INSERTs of at most BATCH_ROWS rows). */
const COMMIT_ROWS = 5_000;

/**
 * Write the content of `file` under `dataset`, committing every few thousand rows. Throws (an `AdvisoryFeedError` for
 * a malformed document) without cleaning up: the caller deletes the partial dataset, and the one in force stays.
 */
export async function importFeedFile(
  database: Database,
  feed: { id: string; kind: FeedKind; ecosystems: readonly string[] },
  dataset: string,
  file: string,
): Promise<ImportResult> {
  const parser = FEED_PARSERS[feed.kind];
  const counts: ImportCounts = { statements: 0, vulnerabilities: 0, kev: 0, epss: 0, advisories: 0 };
  const statements: VulnsStatementsTable[] = [];
  const vulns: VulnsVulnerabilitiesTable[] = [];
  const kev: VulnsKevTable[] = [];
  const epss: VulnsEpssTable[] = [];
  const advisories: VulnsDebianAdvisoriesTable[] = [];
  // A tracker CVE is described once per source package it affects: keep the first description.
  const seenVulns = new Set<string>();
  const seenKeys = new Set<string>();

  // At most BATCH_ROWS rows per INSERT: SQLite binds at most 32,766 variables (a tracker package such as `linux`
  // yields thousands of statements at once; an EPSS batch 10,000 rows).
  const write = async (tx: Db) => {
    while (statements.length) await tx.insertInto('vulns_statements').values(statements.splice(0, BATCH_ROWS)).execute();
    while (vulns.length)
      await tx
        .insertInto('vulns_vulnerabilities')
        .values(vulns.splice(0, BATCH_ROWS))
        .onConflict((oc) => oc.columns(['dataset', 'id']).doNothing())
        .execute();
    while (kev.length)
      await tx
        .insertInto('vulns_kev')
        .values(kev.splice(0, BATCH_ROWS))
        .onConflict((oc) => oc.columns(['dataset', 'cve']).doNothing())
        .execute();
    while (epss.length)
      await tx
        .insertInto('vulns_epss')
        .values(epss.splice(0, BATCH_ROWS))
        .onConflict((oc) => oc.columns(['dataset', 'cve']).doNothing())
        .execute();
    while (advisories.length)
      await tx
        .insertInto('vulns_debian_advisories')
        .values(advisories.splice(0, BATCH_ROWS))
        .onConflict((oc) => oc.columns(['dataset', 'id']).doNothing())
        .execute();
  };
  const flush = async (all: boolean) => {
    const pending = statements.length + vulns.length + kev.length + epss.length + advisories.length;
    if (pending === 0 || (!all && pending < COMMIT_ROWS)) return;
    await database.writeTurns.turn();
    await database.db.transaction().execute(write);
  };

  const gen = parser(file, { ecosystems: feed.ecosystems });
  let done: { version?: string | undefined; summary?: unknown };
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done === true) {
        done = r.value;
        break;
      }
      const b = r.value;
      if ('statements' in b) {
        for (const s of b.statements) {
          statements.push({
            dataset,
            seq: counts.statements + 1,
            vuln: s.vuln,
            ecosystem: s.ecosystem,
            package: s.package,
            status: s.status,
            fixed: s.fixed ?? null,
            ranges: s.ranges && s.ranges.length ? json(s.ranges) : null,
            versions: s.versions && s.versions.length ? json(s.versions) : null,
            severity: s.severity,
            urgency: s.urgency ?? null,
            note: s.note ?? null,
          });
          counts.statements++;
          if (!seenVulns.has(s.vuln)) {
            seenVulns.add(s.vuln);
            vulns.push({
              id: s.vuln,
              dataset,
              aliases: JSON.stringify(s.aliases),
              cvss: JSON.stringify(s.cvss ?? []),
              summary: (s.summary ?? '').slice(0, 4000),
              published: s.published ?? null,
              modified: s.modified ?? null,
            });
            counts.vulnerabilities++;
          }
        }
      } else if ('kev' in b) {
        for (const e of b.kev) {
          if (seenKeys.has(e.cve)) continue;
          seenKeys.add(e.cve);
          kev.push({
            cve: e.cve,
            dataset,
            vendor: e.vendor,
            product: e.product,
            name: e.name,
            date_added: e.dateAdded,
            due_date: e.dueDate,
            ransomware: e.ransomware ? 1 : 0,
            required_action: e.requiredAction,
          });
          counts.kev++;
        }
      } else if ('epss' in b) {
        for (const e of b.epss) {
          if (seenKeys.has(e.cve)) continue;
          seenKeys.add(e.cve);
          epss.push({ cve: e.cve, dataset, epss: e.epss, percentile: e.percentile });
          counts.epss++;
        }
      } else {
        for (const a of b.advisories) {
          if (seenKeys.has(a.id)) continue;
          seenKeys.add(a.id);
          advisories.push({
            id: a.id,
            dataset,
            date: a.date,
            package: a.package,
            cves: JSON.stringify(a.cves),
            fixed: JSON.stringify(a.fixed),
          });
          counts.advisories++;
        }
      }
      await flush(false);
    }
  } finally {
    await gen.return({});
  }
  await flush(true);
  return {
    records: counts.statements + counts.kev + counts.epss + counts.advisories,
    counts,
    version: done.version,
    summary: done.summary,
  };
}
