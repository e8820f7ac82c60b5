import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6 } from './ip-address.ts';
import { type IndexSource, IpIndexHolder, buildIpIndex } from './ip-index.ts';

/**
 * The index against a naive reference: a linear scan over the CIDRs, computed from numbers (the CIDR text given to
 * the index is written from the same numbers, so the index's parser is under test too).
 */
interface RefCidr {
  source: number;
  start: bigint;
  end: bigint;
  since: number | undefined;
}

type Expected = { id: number; since: number | undefined }[] | null;

function reference(sources: readonly IndexSource[], cidrs: readonly RefCidr[], ip: bigint): Expected {
  const out: { id: number; since: number | undefined }[] = [];
  sources.forEach((src, si) => {
    let listed = false;
    let since: number | undefined;
    for (const c of cidrs)
      if (c.source === si && c.start <= ip && ip <= c.end) {
        listed = true;
        if (c.since !== undefined && (since === undefined || c.since < since)) since = c.since;
      }
    if (listed) out.push({ id: src.id, since });
  });
  return out.length > 0 ? out : null;
}

function actual(hit: ReturnType<ReturnType<typeof buildIpIndex>['lookup']>): Expected {
  return hit ? hit.sources.map((s) => ({ id: s.id, since: s.since })) : null;
}

const MAX4 = 0xffffffffn;
const MAX6 = (1n << 128n) - 1n;

const v4Text = (ip: bigint): string => formatIPv4(Number(ip));
const v6Words = (ip: bigint): number[] => [96n, 64n, 32n, 0n].map((s) => Number((ip >> s) & 0xffffffffn));
/** Alternate the full and the compressed form, so both go through the parser. */
const v6Text = (ip: bigint, full: boolean): string =>
  full
    ? v6Words(ip)
        .flatMap((x) => [(x >>> 16).toString(16), (x & 0xffff).toString(16)])
        .join(':')
    : formatIPv6(v6Words(ip));

/** Addresses drawn from a few clusters so that CIDRs overlap, nest and touch. */
const v4Addr = fc.oneof(
  fc.constantFrom(0n, MAX4),
  fc.integer({ min: 0, max: 0xffff }).map((x) => 0x0a000000n + BigInt(x)),
  fc.integer({ min: 0, max: 0x3ff }).map((x) => 0xc0a80000n + BigInt(x)),
  fc.integer({ min: 0, max: 0xff }).map((x) => 0xffffff00n + BigInt(x)),
  fc.nat({ max: 0xffffffff }).map(BigInt),
);
const v4Prefix = fc.oneof(
  fc.constantFrom(0, 1, 8, 16, 24, 31, 32),
  fc.integer({ min: 0, max: 32 }),
  fc.integer({ min: 20, max: 32 }),
);

const v6Addr = fc.oneof(
  fc.constantFrom(0n, MAX6, 1n, (0x20010db8n << 96n) | 1n),
  fc.bigInt({ min: 0n, max: 0xffffn }).map((x) => (0x20010db8n << 96n) | (x << 64n)),
  fc.bigInt({ min: 0n, max: 0xffffn }).map((x) => (0x20010db8n << 96n) | x),
  fc.bigInt({ min: 0n, max: 0xffffffffn }).map((x) => (0x2a0000n << 104n) | (x << 72n)),
  fc.bigInt({ min: 0n, max: 0xffn }).map((x) => MAX6 - x),
  fc.bigInt({ min: 0n, max: MAX6 }),
);
const v6Prefix = fc.oneof(
  fc.constantFrom(0, 1, 32, 48, 56, 63, 64, 65, 96, 120, 127, 128),
  fc.integer({ min: 0, max: 128 }),
  fc.integer({ min: 100, max: 128 }),
);

const since = fc.option(fc.integer({ min: 1_600_000_000, max: 1_700_000_000 }), { nil: undefined });

function range(ip: bigint, prefix: number, bits: number): [bigint, bigint] {
  const size = 1n << BigInt(bits - prefix);
  const start = (ip / size) * size;
  return [start, start + size - 1n];
}

const entries = (addr: fc.Arbitrary<bigint>, prefix: fc.Arbitrary<number>) =>
  fc.array(fc.record({ source: fc.integer({ min: 0, max: 3 }), addr, prefix, since }), { maxLength: 40 });

