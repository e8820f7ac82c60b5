/**
 * FTP servers' login lines → service `ftp`:
 * - pure-ftpd: `(?@IP) [WARNING] Authentication failed for user [USER]` (`auth_failed`),
 *   `(?@IP) [INFO] USER is now logged in` (`auth_success`);
 * - proftpd: `server (client[IP]) - USER bob: no such user found from …` (`invalid_user`),
 *   `… - USER bob (Login failed): Incorrect password` (`auth_failed`), `… - USER bob: Login successful.` (success);
 * - vsftpd, via syslog or its own `vsftpd.log` (`Thu Nov 27 10:00:01 2026 [pid 123] …`, see `readVsftpdTimestamp`):
 *   `[pid 123] [bob] FAIL LOGIN: Client "IP"` (`auth_failed`), `… OK LOGIN: Client "IP"` (`auth_success`).
 * User names are the client's: each is delimited by the server text that follows it, searched from the right.
 */
import { readIp } from './ip-address.ts';
import type { LineTime } from './line-time.ts';
import { IGNORED, makeEvent, UNPARSABLE, type ServiceResult } from './make-event.ts';
import { monthAt } from './syslog-header.ts';

export function parsePureFtpd(line: string, start: number, time: number): ServiceResult {
  if (line.charCodeAt(start) !== 40) return IGNORED;
  const close = line.indexOf(') [', start);
  if (close === -1) return IGNORED;
  const at = line.lastIndexOf('@', close);
  if (at < start) return UNPARSABLE;
  const ip = readIp(line, at + 1, close);
  if (ip === undefined) return UNPARSABLE;
  const tag = close + 2;
  const failed = line.indexOf('] Authentication failed for user [', tag);
  if (failed !== -1 && failed - tag < 10) {
    const u = failed + 34;
    const e = line.lastIndexOf(']');
    return makeEvent(line, time, ip, 'ftp', 'auth_failed', 'pure-ftpd', e >= u ? line.slice(u, e) : '');
  }
  if (line.endsWith(' is now logged in') && line.startsWith('[INFO] ', tag)) {
    const u = tag + 7;
    const e = line.length - 17;
    return makeEvent(line, time, ip, 'ftp', 'auth_success', 'pure-ftpd', e >= u ? line.slice(u, e) : '');
  }
  return IGNORED;
}

export function parseProftpd(line: string, start: number, time: number): ServiceResult {
  const mark = line.indexOf(']) - ', start);
  if (mark === -1) return IGNORED;
  const open = line.lastIndexOf('[', mark);
  if (open < start) return UNPARSABLE;
  const ip = readIp(line, open + 1, mark);
  if (ip === undefined) return UNPARSABLE;
  const u = mark + 5;
  if (!line.startsWith('USER ', u)) return IGNORED;
  let e = line.lastIndexOf(': no such user found from ');
  if (e > u) return makeEvent(line, time, ip, 'ftp', 'invalid_user', 'proftpd', line.slice(u + 5, e));
  e = line.lastIndexOf(' (Login failed)');
  if (e > u) return makeEvent(line, time, ip, 'ftp', 'auth_failed', 'proftpd', line.slice(u + 5, e));
  if (line.endsWith(': Login successful.')) {
    e = line.length - 19;
    return makeEvent(line, time, ip, 'ftp', 'auth_success', 'proftpd', e > u + 5 ? line.slice(u + 5, e) : '');
  }
  return IGNORED;
}

/** vsftpd message at `start` (after the syslog tag, or after the timestamp of its own log file). */
export function parseVsftpd(line: string, start: number, time: number): ServiceResult {
  let s = start;
  if (line.startsWith('[pid ', s)) {
    const e = line.indexOf('] ', s);
    if (e === -1 || e - s > 20) return IGNORED;
    s = e + 2;
  }
  const client = line.lastIndexOf(' LOGIN: Client "');
  if (client < s) return IGNORED;
  let kind: 'auth_failed' | 'auth_success';
  let userEnd: number;
  if (line.startsWith('FAIL', client - 4)) {
    kind = 'auth_failed';
    userEnd = client - 6;
  } else if (line.startsWith('OK', client - 2)) {
    kind = 'auth_success';
    userEnd = client - 4;
  } else return IGNORED;
  const q = client + 16;
  const qEnd = line.indexOf('"', q);
  if (qEnd === -1) return UNPARSABLE;
  const ip = readIp(line, q, qEnd);
  if (ip === undefined) return UNPARSABLE;
  // "[bob] FAIL": the user sits between the first "[" and the "]" right before the verdict.
  let user: string | undefined;
  if (line.charCodeAt(s) === 91 && line.charCodeAt(userEnd) === 93 && userEnd > s) user = line.slice(s + 1, userEnd);
  return makeEvent(line, time, ip, 'ftp', kind, 'vsftpd', user);
}

const dg = (line: string, i: number): number => {
  const c = line.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -10_000;
};

/**
 * vsftpd.log's own timestamp `Thu Nov 27 10:00:01 2026 ` (day space-padded) at the line start, in the parser's zone.
 * Returns the time, or NaN when the line does not start with one.
 */
export function readVsftpdTimestamp(line: string, time: LineTime): number {
  if (line.charCodeAt(3) !== 32 || line.charCodeAt(7) !== 32 || line.charCodeAt(24) !== 32) return Number.NaN;
  const month = monthAt(line, 4);
  const day = line.charCodeAt(8) === 32 ? dg(line, 9) : dg(line, 8) * 10 + dg(line, 9);
  if (month === 0 || line.charCodeAt(10) !== 32 || line.charCodeAt(13) !== 58 || line.charCodeAt(16) !== 58) {
    return Number.NaN;
  }
  const h = dg(line, 11) * 10 + dg(line, 12);
  const mi = dg(line, 14) * 10 + dg(line, 15);
  const s = dg(line, 17) * 10 + dg(line, 18);
  const y = dg(line, 20) * 1000 + dg(line, 21) * 100 + dg(line, 22) * 10 + dg(line, 23);
  if (day < 1 || h < 0 || mi < 0 || s < 0 || y < 0 || line.charCodeAt(19) !== 32) return Number.NaN;
  return time.fromLocal(y, month, day, h, mi, s, 0);
}
