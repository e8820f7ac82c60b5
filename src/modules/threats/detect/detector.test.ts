import { describe, expect, it } from 'vitest';
import type { Overflow, ThreatEvent } from '../events.ts';
import { createDetector } from './detector.ts';
import type { Scenario } from './scenario.ts';
import { loadScenarioText } from './scenarios.loader.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 27, 10);

function scenario(yaml: string): Scenario {
  const r = loadScenarioText(yaml, 'test.yaml');
  if (!r.scenario) throw new Error(JSON.stringify(r.errors));
  return r.scenario;
}

function sshFail(time: number, ip: string, user = 'root', kind: ThreatEvent['kind'] = 'auth_failed'): ThreatEvent {
  return { time, ip, service: 'ssh', kind, parser: 'sshd', host: 'web1', user, line: `${time} ${ip} ${user}` };
}

function collect(scenarios: Scenario[], maxBuckets?: number) {
  const out: Overflow[] = [];
  const holes: string[] = [];
  const d = createDetector({
    scenarios,
    maxBuckets,
    onOverflow: (o) => out.push(o),
    onBlackholed: (s, k) => holes.push(`${s} ${k}`),
  });
  return { d, out, holes };
}

const leaky = `
name: bf
filter: { service: ssh, kind: [auth_failed, invalid_user] }
type: leaky
capacity: 5
leakSpeed: 10s
blackhole: 1m
severity: major
labels: { mitre: T1110.001 }
remediation: { duration: 4h, escalate: [24h, 7d] }
`;

describe('leaky buckets', () => {
  it('overflows on the event that takes the level past capacity, with the bucket facts and the remediation', () => {
    const { d, out } = collect([scenario(leaky)]);
    // Capacity 5: the sixth failure in quick succession overflows (the level leaks 0.05 in 500 ms).
    for (let i = 0; i < 5; i++) d.push(sshFail(T0 + i * 100, '203.0.113.7'));
    expect(out).toHaveLength(0);
    d.push(sshFail(T0 + 500, '203.0.113.7'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      scenario: 'bf',
      key: '203.0.113.7',
      scope: { kind: 'ip', value: '203.0.113.7' },
      ips: ['203.0.113.7'],
      count: 6,
      firstAt: T0,
      lastAt: T0 + 500,
      severity: 'major',
      labels: { mitre: 'T1110.001' },
      remediation: { durationSeconds: 14_400, scope: 'ip', escalate: [86_400, 604_800] },
      simulated: false,
    });
  });

  it('leaks in event time: the same number of failures spread out never overflows', () => {
    const { d, out } = collect([scenario(leaky)]);
    for (let i = 0; i < 100; i++) d.push(sshFail(T0 + i * 10_000, '203.0.113.7'));
    expect(out).toHaveLength(0);
  });

  it('blackholes the key after an overflow: later events are counted and handed to the hook, not re-alerted', () => {
    const { d, out, holes } = collect([scenario(leaky)]);
    for (let i = 0; i < 9; i++) d.push(sshFail(T0 + i * 100, '203.0.113.7'));
    expect(out).toHaveLength(1);
    expect(holes).toEqual(['bf 203.0.113.7', 'bf 203.0.113.7', 'bf 203.0.113.7']);
    expect(d.stats().blackholed).toBe(3);
    // After the blackhole the key starts over from an empty bucket.
    for (let i = 0; i < 6; i++) d.push(sshFail(T0 + 2 * 60_000 + i * 100, '203.0.113.7'));
    expect(out).toHaveLength(2);
    expect(out[1]?.count).toBe(6);
    expect(out[1]?.firstAt).toBe(T0 + 2 * 60_000);
  });

  it('keeps the first five and the last five lines as samples', () => {
    const s = scenario(leaky.replace('capacity: 5', 'capacity: 20').replace('leakSpeed: 10s', 'leakSpeed: 1h'));
    const { d, out } = collect([s]);
    for (let i = 0; i < 21; i++) d.push(sshFail(T0 + i, '203.0.113.7'));
    expect(out[0]?.samples).toEqual([0, 1, 2, 3, 4, 16, 17, 18, 19, 20].map((i) => `${T0 + i} 203.0.113.7 root`));
  });

  it('counts distinct values only (user enumeration counts names, not attempts)', () => {
    const s = scenario(leaky.replace('name: bf', 'name: enum\ndistinct: user').replace('leakSpeed: 10s', 'leakSpeed: 1h'));
    const { d, out } = collect([s]);
    for (let i = 0; i < 50; i++) d.push(sshFail(T0 + i, '203.0.113.7', 'admin'));
    expect(out).toHaveLength(0);
    for (const u of ['a', 'b', 'c', 'd', 'e']) d.push(sshFail(T0 + 100, '203.0.113.7', u));
    expect(out).toHaveLength(1);
    expect(out[0]?.count).toBe(6);
  });

  it('never leaks backwards on out-of-order events', () => {
    const { d, out } = collect([scenario(leaky)]);
    d.push(sshFail(T0 + 60_000, '203.0.113.7'));
    for (let i = 0; i < 6; i++) d.push(sshFail(T0 + i, '203.0.113.7'));
    expect(out).toHaveLength(1);
    expect(out[0]?.firstAt).toBe(T0);
  });
});

