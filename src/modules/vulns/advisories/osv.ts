/**
 * OSV records (https://ossf.github.io/osv-schema/), single files or an ecosystem's `all.zip` from the OSV bucket
 * (`Debian:12`, `Ubuntu:*`, `AlmaLinux:*`, `Rocky Linux:*`, npm, PyPI, Packagist, Go, crates.io, RubyGems, Maven):
 * each `affected` entry becomes one `AdvisoryStatement`.
 */
import yauzl from 'yauzl';
import { z } from 'zod';
import type { AdvisoryStatement, AffectedRange, Ecosystem, Severity } from '../model.ts';
import { AdvisoryFeedError, clip } from './feed-error.ts';
import { maxSeverity, severityFromVendor } from './severity.ts';

/** One zip entry (one record) may not exceed this many bytes uncompressed; real records are a few KB. */
export const MAX_OSV_ENTRY_BYTES = 4 * 1024 * 1024;
/** Entries in one archive, at most (npm's `all.zip` has a few hundred thousand). */
export const MAX_OSV_ZIP_ENTRIES = 2_000_000;

const str = (max: number) => z.string().max(max);
const id = z.string().min(1).max(200);
const ids = z.array(id).max(2000);
const event = z.object({
  introduced: str(256).optional(),
  fixed: str(256).optional(),
  last_affected: str(256).optional(),
  limit: str(256).optional(),
});
const severityEntry = z.object({ type: str(64), score: str(512) });
const bag = z.record(z.string(), z.unknown());

/** The parts of an OSV record this importer reads, with bounds; anything else in the record is ignored. */
export const osvRecordSchema = z.object({
  schema_version: str(32).optional(),
  id,
  modified: str(64).optional(),
  published: str(64).optional(),
  withdrawn: str(64).optional(),
  aliases: ids.optional(),
  upstream: ids.optional(),
  related: ids.optional(),
  summary: str(10_000).optional(),
  details: str(1_000_000).optional(),
  severity: z.array(severityEntry).max(50).optional(),
  affected: z
    .array(
      z.object({
        package: z.object({ ecosystem: str(100).min(1), name: str(1000).min(1), purl: str(2000).optional() }).optional(),
        severity: z.array(severityEntry).max(50).optional(),
        ranges: z
          .array(z.object({ type: str(32), repo: str(2000).optional(), events: z.array(event).max(10_000) }))
          .max(10_000)
          .optional(),
        versions: z.array(str(256)).max(200_000).optional(),
        ecosystem_specific: bag.optional(),
        database_specific: bag.optional(),
      }),
    )
    .max(20_000)
    .optional(),
  database_specific: bag.optional(),
});
export type OsvRecord = z.infer<typeof osvRecordSchema>;

export interface OsvRecordResult {
  id: string;
  /** Withdrawn records produce no statements (and must remove earlier ones from the same record). */
  withdrawn: boolean;
  statements: AdvisoryStatement[];
  /** `affected` entries without a package, or with only GIT ranges and no versions: nothing to match on. */
  skippedAffected: number;
}

const CVE = /^CVE-\d{4}-\d{4,}$/;

/**
 * `Ubuntu:22.04:LTS` → `Ubuntu:22.04`, `Ubuntu:Pro:18.04:LTS` → `Ubuntu:Pro:18.04` (inventories name the release, not
 * its support tier); every other ecosystem as the record spells it.
 */
export function normaliseOsvEcosystem(ecosystem: string): Ecosystem {
  return ecosystem.startsWith('Ubuntu:') && ecosystem.endsWith(':LTS') ? ecosystem.slice(0, -4) : ecosystem;
}

/**
 * Convert one OSV record (parsed JSON, or its text) into statements. The primary id is the record's CVE when there is
 * exactly one (the id itself, or among `aliases`/`upstream`), else the record's own id; every other id is an alias
 * (for distro ecosystems `related` too: AlmaLinux, Rocky and Ubuntu USN records list the CVEs they fix there). GIT ranges are
 * ignored; status is `fixed` when a range has a fixed event, else `no_fix`. Vendor severity comes from
 * `database_specific.severity` (GHSA), a severity entry of type `Ubuntu`, or `ecosystem_specific` (`urgency`,
 * `severity`, `priority`). Throws an `AdvisoryFeedError` naming the field when the record is not valid OSV.
 */
