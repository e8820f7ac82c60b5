import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, ipv6Prefix64, net24, parseCidr, parseIPv4, parseIPv6 } from './ip-address.ts';

/** Eight groups written out in full: an independent way of writing an IPv6 address. */
const fullText = (w: readonly number[]): string =>
  w.flatMap((x) => [(x >>> 16).toString(16).padStart(4, '0'), (x & 0xffff).toString(16).padStart(4, '0')]).join(':');

/** Words with many zero groups, so that `::` runs of every length and position come up. */
const sparseWord = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: 0, max: 0xffff }).map((x) => x * 65536),
  fc.nat({ max: 0xffffffff }),
);
const words = fc.tuple(sparseWord, sparseWord, sparseWord, sparseWord);

describe('parseIPv4', () => {
  it('reads dotted quads, including the edges of the space', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('203.0.113.7')).toBe(0xcb007107);
    expect(parseIPv4('10.0.0.1')).toBe(0x0a000001);
  });

  it('rejects everything that is not exactly four plain octets', () => {
    const bad = ['', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1..2.3', '256.1.1.1', '1.2.3.1000', '01.2.3.4', '1.2.3.04', '1.2.3.00'];
    bad.push(' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '1.2.3.-4', '0x1.2.3.4', '1.2.3.4/32', '::1', '1.2.3.4\n', '１.2.3.4');
    for (const s of bad) expect(parseIPv4(s), s).toBe(-1);
    expect(parseIPv4(undefined as unknown as string)).toBe(-1);
  });

  it('round-trips every uint32 through formatIPv4', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (v) => parseIPv4(formatIPv4(v)) === v));
  });

  it("agrees with node's isIPv4 on arbitrary text", () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789.'), maxLength: 18 }),
      fc.nat({ max: 0xffffffff }).map(formatIPv4),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(text, (s) => parseIPv4(s) >= 0 === isIPv4(s)),
      { numRuns: 5000 },
    );
  });
});

describe('parseIPv6', () => {
  it('reads compressed, full, mixed-case and IPv4-suffixed forms', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0]);
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 1]);
    expect(parseIPv6('1::')).toEqual([0x10000, 0, 0, 0]);
    expect(parseIPv6('2001:DB8::8:800:200C:417A')).toEqual([0x20010db8, 0, 0x80800, 0x200c417a]);
    expect(parseIPv6('::ffff:192.0.2.128')).toEqual([0, 0, 0xffff, 0xc0000280]);
    expect(parseIPv6('64:ff9b::192.0.2.1')).toEqual([0x64ff9b, 0, 0, 0xc0000201]);
    expect(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
  });

  it('rejects zone ids, brackets, bad groups and misplaced colons', () => {
    const bad = ['', ':', ':::', '1:', ':1', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1'];
    bad.push('fe80::1%eth0', '[::1]', '::1 ', '1:2:3:4:5:6:7::8', '::1.2.3', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4');
    bad.push('::ffff:01.2.3.4', '1.2.3.4', '::-1');
    for (const s of bad) expect(parseIPv6(s), s).toBeNull();
    expect(parseIPv6(42 as unknown as string)).toBeNull();
  });

  it('reads back the full and the canonical form of any address', () => {
    fc.assert(
      fc.property(words, (w) => {
        expect(parseIPv6(fullText(w))).toEqual(w);
        expect(parseIPv6(formatIPv6(w))).toEqual(w);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with node's isIPv6 (zone ids aside) on arbitrary text", () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'), maxLength: 46 }),
      words.map((w) => formatIPv6(w)),
      words.map((w) => fullText(w).replace(/(^|:)0+(?=[0-9a-f])/g, '$1')),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, (s) => (parseIPv6(s) !== null) === (isIPv6(s) && !s.includes('%'))),
      { numRuns: 5000 },
    );
  });
});

