import { Readable } from 'node:stream';
import { createReadStream, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { EpssRow } from '../model.ts';
import { parseEpss, type EpssMeta, type EpssOptions, type EpssSummary } from './epss.ts';
import { AdvisoryFeedError } from './feed-error.ts';
import { drainFeed } from './feed-stream.ts';

const PLAIN = new URL('./fixtures/epss_scores.csv', import.meta.url);
const GZ = new URL('./fixtures/epss_scores.csv.gz', import.meta.url);

async function parse(
  parts: (Buffer | string)[],
  opts?: EpssOptions,
): Promise<{ rows: EpssRow[]; summary: EpssSummary; batches: number }> {
  const rows: EpssRow[] = [];
  let batches = 0;
  const summary = await drainFeed(parseEpss(Readable.from(parts), opts), (b) => {
    batches++;
    rows.push(...b);
  });
  return { rows, summary, batches };
}

async function epssError(parts: (Buffer | string)[]): Promise<AdvisoryFeedError> {
  const err: unknown = await parse(parts).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AdvisoryFeedError)) throw new Error(`expected an AdvisoryFeedError, got ${String(err)}`);
  return err;
}

describe('parseEpss', () => {
  it('reads the plain CSV with its model version and score date', async () => {
    const metas: EpssMeta[] = [];
    const rows: EpssRow[] = [];
    const summary = await drainFeed(
      parseEpss(createReadStream(PLAIN, { highWaterMark: 16 }), { onMeta: (m) => metas.push(m) }),
      (b) => {
        expect(metas).toHaveLength(1); // the meta arrives before any row
        rows.push(...b);
      },
    );
    expect(metas).toEqual([{ modelVersion: 'v2023.03.01', scoreDate: '2024-03-10T00:00:00+0000' }]);
    expect(summary).toEqual({ modelVersion: 'v2023.03.01', scoreDate: '2024-03-10T00:00:00+0000', rows: 11 });
    expect(rows[0]).toEqual({ cve: 'CVE-1999-0001', epss: 0.01025, percentile: 0.83415 });
    expect(rows.find((r) => r.cve === 'CVE-2021-44228')).toEqual({ cve: 'CVE-2021-44228', epss: 0.97565, percentile: 1 });
  });

  it('reads the gzip file the same, whatever the chunking', async () => {
    const plain = await parse([readFileSync(PLAIN)]);
    const gz = readFileSync(GZ);
    expect(gz[0]).toBe(0x1f);
    expect(await parse([gz])).toEqual(plain);
    expect(await parse([...gz].map((b) => Buffer.from([b])))).toEqual(plain);
    expect(await parse([gz.subarray(0, 1), gz.subarray(1)])).toEqual(plain);
  });

  it('streams 25,000 generated rows in batches', async () => {
    const lines = ['#model_version:v2023.03.01,score_date:2024-03-10T00:00:00+0000', 'cve,epss,percentile'];
    for (let i = 0; i < 25_000; i++)
      lines.push(`CVE-${2000 + (i % 25)}-${10000 + i},${(i % 1000) / 1000},0.${String(i).padStart(5, '0')}`);
    const gz = gzipSync(lines.join('\n') + '\n');
    const parts: Buffer[] = [];
    for (let i = 0; i < gz.length; i += 65_536) parts.push(gz.subarray(i, i + 65_536));
    const { rows, summary, batches } = await parse(parts, { batchSize: 1000 });
    expect(summary.rows).toBe(25_000);
    expect(batches).toBe(25);
    expect(rows[24_999]).toEqual({ cve: 'CVE-2024-34999', epss: 0.999, percentile: 0.24999 });
  });

  it('accepts CRLF line ends and a file without the comment line', async () => {
    const { rows, summary } = await parse(['cve,epss,percentile\r\nCVE-2024-3094,0.00043,0.07722\r\n']);
    expect(rows).toEqual([{ cve: 'CVE-2024-3094', epss: 0.00043, percentile: 0.07722 }]);
    expect(summary).toEqual({ rows: 1 });
  });

  it('rejects a bad row with its line number, plain and compressed', async () => {
    const text = readFileSync(PLAIN, 'utf8').split('\n');
    const bad = (i: number, row: string): string => [...text.slice(0, i), row, ...text.slice(i + 1)].join('\n');
    let err = await epssError([bad(5, 'CVE-2021-23337,1.5,0.79513')]);
    expect(err.location).toEqual({ line: 6 });
    expect(err.message).toBe(
      'epss: line 6: the EPSS score "1.5" is not a probability between 0 and 1: "CVE-2021-23337,1.5,0.79513"',
    );
    err = await epssError([gzipSync(bad(7, 'CVE-2023-4863,0.47812'))]);
    expect(err.location.line).toBe(8);
    expect(err.message).toContain('expected 3 comma-separated fields');
    expect((await epssError([bad(3, 'CVE-1999-2,0.01,0.8')])).message).toContain('"CVE-1999-2" is not a CVE id');
    expect((await epssError([bad(3, 'CVE-1999-0002,0.01,')])).message).toContain('percentile "" is not between 0 and 1');
    expect((await epssError([bad(3, 'CVE-1999-0002,0x1,0.5')])).message).toContain('"0x1" is not a probability');
    expect((await epssError([bad(3, 'CVE-1999-0002,0.1,0.5,extra')])).location.line).toBe(4);
    expect((await epssError([bad(1, 'cve,score,percentile')])).message).toContain('expected the header');
  });

  it('rejects an empty, header-only, truncated or corrupt file', async () => {
    expect((await epssError([''])).message).toContain('no "cve,epss,percentile" header');
    expect((await epssError(['#model_version:v2023.03.01\ncve,epss,percentile\n'])).message).toContain('0 rows');
    const gz = readFileSync(GZ);
    expect((await epssError([gz.subarray(0, gz.length - 12)])).message).toContain('gzip stream is corrupt or truncated');
    const corrupt = Buffer.from(gz);
    corrupt[20] = (corrupt[20] as number) ^ 0xff;
    corrupt[21] = (corrupt[21] as number) ^ 0xff;
    const err = await parse([corrupt]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AdvisoryFeedError);
  });
});