/** Sources 0..3 (the last an allowlist); some with since values, some without. */
function sourcesOf(
  list: { source: number; addr: bigint; prefix: number; since: number | undefined }[],
  bits: 32 | 128,
  text: (ip: bigint, k: number) => string,
  withSince: boolean[],
): { sources: IndexSource[]; cidrs: RefCidr[] } {
  const sources: IndexSource[] = [0, 1, 2, 3].map((i) => ({
    id: 100 + i,
    name: `source-${i}`,
    kind: i === 3 ? 'allow' : 'feed',
    cidrs: [],
    ...(withSince[i] ? { since: [] } : {}),
  }));
  const cidrs: RefCidr[] = [];
  list.forEach((e, k) => {
    const [start, end] = range(e.addr, e.prefix, bits);
    const src = sources[e.source] as IndexSource & { cidrs: string[]; since?: (number | undefined)[] };
    // Host bits left set on purpose half of the time: the index must normalise them.
    src.cidrs.push(`${text(k % 2 === 0 ? e.addr : start, k)}/${e.prefix}`);
    const s = withSince[e.source] ? e.since : undefined;
    if (src.since) src.since.push(s ?? Number.NaN);
    cidrs.push({ source: e.source, start, end, since: s });
  });
  return { sources, cidrs };
}

function probesOf(cidrs: RefCidr[], extra: bigint[], max: bigint): bigint[] {
  const out = new Set<bigint>([0n, max, ...extra]);
  for (const c of cidrs)
    for (const p of [c.start - 1n, c.start, c.end, c.end + 1n, (c.start + c.end) / 2n]) if (p >= 0n && p <= max) out.add(p);
  return [...out];
}

