import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFeedFormat, parseFeed, parseUtcTimestamp, validateFeedUpdate, type FeedFormat } from './feed-formats.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const utc = (s: string): number => Date.parse(`${s}Z`) / 1000;

describe('parseFeed on real formats', () => {
  it('FireHOL level1: keeps public networks, skips and reports the private/special ones', () => {
    const r = parseFeed('plain', fixture('firehol_level1.netset'));
    expect(r.cidrs).toEqual([
      '1.10.16.0/20',
      '1.19.0.0/16',
      '1.32.128.0/18',
      '2.56.192.0/22',
      '5.188.10.0/23',
      '31.24.81.0/24',
      '45.14.71.0/24',
      '185.220.101.47',
    ]);
    expect(r.since.every((s) => s === undefined)).toBe(true);
    expect(r.skippedBogons).toEqual([
      { cidr: '0.0.0.0/8', reason: '"this network" (RFC 791) 0.0.0.0/8' },
      { cidr: '10.0.0.0/8', reason: 'private network (RFC 1918) 10.0.0.0/8' },
      { cidr: '192.168.0.0/16', reason: 'private network (RFC 1918) 192.168.0.0/16' },
      { cidr: '224.0.0.0/3', reason: 'multicast (RFC 5771) 224.0.0.0/4' },
    ]);
    expect(r.skippedBogonCount).toBe(4);
    expect(r.badCount).toBe(0);
    expect(r.lines).toBe(45);
    expect(validateFeedUpdate(null, r)).toEqual({ ok: true, entries: 8 });
  });

  it.each<[string, FeedFormat, string[]]>([
    [
      'compromised-ips.txt',
      'plain',
      [
        '1.12.231.30',
        '1.14.96.180',
        '2.57.122.5',
        '5.181.86.12',
        '23.94.190.219',
        '45.95.147.236',
        '61.177.172.136',
        '103.145.13.229',
        '185.224.128.17',
        '218.92.0.112',
      ],
    ],
    [
      'ci-badguys.txt',
      'plain',
      [
        '1.13.245.152',
        '1.15.133.65',
        '2.58.56.14',
        '5.8.11.202',
        '27.54.120.188',
        '43.134.44.88',
        '80.94.95.115',
        '141.98.11.11',
        '194.169.175.36',
      ],
    ],
    [
      'blocklist-de-all.txt',
      'plain',
      [
        '1.4.162.16',
        '1.9.78.242',
        '2.50.154.90',
        '5.39.83.197',
        '27.71.27.48',
        '45.148.10.12',
        '61.82.3.1',
        '2001:470:1:c84::21',
        '2a01:4f8:1c1c:f22a::1',
        '218.92.0.112',
      ],
    ],
    [
      'torbulkexitlist',
      'tor-exit',
      ['185.220.101.4', '185.220.101.5', '171.25.193.20', '109.70.100.34', '2.58.56.43', '192.42.116.16'],
    ],
    ['exit-addresses', 'tor-exit', ['162.247.74.201', '185.220.101.4', '109.70.100.34']],
    [
      'drop.txt',
      'spamhaus-drop',
      ['1.10.16.0/20', '1.19.0.0/16', '1.32.128.0/18', '2.56.192.0/22', '2.59.200.0/22', '5.134.128.0/19', '223.254.0.0/16'],
    ],
    ['dropv6.txt', 'spamhaus-drop', ['2001:678:738::/48', '2401:e0c0::/29', '2a06:e480::/29', '2a0d:8140::/29']],
    [
      'drop_v4.jsonl',
      'spamhaus-json',
      ['1.10.16.0/20', '1.19.0.0/16', '1.32.128.0/18', '2.56.192.0/22', '2.59.200.0/22', '223.254.0.0/16'],
    ],
    ['drop_v6.jsonl', 'spamhaus-json', ['2001:678:738::/48', '2401:e0c0::/29', '2a06:e480::/29', '2a0d:8140::/29']],
    ['ipblocklist.txt', 'feodo-txt', ['45.61.136.47', '50.16.16.211', '103.82.243.5', '162.243.103.246', '178.18.246.136']],
    [
      'abuseipdb-blacklist.txt',
      'abuseipdb',
      ['218.92.0.112', '61.177.172.136', '180.101.88.228', '2.57.122.5', '2001:41d0:303:6c2b::1'],
    ],
  ])('%s (%s): exact entries, nothing bad, format detected', (file, format, cidrs) => {
    const text = fixture(file);
    const r = parseFeed(format, text);
    expect(r.cidrs).toEqual(cidrs);
    expect(r.badCount).toBe(0);
    expect(r.skippedBogonCount).toBe(0);
    expect(r.problem).toBeUndefined();
    expect(r.asns).toEqual([]);
    // Detection gives the same entries (plain/feodo-txt/abuseipdb are one reader).
    expect(parseFeed(detectFeedFormat(text, file), text).cidrs).toEqual(cidrs);
  });

  it('Spamhaus JSON: records the metadata trailer', () => {
    const r = parseFeed('spamhaus-json', fixture('drop_v4.jsonl'));
    expect(r.metadata).toEqual({
      timestamp: 1705312733,
      size: 351,
      records: 6,
      copyright: '(c) 2024 The Spamhaus Project SLU',
      terms: 'https://www.spamhaus.org/drop/terms/',
    });
  });

  it('Spamhaus ASN-DROP: returns ASNs, no networks', () => {
    const text = fixture('asndrop.jsonl');
    const r = parseFeed('spamhaus-asn-json', text);
    expect(r.asns).toEqual([4134, 200373, 401696]);
    expect(r.cidrs).toEqual([]);
    expect(r.badCount).toBe(0);
    expect(detectFeedFormat(text, 'asndrop.json')).toBe('spamhaus-asn-json');
    expect(validateFeedUpdate(null, r)).toEqual({ ok: true, entries: 3 });
  });

  it('Feodo CSV: dst_ip by header, first_seen_utc as since, duplicates kept once with the earliest date', () => {
    const text = fixture('ipblocklist.csv');
    const r = parseFeed('feodo-csv', text);
    expect(r.cidrs).toEqual(['51.75.68.215', '103.82.243.5', '162.243.103.246', '45.61.136.47']);
    expect(r.since).toEqual([
      utc('2021-01-17T07:44:46'),
      utc('2022-11-02T12:01:09'),
      utc('2023-06-13T20:43:13'),
      utc('2023-12-28T09:12:55'),
    ]);
    expect(r.duplicates).toBe(1);
    expect(r.badCount).toBe(0);
    expect(detectFeedFormat(text, 'ipblocklist.csv')).toBe('feodo-csv');
  });

  it('Feodo JSON: ip_address with first_seen as since', () => {
    const text = fixture('ipblocklist.json');
    const r = parseFeed('feodo-json', text);
    expect(r.cidrs).toEqual(['51.75.68.215', '162.243.103.246', '45.61.136.47']);
    expect(r.since).toEqual([utc('2021-01-17T07:44:46'), utc('2023-06-13T20:43:13'), utc('2023-12-28T09:12:55')]);
    expect(r.lines).toBe(3);
    expect(detectFeedFormat(text, 'ipblocklist.json')).toBe('feodo-json');
  });
});

