import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LogType, ParseOutcome } from '../events.ts';
import { createLineParser } from './index.ts';

/**
 * Each sample log in fixtures/ is parsed line by line; every line's outcome is asserted: its reason, or the event's
 * exact fields (all defined fields except `line`, which is always the input line; time as ISO text).
 */
const NOW = Date.parse('2026-11-27T12:00:00Z');

type Expected = 'ignored' | 'unparsable' | Record<string, string | number>;

function summary(outcome: ParseOutcome, line: string): Expected {
  if (!outcome.ok) return outcome.reason;
  const { line: evLine, time, ...rest } = outcome.event;
  expect(evLine).toBe(line);
  const out: Record<string, string | number> = { at: new Date(time).toISOString() };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) out[k] = v as string | number;
  return out;
}

function run(file: string, type: LogType): Expected[] {
  const lines = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parse = createLineParser({ type, now: () => NOW });
  return lines.map((line) => summary(parse(line), line));
}

const ssh = (at: string, kind: string, ip: string, user?: string): Record<string, string> => ({
  at: `2026-11-27T09:${at}Z`,
  ip,
  service: 'ssh',
  kind,
  parser: 'sshd',
  host: 'web1',
  ...(user === undefined ? {} : { user }),
});

describe('fixtures/sshd.log', () => {
  const expected: Expected[] = [
    ssh('00:01.000', 'invalid_user', '203.0.113.7', 'admin'),
    'ignored', // pam "check pass; user unknown"
    'ignored', // pam authentication failure: duplicates the "Failed password" line below
    ssh('00:05.000', 'auth_failed', '203.0.113.7', 'admin'),
    ssh('00:06.000', 'preauth_close', '203.0.113.7', 'admin'),
    ssh('00:07.000', 'invalid_user', '203.0.113.8', 'admin test'),
    ssh('00:07.000', 'preauth_close', '203.0.113.8', 'admin test'), // "Failed none": a method probe, not a guess
    'ignored', // pam, as above
    ssh('00:10.000', 'auth_failed', '198.51.100.23', 'root'),
    ssh('00:12.000', 'preauth_close', '198.51.100.23', 'root'),
    'ignored', // "Disconnecting … Too many authentication failures" repeats the line above
    ssh('00:13.000', 'preauth_close', '198.51.100.24'),
    ssh('00:13.000', 'preauth_close', '198.51.100.24', 'root'),
    'ignored', // kex_exchange_identification names no address…
    ssh('00:14.000', 'preauth_close', '192.0.2.44'), // …the listener's next line does, without [preauth]
    ssh('00:15.000', 'preauth_close', '192.0.2.45'),
    ssh('00:16.000', 'preauth_close', '192.0.2.46'),
    ssh('00:17.000', 'preauth_close', '192.0.2.47'),
    ssh('00:18.000', 'preauth_close', '192.0.2.48'),
    ssh('00:19.000', 'preauth_close', '192.0.2.49'), // the forged "from 6.6.6.6" inside the quotes is not taken
    ssh('00:20.000', 'auth_success', '2001:db8:10::5', 'deploy'),
    'ignored',
    ssh('00:21.000', 'auth_success', '10.1.2.3', 'alice'),
    'ignored', // a session the user ended
    'ignored',
    ssh('05:22.000', 'auth_failed', '203.0.113.9', 'git'),
    ssh('05:23.000', 'invalid_user', '203.0.113.10', 'x from 6.6.6.6 port 1'),
    ssh('05:24.000', 'preauth_close', '203.0.113.11', 'oracle'),
    'ignored',
    'ignored', // CRON
    ssh('05:27.000', 'invalid_user', '203.0.113.13', ''),
    'unparsable', // 999.1.2.3 is not an address
  ];
  it('gives the documented event (or reason) for every line', () => {
    expect(run('sshd.log', 'auto')).toEqual(expected);
  });
  it('reads the same with the fixed sshd type', () => {
    expect(run('sshd.log', 'sshd')).toEqual(expected);
  });
});

