import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_LENGTH } from './events.ts';
import { createReplay } from './replay.ts';

/** Real lines of every family, to mutate: the fuzzer starts near valid input, where parsers branch most. */
const SEEDS = [
  'Nov 27 10:00:01 web1 sshd[1234]: Failed password for invalid user admin from 203.0.113.7 port 4242 ssh2',
  '<38>1 2026-11-27T10:00:01.123+01:00 web1 sshd 1234 - - Accepted publickey for bob from 2001:db8::7 port 22 ssh2',
  '203.0.113.9 - - [27/Nov/2026:10:00:01 +0100] "GET /.env HTTP/1.1" 404 153 "-" "sqlmap/1.7.2#stable"',
  'www.example.org:443 198.51.100.3 - - [27/Nov/2026:10:00:01 +0100] "POST /wp-login.php HTTP/1.1" 200 12 "-" "Mozilla/5.0"',
  'Nov 27 10:00:01 mx1 postfix/smtpd[99]: warning: unknown[192.0.2.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
  'Nov 27 10:00:01 mx1 dovecot: imap-login: Disconnected (auth failed, 3 attempts in 15 secs): user=<bob>, method=PLAIN, rip=192.0.2.6, lip=10.0.0.1',
  'Nov 27 10:00:01 fw1 kernel: [12345.678] DROP IN=eth0 OUT= SRC=192.0.2.8 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=5555 DPT=22',
  'Thu Nov 27 10:00:01 2026 [pid 123] [ftpuser] FAIL LOGIN: Client "192.0.2.9"',
];

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 6 }),
  )
  .map(([seed, edits]) => {
    let s = seed;
    for (const [at, del, ins] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + ins + s.slice(i + del);
    }
    return s;
  });

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2000 }),
  fc.string({ unit: 'grapheme', maxLength: 500 }),
  mutated,
  fc.constantFrom(
    'a'.repeat(1_000_000),
    `${'%'.repeat(50_000)}"`,
    `<38>1 ${'9'.repeat(10_000)}`,
    `Nov 27 10:00:01 web1 sshd[1]: Failed password for ${' from'.repeat(20_000)} 1.2.3.4 port 1 ssh2`,
    '1.2.3.4 - - [27/Nov/2026:10:00:01 +0100] "GET /' +
      '../'.repeat(30_000) +
      ' HTTP/1.1" 400 0 "-" "' +
      '('.repeat(10_000) +
      '"',
    '<999>Nov 27 99:99:99 \u0000\u0000 sshd[x]: \uFFFD\uFFFD',
    '<38>1 2099-01-01T00:00:00Z web1 sshd 1 - - Failed password for root from 203.0.113.7 port 1 ssh2',
  ),
);

describe('the whole pipeline under hostile input (parse, intel, every built-in scenario)', () => {
  it('never throws, counts every line, and keeps working for valid lines afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostile, { maxLength: 30 }), async (lines) => {
        const r = createReplay({ now: () => Date.parse('2026-11-28T00:00:00Z') });
        for (const l of lines) r.process(l);
        for (let i = 0; i < 20; i++)
          r.process(
            `<38>1 2026-11-27T10:00:${String(i).padStart(2, '0')}Z web1 sshd 1 - - Failed password for root from 203.0.113.77 port 1 ssh2`,
          );
        const res = await r.finish();
        expect(res.stats.lines).toBe(lines.length + 20);
        expect(res.decisions.map((d) => d.value)).toContain('203.0.113.77');
      }),
      { numRuns: 150 },
    );
  });

  it('cuts a 1 MB line at the documented limit and still reads the address at its start', async () => {
    const r = createReplay({ now: () => Date.parse('2026-11-28T00:00:00Z') });
    const long = `<38>1 2026-11-27T10:00:00Z web1 sshd 1 - - Failed password for root from 203.0.113.78 port 1 ssh2 ${'x'.repeat(1_000_000)}`;
    for (let i = 0; i < 20; i++) r.process(long);
    const res = await r.finish();
    expect(res.stats.lines).toBe(20);
    expect(res.alerts[0]?.samples[0]?.length).toBeLessThanOrEqual(MAX_LINE_LENGTH);
  });

  it('never lets a timestamp from the future move the windows ahead of now', async () => {
    const now = Date.parse('2026-11-28T00:00:00Z');
    const r = createReplay({ now: () => now });
    r.process('<38>1 2099-01-01T00:00:00Z web1 sshd 1 - - Failed password for root from 203.0.113.79 port 1 ssh2');
    const res = await r.finish();
    expect(res.stats.lastEventAt).toBeLessThanOrEqual(now + 10 * 60_000);
  });
});
