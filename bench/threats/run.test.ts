import { describe, expect, it } from 'vitest';
import type { Truth, TruthAttacker } from './generate.ts';
import { jailBans, lineTime, score } from './run.ts';

const at = (iso: string): string => new Date(Date.parse(iso)).toISOString();
const attacker = (ip: string, kind: TruthAttacker['kind'], firstAt: string, campaign = `${kind}-${ip}`): TruthAttacker => ({
  ip,
  kind,
  log: kind.startsWith('ssh') ? 'sshd' : kind.startsWith('http') ? 'nginx' : 'mail',
  campaign,
  attempts: 3,
  firstAt: at(firstAt),
  lastAt: at(firstAt),
});

const truth: Truth = {
  seed: 1,
  linesPerLog: 100,
  start: '2026-11-26T00:00:00.000Z',
  end: '2026-11-28T00:00:00.000Z',
  files: { sshd: 'sshd.log', nginx: 'nginx.log', mail: 'mail.log' },
  attackers: [
    attacker('203.0.113.5', 'ssh-bf-fast', '2026-11-26T01:00:00Z'),
    attacker('2001:db8:bad:1::1', 'ssh-ipv6-rotation', '2026-11-26T02:00:00Z', 'rot'),
    attacker('2001:db8:bad:1:0:0:0:2', 'ssh-ipv6-rotation', '2026-11-26T02:05:00Z', 'rot'),
    attacker('192.0.2.9', 'ssh-bf-slow', '2026-11-27T10:00:00Z'),
    attacker('192.0.2.77', 'http-probing', '2026-11-26T01:00:00Z'),
  ],
  neutral: { sshd: ['192.0.2.200'], nginx: [], mail: [] },
  legit: {
    sshd: { ipsWithAuthFailures: 0, maxAuthFailuresPerIpPer24h: 0, maxAuthFailuresPerIpPer10m: 0 },
    nginx: { ipsWithAuthFailures: 0, maxAuthFailuresPerIpPer24h: 0, maxAuthFailuresPerIpPer10m: 0 },
    mail: { ipsWithAuthFailures: 0, maxAuthFailuresPerIpPer24h: 0, maxAuthFailuresPerIpPer10m: 0 },
  },
};

describe('score', () => {
  it('counts an attacker found by its address or by a flagged network holding it, in any IPv6 spelling', () => {
    const s = score(truth, 'sshd', { ips: new Set(['203.0.113.5']), ranges: new Set(['2001:DB8:BAD:1::/64']) });
    expect(s).toMatchObject({ total: 4, found: 3, missed: 1, falsePositives: 0 });
    expect(s.byKind['ssh-ipv6-rotation']).toEqual({ found: 2, total: 2 });
    expect(s.byKind['ssh-bf-slow']).toEqual({ found: 0, total: 1 });
    expect(s.campaigns).toEqual({ found: 2, total: 3 });
    expect(s.missedSamples).toEqual(['ssh-bf-slow 192.0.2.9']);
  });

  it('calls a flagged legitimate address or an attacker-free network a false positive, a neutral scanner neither', () => {
    const s = score(truth, 'sshd', {
      ips: new Set(['198.51.100.4', '192.0.2.200', '192.0.2.77']),
      ranges: new Set(['198.51.100.0/24']),
    });
    // 192.0.2.77 attacks the web server, not sshd: flagging it from the sshd log is a false positive too.
    expect(s.falsePositives).toBe(3);
    expect(s.falseSamples).toEqual(['198.51.100.4', '192.0.2.77', '198.51.100.0/24']);
    expect(s.neutralFlagged).toBe(1);
    expect(s.found).toBe(0);
  });

  it('judges a prefix only on the attackers that had started by its end', () => {
    const s = score(truth, 'sshd', { ips: new Set(['203.0.113.5']), ranges: new Set() }, Date.parse('2026-11-26T03:00:00Z'));
    expect(s.total).toBe(3);
    expect(s.byKind['ssh-bf-slow']).toBeUndefined();
  });
});

describe('jailBans (fail2ban maxretry=5, findtime=10m)', () => {
  it('bans on the fifth failure within ten minutes', () => {
    const m = [0, 100, 200, 300, 400].map((t) => ({ time: 1_000_000 + t, ip: '203.0.113.5' }));
    expect(jailBans(m)).toEqual(new Set(['203.0.113.5']));
  });

  it('does not ban five failures spread over more than ten minutes, nor four quick ones', () => {
    const slow = [0, 200, 400, 600, 801].map((t) => ({ time: t, ip: '192.0.2.9' }));
    const few = [0, 1, 2, 3].map((t) => ({ time: t, ip: '192.0.2.10' }));
    expect(jailBans([...slow, ...few]).size).toBe(0);
  });
});

describe('lineTime', () => {
  it('reads syslog and access-log timestamps as UTC', () => {
    expect(lineTime('Nov 27 10:00:01 web1 sshd[1]: x', truth)).toBe(Date.parse('2026-11-27T10:00:01Z'));
    expect(lineTime('Nov  7 01:02:03 web1 sshd[1]: x', truth)).toBe(Date.parse('2026-11-07T01:02:03Z'));
    expect(lineTime('192.0.2.1 - - [27/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 1 "-" "x"', truth)).toBe(
      Date.parse('2026-11-27T10:00:01Z'),
    );
  });
});
