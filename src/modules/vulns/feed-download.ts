/**
 * Fetches advisory feeds into a temporary file beside the last good copy: https only (redirects too), a timeout over
 * the whole exchange, a byte cap enforced while streaming, conditional GET (If-None-Match / If-Modified-Since) and a
 * sha256 of the bytes as they land. Nothing is held whole in memory: the tracker JSON and OSV archives are hundreds of
 * megabytes. The same discipline as threats' feed fetcher, whose IP-list parsing does not fit advisories.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface FeedDownloaderOptions {
  /** Whole-download timeout, request to last byte (default 10 minutes: the OSV archives are large). */
  timeoutMs?: number | undefined;
  /** Largest feed accepted, bytes (default 2 GiB). */
  maxBytes?: number | undefined;
  /** Redirects followed, each to https only (default 5). */
  maxRedirects?: number | undefined;
  /** Extra trusted CA certificates (PEM) for a mirror with a private CA; tests pass their self-signed one. */
  ca?: string | undefined;
}

/** Validators of the copy in force, sent with the next request. */
export interface Conditional {
  etag?: string | null | undefined;
  lastModified?: string | null | undefined;
}

export type Download =
  | { kind: 'not-modified' }
  | { kind: 'file'; file: string; sha256: string; bytes: number; etag: string | null; lastModified: string | null };

/** A download that did not produce a file; the message is shown as the feed's reason. */
export class FeedDownloadError extends Error {
  constructor(
    readonly code: 'fetch_failed' | 'too_large' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'FeedDownloadError';
  }
}

const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;

/** A temporary name beside `dest` (same directory, so the rename after commit is atomic). */
export function tempNameFor(dest: string): string {
  return `${dest}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

export class FeedDownloader {
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #ca: string | undefined;

  constructor(opts: FeedDownloaderOptions = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxRedirects = opts.maxRedirects ?? 5;
    this.#ca = opts.ca;
  }

  /** GET `url` into a temporary file beside `dest`; `not-modified` on 304. The caller renames or deletes the file. */
  async download(url: string, dest: string, cond: Conditional = {}): Promise<Download> {
    await mkdir(dirname(dest), { recursive: true });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    const tmp = tempNameFor(dest);
    try {
      let target = new URL(url);
      for (let hop = 0; ; hop++) {
        if (target.protocol !== 'https:')
          throw new FeedDownloadError('fetch_failed', `${target.protocol} URLs are refused: https only`);
        const res = await this.#get(target, cond, controller.signal);
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && status !== 304) {
          res.resume();
          const location = res.headers.location;
          if (!location) throw new FeedDownloadError('fetch_failed', `HTTP ${status} without a Location`);
          if (hop >= this.#maxRedirects) throw new FeedDownloadError('fetch_failed', `more than ${this.#maxRedirects} redirects`);
          target = new URL(location, target);
          continue;
        }
        if (status === 304) {
          res.resume();
          return { kind: 'not-modified' };
        }
        if (status < 200 || status >= 300) {
          res.resume();
          throw new FeedDownloadError('fetch_failed', `HTTP ${status}`);
        }
        const declared = Number(res.headers['content-length'] ?? '');
        if (declared > this.#maxBytes) {
          res.destroy();
          throw new FeedDownloadError('too_large', `body of ${declared} bytes is larger than the limit of ${this.#maxBytes}`);
        }
        const { sha256, bytes } = await this.#store(res, tmp);
        return {
          kind: 'file',
          file: tmp,
          sha256,
          bytes,
          etag: header(res, 'etag'),
          lastModified: header(res, 'last-modified'),
        };
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (timedOut) throw new FeedDownloadError('timeout', `no complete answer within ${this.#timeoutMs} ms`);
      if (err instanceof FeedDownloadError) throw err;
      throw new FeedDownloadError('fetch_failed', describe(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Copy a local file (air-gapped sites) into a temporary file beside `dest`, hashing it on the way. */
  async copyLocal(path: string, dest: string): Promise<Download> {
    await mkdir(dirname(dest), { recursive: true });
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new FeedDownloadError('fetch_failed', `cannot read ${path}: ${describe(err)}`);
    }
    if (!info.isFile()) throw new FeedDownloadError('fetch_failed', `${path} is not a regular file`);
    if (info.size > this.#maxBytes)
      throw new FeedDownloadError('too_large', `${path} has ${info.size} bytes, more than ${this.#maxBytes}`);
    const tmp = tempNameFor(dest);
    try {
      const { sha256, bytes } = await this.#store(createReadStream(path), tmp);
      return { kind: 'file', file: tmp, sha256, bytes, etag: null, lastModified: null };
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (err instanceof FeedDownloadError) throw err;
      throw new FeedDownloadError('fetch_failed', `cannot read ${path}: ${describe(err)}`);
    }
  }

  #get(url: URL, cond: Conditional, signal: AbortSignal): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/zip, text/csv, text/plain;q=0.9, */*;q=0.5',
      // Stored as published (gzip and zip included): the parsers read compressed input themselves.
      'accept-encoding': 'identity',
      'user-agent': 'skjold-vulns-feed',
    };
    if (cond.etag) headers['if-none-match'] = cond.etag;
    if (cond.lastModified) headers['if-modified-since'] = cond.lastModified;
    return new Promise((resolve, reject) => {
      const req = https.get(url, { headers, signal, ...(this.#ca ? { ca: this.#ca } : {}) }, resolve);
      req.on('error', reject);
    });
  }

  // Stream to `tmp` through a hashing, counting, capping pass.
  async #store(input: NodeJS.ReadableStream, tmp: string): Promise<{ sha256: string; bytes: number }> {
    const hash = createHash('sha256');
    let bytes = 0;
    const max = this.#maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        bytes += chunk.length;
        if (bytes > max) return cb(new FeedDownloadError('too_large', `body larger than the limit of ${max} bytes`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(input, meter, createWriteStream(tmp, { mode: 0o640 }));
    return { sha256: hash.digest('hex'), bytes };
  }
}

function header(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name];
  return typeof v === 'string' && v.length <= 1000 ? v : null;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`.slice(0, 300);
  }
  return String(err).slice(0, 300);
}
