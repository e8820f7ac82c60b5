import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv6, overlapsBogon, parseIPv6, parseNetwork } from './bogons.ts';

describe('parseNetwork', () => {
  it('writes networks canonically: bare single addresses, host bits cleared, RFC 5952 IPv6', () => {
    expect(parseNetwork('1.2.3.4')?.text).toBe('1.2.3.4');
    expect(parseNetwork('1.2.3.4/32')?.text).toBe('1.2.3.4');
    expect(parseNetwork('1.2.3.4/24')?.text).toBe('1.2.3.0/24');
    expect(parseNetwork('0.0.0.0/0')?.text).toBe('0.0.0.0/0');
    expect(parseNetwork('2001:DB8:0:0:0:0:0:1')?.text).toBe('2001:db8::1');
    expect(parseNetwork('2a06:e480::/29')?.text).toBe('2a06:e480::/29');
    expect(parseNetwork('2a06:e487:1::/29')?.text).toBe('2a06:e480::/29');
    expect(parseNetwork('2001:db8::1/128')?.text).toBe('2001:db8::1');
    expect(parseNetwork('::ffff:10.0.0.1')?.text).toBe('::ffff:a00:1');
  });

  it('refuses what is not exactly an address or a network', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.4/33',
      '1.2.3.4/',
      '1.2.3.4/08',
      '1.2.3.4/-1',
      ' 1.2.3.4',
      '1.2.3.4 ',
      'fe80::1%eth0',
      '2001:db8::/129',
      '2001:db8:::1',
      'example.com',
      '1.2.3.4-1.2.3.9',
    ]) {
      expect(parseNetwork(bad), bad).toBeNull();
    }
  });

  it('round-trips any 128-bit value through formatIPv6 and parseIPv6', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
        const text = formatIPv6(v);
        expect(isIPv6(text)).toBe(true);
        expect(parseIPv6(text)).toBe(v);
      }),
    );
    // RFC 5952: the first of two equally long zero runs is the one compressed.
    expect(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1') as bigint)).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1') as bigint)).toBe('2001:db8:0:1:1:1:1:1');
  });
});

describe('overlapsBogon', () => {
  it('refuses private and special ranges, addresses inside them and networks containing them', () => {
    expect(overlapsBogon('10.0.0.0/8')).toBe('private network (RFC 1918) 10.0.0.0/8');
    expect(overlapsBogon('10.20.30.40')).toBe('private network (RFC 1918) 10.0.0.0/8');
    expect(overlapsBogon('192.168.1.1')).toContain('192.168.0.0/16');
    expect(overlapsBogon('172.31.255.255')).toContain('172.16.0.0/12');
    expect(overlapsBogon('100.100.1.1')).toContain('100.64.0.0/10');
    expect(overlapsBogon('127.0.0.1')).toContain('loopback');
    expect(overlapsBogon('169.254.169.254')).toContain('link-local');
    expect(overlapsBogon('0.0.0.0/8')).toContain('"this network"');
    expect(overlapsBogon('224.0.0.0/3')).toContain('multicast');
    expect(overlapsBogon('255.255.255.255')).toContain('240.0.0.0/4');
    expect(overlapsBogon('198.19.0.1')).toContain('benchmarking');
    // Broad entries that merely contain a private range.
    expect(overlapsBogon('0.0.0.0/0')).not.toBeNull();
    expect(overlapsBogon('8.0.0.0/6')).toContain('10.0.0.0/8');
    expect(overlapsBogon('172.0.0.0/8')).toContain('172.16.0.0/12');
  });

  it('refuses special IPv6 ranges and anything outside global unicast', () => {
    expect(overlapsBogon('::1')).toContain('loopback');
    expect(overlapsBogon('::')).toContain('unspecified');
    expect(overlapsBogon('::ffff:10.0.0.1')).toContain('IPv4-mapped');
    expect(overlapsBogon('::ffff:8.8.8.8')).toContain('IPv4-mapped');
    expect(overlapsBogon('fe80::1')).toContain('link-local');
    expect(overlapsBogon('fd12:3456::1')).toContain('unique local');
    expect(overlapsBogon('ff02::1')).toContain('multicast');
    expect(overlapsBogon('64:ff9b::808:808')).toContain('NAT64');
    expect(overlapsBogon('4000::1')).toBe('not global unicast (outside 2000::/3)');
    expect(overlapsBogon('::/0')).not.toBeNull();
    expect(overlapsBogon('2000::/3')).toContain('2001:2::/48');
  });

  it('lets public addresses through', () => {
    for (const ok of ['8.8.8.8', '1.10.16.0/20', '185.220.101.4', '223.254.0.0/16', '2a06:e480::/29', '2001:470:1:c84::21']) {
      expect(overlapsBogon(ok), ok).toBeNull();
    }
  });

  it('allows the documentation ranges only when asked, and only entries wholly inside them', () => {
    expect(overlapsBogon('203.0.113.7')).toContain('documentation');
    expect(overlapsBogon('2001:db8::1')).toContain('documentation');
    const allow = { allowDocumentationRanges: true };
    expect(overlapsBogon('192.0.2.1', allow)).toBeNull();
    expect(overlapsBogon('198.51.100.0/24', allow)).toBeNull();
    expect(overlapsBogon('203.0.113.7', allow)).toBeNull();
    expect(overlapsBogon('2001:db8:1:2::/64', allow)).toBeNull();
    // Wider than the documentation range: still refused.
    expect(overlapsBogon('2001:db8::/31', allow)).toContain('2001:db8::/32');
    expect(overlapsBogon('203.0.112.0/23', allow)).toContain('203.0.113.0/24');
    // Other special ranges stay refused.
    expect(overlapsBogon('10.0.0.1', allow)).not.toBeNull();
  });

  it('reports unparsable text instead of throwing', () => {
    expect(overlapsBogon('not-an-ip')).toBe('not an IP or CIDR');
  });
});
