import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOG_TYPES, MAX_LINE_LENGTH, type ParseOutcome } from '../events.ts';
import { createLineParser } from './index.ts';

/**
 * Hostile input: whatever the line, the parser returns an outcome (never throws), and any event it does return is
 * well-formed (a valid address, a finite time no later than now + skew, a bounded path). Speed is measured in
 * bench/threats/parse.ts; here the shapes that make backtracking or quadratic scanners stall must simply finish.
 */
const NOW = Date.parse('2026-11-27T12:00:00Z');
const SKEW = 5 * 60_000;

function checkOutcome(r: ParseOutcome): void {
  if (!r.ok) {
    expect(['ignored', 'unparsable']).toContain(r.reason);
    return;
  }
  const e = r.event;
  expect(isIP(e.ip)).not.toBe(0);
  expect(Number.isFinite(e.time)).toBe(true);
  expect(e.time).toBeLessThanOrEqual(NOW + SKEW);
  expect(e.line.length).toBeLessThanOrEqual(MAX_LINE_LENGTH);
  if (e.path !== undefined) expect(e.path.length).toBeLessThanOrEqual(8 * 1024);
}

// Pieces of real lines, recombined by fast-check into near-valid hostile lines.
const fragments = [
  '<38>',
  '<38>1 ',
  '<999>',
  'Nov 27 10:00:01 ',
  'Nov  7 10:00:01 ',
  '2026-11-27T10:00:01.123+01:00 ',
  '2099-01-01T00:00:00Z ',
  'web1 ',
  'sshd[1234]: ',
  'sshd ',
  '- - ',
  '[id k="v\\"]"] ',
  'kernel: ',
  'dovecot: imap-login: ',
  'postfix/smtpd[1]: ',
  'pure-ftpd: ',
  'proftpd[1]: ',
  'vsftpd[1]: ',
  'nginx: ',
  'Failed password for ',
  'invalid user ',
  'Invalid user ',
  'Accepted publickey for ',
  'Connection closed by ',
  'authenticating user ',
  'Received disconnect from ',
  ' from ',
  ' port ',
  '22',
  ' ssh2',
  ' [preauth]',
  '1.2.3.4',
  '2001:db8::1',
  '::ffff:1.2.3.4',
  '999.1.1.1',
  ' - - ',
  '[27/Nov/2026:10:00:01 +0100]',
  ' "GET / HTTP/1.1"',
  ' "',
  '\\"',
  ' 200 1',
  'warning: unknown[',
  ']: SASL LOGIN authentication failed',
  'Disconnected (auth failed, 1 attempts in 2 secs): user=<',
  '>, rip=',
  'IN=eth0 ',
  ' SRC=',
  ' DST=',
  ' PROTO=TCP',
  ' DPT=',
  '(?@',
  ') [WARNING] Authentication failed for user [',
  ']) - USER ',
  'Fri Nov 27 10:00:01 2026 [pid 1] [',
  '] FAIL LOGIN: Client "',
  '\u0000',
  '\ufffd',
  '\u001b[31m',
  ' ',
  '',
];

describe('never throws, never returns a malformed event', () => {
  for (const type of LOG_TYPES) {
    it(`type ${type}: recombined fragments of real lines`, () => {
      const parse = createLineParser({ type, now: () => NOW });
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 16 }), (parts) => {
          checkOutcome(parse(parts.join('')));
        }),
        { numRuns: 2000 },
      );
    });
  }

  it('arbitrary strings, including lone surrogates and control characters', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (line) => {
        checkOutcome(parse(line));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (tail) => {
        checkOutcome(parse(`Nov 27 10:00:01 web1 sshd[1]: ${tail}`));
        checkOutcome(parse(`192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "${tail}`));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('oversized and pathological lines', () => {
  it('cuts a 1 MB line at MAX_LINE_LENGTH, counts it, and still reads the event at its start', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    const line = `Nov 27 10:00:01 web1 sshd[1]: Invalid user ${'a'.repeat(1 << 20)}`;
    expect(parse(line)).toEqual({ ok: false, reason: 'unparsable' }); // the " from IP" part is beyond the cut
    const request = `192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "GET /${'x'.repeat(1 << 20)} HTTP/1.1" 200 1`;
    expect(parse(request).ok).toBe(false);
    expect(parse.stats.truncated).toBe(2);
    expect(parse.stats.unparsable).toBe(2);
    expect(parse.stats.samples.every((s) => s.length <= 256)).toBe(true);
  });

  it('keeps at most 8 KiB of a long request target', () => {
    const parse = createLineParser({ type: 'nginx', now: () => NOW });
    const r = parse(`192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "GET /${'x'.repeat(10_000)} HTTP/1.1" 414 1 "-" "-"`);
    expect(r.ok && r.event.path?.length).toBe(8 * 1024);
  });

  it.each([
    ['100k spaces', ' '.repeat(100_000)],
    ['100k a', 'a'.repeat(100_000)],
    ['sshd with 20k "from " tokens', `Nov 27 10:00:01 web1 sshd[1]: Invalid user ${'from '.repeat(20_000)}`],
    ['sshd with 20k " port " tokens', `Nov 27 10:00:01 web1 sshd[1]: Connection closed by ${' port 1'.repeat(20_000)}`],
    ['access log with 30k "["', `192.0.2.1 - ${'['.repeat(30_000)}`],
    ['access log with 30k escaped quotes', `192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "${'\\"'.repeat(30_000)}`],
    ['RFC 5424 with 10k structured-data elements', `<38>1 2026-11-27T10:00:01Z h a 1 - ${'[x k="v"]'.repeat(10_000)}`],
    ['100k NUL', '\u0000'.repeat(100_000)],
    ['100k "<"', '<'.repeat(100_000)],
    [
      'dovecot with 20k "rip="',
      `Nov 27 10:00:01 m dovecot: imap-login: Disconnected (auth failed, 1 attempts): ${'rip='.repeat(20_000)}`,
    ],
    ['kernel with 20k " SRC="', `Nov 27 10:00:01 fw kernel: IN=eth0 ${' SRC='.repeat(20_000)}`],
  ])('%s: returns an outcome', (_name, line) => {
    for (const type of LOG_TYPES) {
      const parse = createLineParser({ type, now: () => NOW });
      checkOutcome(parse(line));
    }
  });
});
