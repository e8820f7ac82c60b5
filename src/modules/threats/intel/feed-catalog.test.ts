import { describe, expect, it } from 'vitest';
import { builtInFeeds, feedDefinitionSchema } from './feed-catalog.ts';

const base = { id: 'my-feed', name: 'My feed', licence: 'CC0', attribution: 'Me' };

describe('builtInFeeds', () => {
  it('lists the documented feeds, all disabled, each with licence, attribution and an https source', () => {
    const feeds = builtInFeeds();
    expect(feeds.map((f) => [f.id, f.format])).toEqual([
      ['firehol-level1', 'plain'],
      ['et-compromised', 'plain'],
      ['cins-army', 'plain'],
      ['blocklist-de-all', 'plain'],
      ['tor-exit', 'tor-exit'],
      ['spamhaus-drop-v4', 'spamhaus-json'],
      ['spamhaus-drop-v6', 'spamhaus-json'],
      ['spamhaus-asndrop', 'spamhaus-asn-json'],
      ['feodo-tracker', 'feodo-json'],
      ['abuseipdb', 'abuseipdb'],
    ]);
    for (const f of feeds) {
      expect(f.enabled, f.id).toBe(false);
      expect(f.url?.startsWith('https://'), f.id).toBe(true);
      expect(f.file).toBeUndefined();
      expect(f.licence.length, f.id).toBeGreaterThan(3);
      expect(f.attribution.length, f.id).toBeGreaterThan(3);
      expect(f.refreshSeconds, f.id).toBeGreaterThanOrEqual(3600);
    }
    expect(feeds.find((f) => f.id === 'abuseipdb')?.apiKey).toEqual({ header: 'Key', secret: 'abuseipdb_api_key' });
  });

  it('hands out a fresh copy each call', () => {
    const a = builtInFeeds();
    a[0]!.enabled = true;
    expect(builtInFeeds()[0]?.enabled).toBe(false);
  });
});

describe('feedDefinitionSchema', () => {
  it('accepts a user feed from a URL or a file, with defaults', () => {
    expect(feedDefinitionSchema.parse({ ...base, url: 'https://example.org/list.txt' })).toMatchObject({
      format: 'auto',
      refreshSeconds: 3600,
      enabled: false,
    });
    expect(feedDefinitionSchema.parse({ ...base, file: '/etc/skjold/feeds/local.txt', format: 'plain' }).file).toBe(
      '/etc/skjold/feeds/local.txt',
    );
  });

  it.each([
    ['both url and file', { url: 'https://example.org/a', file: '/tmp/a' }],
    ['neither url nor file', {}],
    ['a relative file', { file: 'feeds/a.txt' }],
    ['a non-http url', { url: 'ftp://example.org/a' }],
    ['a url with credentials', { url: 'https://user:pw@example.org/a' }],
    ['an id that is a path', { id: '../etc', url: 'https://example.org/a' }],
    ['an unknown format', { url: 'https://example.org/a', format: 'xml' }],
    ['a refresh under a minute', { url: 'https://example.org/a', refreshSeconds: 5 }],
  ])('refuses %s', (_what, over) => {
    expect(feedDefinitionSchema.safeParse({ ...base, ...over }).success).toBe(false);
  });
});
