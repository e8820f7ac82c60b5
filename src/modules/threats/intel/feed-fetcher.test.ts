import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { feedDefinitionSchema, type FeedDefinition, type FeedDefinitionInput } from './feed-catalog.ts';
import { FeedFetcher } from './feed-fetcher.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  url: string;
  /** Request headers seen, in order. */
  seen: IncomingMessage['headers'][];
  handle: Handler;
}

let server: Server;
let srv: TestServer;
let dataDir: string;
let clock: ManualClock;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skjold-feeds-'));
  clock = new ManualClock('2026-03-01T12:00:00.000Z');
  srv = { url: '', seen: [], handle: (_req, res) => res.end() };
  server = createServer((req, res) => {
    srv.seen.push(req.headers);
    srv.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  srv.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dataDir, { recursive: true, force: true });
});

const def = (over: Partial<FeedDefinitionInput> = {}): FeedDefinition =>
  feedDefinitionSchema.parse({
    id: 'test-feed',
    name: 'Test feed',
    url: `${srv.url}/list.txt`,
    format: 'plain',
    licence: 'test',
    attribution: 'test',
    ...over,
  });

const fetcher = (over: Partial<ConstructorParameters<typeof FeedFetcher>[0]> = {}): FeedFetcher =>
  new FeedFetcher({ dataDir, clock, allowDocumentationRanges: true, ...over });

