/**
 * Downloads (or reads) threat-intel feeds and keeps the last good copy of each on disk. A new copy replaces the old
 * one only after it parsed and passed `validateFeedUpdate`; a short, garbled, oversized or failed download leaves the
 * previous copy in force. Conditional GET (ETag / Last-Modified) and a content hash avoid re-parsing unchanged lists,
 * and a per-entry "first seen" map keeps the answer to "listed since when" across updates.
 *
 * Files: `<dataDir>/feeds/<id>.txt` (the feed text as published) and `<dataDir>/feeds/<id>.json` (metadata), each
 * written to a temporary name, synced and renamed, so a crash never leaves a half-written copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Clock } from '../../../core/clock.ts';
import type { FeedDefinition } from './feed-catalog.ts';
import {
  FEED_FORMATS,
  MAX_FEED_CHARS,
  detectFeedFormat,
  parseFeed,
  validateFeedUpdate,
  type FeedFormat,
  type FeedParseResult,
  type FeedRejection,
} from './feed-formats.ts';

export type FeedUpdateStatus = 'updated' | 'unchanged' | 'rejected' | 'failed';

export interface FeedFetcherOptions {
  /** Root of the product's data; feeds live in `<dataDir>/feeds/`. */
  dataDir: string;
  clock: Clock;
  /** The fetch implementation (default: the global one). Tests pass the global against a local server. */
  fetch?: typeof fetch | undefined;
  /** Whole-download timeout, from request to last byte (default 60 s). */
  timeoutMs?: number | undefined;
  /** Default cap on the (decompressed) body when the feed definition has none (default 64 MiB). */
  maxBytes?: number | undefined;
  /** Redirects followed, each to http(s) only (default 5). */
  maxRedirects?: number | undefined;
  /** Looks up a named secret (API keys of feeds that need one). */
  secret?: ((name: string) => string | undefined) | undefined;
  /** Tests only: accept documentation ranges (192.0.2.0/24…) as feed entries. */
  allowDocumentationRanges?: boolean | undefined;
}

/** A feed's last good copy, ready for the IP index. */
export interface LoadedFeed {
  id: string;
  format: FeedFormat;
  /** Canonical networks (single addresses without a prefix). */
  cidrs: string[];
  /** Parallel to `cidrs`: epoch seconds when the entry first appeared in this feed (or the feed's own first-seen). */
  since: number[];
  /** ASNs (ASN-DROP); not for the IP index. */
  asns: number[];
  entries: number;
  /** When this copy was downloaded (ISO 8601). */
  fetchedAt: string;
  sha256: string;
}

/** Outcome of one `update()`; never thrown. */
export interface FeedUpdateResult {
  id: string;
  status: FeedUpdateStatus;
  /** Why it was rejected or failed (or why unchanged: `not modified`, `same content`). */
  reason?: string | undefined;
  /** Stable code for rejected/failed updates. */
  code?: FeedRejection | 'fetch_failed' | 'too_large' | 'timeout' | undefined;
  /** Entries of the copy in force after this update (0 when there is none). */
  entries: number;
  /** Download time of the copy in force (ISO 8601), if any. */
  fetchedAt?: string | undefined;
  /** When the source was checked. */
  checkedAt: string;
  /** The new copy, when `updated`. */
  feed?: LoadedFeed | undefined;
  /** Parse report of the new download (updated or rejected). */
  parse?: Pick<FeedParseResult, 'lines' | 'bad' | 'badCount' | 'skippedBogons' | 'skippedBogonCount' | 'duplicates'> | undefined;
}