const http = (at: string, ip: string, fields: Record<string, string | number>): Record<string, string | number> => ({
  at: `2026-11-27T${at}Z`,
  ip,
  service: 'http',
  kind: 'request',
  parser: 'nginx',
  ...fields,
});

describe('fixtures/nginx.log', () => {
  const expected: Expected[] = [
    http('09:00:01.000', '203.0.113.7', {
      method: 'POST',
      path: '/wp-login.php',
      status: 200,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
    }),
    http('09:00:02.000', '203.0.113.7', { method: 'POST', path: '/xmlrpc.php', status: 200, userAgent: 'Mozilla/5.0' }),
    http('09:00:03.000', '198.51.100.5', { method: 'GET', path: '/admin/?q=%22x%22', status: 401, userAgent: 'curl/8.5.0' }),
    http('09:00:04.000', '2001:db8::7', { method: 'GET', path: '/.env', status: 404, userAgent: 'python-requests/2.32.3' }),
    http('09:00:05.000', '192.0.2.10', { status: 400, userAgent: '-' }), // TLS bytes on the plain port
    http('09:00:06.000', '192.0.2.11', { status: 400, userAgent: '-' }),
    http('09:00:07.000', '192.0.2.12', {
      method: 'GET',
      path: '/',
      status: 200,
      userAgent: 'Mozilla/5.0 \\x22quoted\\x22',
    }),
    http('11:00:08.000', '192.0.2.13', { method: 'HEAD', path: '/', status: 200, userAgent: '-' }),
    http('09:00:09.000', '192.0.2.14', { method: 'GET', path: '/index.html', status: 304 }), // common format
    'unparsable',
  ];
  it('gives the documented event (or reason) for every line', () => {
    expect(run('nginx.log', 'auto')).toEqual(expected);
  });
  it('reads the same with the fixed nginx type', () => {
    expect(run('nginx.log', 'nginx')).toEqual(expected);
  });
});

describe('fixtures/apache-vhost.log', () => {
  it('reads vhost_combined: virtual host, IPv6 client, escaped quotes', () => {
    expect(run('apache-vhost.log', 'auto')).toEqual([
      http('09:00:01.000', '203.0.113.7', {
        parser: 'apache',
        host: 'example.com',
        method: 'POST',
        path: '/wp-login.php',
        status: 200,
        userAgent: 'Mozilla/5.0',
      }),
      http('09:00:02.000', '2001:db8::8', {
        parser: 'apache',
        host: 'shop.example',
        method: 'GET',
        path: '/search?q=\\"x\\"',
        status: 200,
        userAgent: 'Agent \\"with\\" quotes',
      }),
      http('09:00:03.000', '198.51.100.9', {
        parser: 'apache',
        host: 'blog.example',
        method: 'POST',
        path: '/xmlrpc.php',
        status: 405,
        userAgent: '-',
      }),
    ]);
  });
});

const ev = (
  at: string,
  ip: string,
  service: string,
  kind: string,
  parser: string,
  host: string | undefined,
  user?: string,
): Record<string, string> => ({
  at: `2026-11-27T09:00:${at}.000Z`,
  ip,
  service,
  kind,
  parser,
  ...(host === undefined ? {} : { host }),
  ...(user === undefined ? {} : { user }),
});

