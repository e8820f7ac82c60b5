import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { AdvisoryFeedError, type AdvisoryFeedKind } from './feed-error.ts';

/** What the streaming parsers read: a `Readable`, a file stream, or any async iterable of chunks. */
export type FeedInput = AsyncIterable<Buffer | Uint8Array | string>;

export interface LineBatchOptions {
  /** Longest line accepted, in characters; a longer one is an error naming its line. */
  maxLineChars: number;
  /** Largest document accepted, in bytes (after decompression). */
  maxBytes: number;
}

export function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Split a stream into lines, one batch per input chunk (a per-line `yield` costs more than parsing an EPSS row).
 * UTF-8 sequences cut by chunk boundaries are decoded whole; `\r\n` ends a line like `\n`; a final line without a
 * newline is still a line. Memory is bounded by the chunk size plus `maxLineChars`.
 */
export async function* readLineBatches(
  input: FeedInput,
  feed: AdvisoryFeedKind,
  opts: LineBatchOptions,
): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lines = 0;
  let bytes = 0;
  for await (const chunk of input) {
    const buf = toBuffer(chunk);
    bytes += buf.length;
    if (bytes > opts.maxBytes) throw new AdvisoryFeedError(feed, `the document is larger than ${opts.maxBytes} bytes`);
    const text = carry + decoder.write(buf);
    const batch: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end - start > opts.maxLineChars) throw tooLong(feed, lines + batch.length + 1, opts.maxLineChars);
      batch.push(text.slice(start, end));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (carry.length > opts.maxLineChars) throw tooLong(feed, lines + batch.length + 1, opts.maxLineChars);
    lines += batch.length;
    if (batch.length > 0) yield batch;
  }
  carry += decoder.end();
  if (carry.endsWith('\r')) carry = carry.slice(0, -1);
  if (carry.length > opts.maxLineChars) throw tooLong(feed, lines + 1, opts.maxLineChars);
  if (carry.length > 0) yield [carry];
}

function tooLong(feed: AdvisoryFeedKind, line: number, max: number): AdvisoryFeedError {
  return new AdvisoryFeedError(feed, `the line is longer than ${max} characters`, { line });
}

/**
 * Pass the stream through, gunzipping it when it starts with the gzip magic bytes `1f 8b` (EPSS publishes
 * `epss_scores-YYYY-MM-DD.csv.gz`). A corrupt or truncated gzip stream is an `AdvisoryFeedError`.
 */
export async function* gunzipIfCompressed(input: FeedInput, feed: AdvisoryFeedKind): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < 2) {
    const r = await it.next();
    if (r.done === true) break;
    const b = toBuffer(r.value);
    head.push(b);
    headBytes += b.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield toBuffer(r.value);
  }
  if (first[0] !== 0x1f || first[1] !== 0x8b) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip();
  // Errors of either side end up in `gunzip`'s iteration below; the callback only keeps pipeline quiet.
  pipeline(Readable.from(rest()), gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new AdvisoryFeedError(feed, `the gzip stream is corrupt or truncated (${(err as Error).message})`, {}, err);
    throw err;
  } finally {
    gunzip.destroy();
  }
}

/**
 * Run a parser to its end, handing each batch to `onBatch` (e.g. an insert inside the caller's transaction), and
 * return the parser's summary, which a plain `for await` loop discards. Throws whatever the parser or `onBatch` throws.
 */
export async function drainFeed<T, R>(gen: AsyncGenerator<T, R>, onBatch: (batch: T) => void | Promise<void>): Promise<R> {
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done === true) return r.value;
      await onBatch(r.value);
    }
  } finally {
    // Closes the parser's input when `onBatch` threw mid-way (a no-op once the parser has finished).
    await gen.return(undefined as R);
  }
}
