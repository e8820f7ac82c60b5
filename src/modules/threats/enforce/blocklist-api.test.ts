import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { BouncerWithKey } from '../bouncers.service.ts';
import { createEnforceTestApp, type EnforceTestApp } from './enforce.test-app.ts';

const URL = '/api/v1/threats/blocklist';

describe.each(DIALECTS)('firewall blocklist on $dialect', ({ dialect, skip }) => {
  let e: EnforceTestApp;
  let b: BouncerWithKey;

  beforeEach(async () => {
    if (skip) return;
    e = await createEnforceTestApp(dialect, { manualClock: true });
    b = await e.bouncer();
  });
  afterEach(async () => {
    if (!skip) await e.t.dispose();
  });

  const get = (query: string, headers: Record<string, string> = { 'x-api-key': b.apiKey }) =>
    e.t.app.inject({ method: 'GET', url: `${URL}?${query}`, headers });

  it.skipIf(skip)('needs a bouncer key or a token allowed threats.read', async () => {
    const anon = await get('format=plain', {});
    expect(anon.statusCode).toBe(401);
    const wrong = await get('format=plain', { 'x-api-key': `skb_${'x'.repeat(43)}` });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json<{ code: string }>().code).toBe('bouncer_key_invalid');
    const unscoped = await createUserWithToken(e.t, 'viewer', { scopes: ['incidents.read'] });
    expect((await get('format=plain', unscoped.headers)).statusCode).toBe(403);
    const reader = await createUserWithToken(e.t, 'viewer', { scopes: ['threats.read'] });
    expect((await get('format=plain', reader.headers)).statusCode).toBe(200);
    expect((await get('format=plain')).statusCode).toBe(200);
    await e.t.audit.sink.flush();
    const denied = await e.t.database.db.selectFrom('audit_entries').select('entry').where('outcome', '=', 'denied').execute();
    expect(denied.map((d) => (JSON.parse(d.entry) as { status: number }).status).sort()).toEqual([401, 403, 403]);
  });

  it.skipIf(skip)('renders every format as text/plain, without simulated, removed or expired bans', async () => {
    await e.ban('203.0.113.0/24', { durationSeconds: 3600 });
    await e.ban('203.0.113.7', { durationSeconds: 7200 });
    await e.ban('2001:db8:1:2::/64', { durationSeconds: 600 });
    await e.ban('198.51.100.1', { simulated: true });
    const removed = await e.ban('198.51.100.2');
    await e.unban(removed.id);
    await e.ban('198.51.100.3', { durationSeconds: 10 });
    e.t.manualClock!.advance(11_000);

    const plain = await get('format=plain');
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(plain.body).toBe('203.0.113.0/24\n203.0.113.7\n2001:db8:1:2::/64\n');

    const nft = (await get('format=nftables&table=edge&setV4=bad4&setV6=bad6')).body;
    expect(nft).toContain('table inet edge {');
    expect(nft).toContain(
      'add element inet edge bad4 { 203.0.113.0-203.0.113.6 timeout 3589s, 203.0.113.7 timeout 7189s, 203.0.113.8-203.0.113.255 timeout 3589s }',
    );
    expect(nft).toContain('add element inet edge bad6 { 2001:db8:1:2::/64 timeout 589s }');

    const ipset = (await get('format=ipset&name=edge&maxelem=200000')).body;
    expect(ipset).toContain('create edge-tmp hash:net family inet hashsize 4096 maxelem 200000 timeout 0 -exist');
    expect(ipset).toContain('add edge-v6-tmp 2001:db8:1:2::/64 timeout 589');

    const geo = (await get('format=nginx-geo&variable=$blocked')).body;
    expect(geo).toContain('geo $blocked {\n\tdefault 0;\n\t203.0.113.0/24 1;\n\t203.0.113.7 1;\n\t2001:db8:1:2::/64 1;\n}\n');

    const bad = await get('format=xml');
    expect(bad.statusCode).toBe(400);
    expect((await get('format=nftables&table=x%3Bflush')).statusCode).toBe(400);
  });

  it.skipIf(skip)('answers 304 to an unchanged If-None-Match or If-Modified-Since, and 200 after any change', async () => {
    await e.ban('192.0.2.1', { durationSeconds: 60 });
    e.t.manualClock!.advance(1500);
    const first = await get('format=nftables');
    const etag = first.headers.etag as string;
    const lastModified = first.headers['last-modified'] as string;
    expect(etag).toMatch(/^W\/"/);
    expect(lastModified).toBeTruthy();
    e.t.manualClock!.advance(5000);
    const same = await get('format=nftables', { 'x-api-key': b.apiKey, 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    expect((await get('format=nftables', { 'x-api-key': b.apiKey, 'if-modified-since': lastModified })).statusCode).toBe(304);
    // Another format (or other names) is another variant.
    expect((await get('format=plain', { 'x-api-key': b.apiKey, 'if-none-match': etag })).statusCode).toBe(200);

    // A new ban changes it…
    const other = await e.ban('192.0.2.2', { durationSeconds: 3600 });
    const afterBan = await get('format=nftables', { 'x-api-key': b.apiKey, 'if-none-match': etag });
    expect(afterBan.statusCode).toBe(200);
    expect(afterBan.body).toContain('192.0.2.2');
    const etag2 = afterBan.headers.etag as string;
    // …and so does an expiry (nothing was written: the count of active bans moved)…
    e.t.manualClock!.advance(60_000);
    const afterExpiry = await get('format=nftables', { 'x-api-key': b.apiKey, 'if-none-match': etag2 });
    expect(afterExpiry.statusCode).toBe(200);
    expect(afterExpiry.body).not.toContain('192.0.2.1 ');
    const etag3 = afterExpiry.headers.etag as string;
    expect(
      (
        await get('format=nftables', {
          'x-api-key': b.apiKey,
          'if-modified-since': afterExpiry.headers['last-modified'] as string,
        })
      ).statusCode,
    ).toBe(304);
    // …and an unban.
    await e.unban(other.id);
    e.t.manualClock!.advance(2000);
    expect((await get('format=nftables', { 'x-api-key': b.apiKey, 'if-none-match': etag3 })).statusCode).toBe(200);
    expect(
      (
        await get('format=nftables', {
          'x-api-key': b.apiKey,
          'if-modified-since': afterExpiry.headers['last-modified'] as string,
        })
      ).statusCode,
    ).toBe(200);
  });
});