// Serves `body` with an ETag derived from a version label, answering 304 to a matching If-None-Match.
function serveVersioned(state: { body: string; version: string }): Handler {
  return (req, res) => {
    const etag = `"${state.version}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', etag });
    res.end(state.body);
  };
}

const list = (n: number, prefix = '198.51.100'): string =>
  `# test list\n${Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`).join('\n')}\n`;

describe('FeedFetcher over HTTP', () => {
  it('downloads, stores, then answers 304 with the stored ETag as unchanged', async () => {
    const state = { body: list(10), version: 'v1' };
    srv.handle = serveVersioned(state);
    const f = fetcher();

    const first = await f.update(def());
    expect(first).toMatchObject({ status: 'updated', entries: 10, fetchedAt: '2026-03-01T12:00:00.000Z' });
    expect(first.feed?.cidrs[0]).toBe('198.51.100.1');
    expect(srv.seen[0]?.['if-none-match']).toBeUndefined();
    expect(await readFile(join(dataDir, 'feeds', 'test-feed.txt'), 'utf8')).toBe(state.body);
    const meta = JSON.parse(await readFile(join(dataDir, 'feeds', 'test-feed.json'), 'utf8')) as { etag: string; sha256: string };
    expect(meta.etag).toBe('"v1"');
    expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/);

    clock.advance(3600_000);
    const second = await f.update(def());
    expect(srv.seen[1]?.['if-none-match']).toBe('"v1"');
    expect(second).toMatchObject({
      status: 'unchanged',
      reason: 'not modified',
      entries: 10,
      fetchedAt: '2026-03-01T12:00:00.000Z',
    });
    expect(second.feed).toBeUndefined();
  });

  it('sends If-Modified-Since when the server gives only Last-Modified, and spots identical content by hash', async () => {
    const lastModified = 'Sun, 01 Mar 2026 11:00:00 GMT';
    srv.handle = (_req, res) => {
      res.writeHead(200, { 'last-modified': lastModified });
      res.end(list(5));
    };
    const f = fetcher();
    expect((await f.update(def())).status).toBe('updated');
    const again = await f.update(def());
    expect(srv.seen[1]?.['if-modified-since']).toBe(lastModified);
    expect(again).toMatchObject({ status: 'unchanged', reason: 'same content', entries: 5 });
  });

  it('keeps the last good copy when the new download is short, an HTML page, garbled, or an HTTP error', async () => {
    const state = { body: list(20), version: 'v1' };
    srv.handle = serveVersioned(state);
    const f = fetcher();
    expect((await f.update(def())).status).toBe('updated');

    const attempts: [string, string][] = [
      [list(3), 'feed_shrunk'],
      ['<!DOCTYPE html>\n<html><head><title>503</title></head></html>\n', 'feed_problem'],
      [`${list(20)}${'\u0000\u00ff\u0013garbage\n'.repeat(5)}`, 'feed_garbled'],
    ];
    for (const [body, code] of attempts) {
      state.body = body;
      state.version = `v-${code}`;
      const r = await f.update(def());
      expect(r, code).toMatchObject({ status: 'rejected', code, entries: 20, fetchedAt: '2026-03-01T12:00:00.000Z' });
    }
    srv.handle = (_req, res) => {
      res.writeHead(503);
      res.end('busy');
    };
    expect(await f.update(def())).toMatchObject({ status: 'failed', code: 'fetch_failed', reason: 'HTTP 503', entries: 20 });

    const loaded = await f.load(def());
    expect(loaded?.entries).toBe(20);
    expect(loaded?.cidrs).toHaveLength(20);
  });

  it('rejects a Spamhaus JSON download cut off before its metadata trailer', async () => {
    const full = await readFile(join(import.meta.dirname, 'fixtures', 'drop_v4.jsonl'), 'utf8');
    const state = { body: full, version: 'v1' };
    srv.handle = serveVersioned(state);
    const f = fetcher();
    const d = def({ url: `${srv.url}/drop_v4.json`, format: 'spamhaus-json' });
    expect(await f.update(d)).toMatchObject({ status: 'updated', entries: 6 });
    state.body = full.slice(0, full.indexOf('{"type"'));
    state.version = 'v2';
    expect(await f.update(d)).toMatchObject({
      status: 'rejected',
      code: 'feed_problem',
      reason: 'no metadata trailer line (download truncated?)',
      entries: 6,
    });
  });

  it('aborts a body larger than the limit, with and without Content-Length', async () => {
    const big = list(200); // about 3 KiB
    let chunked = false;
    srv.handle = (_req, res) => {
      if (chunked) {
        res.writeHead(200); // no Content-Length: the cap is enforced while streaming
        for (let i = 0; i < 50; i++) res.write(big);
        res.end();
      } else {
        res.writeHead(200, { 'content-length': Buffer.byteLength(big) });
        res.end(big);
      }
    };
    const f = fetcher();
    const d = def({ maxBytes: 2048 });
    expect(await f.update(d)).toMatchObject({ status: 'failed', code: 'too_large', entries: 0 });
    chunked = true;
    expect(await f.update(d)).toMatchObject({ status: 'failed', code: 'too_large' });
    expect(await f.load(d)).toBeNull();
  });

  it('gives up after the timeout when the server stalls mid-body', async () => {
    srv.handle = (_req, res) => {
      res.writeHead(200);
      res.write('198.51.100.1\n'); // then nothing, connection left open
    };
    const r = await fetcher({ timeoutMs: 200 }).update(def());
    expect(r).toMatchObject({ status: 'failed', code: 'timeout', reason: 'no complete answer within 200 ms' });
  });

  it('accepts gzip, as Content-Encoding and as a .gz body', async () => {
    let asEncoding = true;
    srv.handle = (req, res) => {
      const body = gzipSync(list(7));
      if (asEncoding) {
        expect(req.headers['accept-encoding']).toContain('gzip');
        res.writeHead(200, { 'content-encoding': 'gzip' });
      } else {
        res.writeHead(200, { 'content-type': 'application/gzip' });
      }
      res.end(body);
    };
    expect(await fetcher().update(def())).toMatchObject({ status: 'updated', entries: 7 });
    asEncoding = false;
    expect(await fetcher().update(def({ id: 'gz-file' }))).toMatchObject({ status: 'updated', entries: 7 });
  });

  it('follows http redirects but refuses one to another scheme', async () => {
    srv.handle = (req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/list.txt' });
        res.end();
      } else if (req.url === '/evil') {
        res.writeHead(302, { location: 'file:///etc/passwd' });
        res.end();
      } else {
        res.writeHead(200);
        res.end(list(4));
      }
    };
    expect(await fetcher().update(def({ url: `${srv.url}/old` }))).toMatchObject({ status: 'updated', entries: 4 });
    expect(await fetcher().update(def({ id: 'evil', url: `${srv.url}/evil` }))).toMatchObject({
      status: 'failed',
      reason: 'redirect to a file: URL refused',
    });
  });

  it('sends the API key header from the named secret, and fails without it', async () => {
    srv.handle = (_req, res) => {
      res.end('8.8.8.8\n');
    };
    const d = def({ format: 'abuseipdb', apiKey: { header: 'Key', secret: 'abuseipdb_api_key' } });
    expect(await fetcher().update(d)).toMatchObject({
      status: 'failed',
      reason: 'secret "abuseipdb_api_key" for the API key is not set',
    });
    expect(srv.seen).toHaveLength(0);
    const f = fetcher({ secret: (name) => (name === 'abuseipdb_api_key' ? 'k-123' : undefined) });
    expect(await f.update(d)).toMatchObject({ status: 'updated', entries: 1 });
    expect(srv.seen[0]?.key).toBe('k-123');
  });

  it('does not carry the API key along a redirect to another origin', async () => {
    const other = createServer((req, res) => {
      srv.seen.push({ ...req.headers, host: 'other' });
      res.end('8.8.4.4\n');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const addr = other.address();
    const otherUrl = `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}/moved`;
    srv.handle = (_req, res) => {
      res.writeHead(302, { location: otherUrl });
      res.end();
    };
    try {
      const d = def({ format: 'abuseipdb', apiKey: { header: 'Key', secret: 'k' } });
      const r = await fetcher({ secret: () => 'k-123' }).update(d);
      expect(r).toMatchObject({ status: 'updated', entries: 1 });
      expect(srv.seen.map((h) => [h.host === 'other', h.key])).toEqual([
        [false, 'k-123'],
        [true, undefined],
      ]);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('keeps "since" across updates: first appearance in the feed, or the feed\'s own first-seen', async () => {
    const state = { body: '198.51.100.1\n198.51.100.2\n', version: 'v1' };
    srv.handle = serveVersioned(state);
    const f = fetcher();
    const t0 = Date.parse('2026-03-01T12:00:00.000Z') / 1000;
    expect((await f.update(def())).feed?.since).toEqual([t0, t0]);

    clock.advance(86_400_000);
    state.body = '198.51.100.2\n198.51.100.3\n';
    state.version = 'v2';
    const r = await f.update(def());
    expect(r.feed?.cidrs).toEqual(['198.51.100.2', '198.51.100.3']);
    expect(r.feed?.since).toEqual([t0, t0 + 86_400]);
    // After a restart the stored copy gives the same answer.
    expect((await fetcher().load(def()))?.since).toEqual([t0, t0 + 86_400]);

    // Feodo says when it first saw each C2: that earlier date wins.
    state.body = await readFile(join(import.meta.dirname, 'fixtures', 'ipblocklist.json'), 'utf8');
    state.version = 'v3';
    const feodo = await f.update(def({ id: 'feodo', format: 'feodo-json' }));
    expect(feodo.feed?.since[0]).toBe(Date.parse('2021-01-17T07:44:46Z') / 1000);
  });

  it('shares one run between concurrent updates of the same feed', async () => {
    srv.handle = (_req, res) => {
      setTimeout(() => res.end(list(3)), 20);
    };
    const f = fetcher();
    const [a, b] = await Promise.all([f.update(def()), f.update(def())]);
    expect(a).toBe(b);
    expect(srv.seen).toHaveLength(1);
  });
});

describe('FeedFetcher on a local file', () => {
  it('treats an unreadable stored copy as none', async () => {
    const file = join(dataDir, 'list.txt');
    await writeFile(file, list(2));
    const d = def({ id: 'corrupt', url: undefined, file });
    expect((await fetcher().update(d)).status).toBe('updated');
    await writeFile(join(dataDir, 'feeds', 'corrupt.json'), '{"id":');
    expect(await fetcher().load(d)).toBeNull();
    // The next update starts afresh instead of failing.
    expect(await fetcher().update(d)).toMatchObject({ status: 'updated', entries: 2 });
  });

  it('reads, detects the format from the name, and re-parses only when the content changes', async () => {
    const file = join(dataDir, 'ipblocklist.csv');
    await writeFile(file, await readFile(join(import.meta.dirname, 'fixtures', 'ipblocklist.csv')));
    const d = def({ id: 'local', url: undefined, file, format: 'auto' });
    const f = fetcher({ allowDocumentationRanges: false });
    const first = await f.update(d);
    expect(first).toMatchObject({ status: 'updated', entries: 4 });
    expect(first.feed?.format).toBe('feodo-csv');
    expect(await f.update(d)).toMatchObject({ status: 'unchanged', reason: 'same content' });
    await writeFile(file, '"first_seen_utc","dst_ip"\n"2024-01-01 00:00:00","51.75.68.215"\n');
    expect(await f.update(d)).toMatchObject({ status: 'rejected', code: 'feed_shrunk' });
    expect((await f.load(d))?.entries).toBe(4);
  });

  it('fails cleanly on a missing file and reports nothing stored', async () => {
    const d = def({ id: 'missing', url: undefined, file: join(dataDir, 'nope.txt') });
    const r = await fetcher().update(d);
    expect(r).toMatchObject({ status: 'failed', code: 'fetch_failed', entries: 0 });
    expect(r.reason).toContain('ENOENT');
    expect(await fetcher().isDue({ id: 'missing', refreshSeconds: 3600 })).toBe(true);
    // The same fetcher remembers the failed attempt, so a broken source is not retried at every tick.
    const f = fetcher();
    await f.update(d);
    expect(await f.isDue({ id: 'missing', refreshSeconds: 3600 })).toBe(false);
    clock.advance(3600_000);
    expect(await f.isDue({ id: 'missing', refreshSeconds: 3600 })).toBe(true);
  });

  it('is due again once the refresh interval has passed', async () => {
    const file = join(dataDir, 'list.txt');
    await writeFile(file, list(2));
    const d = def({ id: 'due', url: undefined, file, refreshSeconds: 600 });
    const f = fetcher();
    await f.update(d);
    expect(await f.isDue(d)).toBe(false);
    clock.advance(600_000);
    expect(await f.isDue(d)).toBe(true);
  });
});