describe('buildIpIndex against a linear scan', () => {
  it('IPv4: overlapping, nested, adjacent CIDRs, /0 to /32, with since values', () => {
    fc.assert(
      fc.property(
        entries(v4Addr, v4Prefix),
        fc.array(v4Addr, { maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        (list, extra, withSince) => {
          const { sources, cidrs } = sourcesOf(list, 32, (ip) => v4Text(ip), withSince);
          const index = buildIpIndex(sources);
          for (const ip of probesOf(cidrs, extra, MAX4)) {
            const want = reference(sources, cidrs, ip);
            expect(actual(index.lookup(v4Text(ip))), v4Text(ip)).toEqual(want);
            // The same address written as IPv4-mapped IPv6 is the same lookup.
            expect(actual(index.lookup(`::ffff:${v4Text(ip)}`))).toEqual(want);
            expect(index.matchIPv4(Number(ip)) >= 0).toBe(want !== null);
            expect(index.allowed(v4Text(ip))).toBe(want?.some((s) => s.id === 103) ?? false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('IPv6: overlapping, nested, adjacent CIDRs, /0 to /128, /64-aligned and not, with since values', () => {
    fc.assert(
      fc.property(
        entries(v6Addr, v6Prefix),
        fc.array(v6Addr, { maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        (list, extra, withSince) => {
          const { sources, cidrs } = sourcesOf(list, 128, (ip, k) => v6Text(ip, k % 3 === 0), withSince);
          const index = buildIpIndex(sources);
          for (const ip of probesOf(cidrs, extra, MAX6)) {
            // IPv4-mapped addresses are looked up as IPv4, where none of these IPv6 networks is.
            const mapped = ip >> 32n === 0xffffn;
            const want = mapped ? null : reference(sources, cidrs, ip);
            expect(actual(index.lookup(v6Text(ip, false))), v6Text(ip, false)).toEqual(want);
            expect(actual(index.lookup(v6Text(ip, true).toUpperCase()))).toEqual(want);
            expect(index.allowed(v6Text(ip, false))).toBe(want?.some((s) => s.id === 103) ?? false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('IPv4 and IPv6 in the same index do not see each other', () => {
    const index = buildIpIndex([
      { id: 1, name: 'v4', kind: 'feed', cidrs: ['0.0.0.0/0'] },
      { id: 2, name: 'v6', kind: 'feed', cidrs: ['2001:db8::/32'] },
    ]);
    expect(actual(index.lookup('255.255.255.255'))).toEqual([{ id: 1, since: undefined }]);
    expect(actual(index.lookup('2001:db8:ffff::1'))).toEqual([{ id: 2, since: undefined }]);
    expect(index.lookup('2001:db9::')).toBeNull();
    expect(index.lookup('::')).toBeNull();
    expect(actual(index.lookup('::ffff:0.0.0.0'))).toEqual([{ id: 1, since: undefined }]);
  });
});

describe('lookups', () => {
  const index = buildIpIndex([
    {
      id: 7,
      name: 'spamhaus-drop',
      kind: 'feed',
      cidrs: ['203.0.113.0/24', '198.51.100.7', '2001:db8:bad::/48'],
      since: [1000, 2000, 3000],
    },
    { id: 8, name: 'firehol-level1', kind: 'feed', cidrs: ['203.0.0.0/16', 'not-an-ip', '::ffff:192.0.2.0/120', '10.0.0.0/33'] },
    { id: 9, name: 'allowlist', kind: 'allow', cidrs: ['203.0.113.10', '2001:db8:bad:1::/64'] },
  ]);

  it('names every source listing an address, with its since', () => {
    expect(index.lookup('203.0.113.10')?.sources).toEqual([
      { id: 7, name: 'spamhaus-drop', kind: 'feed', since: 1000 },
      { id: 8, name: 'firehol-level1', kind: 'feed', since: undefined },
      { id: 9, name: 'allowlist', kind: 'allow', since: undefined },
    ]);
    expect(index.lookup('198.51.100.7')?.sources).toEqual([{ id: 7, name: 'spamhaus-drop', kind: 'feed', since: 2000 }]);
    expect(index.lookup('2001:db8:bad:1::5')?.sources.map((s) => [s.id, s.since])).toEqual([
      [7, 3000],
      [9, undefined],
    ]);
    expect(index.lookup('192.0.2.77')?.sources.map((s) => s.id)).toEqual([8]);
  });

  it('answers allowed() from allow sources only', () => {
    expect(index.allowed('203.0.113.10')).toBe(true);
    expect(index.allowed('::ffff:203.0.113.10')).toBe(true);
    expect(index.allowed('203.0.113.11')).toBe(false);
    expect(index.allowed('2001:db8:bad:1:ffff:ffff:ffff:ffff')).toBe(true);
    expect(index.allowed('2001:db8:bad:2::')).toBe(false);
  });

  it('returns null for unlisted addresses and for garbage, never throwing', () => {
    expect(index.lookup('198.51.100.8')).toBeNull();
    expect(index.lookup('0.0.0.0')).toBeNull();
    expect(index.lookup('255.255.255.255')).toBeNull();
    expect(index.lookup('::')).toBeNull();
    expect(index.lookup('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBeNull();
    for (const bad of ['', '203.0.113.10 ', '203.0.113.010', '2001:db8:bad::1%eth0', '[2001:db8:bad::1]', 'x'.repeat(100_000)])
      expect(index.lookup(bad), bad.slice(0, 40)).toBeNull();
    expect(index.lookup(null as unknown as string)).toBeNull();
    fc.assert(fc.property(fc.string({ maxLength: 50 }), (s) => index.match(s) === -1 || index.lookup(s) !== null));
  });

  it('gives set ids on the hot path that setOf turns into the same sources', () => {
    const set = index.matchIPv4(0xcb00710a);
    expect(set).toBeGreaterThanOrEqual(0);
    expect(index.setOf(set)?.sources.map((s) => s.id)).toEqual([7, 8, 9]);
    expect(index.match('203.0.113.10')).toBe(set);
    expect(index.matchIPv4(0xcb00710b)).not.toBe(set);
    expect(index.matchIPv4(0)).toBe(-1);
    expect(index.setOf(-1)).toBeNull();
  });

  it('counts what it holds and what it rejected', () => {
    const st = index.stats();
    expect(st).toMatchObject({ inputRanges: 7, rejected: 2, ipv6Ranges: 3 });
    // 203.0.0.0/16 cut around 203.0.113.0/24 and 203.0.113.10, plus 198.51.100.7 and 192.0.2.0/24.
    expect(st.ipv4Ranges).toBe(7);
    expect(st.ranges).toBe(st.ipv4Ranges + st.ipv6Ranges);
    expect(st.bytes).toBeGreaterThan(0);
  });

  it('keeps the earliest since of a CIDR listed twice or nested', () => {
    const idx = buildIpIndex([
      {
        id: 1,
        name: 'f',
        kind: 'feed',
        cidrs: ['10.0.0.0/8', '10.1.0.0/16', '10.1.0.0/16', '10.1.2.3', '10.2.0.0/16'],
        since: [50, 40, 30, 60, 10],
      },
    ]);
    expect(idx.lookup('10.1.2.3')?.sources[0]?.since).toBe(30);
    expect(idx.lookup('10.1.9.9')?.sources[0]?.since).toBe(30);
    expect(idx.lookup('10.2.0.1')?.sources[0]?.since).toBe(10);
    expect(idx.lookup('10.3.0.1')?.sources[0]?.since).toBe(50);
  });

  it('refuses sources that are a caller bug', () => {
    expect(() => buildIpIndex([{ id: 1, name: 'f', kind: 'feed', cidrs: ['10.0.0.0/8'], since: [] }])).toThrow(RangeError);
    expect(() => buildIpIndex([{ id: 1, name: 'f', kind: 'deny' as 'feed', cidrs: [] }])).toThrow(RangeError);
  });

  it('keeps more than 65,536 distinct source sets apart (32-bit set ids)', () => {
    // Address 10.0.0.0 + k is listed by source j exactly when bit j of k is set: 2^17 addresses, 2^17 - 1 sets.
    const base = 0x0a000000;
    const sources: IndexSource[] = Array.from({ length: 17 }, (_, j) => {
      const cidrs: string[] = [];
      for (let k = 1 << j; k < 1 << 17; k += 1 << (j + 1)) cidrs.push(`${formatIPv4(base + k)}/${32 - j}`);
      return { id: j, name: `bit-${j}`, kind: 'feed', cidrs };
    });
    const idx = buildIpIndex(sources);
    expect(idx.stats().sets).toBe((1 << 17) - 1);
    expect(idx.data.v4Sets).toBeInstanceOf(Uint32Array);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: (1 << 17) - 1 }), (k) => {
        const want = Array.from({ length: 17 }, (_, j) => j).filter((j) => (k >> j) & 1);
        expect(idx.lookup(formatIPv4(base + k))?.sources.map((s) => s.id) ?? []).toEqual(want);
      }),
    );
  });

  it('works empty', () => {
    const empty = buildIpIndex([]);
    expect(empty.lookup('1.2.3.4')).toBeNull();
    expect(empty.lookup('::1')).toBeNull();
    expect(empty.stats()).toMatchObject({ ranges: 0, inputRanges: 0 });
  });
});

describe('large indexes (the /24 presence bitmap in front of the search)', () => {
  it('finds every listed address and only those, among 80,000 networks', () => {
    // Distinct /24 networks and single addresses spread over the whole space, so many /16 windows hold several.
    const nets = new Set<number>();
    const singles = new Set<number>();
    let x = 0x9e3779b9;
    const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    while (nets.size < 70_000) nets.add(next() >>> 8);
    while (singles.size < 10_000) singles.add(next());
    const netList = [...nets];
    const singleList = [...singles];
    const cidrs = [...netList.map((n) => `${formatIPv4((n << 8) >>> 0)}/24`), ...singleList.map(formatIPv4)];
    const index = buildIpIndex([{ id: 1, name: 'feed', kind: 'feed', cidrs }]);
    expect(index.stats().ipv4Ranges).toBeGreaterThan(65_536);
    for (let i = 0; i < 50_000; i++) {
      const ip =
        i % 5 === 0
          ? (singleList[i % singleList.length] as number)
          : i % 2 === 0
            ? (((netList[i % netList.length] as number) << 8) | (next() & 255)) >>> 0
            : next();
      const listed = nets.has(ip >>> 8) || singles.has(ip);
      expect(index.lookup(formatIPv4(ip)) !== null, formatIPv4(ip)).toBe(listed);
    }
  });
});

describe('IpIndexHolder', () => {
  const feed = (cidrs: string[]): IndexSource[] => [{ id: 1, name: 'feed', kind: 'feed', cidrs }];

  it('builds in a worker and swaps the index in; lookups during the build see the old one', async () => {
    const holder = new IpIndexHolder(buildIpIndex(feed(['192.0.2.0/24'])));
    const old = holder.current;
    const pending = holder.rebuild(feed(['198.51.100.0/24', '2001:db8::/32']));
    expect(holder.current).toBe(old);
    expect(holder.current.lookup('192.0.2.1')).not.toBeNull();
    const next = await pending;
    expect(holder.current).toBe(next);
    expect(next.lookup('192.0.2.1')).toBeNull();
    expect(next.lookup('198.51.100.1')?.sources[0]?.name).toBe('feed');
    expect(next.lookup('2001:db8::1')).not.toBeNull();
    expect(next.stats().inputRanges).toBe(2);
  });

  it('keeps the old index when the build fails', async () => {
    const holder = new IpIndexHolder(buildIpIndex(feed(['192.0.2.0/24'])));
    const old = holder.current;
    const bad: IndexSource[] = [{ id: 1, name: 'feed', kind: 'feed', cidrs: ['10.0.0.0/8'], since: [1, 2] }];
    await expect(holder.rebuild(bad)).rejects.toThrow(/since has 2 values/);
    expect(holder.current).toBe(old);
    await expect(holder.rebuild(bad, { inThread: true })).rejects.toThrow(RangeError);
    expect(holder.current).toBe(old);
    // Sources that cannot even be handed to the worker.
    const uncloneable = [{ ...bad[0], since: undefined, name: (() => 'feed') as unknown as string }] as IndexSource[];
    await expect(holder.rebuild(uncloneable)).rejects.toThrow();
    expect(holder.current).toBe(old);
  });

  it('lets the rebuild started last win', async () => {
    const holder = new IpIndexHolder();
    const first = holder.rebuild(feed(['10.0.0.0/8']));
    const second = holder.rebuild(feed(['172.16.0.0/12']), { inThread: true });
    await Promise.all([first, second]);
    expect(holder.current).toBe(await second);
    expect(holder.current.lookup('10.1.1.1')).toBeNull();
  });
});