describe('parseFeed on bad input', () => {
  it('reports each bad line with its number and keeps the good ones', () => {
    const text = [
      '# header',
      '8.8.8.8',
      'not-an-ip',
      '1.2.3.4 extra words',
      '9.9.9.9 # inline comment',
      '',
      '300.1.1.1',
      'x'.repeat(5000),
      '2a00:1450::/32',
    ].join('\r\n');
    const r = parseFeed('plain', text);
    expect(r.cidrs).toEqual(['8.8.8.8', '9.9.9.9', '2a00:1450::/32']);
    expect(r.bad.map((b) => [b.line, b.reason])).toEqual([
      [3, 'not an IP address or CIDR'],
      [4, 'unexpected text after the address'],
      [7, 'not an IP address or CIDR'],
      [8, 'line longer than 4096 characters'],
    ]);
    expect(r.bad[3]?.text.length).toBe(200);
    expect(r.badCount).toBe(4);
    expect(r.lines).toBe(9);
  });

  it('caps the reported bad lines at 100 but counts them all', () => {
    const r = parseFeed('plain', Array.from({ length: 250 }, (_, i) => `junk${i}`).join('\n'));
    expect(r.bad).toHaveLength(100);
    expect(r.badCount).toBe(250);
    expect(r.bad[99]?.line).toBe(100);
  });

  it('flags an HTML error page, an oversized text, a truncated Spamhaus JSON and a Feodo JSON that is not an array', () => {
    expect(parseFeed('plain', '  <!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>').problem).toBe(
      'looks like an HTML/XML page, not a feed',
    );
    expect(parseFeed('plain', '8.8.8.8\n'.repeat(100), { maxChars: 100 }).problem).toBe('feed is larger than 100 characters');
    const cut = fixture('drop_v4.jsonl').split('\n').slice(0, 3).join('\n') + '\n{"cidr":"2.56.19';
    const t = parseFeed('spamhaus-json', cut);
    expect(t.problem).toBe('no metadata trailer line (download truncated?)');
    expect(t.bad).toEqual([{ line: 4, text: '{"cidr":"2.56.19', reason: 'not a JSON object' }]);
    const lost = '{"cidr":"1.10.16.0/20"}\n{"type":"metadata","timestamp":1,"records":5}\n';
    expect(parseFeed('spamhaus-json', lost).problem).toBe('metadata announces 5 records, found 1');
    expect(parseFeed('feodo-json', '{"error":"rate limited"}').problem).toBe('expected a JSON array of C2 entries');
    expect(parseFeed('feodo-json', '[{"ip_address":"8.8.8.8"').problem).toMatch(/^not valid JSON/);
  });

  it('Feodo JSON and ASN-DROP: bad items are counted alone', () => {
    const r = parseFeed('feodo-json', '[{"ip_address":"8.8.8.8"},{"ip":"1.1.1.1"},5,{"ip_address":"10.1.1.1"}]');
    expect(r.cidrs).toEqual(['8.8.8.8']);
    expect(r.bad.map((b) => b.line)).toEqual([2, 3]);
    expect(r.skippedBogons).toEqual([{ cidr: '10.1.1.1', reason: 'private network (RFC 1918) 10.0.0.0/8' }]);
    const a = parseFeed('spamhaus-asn-json', '{"asn":64500}\n{"asn":"AS1"}\n{"asn":0}\n{"type":"metadata","timestamp":1}\n');
    expect(a.asns).toEqual([64500]);
    expect(a.bad.map((b) => b.line)).toEqual([2, 3]);
  });

  it('tor-exit: unknown keywords are bad lines', () => {
    const r = parseFeed('tor-exit', 'ExitNode ABC\nExitAddress 185.220.101.4 2024-01-15 07:06:29\nBogus 1.2.3.4\n');
    expect(r.cidrs).toEqual(['185.220.101.4']);
    expect(r.bad).toEqual([{ line: 3, text: 'Bogus 1.2.3.4', reason: 'unknown exit-addresses keyword' }]);
  });

  it('documentation ranges pass only with the test option', () => {
    const text = '203.0.113.7\n2001:db8::1\n8.8.8.8\n';
    expect(parseFeed('plain', text).cidrs).toEqual(['8.8.8.8']);
    expect(parseFeed('plain', text, { allowDocumentationRanges: true }).cidrs).toEqual(['203.0.113.7', '2001:db8::1', '8.8.8.8']);
  });

  it('parses timestamps strictly as UTC', () => {
    expect(parseUtcTimestamp('2021-01-17 07:44:46')).toBe(utc('2021-01-17T07:44:46'));
    expect(parseUtcTimestamp('2024-01-15')).toBe(utc('2024-01-15T00:00:00'));
    expect(parseUtcTimestamp('2024-01-15T01:02:03Z')).toBe(utc('2024-01-15T01:02:03'));
    expect(parseUtcTimestamp('yesterday')).toBeUndefined();
    expect(parseUtcTimestamp(`2024-01-15 ${'9'.repeat(10000)}`)).toBeUndefined();
  });
});

