import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './app.ts';

/**
 * How the console's files are served: split per section, compressed in the encoding the browser accepts, cached for
 * a year only when they exist. Runs on the real build (`scripts/build-web.mjs`, a no-op when web/dist is fresh).
 */
const ROOT = join(import.meta.dirname, '..');
const ASSETS = join(ROOT, 'web', 'dist', 'assets');

describe('console files', () => {
  let t: TestApp;
  let entry = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
    t = await createTestApp('sqlite');
    const html = readFileSync(join(ROOT, 'web', 'dist', 'index.html'), 'utf8');
    entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1] ?? '';
    expect(entry, 'index.html names its entry script').toMatch(/^index-[\w-]+\.js$/);
  }, 120_000);

  afterAll(async () => {
    await t?.dispose();
  });

  it('splits the console: each section and the status page is a chunk of its own, outside the entry', () => {
    const chunks = readdirSync(ASSETS).filter((f) => f.endsWith('.js'));
    for (const part of ['app', 'status-page', 'vulns-section', 'access-section', 'threats-section', 'oncall-section'])
      expect(chunks.some((f) => f.startsWith(`${part}-`))).toBe(true);
    const code = (f: string) => readFileSync(join(ASSETS, f), 'utf8');
    const app = chunks.find((f) => f.startsWith('app-')) ?? '';
    // The entry and the signed-in shell name a section only as a file to fetch when it is opened.
    expect(code(app)).toMatch(/vulns-section-[\w-]+\.js/);
    for (const f of [entry, app]) expect(code(f)).not.toContain('/api/v1/vulns/findings');
    // The entry holds no API client at all: the status page (which loads it) fetches the sign-in code only if a
    // chunk it loads names it, which the status-page browser test rules out.
    expect(code(entry)).not.toMatch(/\/api\/v1\//);
    expect(code(chunks.find((f) => f.startsWith('vulns-section-')) ?? '')).toContain('/api/v1/vulns/findings');
  });

  it('sends brotli or gzip as the browser accepts, the same bytes, with Vary for the year-long cache', async () => {
    const url = `/assets/${entry}`;
    const plain = await t.app.inject({ url, headers: { 'accept-encoding': 'identity' } });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['vary']).toMatch(/accept-encoding/i);

    const br = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);

    const gz = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);

    // The console page itself (under 1 KiB: not worth compressing) at any client-side route names the same entry.
    const page = await t.app.inject({ url: '/vulns/findings', headers: { 'accept-encoding': 'br' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-encoding']).toBeUndefined();
    expect(page.body).toContain(entry);
    expect(page.headers['cache-control']).toBe('public, max-age=0');
  });

  it('answers a console file that is not there with a 404 problem, not the console page and not cached', async () => {
    // An open tab asking for a chunk of the version before an upgrade.
    const r = await t.app.inject({ url: '/assets/vulns-section-0ld0ld0l.js', headers: { 'accept-encoding': 'br' } });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.headers['cache-control'] ?? '').not.toMatch(/immutable|max-age=31536000/);
    expect(r.json()).toMatchObject({ status: 404, code: 'not_found' });
  });
});
