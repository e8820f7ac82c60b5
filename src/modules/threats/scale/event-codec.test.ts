import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ThreatEvent } from '../events.ts';
import {
  decodeBatch,
  encodeBatch,
  encodeEvents,
  eventToTuple,
  FIELD_LIMITS,
  MAX_EVENTS_PER_MESSAGE,
  tupleByteBound,
  type WireTuple,
} from './event-codec.ts';

const ssh: ThreatEvent = {
  time: 1_764_200_000_123,
  ip: '203.0.113.7',
  service: 'ssh',
  kind: 'invalid_user',
  parser: 'sshd',
  host: 'web-01',
  user: 'oracle',
  line: 'Nov 27 16:00:00 web-01 sshd[42]: Invalid user oracle from 203.0.113.7 port 50000',
};
const http: ThreatEvent = {
  time: 1_764_200_000_456,
  ip: '2001:db8:1:2::9',
  service: 'http',
  kind: 'request',
  parser: 'nginx',
  host: 'shop.example',
  method: 'GET',
  path: '/wp-login.php?x="1"',
  status: 404,
  userAgent: 'Mozilla/5.0 "quoted" ü',
  listedBy: ['spamhaus-drop', 'firehol-level1'],
  environment: 'customer',
  line: '2001:db8:1:2::9 - - [27/Nov/2026:16:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404 0',
};
const drop: ThreatEvent = {
  time: 1_764_200_000_789,
  ip: '198.51.100.4',
  service: 'firewall',
  kind: 'drop',
  parser: 'nftables',
  dst: '192.0.2.10',
  proto: 'TCP',
  dstPort: 3389,
  environment: 'management',
  line: 'IN=eth0 SRC=198.51.100.4 DST=192.0.2.10 PROTO=TCP DPT=3389',
};