describe('validateFeedUpdate', () => {
  const feed = (n: number, bad = 0): string =>
    [
      ...Array.from({ length: n }, (_, i) => `45.${Math.floor(i / 256)}.${i % 256}.1`),
      ...Array.from({ length: bad }, () => 'garbage'),
    ].join('\n');

  it('accepts a normal update and a moderate shrink', () => {
    expect(validateFeedUpdate({ entries: 100 }, parseFeed('plain', feed(60)))).toEqual({ ok: true, entries: 60 });
    expect(validateFeedUpdate({ entries: 100 }, parseFeed('plain', feed(100, 4)))).toEqual({ ok: true, entries: 100 });
  });

  it('rejects a copy that shrank past the limit, naming the numbers', () => {
    expect(validateFeedUpdate({ entries: 100 }, parseFeed('plain', feed(40)))).toEqual({
      ok: false,
      code: 'feed_shrunk',
      reason: '40 entries against 100 in the last good copy (60.0 % fewer, limit 50 %)',
    });
    expect(validateFeedUpdate({ entries: 100 }, parseFeed('plain', feed(40)), { maxShrink: 0.7 }).ok).toBe(true);
    // An unset option of a feed definition means the default, not "no limit".
    expect(validateFeedUpdate({ entries: 100 }, parseFeed('plain', feed(40)), { maxShrink: undefined }).ok).toBe(false);
  });

  it('rejects a garbled copy, naming the first bad line', () => {
    expect(validateFeedUpdate(null, parseFeed('plain', feed(90, 10)))).toEqual({
      ok: false,
      code: 'feed_garbled',
      reason: '10 of 100 data lines (10.0 %) are not valid entries; first at line 91: not an IP address or CIDR',
    });
  });

  it('rejects an empty copy and a document-level problem', () => {
    expect(validateFeedUpdate(null, parseFeed('plain', '# only comments\n'))).toEqual({
      ok: false,
      code: 'feed_empty',
      reason: 'no entries',
    });
    expect(validateFeedUpdate(null, parseFeed('plain', '10.0.0.0/8\n'))).toEqual({
      ok: false,
      code: 'feed_empty',
      reason: 'no entries (1 private/special ranges skipped)',
    });
    expect(validateFeedUpdate(null, parseFeed('plain', '<html>oops</html>'))).toMatchObject({ ok: false, code: 'feed_problem' });
  });
});
