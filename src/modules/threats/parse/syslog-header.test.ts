import { describe, expect, it } from 'vitest';
import { createLineParser } from './index.ts';
import { readSyslogHeader } from './syslog-header.ts';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const iso = (t: number): string => new Date(t).toISOString();
const header = (line: string, now = NOW, timeZone?: string) => {
  const h = readSyslogHeader(line, { now: () => now, timeZone });
  return h === undefined ? undefined : { ...h, time: iso(h.time), msg: line.slice(h.msgStart) };
};

describe('readSyslogHeader: shapes', () => {
  it.each([
    [
      '<38>Nov 27 10:00:01 web1 sshd[1234]: msg here',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: 'sshd', pid: 1234, msg: 'msg here' },
    ],
    ['Nov  7 10:00:01 web1 sshd[1234]: x', { time: '2026-11-07T09:00:01.000Z', host: 'web1', app: 'sshd', pid: 1234, msg: 'x' }],
    [
      'Nov 27 10:00:01.123456 web1 kernel: x',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: 'kernel', pid: -1, msg: 'x' },
    ],
    [
      'Nov 27 10:00:01 mail postfix/submission/smtpd[99]: warning: x',
      { time: '2026-11-27T09:00:01.000Z', host: 'mail', app: 'postfix/submission/smtpd', pid: 99, msg: 'warning: x' },
    ],
    [
      'Nov 27 10:00:01 imap-login: Info: x',
      { time: '2026-11-27T09:00:01.000Z', host: undefined, app: 'imap-login', pid: -1, msg: 'Info: x' },
    ],
    ['Nov 27 10:00:01 sshd[7]: x', { time: '2026-11-27T09:00:01.000Z', host: undefined, app: 'sshd', pid: 7, msg: 'x' }],
    [
      '<38>1 2026-11-27T10:00:01.123+01:00 web1 sshd 1234 - - Failed x',
      { time: '2026-11-27T09:00:01.123Z', host: 'web1', app: 'sshd', pid: 1234, msg: 'Failed x' },
    ],
    [
      '<38>1 2026-11-27T09:00:01Z web1 sshd - ID47 [exampleSDID@32473 iut="3" eventSource="App\\"]x"][b@1 k="v"] \ufeffhello',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: 'sshd', pid: -1, msg: 'hello' },
    ],
    ['<165>1 2026-11-27T09:00:01.5Z - - - - -', { time: '2026-11-27T09:00:01.500Z', host: undefined, app: '', pid: -1, msg: '' }],
    [
      '2026-11-27T10:00:01.123456+01:00 web1 sshd[1234]: msg',
      { time: '2026-11-27T09:00:01.123Z', host: 'web1', app: 'sshd', pid: 1234, msg: 'msg' },
    ],
    [
      '2026-11-27T10:00:01+0100 web1 sshd-session[5]: msg',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: 'sshd-session', pid: 5, msg: 'msg' },
    ],
    [
      '2026-11-27T10:00:01 web1 sshd[5]: no zone: the configured one applies',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: 'sshd', pid: 5, msg: 'no zone: the configured one applies' },
    ],
    [
      // RFC 3164's tag is optional: a valid line of no program (the parsers then ignore it)
      'Nov 27 10:00:01 web1 last message repeated 3 times',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: '', pid: -1, msg: 'last message repeated 3 times' },
    ],
    [
      'Nov 27 10:00:01 web1 sshd[12x]: x',
      { time: '2026-11-27T09:00:01.000Z', host: 'web1', app: '', pid: -1, msg: 'sshd[12x]: x' },
    ],
    ['<191>Nov 27 10:00:01 h a: b', { time: '2026-11-27T09:00:01.000Z', host: 'h', app: 'a', pid: -1, msg: 'b' }],
  ])('%s', (line, expected) => {
    expect(header(line)).toEqual({ ...expected, msgStart: line.indexOf(expected.msg, line.length - expected.msg.length) });
  });

  it.each([
    '<999>Nov 27 10:00:01 web1 sshd[1]: x',
    '<192>Nov 27 10:00:01 web1 sshd[1]: x',
    '<>Nov 27 10:00:01 web1 sshd[1]: x',
    '<38 Nov 27 10:00:01 web1 sshd[1]: x',
    '<38>1 notadate web1 sshd 1 - - x',
    '<38>1 2026-13-01T00:00:00Z web1 sshd 1 - - x',
    '<38>1 2026-11-27T10:00:01Z web1 sshd 1 - [unterminated x',
    '<38>1 2026-11-27T10:00:01Z web1 sshd 1 - garbage x',
    'Feb 30 10:00:01 web1 sshd[1]: x',
    'Nov 27 25:00:01 web1 sshd[1]: x',
    'Nov 27 10:60:01 web1 sshd[1]: x',
    'Foo 27 10:00:01 web1 sshd[1]: x',
    'Nov 27 10:00:01',
    '2026-11-27T10:00:01+25:00 web1 sshd[1]: x',
    '',
  ])('rejects %j', (line) => {
    expect(readSyslogHeader(line, { now: () => NOW })).toBeUndefined();
  });
});