describe('sliding windows (low and slow)', () => {
  const slow = `
name: slow
filter: { service: ssh, kind: [auth_failed, invalid_user] }
type: window
window: 24h
threshold: 20
blackhole: 1h
`;

  it('20 failures in 24 h from one IP overflow, however slowly they come', () => {
    const { d, out } = collect([scenario(slow)]);
    for (let i = 0; i < 20; i++) d.push(sshFail(T0 + i * 70 * 60_000, '198.51.100.23'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ key: '198.51.100.23', count: 20, firstAt: T0, lastAt: T0 + 19 * 70 * 60_000 });
  });

  it('a user mistyping 3 times a day for a month never does', () => {
    const { d, out } = collect([scenario(slow)]);
    for (let day = 0; day < 30; day++) {
      for (let k = 0; k < 3; k++) d.push(sshFail(T0 + day * 24 * H + k * H, '192.0.2.10', 'alice'));
    }
    expect(out).toHaveLength(0);
  });

  it('events that fall out of the window stop counting', () => {
    const { d, out } = collect([scenario(slow)]);
    for (let i = 0; i < 19; i++) d.push(sshFail(T0 + i * H, '198.51.100.23'));
    d.push(sshFail(T0 + 25 * H, '198.51.100.23'));
    expect(out).toHaveLength(0);
  });

  it('with distinct: ip and groupBy: user, counts many IPs on one user (password spraying)', () => {
    const spray = scenario(`
name: spray
filter: { kind: [auth_failed, invalid_user] }
groupBy: user
distinct: ip
type: window
window: 1h
threshold: 10
`);
    const { d, out } = collect([spray]);
    for (let i = 0; i < 30; i++) d.push(sshFail(T0 + i, '192.0.2.99', 'admin'));
    expect(out).toHaveLength(0);
    for (let i = 0; i < 9; i++) d.push(sshFail(T0 + 1000 + i, `198.51.100.${i + 1}`, 'admin'));
    expect(out).toHaveLength(1);
    expect(out[0]?.key).toBe('admin');
    expect(out[0]?.scope).toBeUndefined();
    expect(out[0]?.ips).toHaveLength(10);
  });
});

describe('triggers, group-bys and flags', () => {
  it('a trigger overflows on the first matching event', () => {
    const s = scenario(`
name: listed
filter: { listed: true, environment: customer }
type: trigger
simulation: true
`);
    const { d, out } = collect([s]);
    d.push({ ...sshFail(T0, '203.0.113.150'), listedBy: ['firehol'] });
    d.push({ ...sshFail(T0, '203.0.113.151'), environment: 'customer' });
    d.push({ ...sshFail(T0, '203.0.113.152'), listedBy: ['firehol'], environment: 'customer' });
    expect(out.map((o) => o.key)).toEqual(['203.0.113.152']);
    expect(out[0]?.simulated).toBe(true);
    expect(out[0]?.remediation).toBeUndefined();
  });

  it('groups IPv6 by /64 and IPv4 by /24, with the network as the scope', () => {
    const by = (g: string) =>
      scenario(`name: g-${g}\nfilter: { service: ssh }\ngroupBy: ${g}\ntype: leaky\ncapacity: 2\nleakSpeed: 1h\n`);
    const { d, out } = collect([by('ip64'), by('net24')]);
    for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2:aaaa::7', '2001:0db8:0001:0002:ffff::1']) d.push(sshFail(T0, ip));
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) d.push(sshFail(T0, ip));
    const keys = out.map((o) => `${o.scenario} ${o.key} ${o.scope?.kind}`).sort();
    expect(keys).toEqual(['g-ip64 2001:db8:1:2::/64 range', 'g-net24 198.51.100.0/24 range', 'g-net24 2001:db8:1:2::/64 range']);
    expect(out.find((o) => o.key === '198.51.100.0/24')?.ips).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
  });

  it('groups by IP and host: the same IP against two sites is two buckets', () => {
    const s = scenario(`name: ih\nfilter: { service: ssh }\ngroupBy: ip_host\ntype: leaky\ncapacity: 1\nleakSpeed: 1h\n`);
    const { d, out } = collect([s]);
    d.push({ ...sshFail(T0, '203.0.113.7'), host: 'a' });
    d.push({ ...sshFail(T0, '203.0.113.7'), host: 'b' });
    expect(out).toHaveLength(0);
    d.push({ ...sshFail(T0, '203.0.113.7'), host: 'a' });
    expect(out[0]).toMatchObject({ key: '203.0.113.7 a', scope: { kind: 'ip', value: '203.0.113.7' } });
  });

  it('does not load disabled scenarios', () => {
    const { d, out } = collect([scenario(leaky.replace('name: bf', 'name: bf\nenabled: false'))]);
    for (let i = 0; i < 20; i++) d.push(sshFail(T0, '203.0.113.7'));
    expect(out).toHaveLength(0);
    expect(d.stats().scenarios).toEqual([]);
  });
});