export function parseOsvRecord(input: unknown, where: { entry?: string | undefined } = {}): OsvRecordResult {
  let json = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      json = JSON.parse(input.toString());
    } catch (err) {
      throw new AdvisoryFeedError('osv', `not valid JSON (${(err as Error).message})`, { entry: where.entry });
    }
  }
  const parsed = osvRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const recordId =
      typeof (json as { id?: unknown } | null)?.id === 'string' ? clip((json as { id: string }).id, 80) : undefined;
    throw new AdvisoryFeedError(
      'osv',
      `not a valid OSV record: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`,
      {
        entry: where.entry,
        id: recordId,
      },
    );
  }
  return convertOsvRecord(parsed.data);
}

function convertOsvRecord(r: OsvRecord): OsvRecordResult {
  if (r.withdrawn !== undefined && r.withdrawn !== '') return { id: r.id, withdrawn: true, statements: [], skippedAffected: 0 };
  // Distro advisories (ALSA, RLSA, USN) list the CVEs they fix under `related`: for them those are the same issue.
  const distro = (r.affected ?? []).some((a) => a.package?.ecosystem.includes(':') === true);
  const named = [...(r.aliases ?? []), ...(r.upstream ?? []), ...(distro ? (r.related ?? []) : [])];
  const all = [r.id, ...named];
  const cves = [...new Set(all.filter((x) => CVE.test(x)))];
  const vuln = CVE.test(r.id) ? r.id : cves.length === 1 ? (cves[0] as string) : r.id;
  const aliases = [...new Set(all)].filter((x) => x !== vuln);

  const recordCvss: string[] = [];
  let recordSeverity: Severity = 'unknown';
  let recordWord: string | undefined;
  const dbSeverity = r.database_specific?.severity;
  if (typeof dbSeverity === 'string') {
    recordWord = dbSeverity;
    recordSeverity = severityFromVendor(dbSeverity);
  }
  for (const s of r.severity ?? []) {
    if (isCvssVector(s)) recordCvss.push(s.score);
    else if (s.type === 'Ubuntu') {
      recordWord ??= s.score;
      recordSeverity = maxSeverity(recordSeverity, severityFromVendor(s.score));
    }
  }
  const summary = r.summary !== undefined && r.summary !== '' ? r.summary : r.details?.trim().slice(0, 500) || undefined;

  const statements: AdvisoryStatement[] = [];
  let skippedAffected = 0;
  for (const a of r.affected ?? []) {
    if (a.package === undefined) {
      skippedAffected++;
      continue;
    }
    const ranges: AffectedRange[] = [];
    let fixedEvents = 0;
    let lastFixed: string | undefined;
    for (const range of a.ranges ?? []) {
      if (range.type === 'GIT') continue;
      // Events pair up in the order given (OSV producers list them sorted): each `introduced` opens a range, the next
      // `fixed` or `last_affected` closes it; `limit` only bounds GIT bisection and is ignored.
      let open: AffectedRange | undefined;
      for (const e of range.events) {
        if (e.introduced !== undefined) {
          if (open) ranges.push(open);
          open = e.introduced === '0' ? {} : { introduced: e.introduced };
        } else if (e.fixed !== undefined) {
          ranges.push({ ...open, fixed: e.fixed });
          open = undefined;
          fixedEvents++;
          lastFixed = e.fixed;
        } else if (e.last_affected !== undefined) {
          ranges.push({ ...open, lastAffected: e.last_affected });
          open = undefined;
        }
      }
      if (open) ranges.push(open);
    }
    const versions = a.versions ?? [];
    if (ranges.length === 0 && versions.length === 0) {
      skippedAffected++;
      continue;
    }
    let severity = recordSeverity;
    let word = recordWord;
    const cvss = [...recordCvss];
    for (const s of a.severity ?? []) {
      if (isCvssVector(s)) cvss.push(s.score);
      else if (s.type === 'Ubuntu') {
        word ??= s.score;
        severity = maxSeverity(severity, severityFromVendor(s.score));
      }
    }
    const es = a.ecosystem_specific;
    for (const key of ['urgency', 'severity', 'priority'] as const) {
      const v = es?.[key];
      if (typeof v === 'string' && v !== '') {
        word ??= v;
        severity = maxSeverity(severity, severityFromVendor(v));
      }
    }
    const s: AdvisoryStatement = {
      source: 'osv',
      vuln,
      aliases,
      ecosystem: normaliseOsvEcosystem(a.package.ecosystem),
      package: a.package.name,
      status: fixedEvents > 0 ? 'fixed' : 'no_fix',
      severity,
    };
    if (fixedEvents === 1) s.fixed = lastFixed;
    if (ranges.length > 0) s.ranges = ranges;
    if (versions.length > 0) s.versions = versions;
    if (word !== undefined) s.urgency = word;
    if (cvss.length > 0) s.cvss = [...new Set(cvss)];
    if (r.published !== undefined) s.published = r.published;
    if (r.modified !== undefined) s.modified = r.modified;
    if (summary !== undefined) s.summary = summary;
    statements.push(s);
  }
  return { id: r.id, withdrawn: false, statements, skippedAffected };
}

