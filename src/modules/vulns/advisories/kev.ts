/**
 * The CISA Known Exploited Vulnerabilities catalog
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json), about 1.5 MB: parsed whole,
 * validated entry by entry so an error names the index and CVE.
 */
import { z } from 'zod';
import type { KevEntry } from '../model.ts';
import { AdvisoryFeedError, clip } from './feed-error.ts';

export interface KevCatalog {
  /** `catalogVersion` (`2024.03.11`): the feed version stored with every priority that used it. */
  version: string;
  /** `dateReleased`, ISO 8601. */
  released: string;
  title: string;
  entries: KevEntry[];
}

/** The catalog is about 1.5 MB with ~1,200 entries; these bounds leave room and still stop a runaway download. */
export const MAX_KEV_BYTES = 64 * 1024 * 1024;
export const MAX_KEV_ENTRIES = 200_000;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine(
    (d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'not a calendar date',
  );
const text = (max: number) => z.string().max(max);

const catalogSchema = z.object({
  title: text(500).default(''),
  catalogVersion: z.string().min(1).max(64),
  dateReleased: z
    .string()
    .max(64)
    .refine((d) => !Number.isNaN(Date.parse(d)), 'not an ISO 8601 time'),
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(z.unknown()).max(MAX_KEV_ENTRIES),
});

const entrySchema = z.object({
  cveID: z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'not a CVE id'),
  vendorProject: text(500),
  product: text(500),
  vulnerabilityName: text(2000),
  dateAdded: isoDate,
  shortDescription: text(20_000).optional(),
  requiredAction: text(5000),
  dueDate: isoDate,
  // CISA uses "Known" and "Unknown"; any other word is read as not known rather than rejecting the catalog.
  knownRansomwareCampaignUse: text(64).optional(),
  notes: text(20_000).optional(),
  cwes: z.array(text(64)).max(100).optional(),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.join('.');
  return `${path === '' ? '' : `${path}: `}${issue.message}`;
}

/**
 * Parse the KEV catalog (its text, bytes or parsed JSON). All or nothing: a missing field, a bad entry (named by its
 * index and cveID), a duplicated CVE or a `count` that disagrees with the entries throws an `AdvisoryFeedError`.
 */
export function parseKev(input: unknown): KevCatalog {
  let json = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    if (input.length > MAX_KEV_BYTES) throw new AdvisoryFeedError('kev', `the catalog is larger than ${MAX_KEV_BYTES} bytes`);
    try {
      json = JSON.parse(input.toString());
    } catch (err) {
      throw new AdvisoryFeedError('kev', `not valid JSON (${(err as Error).message})`);
    }
  }
  const top = catalogSchema.safeParse(json);
  if (!top.success) throw new AdvisoryFeedError('kev', `not a KEV catalog: ${firstIssue(top.error)}`);
  const { vulnerabilities, count } = top.data;
  if (vulnerabilities.length !== count)
    throw new AdvisoryFeedError('kev', `"count" says ${count} but the catalog lists ${vulnerabilities.length} vulnerabilities`);
  const entries: KevEntry[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < vulnerabilities.length; i++) {
    const raw = vulnerabilities[i];
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      const cve = (raw as { cveID?: unknown } | null)?.cveID;
      throw new AdvisoryFeedError('kev', `bad entry: ${firstIssue(parsed.error)}`, {
        index: i,
        id: typeof cve === 'string' ? clip(cve, 40) : undefined,
      });
    }
    const v = parsed.data;
    const earlier = seen.get(v.cveID);
    if (earlier !== undefined)
      throw new AdvisoryFeedError('kev', `listed twice (first at index ${earlier})`, { index: i, id: v.cveID });
    seen.set(v.cveID, i);
    entries.push({
      cve: v.cveID,
      vendor: v.vendorProject,
      product: v.product,
      name: v.vulnerabilityName,
      dateAdded: v.dateAdded,
      dueDate: v.dueDate,
      ransomware: v.knownRansomwareCampaignUse === 'Known',
      requiredAction: v.requiredAction,
    });
  }
  return { version: top.data.catalogVersion, released: top.data.dateReleased, title: top.data.title, entries };
}
