/**
 * The FIRST EPSS scores (https://epss.cyentia.com/epss_scores-current.csv.gz): a `#model_version:…,score_date:…`
 * comment, the header `cve,epss,percentile`, then one row per CVE (about 250,000). Plain or gzip-compressed.
 */
import type { EpssRow } from '../model.ts';
import { AdvisoryFeedError, clip } from './feed-error.ts';
import { gunzipIfCompressed, readLineBatches, type FeedInput } from './feed-stream.ts';

export interface EpssMeta {
  /** `v2023.03.01`: the feed version stored with every priority that used a score. */
  modelVersion?: string | undefined;
  /** `2024-03-10T00:00:00+0000`, as the file says it. */
  scoreDate?: string | undefined;
}

export interface EpssSummary extends EpssMeta {
  rows: number;
}

export interface EpssOptions {
  /** Rows per yielded batch (default 10,000). */
  batchSize?: number;
  /** Called once with the comment line's fields, before the first batch. */
  onMeta?: (meta: EpssMeta) => void;
  /** Largest document accepted after decompression (default 256 MB; today's file is about 10 MB). */
  maxBytes?: number;
  /** Fewer rows than this is a broken download (default 1). */
  minRows?: number;
}

const CVE = /^CVE-\d{4}-\d{4,}$/;
const NUMBER = /^\d*\.?\d+(?:[eE][-+]?\d+)?$/;

/**
 * Parse an EPSS CSV from a stream (gzip detected by its magic bytes), yielding rows in batches and returning the
 * summary with the model version and score date. The first bad line (a row that is not `CVE-…,0..1,0..1`, a missing or
 * different header) throws an `AdvisoryFeedError` with its line number; write the batches in one transaction.
 */
export async function* parseEpss(input: FeedInput, opts: EpssOptions = {}): AsyncGenerator<EpssRow[], EpssSummary> {
  const batchSize = opts.batchSize ?? 10_000;
  const meta: EpssMeta = {};
  let line = 0;
  let rows = 0;
  let header = false;
  let batch: EpssRow[] = [];
  const lines = readLineBatches(gunzipIfCompressed(input, 'epss'), 'epss', {
    maxBytes: opts.maxBytes ?? 256 * 1024 * 1024,
    maxLineChars: 4096,
  });
  for await (const chunk of lines) {
    for (const text of chunk) {
      line++;
      const fail = (reason: string): AdvisoryFeedError => new AdvisoryFeedError('epss', `${reason}: "${clip(text)}"`, { line });
      if (!header) {
        if (line === 1 && text.charCodeAt(0) === 0xfeff) throw fail('unexpected byte order mark');
        if (line === 1 && text.startsWith('#')) {
          for (const field of text.slice(1).split(',')) {
            const colon = field.indexOf(':');
            if (colon === -1) continue;
            const key = field.slice(0, colon).trim();
            const value = field.slice(colon + 1).trim();
            if (key === 'model_version') meta.modelVersion = clip(value, 64);
            else if (key === 'score_date') meta.scoreDate = clip(value, 64);
          }
          continue;
        }
        if (text.trim() !== 'cve,epss,percentile') throw fail('expected the header "cve,epss,percentile"');
        header = true;
        opts.onMeta?.({ ...meta });
        continue;
      }
      const a = text.indexOf(',');
      const b = a === -1 ? -1 : text.indexOf(',', a + 1);
      if (b === -1 || text.indexOf(',', b + 1) !== -1) {
        if (text === '') continue;
        throw fail('expected 3 comma-separated fields (cve,epss,percentile)');
      }
      const cve = text.slice(0, a);
      const e = text.slice(a + 1, b);
      const p = text.slice(b + 1);
      if (!CVE.test(cve)) throw fail(`"${clip(cve, 40)}" is not a CVE id`);
      const epss = NUMBER.test(e) ? Number(e) : NaN;
      if (!(epss >= 0 && epss <= 1)) throw fail(`the EPSS score "${clip(e, 40)}" is not a probability between 0 and 1`);
      const percentile = NUMBER.test(p) ? Number(p) : NaN;
      if (!(percentile >= 0 && percentile <= 1)) throw fail(`the percentile "${clip(p, 40)}" is not between 0 and 1`);
      batch.push({ cve, epss, percentile });
      rows++;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
  if (!header) throw new AdvisoryFeedError('epss', 'the file has no "cve,epss,percentile" header', { line: line + 1 });
  if (rows < (opts.minRows ?? 1))
    throw new AdvisoryFeedError('epss', `the file has ${rows} rows, fewer than expected`, { line: line + 1 });
  return { ...meta, rows };
}
