import { describe, expect, it } from 'vitest';
import { collapse, formatSegment, toIntervals } from './ban-intervals.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const H = 3_600_000;

/** Collapse and print as `element@hours-left`, the way nft will get them. */
function folded(entries: { value: string; until: number }[]): string[] {
  const { v4, v6 } = toIntervals(entries, NOW);
  return [
    ...collapse(v4).map((s) => `${formatSegment(4, s)}@${(s.until - NOW) / H}`),
    ...collapse(v6).map((s) => `${formatSegment(6, s)}@${(s.until - NOW) / H}`),
  ];
}

describe('collapse: non-overlapping elements with the latest end per address', () => {
  it('keeps disjoint bans as they are, in address order', () => {
    expect(
      folded([
        { value: '198.51.100.7', until: NOW + H },
        { value: '10.0.0.0/8', until: NOW + 2 * H },
      ]),
    ).toEqual(['10.0.0.0/8@2', '198.51.100.7@1']);
  });

  it('drops an address inside a network banned at least as long', () => {
    expect(
      folded([
        { value: '10.1.2.3', until: NOW + H },
        { value: '10.0.0.0/8', until: NOW + 4 * H },
      ]),
    ).toEqual(['10.0.0.0/8@4']);
  });

  it('cuts an address banned longer out of its network, as ranges around it', () => {
    expect(
      folded([
        { value: '203.0.113.0/24', until: NOW + H },
        { value: '203.0.113.7', until: NOW + 5 * H },
      ]),
    ).toEqual(['203.0.113.0-203.0.113.6@1', '203.0.113.7@5', '203.0.113.8-203.0.113.255@1']);
  });

  it('handles a network nested in a network with a longer ban nested again', () => {
    expect(
      folded([
        { value: '10.0.0.0/8', until: NOW + H },
        { value: '10.1.0.0/16', until: NOW + 2 * H },
        { value: '10.1.0.0/24', until: NOW + 3 * H },
        { value: '10.1.0.5', until: NOW + 2 * H },
      ]),
    ).toEqual(['10.0.0.0/16@1', '10.1.0.0/24@3', '10.1.1.0-10.1.255.255@2', '10.2.0.0-10.255.255.255@1']);
  });

  it('merges exact duplicates to the longest ban', () => {
    expect(
      folded([
        { value: '192.0.2.1', until: NOW + H },
        { value: '192.0.2.1', until: NOW + 3 * H },
      ]),
    ).toEqual(['192.0.2.1@3']);
  });

  it('writes IPv6 /64 bans as networks and cuts longer single bans out of them', () => {
    expect(
      folded([
        { value: '2001:db8:1:2::/64', until: NOW + H },
        { value: '2001:db8:1:2::1', until: NOW + 2 * H },
        { value: '2001:db8:ffff::1', until: NOW + H },
      ]),
    ).toEqual([
      '2001:db8:1:2::@1',
      '2001:db8:1:2::1@2',
      '2001:db8:1:2::2-2001:db8:1:2:ffff:ffff:ffff:ffff@1',
      '2001:db8:ffff::1@1',
    ]);
  });

  it('leaves out expired bans and values that are not addresses, counting them', () => {
    const r = toIntervals(
      [
        { value: '192.0.2.1', until: NOW - 1 },
        { value: 'not-an-ip', until: NOW + H },
        { value: '192.0.2.0/33', until: NOW + H },
        { value: '192.0.2.2', until: NOW + H },
      ],
      NOW,
    );
    expect(r.skipped).toBe(3);
    expect(r.v4).toHaveLength(1);
  });

  it('reads IPv4-mapped IPv6 as IPv4', () => {
    expect(folded([{ value: '::ffff:192.0.2.9', until: NOW + H }])).toEqual(['192.0.2.9@1']);
  });
});
