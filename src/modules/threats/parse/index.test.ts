import { describe, expect, it } from 'vitest';
import { createLineParser } from './index.ts';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const H = 'Nov 27 10:00:01 web1 sshd[1]: ';

/** kind / ip / user of one line, or its reason. */
function brief(line: string, type: 'auto' | 'sshd' = 'auto'): string {
  const r = createLineParser({ type, now: () => NOW })(line);
  if (!r.ok) return r.reason;
  return [r.event.kind, r.event.ip, r.event.user].filter((x) => x !== undefined).join(' | ');
}

describe('sshd: tricky lines', () => {
  it.each([
    [
      `${H}Failed password for invalid user invalid user x from 192.0.2.1 port 22 ssh2`,
      'auth_failed | 192.0.2.1 | invalid user x',
    ],
    [`${H}Failed password for invalid user  from 192.0.2.1 port 22 ssh2`, 'auth_failed | 192.0.2.1 | '],
    [`${H}Invalid user bob from 192.0.2.1`, 'invalid_user | 192.0.2.1 | bob'], // OpenSSH < 7.5: no port
    [`${H}Invalid user a\u0000b\u001bc from 192.0.2.1 port 22`, 'invalid_user | 192.0.2.1 | a\u0000b\u001bc'],
    [`${H}Connection closed by user alice 192.0.2.1 port 22`, 'ignored'], // a logged-in session ending
    [`${H}Connection reset by authenticating user root 192.0.2.1 port 22 [preauth]`, 'preauth_close | 192.0.2.1 | root'],
    [
      `${H}Connection closed by invalid user a 6.6.6.6 port 1 192.0.2.1 port 22 [preauth]`,
      'preauth_close | 192.0.2.1 | a 6.6.6.6 port 1',
    ],
    [`${H}Connection closed by 2001:db8::1 port 22 [preauth]`, 'preauth_close | 2001:db8::1'],
    [`${H}Connection closed by something 192.0.2.1 port 22 [preauth]`, 'unparsable'],
    [`${H}Disconnected from invalid user x 192.0.2.1 port 22 [preauth]`, 'preauth_close | 192.0.2.1 | x'],
    [`${H}Received disconnect from 192.0.2.1 port 22:11: from 6.6.6.6 port 1 [preauth]`, 'preauth_close | 192.0.2.1'],
    [
      `${H}error: maximum authentication attempts exceeded for invalid user x from 192.0.2.1 port 22 ssh2 [preauth]`,
      'preauth_close | 192.0.2.1 | x',
    ],
    [`${H}error: kex_exchange_identification: read: Connection reset by peer`, 'ignored'],
    [`${H}Failed password for root from host.example port 22 ssh2`, 'unparsable'],
    [`${H}message repeated 3 times: [ Failed password for root from 192.0.2.1 port 22 ssh2]`, 'auth_failed | 192.0.2.1 | root'],
    [`${H}message repeated 2 times: [ Connection closed by 192.0.2.1 port 22 [preauth]]`, 'preauth_close | 192.0.2.1'],
    [`${H}fatal: Timeout before authentication for 192.0.2.1 port 22`, 'preauth_close | 192.0.2.1'],
    [`${H}Disconnected from invalid user x 192.0.2.1 port 22 [preauth]\r`, 'preauth_close | 192.0.2.1 | x'],
    [`${H}Postponed publickey for deploy from 192.0.2.1 port 22 ssh2 [preauth]`, 'ignored'],
    [
      `<38>1 2026-11-27T10:00:01Z web1 sshd-session 1 - - Failed password for root from 192.0.2.1 port 22 ssh2`,
      'auth_failed | 192.0.2.1 | root',
    ],
  ])('%s → %s', (line, expected) => {
    expect(brief(line)).toBe(expected);
  });
});

describe('createLineParser', () => {
  it('counts parsed, ignored, unparsable and truncated lines and samples the unparsable ones', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    parse(`${H}Invalid user a from 192.0.2.1 port 1`);
    parse('Nov 27 10:00:01 web1 CRON[2]: (root) CMD (true)');
    parse('\u0000\u0001 binary garbage');
    parse(`${H}Invalid user ${'a'.repeat(20_000)}`);
    expect({ ...parse.stats, samples: undefined }).toEqual({
      parsed: 1,
      ignored: 1,
      unparsable: 2,
      truncated: 1,
      future: 0,
      samples: undefined,
    });
    expect(parse.stats.samples).toEqual(['\u0000\u0001 binary garbage', `${H}Invalid user ${'a'.repeat(256 - H.length - 13)}`]);
  });

  it('keeps only the last 16 samples', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    for (let i = 0; i < 40; i++) parse(`bad ${i}`);
    expect(parse.stats.samples).toHaveLength(16);
    expect(parse.stats.samples).toContain('bad 39');
    expect(parse.stats.samples).not.toContain('bad 23');
  });

  it('reads access-log lines carried by syslog: the log line gives time, syslog gives the host', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    const r = parse(
      '<190>Nov 27 14:00:05 web2 nginx: 203.0.113.7 - - [27/Nov/2026:10:00:01 +0100] "POST /xmlrpc.php HTTP/1.1" 200 403 "-" "x"',
    );
    expect(r.ok && { ...r.event, line: undefined }).toEqual({
      time: Date.parse('2026-11-27T09:00:01Z'),
      ip: '203.0.113.7',
      service: 'http',
      kind: 'request',
      parser: 'nginx',
      host: 'web2',
      method: 'POST',
      path: '/xmlrpc.php',
      status: 200,
      userAgent: 'x',
    });
    expect(parse.stats.future).toBe(0); // the relay's clock (an hour ahead here) does not count
    const apache = parse(
      'Nov 27 10:00:05 web2 apache2: a.example:80 203.0.113.7 - - [27/Nov/2026:10:00:01 +0100] "GET / HTTP/1.1" 200 1',
    );
    expect(apache.ok && [apache.event.parser, apache.event.host]).toEqual(['apache', 'a.example']);
  });

  it('a fixed type ignores other programs and reads only its own format', () => {
    const sshd = createLineParser({ type: 'sshd', now: () => NOW });
    expect(sshd('Nov 27 10:00:01 mx postfix/smtpd[1]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: x')).toEqual(
      {
        ok: false,
        reason: 'ignored',
      },
    );
    expect(sshd('192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "GET / HTTP/1.1" 200 1').ok).toBe(false);
    const apache = createLineParser({ type: 'apache', now: () => NOW });
    const r = apache('192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "GET / HTTP/1.1" 200 1');
    expect(r.ok && r.event.parser).toBe('apache');
  });

  it('gives every event the same set of keys (one object shape for the stages after parsing)', () => {
    const parse = createLineParser({ type: 'auto', now: () => NOW });
    const a = parse(`${H}Invalid user a from 192.0.2.1 port 1`);
    const b = parse('192.0.2.1 - - [27/Nov/2026:10:00:01 +0100] "GET / HTTP/1.1" 200 1');
    expect(a.ok && b.ok && Object.keys(a.event)).toEqual(b.ok && Object.keys(b.event));
  });

  it('rejects an unknown time zone when created, not per line', () => {
    expect(() => createLineParser({ type: 'auto', timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});
