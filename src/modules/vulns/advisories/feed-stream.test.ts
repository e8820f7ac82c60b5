import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AdvisoryFeedError } from './feed-error.ts';
import { drainFeed, gunzipIfCompressed, readLineBatches } from './feed-stream.ts';

async function lines(parts: (Buffer | string | Uint8Array)[], maxLineChars = 100): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readLineBatches(Readable.from(parts), 'epss', { maxLineChars, maxBytes: 10_000 })) out.push(...b);
  return out;
}

describe('readLineBatches', () => {
  it('splits lines across chunk boundaries, multi-byte UTF-8 and CRLF included', async () => {
    const text = Buffer.from('première ligne\r\nzweite Zeile — ß\n\n日本語の行\nlast without newline');
    const expected = ['première ligne', 'zweite Zeile — ß', '', '日本語の行', 'last without newline'];
    for (let cut = 0; cut <= text.length; cut++)
      expect(await lines([text.subarray(0, cut), text.subarray(cut)])).toEqual(expected);
    expect(await lines([...text].map((b) => new Uint8Array([b])))).toEqual(expected);
    expect(await lines(['a\r', '\nb\r'])).toEqual(['a', 'b']);
  });

  it('bounds line length and document size with the line number', async () => {
    await expect(lines(['ok\n', 'x'.repeat(60), 'x'.repeat(60), '\n'])).rejects.toMatchObject({ location: { line: 2 } });
    await expect(lines(['ok\nfine\n' + 'y'.repeat(101) + '\n'])).rejects.toThrow(
      'epss: line 3: the line is longer than 100 characters',
    );
    await expect(lines(['z'.repeat(10_001)], 20_000)).rejects.toThrow('larger than 10000 bytes');
  });
});

describe('gunzipIfCompressed', () => {
  const collect = async (parts: Buffer[]): Promise<string> => {
    const out: Buffer[] = [];
    for await (const b of gunzipIfCompressed(Readable.from(parts), 'epss')) out.push(b);
    return Buffer.concat(out).toString();
  };

  it('passes plain data through and gunzips data with the gzip magic, even split after one byte', async () => {
    expect(await collect([Buffer.from('h'), Buffer.from('ello')])).toBe('hello');
    expect(await collect([])).toBe('');
    const gz = gzipSync('hello, compressed world');
    expect(await collect([gz.subarray(0, 1), gz.subarray(1, 5), gz.subarray(5)])).toBe('hello, compressed world');
    // Concatenated gzip members are one stream, as gzip(1) reads them.
    expect(await collect([Buffer.concat([gzipSync('a'), gzipSync('b')])])).toBe('ab');
  });

  it('reports a truncated stream as a feed error', async () => {
    const gz = gzipSync('x'.repeat(1000));
    const err: unknown = await collect([gz.subarray(0, gz.length - 4)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdvisoryFeedError);
  });
});

describe('drainFeed', () => {
  it('returns the generator summary and closes the generator when the callback throws', async () => {
    let closed = false;
    async function* gen(): AsyncGenerator<number, string> {
      try {
        yield await Promise.resolve(1);
        yield 2;
        return 'done';
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    expect(await drainFeed(gen(), (n) => void seen.push(n))).toBe('done');
    expect(seen).toEqual([1, 2]);
    closed = false;
    await expect(
      drainFeed(gen(), () => {
        throw new Error('insert failed');
      }),
    ).rejects.toThrow('insert failed');
    expect(closed).toBe(true);
  });
});