/** The event as a worker sees it: every optional key present (undefined when absent). */
function normalized(e: ThreatEvent): ThreatEvent {
  return {
    time: e.time,
    ip: e.ip,
    service: e.service,
    kind: e.kind,
    parser: e.parser,
    host: e.host,
    user: e.user,
    method: e.method,
    path: e.path,
    status: e.status,
    userAgent: e.userAgent,
    dst: e.dst,
    proto: e.proto,
    dstPort: e.dstPort,
    listedBy: e.listedBy,
    environment: e.environment,
    line: e.line,
  };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('event codec', () => {
  it('round-trips ssh, http and firewall events in one batch', () => {
    const decoded = decodeBatch(encodeEvents([ssh, http, drop]));
    expect(decoded).toEqual({ ok: true, events: [ssh, http, drop].map(normalized), badEvents: 0 });
  });

  it('is more compact than JSON objects, dropping trailing absent fields', () => {
    const bytes = encodeEvents([ssh]).length;
    expect(bytes).toBeLessThan(JSON.stringify([ssh]).length);
    expect(eventToTuple(ssh)).toHaveLength(8); // up to `user`: nothing after it is sent
  });

  it('truncates over-long fields so the batch still decodes', () => {
    const huge: ThreatEvent = { ...http, path: '/a'.repeat(10_000), userAgent: 'u'.repeat(5000), line: 'x'.repeat(40_000) };
    const decoded = decodeBatch(encodeEvents([huge]));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.events[0]?.path).toHaveLength(FIELD_LIMITS.path);
    expect(decoded.events[0]?.userAgent).toHaveLength(FIELD_LIMITS.userAgent);
    expect(decoded.events[0]?.line).toHaveLength(FIELD_LIMITS.line);
  });

  it('refuses events that cannot be sent', () => {
    expect(eventToTuple({ ...ssh, time: Number.NaN })).toBeNull();
    expect(eventToTuple({ ...ssh, kind: 'bogus' as ThreatEvent['kind'] })).toBeNull();
    expect(eventToTuple({ ...ssh, ip: '' })).toBeNull();
  });

  it('bounds the encoded size from above, even for escape-heavy and non-ASCII text', () => {
    const nasty: ThreatEvent[] = [
      { ...ssh, line: '\u0001'.repeat(3000), user: '"\\'.repeat(100) },
      { ...http, line: '€😀'.repeat(2000), path: '\ud800'.repeat(100) },
      drop,
    ];
    const tuples = nasty.map((e) => eventToTuple(e) as WireTuple);
    const bound = tuples.reduce((n, t) => n + tupleByteBound(t), 0);
    expect(encodeBatch(tuples).length).toBeLessThanOrEqual(bound);
  });

  it('refuses whole messages that are not batches, with a reason', () => {
    expect(decodeBatch(text('hello world'))).toEqual({ ok: false, reason: 'not_json' });
    expect(decodeBatch(text('[1,'))).toEqual({ ok: false, reason: 'not_json' });
    expect(decodeBatch(new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]))).toEqual({ ok: false, reason: 'not_json' });
    expect(decodeBatch(text('[{"v":1}]'))).toEqual({ ok: false, reason: 'bad_version' });
    expect(decodeBatch(text('[2,[1,"1.2.3.4","ssh","auth_failed","sshd","l"]]'))).toEqual({
      ok: false,
      reason: 'bad_version',
    });
    expect(decodeBatch(new Uint8Array(2 * 1024 * 1024).fill(0x5b))).toEqual({ ok: false, reason: 'oversize' });
    expect(decodeBatch(text(`[1${',0'.repeat(MAX_EVENTS_PER_MESSAGE + 1)}]`))).toEqual({
      ok: false,
      reason: 'too_many_events',
    });
    // Deep nesting: V8's JSON.parse is iterative, and the shape check refuses it.
    const deep = decodeBatch(text(`[1,${'['.repeat(100_000)}${']'.repeat(100_000)}]`));
    expect(deep).toEqual({ ok: true, events: [], badEvents: 1 });
  });

  it('drops a malformed event alone and keeps the rest of the batch', () => {
    const good = JSON.stringify(eventToTuple(ssh));
    const bad = [
      '[1,"1.2.3.4","ssh","auth_failed","sshd"]', // too short
      '["1","1.2.3.4","ssh","auth_failed","sshd","l"]', // time not a number
      '[1,"1.2.3.4","telnet","auth_failed","sshd","l"]', // unknown service
      `[1,"1.2.3.4","ssh","auth_failed","sshd","${'x'.repeat(FIELD_LIMITS.line + 1)}"]`, // line too long
      '[1,"1.2.3.4","http","request","nginx","l",null,null,"GET","/",1000]', // status out of range
      '[1,"1.2.3.4","ssh","auth_failed","sshd","l",null,null,null,null,null,null,null,null,null,[1]]', // feed not text
      '[1,"1.2.3.4","ssh","auth_failed","sshd","l",null,null,null,null,null,null,null,null,null,null,"dmz"]',
      'null',
    ];
    const decoded = decodeBatch(text(`[1,${good},${bad.join(',')},${good}]`));
    expect(decoded).toEqual({ ok: true, events: [normalized(ssh), normalized(ssh)], badEvents: bad.length });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const r = decodeBatch(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (json) => {
        const r = decodeBatch(text(`[1,${json}]`));
        expect(r.ok).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips arbitrary valid events', () => {
    const event = fc.record({
      time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      ip: fc.oneof(fc.ipV4(), fc.ipV6()),
      service: fc.constantFrom('ssh', 'http', 'smtp', 'imap', 'pop3', 'ftp', 'firewall' as const),
      kind: fc.constantFrom('auth_failed', 'invalid_user', 'auth_success', 'preauth_close', 'request', 'drop' as const),
      parser: fc.string({ maxLength: 20 }),
      host: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      user: fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: undefined }),
      status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
      dstPort: fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: undefined }),
      line: fc.string({ unit: 'binary', maxLength: 300 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const decoded = decodeBatch(encodeEvents(events));
        expect(decoded).toEqual({ ok: true, events: (events as ThreatEvent[]).map(normalized), badEvents: 0 });
      }),
      { numRuns: 300 },
    );
  });
});