describe('bounded state', () => {
  it('2 million distinct attacking IPs never hold more than maxBuckets; the dropped ones are counted', () => {
    const { d } = collect([scenario(leaky)], 100_000);
    const e = sshFail(T0, '');
    for (let i = 0; i < 2_000_000; i++) {
      e.ip = `${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.1`;
      e.time = T0 + (i >>> 10); // a flood: ~1000 events per ms of event time, nothing has time to leak
      d.push(e);
      if ((i & 0xffff) === 0) expect(d.stats().liveBuckets).toBeLessThanOrEqual(100_000);
    }
    const s = d.stats();
    expect(s.liveBuckets).toBeLessThanOrEqual(100_000);
    expect(s.evicted + s.expired).toBe(2_000_000 - s.liveBuckets);
    expect(s.evicted).toBeGreaterThan(1_800_000);
  });

  it('evicts the least recently touched bucket, so an active attacker survives a flood of one-shot IPs', () => {
    const { d, out } = collect([scenario(leaky.replace('leakSpeed: 10s', 'leakSpeed: 1h'))], 1000);
    for (let i = 0; i < 5_000; i++) {
      d.push(sshFail(T0, `10.0.${i >> 8}.${i & 255}`));
      if (i % 500 === 0) d.push(sshFail(T0, '203.0.113.7'));
    }
    expect(out.map((o) => o.key)).toEqual(['203.0.113.7']);
  });

  it('drops buckets that leaked empty as event time passes, and on a full expire', () => {
    const { d } = collect([scenario(leaky)]);
    for (let i = 0; i < 1000; i++) d.push(sshFail(T0, `10.0.${i >> 8}.${i & 255}`));
    expect(d.stats().liveBuckets).toBe(1000);
    expect(d.expire(T0 + 5000, true)).toBe(0);
    expect(d.expire(T0 + 11_000, true)).toBe(1000);
    expect(d.stats()).toMatchObject({ liveBuckets: 0, expired: 1000 });
    // Incremental expiry runs on its own as event time moves on.
    for (let i = 0; i < 1000; i++) d.push(sshFail(T0 + 20_000, `10.1.${i >> 8}.${i & 255}`));
    for (let i = 0; i < 5000; i++) d.push(sshFail(T0 + 60_000 + i, '203.0.113.9', 'x', 'auth_success'));
    expect(d.stats().liveBuckets).toBe(0);
  });
});

describe('line scenarios (input: line)', () => {
  it('take the source IP from the host group and skip lines matching an ignore pattern or without a valid IP', () => {
    const s = scenario(`
name: line
input: line
filter:
  raw:
    - re2: 'Login failed for (?P<user>\\S+) from (?P<host>\\S+)'
      caseSensitive: true
  not:
    raw:
      - re2: 'from 192\\.0\\.2\\.'
type: window
window: 10m
threshold: 3
labels: { service: ftp }
`);
    const { d, out } = collect([s]);
    expect(d.wantsLines).toBe(true);
    d.pushLine('Login failed for bob from 192.0.2.1', T0);
    d.pushLine('Login failed for bob from not-an-ip', T0);
    d.pushLine('login FAILED for bob from 203.0.113.5', T0);
    expect(out).toHaveLength(0);
    for (let i = 0; i < 3; i++) d.pushLine(`Login failed for u${i} from 203.0.113.5`, T0 + i);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ key: '203.0.113.5', count: 3 });
  });
});