function isCvssVector(s: { type: string; score: string }): boolean {
  return (
    (s.type === 'CVSS_V3' && /^CVSS:3\.[01]\/[A-Z]/.test(s.score)) || (s.type === 'CVSS_V4' && s.score.startsWith('CVSS:4.0/'))
  );
}

export interface OsvZipOptions {
  maxEntryBytes?: number;
  maxEntries?: number;
}

export interface OsvZipSummary {
  /** Zip entries seen (files and directories). */
  entries: number;
  /** `.json` records read. */
  records: number;
  /** Ids of withdrawn records (their earlier statements must go). */
  withdrawn: string[];
  statements: number;
  skippedAffected: number;
  /** Entries that are not `.json` files (directories, READMEs). */
  skippedEntries: number;
}

/**
 * Stream the records of an OSV ecosystem archive (`all.zip`), one zip entry at a time (yauzl, lazy entries), yielding
 * each record's statements. One bad entry (not JSON, not OSV, over `maxEntryBytes`, corrupt) fails the whole import
 * with an `AdvisoryFeedError` naming the entry, so the last good data stays: write the batches in one transaction.
 * The archive is closed when the loop ends, throws or is abandoned. Returns a summary.
 */
export async function* readOsvZip(
  source: string | Buffer,
  opts: OsvZipOptions = {},
): AsyncGenerator<AdvisoryStatement[], OsvZipSummary> {
  const maxEntryBytes = opts.maxEntryBytes ?? MAX_OSV_ENTRY_BYTES;
  const maxEntries = opts.maxEntries ?? MAX_OSV_ZIP_ENTRIES;
  const zipOptions = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };
  let zip: yauzl.ZipFile;
  try {
    zip =
      typeof source === 'string'
        ? await yauzl.openPromise(source, zipOptions)
        : await yauzl.fromBufferPromise(source, zipOptions);
  } catch (err) {
    throw new AdvisoryFeedError('osv', `not a readable zip archive (${(err as Error).message})`, {}, err);
  }
  const summary: OsvZipSummary = { entries: 0, records: 0, withdrawn: [], statements: 0, skippedAffected: 0, skippedEntries: 0 };
  try {
    if (zip.entryCount > maxEntries) throw new AdvisoryFeedError('osv', `the archive has more than ${maxEntries} entries`);
    const entries = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await entries.next();
      } catch (err) {
        throw new AdvisoryFeedError('osv', `the archive is corrupt (${(err as Error).message})`, {}, err);
      }
      if (next.done === true) break;
      const entry = next.value;
      summary.entries++;
      if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) {
        summary.skippedEntries++;
        continue;
      }
      const where = { entry: entry.fileName };
      if (entry.uncompressedSize > maxEntryBytes)
        throw new AdvisoryFeedError('osv', `the entry is larger than ${maxEntryBytes} bytes (${entry.uncompressedSize})`, where);
      let text: Buffer;
      try {
        text = await readEntry(zip, entry, maxEntryBytes);
      } catch (err) {
        throw new AdvisoryFeedError('osv', `the entry cannot be read (${(err as Error).message})`, where, err);
      }
      const result = parseOsvRecord(text, where);
      summary.records++;
      summary.skippedAffected += result.skippedAffected;
      if (result.withdrawn) summary.withdrawn.push(result.id);
      if (result.statements.length > 0) {
        summary.statements += result.statements.length;
        yield result.statements;
      }
    }
  } finally {
    zip.close();
  }
  return summary;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.destroy();
      throw new Error(`more than ${max} bytes uncompressed`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts, size);
}
