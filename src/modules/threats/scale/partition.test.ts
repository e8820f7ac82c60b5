import { describe, expect, it } from 'vitest';
import { partitionOf, partitionsOfWorker, userPartitionOf } from './partition.ts';

describe('partitionOf', () => {
  it('is pinned: collectors and workers of different versions must agree', () => {
    // Changing these moves every network to another worker: only ever change them with a wire-version bump.
    expect(
      ['203.0.113.7', '198.51.100.1', '10.0.0.1', '2001:db8:1:2::1', '2a01:4f8::1', 'not-an-ip'].map((ip) =>
        partitionOf(ip, 1024),
      ),
    ).toEqual(GOLDEN);
  });

  it('keeps a whole IPv4 /24 on one partition', () => {
    for (let net = 0; net < 200; net++) {
      const prefix = `${((net * 37) % 223) + 1}.${(net * 11) % 256}.${net % 256}`;
      const p = partitionOf(`${prefix}.1`, 64);
      for (let host = 0; host < 256; host += 17) expect(partitionOf(`${prefix}.${host}`, 64)).toBe(p);
    }
  });

  it('keeps a whole IPv6 /64 on one partition, whatever the spelling', () => {
    const p = partitionOf('2001:db8:aa:bb::1', 64);
    for (const sibling of [
      '2001:db8:aa:bb:ffff:ffff:ffff:ffff',
      '2001:DB8:AA:BB:1:2:3:4',
      '2001:0db8:00aa:00bb:0000:0000:0000:0002',
      '2001:db8:aa:bb::',
    ])
      expect(partitionOf(sibling, 64)).toBe(p);
    // The next /64 is another key (it may still share the partition by chance: check several).
    const others = new Set(
      Array.from({ length: 32 }, (_, i) => partitionOf(`2001:db8:aa:${(0xbb + 1 + i).toString(16)}::1`, 64)),
    );
    expect(others.size).toBeGreaterThan(8);
  });

  it('treats an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(partitionOf('::ffff:203.0.113.7', 97)).toBe(partitionOf('203.0.113.200', 97));
  });

  it('spreads networks evenly', () => {
    const counts = new Array<number>(16).fill(0);
    for (let a = 0; a < 256; a++) for (let b = 0; b < 64; b++) counts[partitionOf(`${a}.${b}.${(a + b) % 256}.9`, 16)]!++;
    const mean = (256 * 64) / 16;
    for (const c of counts) expect(Math.abs(c - mean) / mean).toBeLessThan(0.1);
  });

  it('places garbage deterministically inside the range, and refuses a bad partition count', () => {
    for (const junk of ['', 'x'.repeat(10_000), '1.2.3', '::1::2', '\u0000\uffff'])
      expect(partitionOf(junk, 7)).toBe(partitionOf(junk, 7));
    expect(partitionOf('1.2.3', 7)).toBeLessThan(7);
    expect(() => partitionOf('1.2.3.4', 0)).toThrow(RangeError);
    expect(() => partitionOf('1.2.3.4', 1.5)).toThrow(RangeError);
  });
});

describe('userPartitionOf', () => {
  it('is deterministic, case-sensitive in key and bounded in work', () => {
    expect(userPartitionOf('admin', 16)).toBe(userPartitionOf('admin', 16));
    const spread = new Set(
      ['root', 'admin', 'Admin', 'test', 'oracle', 'ubuntu', 'git', 'postgres'].map((u) => userPartitionOf(u, 16)),
    );
    expect(spread.size).toBeGreaterThan(3);
    const long = 'a'.repeat(256);
    expect(userPartitionOf(long + 'tail', 16)).toBe(userPartitionOf(long + 'other', 16));
  });
});

describe('partitionsOfWorker', () => {
  it('splits partitions into disjoint, covering, even sets', () => {
    const sets = [0, 1, 2].map((i) => partitionsOfWorker(16, i, 3));
    expect(sets.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(sets.map((s) => s.length)).toEqual([6, 5, 5]);
    expect(() => partitionsOfWorker(16, 3, 3)).toThrow(RangeError);
  });
});

const GOLDEN = [480, 334, 855, 576, 367, 644];