describe('formatIPv6', () => {
  it('writes RFC 5952 canonical text', () => {
    expect(formatIPv6([0x20010db8, 0, 0, 1])).toBe('2001:db8::1');
    expect(formatIPv6([0x20010db8, 0, 1, 0x10001])).toBe('2001:db8::1:1:1');
    // Longest run wins; on a tie, the first; a single zero group is not compressed.
    expect(formatIPv6([0x20010000, 0, 0x10000, 1])).toBe('2001::1:0:0:1');
    expect(formatIPv6([0x20010db8, 0, 0x10000, 0x1])).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6([0x20010db8, 0x1, 0x10001, 0x10001])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6([0, 0, 0, 0])).toBe('::');
    expect(formatIPv6([0, 0, 0xffff, 0x01020304])).toBe('::ffff:1.2.3.4');
  });

  it('matches the WHATWG URL serializer (which follows the same rule) outside the IPv4-mapped range', () => {
    fc.assert(
      fc.property(words, (w) => {
        fc.pre(!(w[0] === 0 && w[1] === 0 && w[2] === 0xffff));
        expect(formatIPv6(w)).toBe(new URL(`http://[${fullText(w)}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseCidr', () => {
  it('reads networks and bare addresses, clearing host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, prefix: 8, start: 0x0a000000, end: 0x0affffff });
    expect(parseCidr('203.0.113.7')).toEqual({ family: 4, prefix: 32, start: 0xcb007107, end: 0xcb007107 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, prefix: 0, start: 0, end: 0xffffffff });
    expect(parseCidr('2001:db8::1/33')).toEqual({
      family: 6,
      prefix: 33,
      start: [0x20010db8, 0, 0, 0],
      end: [0x20010db8, 0x7fffffff, 0xffffffff, 0xffffffff],
    });
    expect(parseCidr('::/0')).toEqual({
      family: 6,
      prefix: 0,
      start: [0, 0, 0, 0],
      end: [~0 >>> 0, ~0 >>> 0, ~0 >>> 0, ~0 >>> 0],
    });
    expect(parseCidr('2001:db8::1')).toMatchObject({ family: 6, prefix: 128, start: [0x20010db8, 0, 0, 1] });
  });

  it('turns IPv4-mapped networks of /96 or longer into IPv4', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ family: 4, prefix: 8, start: 0x0a000000, end: 0x0affffff });
    expect(parseCidr('::ffff:1.2.3.4')).toEqual({ family: 4, prefix: 32, start: 0x01020304, end: 0x01020304 });
    expect(parseCidr('::ffff:0:0/95')).toMatchObject({ family: 6, prefix: 95 });
  });

  it('returns null for garbage and never throws', () => {
    for (const s of [
      '',
      '/',
      '1.2.3.4/',
      '1.2.3.4/33',
      '1.2.3.4/-1',
      '1.2.3.4/1a',
      '1.2.3.4/0032',
      '::/129',
      '1.2.3.4//8',
      'a/8',
    ])
      expect(parseCidr(s), s).toBeNull();
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => parseCidr(s) === null || typeof parseCidr(s) === 'object'));
  });

  it('gives the bounds of the network for any address and prefix', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
        const size = 2 ** (32 - prefix);
        const start = Math.floor(ip / size) * size;
        expect(parseCidr(`${formatIPv4(ip)}/${prefix}`)).toEqual({ family: 4, prefix, start, end: start + size - 1 });
      }),
    );
  });
});

describe('network helpers', () => {
  it('ipv6Prefix64 names the /64 of an IPv6 address', () => {
    expect(ipv6Prefix64('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(ipv6Prefix64('2001:db8::1')).toBe('2001:db8::/64');
    expect(ipv6Prefix64('::1')).toBe('::/64');
    expect(ipv6Prefix64('203.0.113.7')).toBeNull();
    expect(ipv6Prefix64('::ffff:1.2.3.4')).toBeNull();
    expect(ipv6Prefix64('nope')).toBeNull();
  });

  it('net24 names the /24 of an IPv4 address, as text, number or mapped IPv6', () => {
    expect(net24('203.0.113.7')).toBe('203.0.113.0/24');
    expect(net24(0xcb007107)).toBe('203.0.113.0/24');
    expect(net24('::ffff:203.0.113.7')).toBe('203.0.113.0/24');
    expect(net24('255.255.255.255')).toBe('255.255.255.0/24');
    expect(net24('2001:db8::1')).toBeNull();
    expect(net24(-1)).toBeNull();
    expect(net24(2 ** 32)).toBeNull();
  });
});