const storedMetaSchema = z.object({
  id: z.string(),
  format: z.enum(FEED_FORMATS),
  source: z.string(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  sha256: z.string(),
  fetchedAt: z.string(),
  checkedAt: z.string(),
  entries: z.number(),
  firstSeen: z.record(z.string(), z.number()),
  lastAttempt: z.object({ at: z.string(), status: z.string(), reason: z.string().optional() }).optional(),
});
type StoredMeta = z.infer<typeof storedMetaSchema>;

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

// A download problem with its result code; caught in update() and turned into a `failed` result.
class FetchProblem extends Error {
  constructor(
    readonly code: 'fetch_failed' | 'too_large' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

type Download =
  { kind: 'not-modified' } | { kind: 'body'; bytes: Buffer; etag?: string | undefined; lastModified?: string | undefined };

export class FeedFetcher {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #secret: (name: string) => string | undefined;
  readonly #allowDoc: boolean;
  readonly #inflight = new Map<string, Promise<FeedUpdateResult>>();
  // Attempts of feeds with no stored copy yet (nothing on disk to record them in), so isDue() still spaces retries.
  readonly #attempts = new Map<string, string>();

  constructor(options: FeedFetcherOptions) {
    this.#dir = join(options.dataDir, 'feeds');
    this.#clock = options.clock;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxRedirects = options.maxRedirects ?? 5;
    this.#secret = options.secret ?? (() => undefined);
    this.#allowDoc = options.allowDocumentationRanges === true;
  }

  /**
   * Refreshes one feed: downloads it (conditional GET) or reads its file, parses and validates it, and on success
   * replaces the stored last good copy. Concurrent calls for the same feed share one run. Never throws: problems
   * come back as `rejected` (the content was wrong) or `failed` (it could not be fetched), with the previous copy
   * still in force and its entry count in `entries`.
   */
  update(def: FeedDefinition): Promise<FeedUpdateResult> {
    const running = this.#inflight.get(def.id);
    if (running) return running;
    const run = this.#update(def)
      .catch((err: unknown): FeedUpdateResult => ({
        id: def.id,
        status: 'failed',
        code: 'fetch_failed',
        reason: `unexpected: ${describe(err)}`,
        entries: 0,
        checkedAt: this.#clock.now().toISOString(),
      }))
      .finally(() => this.#inflight.delete(def.id));
    this.#inflight.set(def.id, run);
    return run;
  }

  /**
   * The last good copy of a feed from disk (at startup, before any download), or null when there is none or the
   * stored copy is unreadable. `since` comes from the first-seen map kept across updates.
   */
  async load(def: Pick<FeedDefinition, 'id'>): Promise<LoadedFeed | null> {
    const meta = await this.#readMeta(def.id);
    if (!meta) return null;
    let text: string;
    try {
      text = await readFile(this.#path(def.id, 'txt'), 'utf8');
    } catch {
      return null;
    }
    const parsed = parseFeed(meta.format, text, { allowDocumentationRanges: this.#allowDoc });
    return this.#toLoaded(def.id, parsed, meta.firstSeen, meta.fetchedAt, meta.sha256);
  }

  /** Whether the feed's refresh interval has passed since its last attempt (true when it was never tried). */
  async isDue(def: Pick<FeedDefinition, 'id' | 'refreshSeconds'>): Promise<boolean> {
    const meta = await this.#readMeta(def.id);
    const last = meta?.lastAttempt?.at ?? meta?.checkedAt ?? this.#attempts.get(def.id);
    if (last === undefined) return true;
    return this.#clock.now().getTime() - Date.parse(last) >= def.refreshSeconds * 1000;
  }

  async #update(def: FeedDefinition): Promise<FeedUpdateResult> {
    const now = this.#clock.now();
    const checkedAt = now.toISOString();
    const meta = await this.#readMeta(def.id);
    const base = { id: def.id, checkedAt, entries: meta?.entries ?? 0, fetchedAt: meta?.fetchedAt };
    const finish = async (result: FeedUpdateResult): Promise<FeedUpdateResult> => {
      this.#attempts.set(def.id, checkedAt);
      if (meta && result.status !== 'updated') {
        // Record the attempt; the good copy's own fields stay as they are.
        meta.checkedAt = result.status === 'unchanged' ? checkedAt : meta.checkedAt;
        meta.lastAttempt = { at: checkedAt, status: result.status, reason: result.reason };
        await this.#writeAtomic(this.#path(def.id, 'json'), JSON.stringify(meta)).catch(() => undefined);
      }
      return result;
    };

    let download: Download;
    try {
      download = def.url !== undefined ? await this.#download(def, def.url, meta) : await this.#readLocal(def);
    } catch (err) {
      const problem = err instanceof FetchProblem ? err : new FetchProblem('fetch_failed', describe(err));
      return finish({ ...base, status: 'failed', code: problem.code, reason: problem.message });
    }
    if (download.kind === 'not-modified') return finish({ ...base, status: 'unchanged', reason: 'not modified' });

    let bytes = download.bytes;
    const maxBytes = def.maxBytes ?? this.#maxBytes;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      // A gzip file served as is (not as Content-Encoding): inflate with the same cap.
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
      } catch (err) {
        return finish({ ...base, status: 'rejected', code: 'feed_problem', reason: `bad gzip data: ${describe(err)}` });
      }
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const format = def.format === 'auto' ? null : def.format;
    if (meta && meta.sha256 === sha256 && (format === null || format === meta.format)) {
      return finish({ ...base, status: 'unchanged', reason: 'same content' });
    }

    const text = stripBom(new TextDecoder('utf-8').decode(bytes));
    const resolved =
      format ?? detectFeedFormat(text, basename(def.url !== undefined ? new URL(def.url).pathname : (def.file ?? '')));
    const parsed = parseFeed(resolved, text, { allowDocumentationRanges: this.#allowDoc, maxChars: MAX_FEED_CHARS });
    const report = {
      lines: parsed.lines,
      bad: parsed.bad,
      badCount: parsed.badCount,
      skippedBogons: parsed.skippedBogons,
      skippedBogonCount: parsed.skippedBogonCount,
      duplicates: parsed.duplicates,
    };
    const verdict = validateFeedUpdate(meta ? { entries: meta.entries } : null, parsed, {
      maxShrink: def.maxShrink,
      maxBadShare: def.maxBadShare,
    });
    if (!verdict.ok) return finish({ ...base, status: 'rejected', code: verdict.code, reason: verdict.reason, parse: report });

    // Keep, per entry, the earliest of: when we first saw it in this feed, and the feed's own first-seen date.
    const nowS = Math.floor(now.getTime() / 1000);
    const previousSeen = meta?.firstSeen ?? {};
    const firstSeen: Record<string, number> = {};
    for (let i = 0; i < parsed.cidrs.length; i++) {
      const cidr = parsed.cidrs[i] as string;
      const own = parsed.since[i];
      const prev = Object.hasOwn(previousSeen, cidr) ? previousSeen[cidr] : undefined;
      let s = prev ?? own ?? nowS;
      if (own !== undefined && own < s) s = own;
      firstSeen[cidr] = s;
    }
    const next: StoredMeta = {
      id: def.id,
      format: resolved,
      source: def.url ?? def.file ?? '',
      etag: download.etag,
      lastModified: download.lastModified,
      sha256,
      fetchedAt: checkedAt,
      checkedAt,
      entries: verdict.entries,
      firstSeen,
      lastAttempt: { at: checkedAt, status: 'updated' },
    };
    try {
      await mkdir(this.#dir, { recursive: true });
      // Text first, metadata second: a crash in between leaves a valid new text with the old metadata, whose stale
      // hash makes the next update rewrite both.
      await this.#writeAtomic(this.#path(def.id, 'txt'), text);
      await this.#writeAtomic(this.#path(def.id, 'json'), JSON.stringify(next));
    } catch (err) {
      return { ...base, status: 'failed', code: 'fetch_failed', reason: `could not store the feed: ${describe(err)}` };
    }
    return {
      id: def.id,
      status: 'updated',
      entries: verdict.entries,
      fetchedAt: checkedAt,
      checkedAt,
      feed: this.#toLoaded(def.id, parsed, firstSeen, checkedAt, sha256),
      parse: report,
    };
  }

  // GET with redirects handled by hand (http/https only, API key dropped on a change of origin), a timeout over the
  // whole exchange and a byte cap enforced while streaming.
  async #download(def: FeedDefinition, start: string, meta: StoredMeta | null): Promise<Download> {
    const maxBytes = def.maxBytes ?? this.#maxBytes;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    const origin = new URL(start).origin;
    const key = def.apiKey ? this.#secret(def.apiKey.secret) : undefined;
    if (def.apiKey && key === undefined) {
      clearTimeout(timer);
      throw new FetchProblem('fetch_failed', `secret "${def.apiKey.secret}" for the API key is not set`);
    }
    try {
      let url = new URL(start);
      for (let hop = 0; ; hop++) {
        const headers: Record<string, string> = {
          accept: 'text/plain, text/csv, application/json;q=0.9, */*;q=0.5',
          'accept-encoding': 'gzip, deflate',
          'user-agent': 'skjold-feed-fetcher',
        };
        if (meta?.etag !== undefined) headers['if-none-match'] = meta.etag;
        if (meta?.lastModified !== undefined) headers['if-modified-since'] = meta.lastModified;
        if (def.apiKey && key !== undefined && url.origin === origin) headers[def.apiKey.header.toLowerCase()] = key;
        const res = await this.#fetch(url, { headers, redirect: 'manual', signal: controller.signal });
        if (res.status >= 300 && res.status < 400 && res.status !== 304) {
          await res.body?.cancel();
          const location = res.headers.get('location');
          if (location === null) throw new FetchProblem('fetch_failed', `HTTP ${res.status} without a Location`);
          if (hop >= this.#maxRedirects) throw new FetchProblem('fetch_failed', `more than ${this.#maxRedirects} redirects`);
          const next = new URL(location, url);
          if (next.protocol !== 'https:' && next.protocol !== 'http:') {
            throw new FetchProblem('fetch_failed', `redirect to a ${next.protocol} URL refused`);
          }
          url = next;
          continue;
        }
        if (res.status === 304) {
          await res.body?.cancel();
          return { kind: 'not-modified' };
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new FetchProblem('fetch_failed', `HTTP ${res.status}`);
        }
        const declared = Number(res.headers.get('content-length') ?? '');
        if (res.headers.get('content-encoding') === null && declared > maxBytes) {
          await res.body?.cancel();
          throw new FetchProblem('too_large', `body of ${declared} bytes is larger than the limit of ${maxBytes}`);
        }
        const bytes = await readCapped(res, maxBytes, controller);
        return {
          kind: 'body',
          bytes,
          etag: res.headers.get('etag') ?? undefined,
          lastModified: res.headers.get('last-modified') ?? undefined,
        };
      }
    } catch (err) {
      if (timedOut) throw new FetchProblem('timeout', `no complete answer within ${this.#timeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #readLocal(def: FeedDefinition): Promise<Download> {
    const file = def.file as string;
    const maxBytes = def.maxBytes ?? this.#maxBytes;
    const info = await stat(file);
    if (!info.isFile()) throw new FetchProblem('fetch_failed', `${file} is not a regular file`);
    if (info.size > maxBytes) throw new FetchProblem('too_large', `${file} has ${info.size} bytes, more than ${maxBytes}`);
    return { kind: 'body', bytes: await readFile(file) };
  }

  #toLoaded(
    id: string,
    parsed: FeedParseResult,
    firstSeen: Record<string, number>,
    fetchedAt: string,
    sha256: string,
  ): LoadedFeed {
    const fallback = Math.floor(Date.parse(fetchedAt) / 1000);
    const since = parsed.cidrs.map(
      (c, i) => (Object.hasOwn(firstSeen, c) ? firstSeen[c] : undefined) ?? parsed.since[i] ?? fallback,
    );
    return {
      id,
      format: parsed.format,
      cidrs: parsed.cidrs,
      since,
      asns: parsed.asns,
      entries: parsed.cidrs.length + parsed.asns.length,
      fetchedAt,
      sha256,
    };
  }

  #path(id: string, ext: 'txt' | 'json'): string {
    // Ids are validated by the schema; refuse anything else rather than write outside the directory.
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) throw new Error(`invalid feed id ${JSON.stringify(id)}`);
    return join(this.#dir, `${id}.${ext}`);
  }

  async #readMeta(id: string): Promise<StoredMeta | null> {
    try {
      const parsed = storedMetaSchema.safeParse(JSON.parse(await readFile(this.#path(id, 'json'), 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async #writeAtomic(path: string, content: string): Promise<void> {
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}

// Reads the body, aborting the request as soon as it grows past the cap (the decompressed size is what counts).
async function readCapped(res: Response, maxBytes: number, controller: AbortController): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      controller.abort();
      await reader.cancel().catch(() => undefined);
      throw new FetchProblem('too_large', `body larger than the limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`.slice(0, 300);
  }
  return String(err).slice(0, 300);
}