describe('fixtures/mail.log', () => {
  it('reads Postfix SASL and Dovecot login lines', () => {
    expect(run('mail.log', 'auto')).toEqual([
      'ignored',
      ev('02', '203.0.113.20', 'smtp', 'auth_failed', 'postfix', 'mx1'),
      ev('03', '198.51.100.30', 'smtp', 'auth_failed', 'postfix', 'mx1', 'info@example.com'),
      ev('04', '192.0.2.31', 'smtp', 'auth_success', 'postfix', 'mx1', 'alice@example.com'),
      'ignored', // a client without SASL
      ev('06', '203.0.113.21', 'imap', 'auth_failed', 'dovecot', 'mx1', 'bob'),
      ev('07', '2001:db8::21', 'pop3', 'auth_failed', 'dovecot', 'mx1', 'admin'),
      ev('08', '192.0.2.33', 'imap', 'auth_success', 'dovecot', 'mx1', 'carol'),
      'ignored', // the PAM line repeats the login process's failure
      ev('10', '203.0.113.22', 'imap', 'auth_failed', 'dovecot', 'mx1', 'x>, rip=6.6.6.6'),
      'ignored', // no auth attempt
      ev('12', '203.0.113.24', 'imap', 'auth_failed', 'dovecot', undefined, 'dave'), // Dovecot's own log file
    ]);
  });
  it('a fixed type reads its own family only', () => {
    const kinds = (type: LogType): string[] =>
      run('mail.log', type).map((e) => (typeof e === 'string' ? e : String(e['parser'])));
    expect(kinds('postfix').filter((k) => k === 'postfix')).toHaveLength(3);
    expect(kinds('postfix')).not.toContain('dovecot');
    expect(kinds('dovecot').filter((k) => k === 'dovecot')).toHaveLength(5);
  });
});

describe('fixtures/ftp.log and vsftpd.log', () => {
  it('reads pure-ftpd, proftpd and vsftpd via syslog', () => {
    expect(run('ftp.log', 'auto')).toEqual([
      'ignored',
      ev('02', '203.0.113.40', 'ftp', 'auth_failed', 'pure-ftpd', 'ftp1', 'admin'),
      ev('03', '192.0.2.41', 'ftp', 'auth_success', 'pure-ftpd', 'ftp1', 'alice'),
      ev('04', '203.0.113.42', 'ftp', 'invalid_user', 'proftpd', 'ftp1', 'nobody'),
      ev('05', '198.51.100.43', 'ftp', 'auth_failed', 'proftpd', 'ftp1', 'bob'),
      ev('06', '192.0.2.44', 'ftp', 'auth_success', 'proftpd', 'ftp1', 'carol'),
      ev('07', '203.0.113.45', 'ftp', 'auth_failed', 'vsftpd', 'ftp1', 'bob'),
    ]);
    expect(run('ftp.log', 'ftp')).toEqual(run('ftp.log', 'auto'));
  });
  it("reads vsftpd.log's own format (local time, space-padded day, mapped IPv4)", () => {
    const expected = [
      'ignored',
      ev('03', '203.0.113.50', 'ftp', 'auth_failed', 'vsftpd', undefined, 'admin'),
      { ...ev('04', '192.0.2.51', 'ftp', 'auth_success', 'vsftpd', undefined, 'alice'), at: '2026-11-06T09:00:04.000Z' },
      ev('05', '2001:db8::52', 'ftp', 'auth_failed', 'vsftpd', undefined, 'a] b'),
    ];
    expect(run('vsftpd.log', 'auto')).toEqual(expected);
    expect(run('vsftpd.log', 'ftp')).toEqual(expected);
  });
});

describe('fixtures/firewall.log', () => {
  const fw = (at: string, ip: string, extra: Record<string, string | number>): Record<string, string | number> => ({
    ...ev(at, ip, 'firewall', 'drop', 'nftables', 'fw1'),
    ...extra,
  });
  it('reads nftables/iptables LOG lines, IPv4 and IPv6, and ignores other kernel lines', () => {
    const expected = [
      fw('01', '203.0.113.60', { dst: '192.0.2.1', proto: 'TCP', dstPort: 22 }),
      fw('02', '2001:db8::61', { dst: '2001:db8::1', proto: 'UDP', dstPort: 161 }),
      fw('03', '198.51.100.62', { dst: '192.0.2.1', proto: 'ICMP' }),
      'ignored',
      { ...fw('05', '203.0.113.63', { dst: '192.0.2.1', proto: 'TCP', dstPort: 3389 }), at: '2026-11-27T09:00:05.123Z' },
    ];
    expect(run('firewall.log', 'auto')).toEqual(expected);
    expect(run('firewall.log', 'nftables')).toEqual(expected);
  });
});