describe('RFC 3164 time: zone, DST, year', () => {
  // Europe/Copenhagen 2026: CET→CEST on Sunday 29 March at 01:00 UTC, CEST→CET on Sunday 25 October at 01:00 UTC.
  const times = (lines: string[], now = NOW, timeZone?: string): string[] => {
    const parse = createLineParser({ type: 'sshd', now: () => now, timeZone });
    return lines.map((l) => {
      const r = parse(`${l} web1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2`);
      return r.ok ? iso(r.event.time) : r.reason;
    });
  };

  it('converts across the spring-forward boundary; a skipped wall time is read with the old offset', () => {
    expect(times(['Mar 29 01:59:59', 'Mar 29 03:00:00', 'Mar 29 02:30:00'])).toEqual([
      '2026-03-29T00:59:59.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ]);
  });

  it('reads the repeated hour in October in order: first pass as summer time, second as winter time', () => {
    expect(
      times(['Oct 25 01:59:59', 'Oct 25 02:30:00', 'Oct 25 02:59:59', 'Oct 25 02:00:00', 'Oct 25 02:30:00', 'Oct 25 03:00:00']),
    ).toEqual([
      '2026-10-24T23:59:59.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T00:59:59.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('uses summer and winter offsets away from the boundary, and honours another zone', () => {
    expect(times(['Jul  1 12:00:00', 'Jan 15 12:00:00'])).toEqual(['2026-07-01T10:00:00.000Z', '2026-01-15T11:00:00.000Z']);
    expect(times(['Jul  1 12:00:00'], NOW, 'America/New_York')).toEqual(['2026-07-01T16:00:00.000Z']);
    expect(times(['Jul  1 12:00:00'], NOW, 'UTC')).toEqual(['2026-07-01T12:00:00.000Z']);
  });

  it('rolls over at New Year: the local year of now, or the year before for a date over a day ahead', () => {
    const justAfterNewYear = Date.parse('2027-01-01T00:30:00+01:00');
    expect(times(['Dec 31 23:59:59', 'Jan  1 00:29:00'], justAfterNewYear)).toEqual([
      '2026-12-31T22:59:59.000Z',
      '2026-12-31T23:29:00.000Z',
    ]);
    expect(times(['Dec 31 23:59:59'], Date.parse('2027-01-02T10:00:00Z'))).toEqual(['2026-12-31T22:59:59.000Z']);
    // Two days ahead of now is last year's date; Feb 29 in 2026 does not exist (nor in 2025).
    expect(times(['Nov 29 12:00:00', 'Feb 29 12:00:00'])).toEqual(['2025-11-29T11:00:00.000Z', 'unparsable']);
  });
});

describe('timestamps from the future', () => {
  it('are accepted, clamped to now + skew and counted', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    const lines = [
      '2030-01-01T00:00:00Z web1 sshd[1]: Invalid user a from 192.0.2.1 port 1',
      '<38>1 2026-11-27T12:04:59Z web1 sshd 1 - - Invalid user a from 192.0.2.1 port 1',
      'Nov 28 10:00:00 web1 sshd[1]: Invalid user a from 192.0.2.1 port 1', // within a day: this year, then clamped
      '192.0.2.1 - - [01/Jan/2030:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
    ];
    expect(
      lines.map((l) => {
        const r = parse(l);
        return r.ok ? iso(r.event.time) : r.reason;
      }),
    ).toEqual(['2026-11-27T12:05:00.000Z', '2026-11-27T12:04:59.000Z', '2026-11-27T12:05:00.000Z', '2026-11-27T12:05:00.000Z']);
    expect(parse.stats.future).toBe(3);
  });

  it('honours a configured skew', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW, futureSkewMs: 0 });
    const r = parse('<38>1 2026-11-27T12:00:01Z web1 sshd 1 - - Invalid user a from 192.0.2.1 port 1');
    expect(r.ok && iso(r.event.time)).toBe('2026-11-27T12:00:00.000Z');
    expect(parse.stats.future).toBe(1);
  });
});
