/**
 * nginx / Apache access logs in `combined` (`IP - user [27/Nov/2026:10:00:01 +0100] "GET /p HTTP/1.1" 404 153 "ref"
 * "UA"`), `common` (without referer and agent) and Apache's `vhost_combined` (`host:port IP - - […] …`), from a file or
 * inside a syslog message. Everything between the brackets and quotes is the client's: the remote user may hold `[`
 * (the timestamp is found by its fixed shape), quoted fields hold `\"` escapes (Apache) or `\x22` (nginx), and a
 * request that is not `METHOD target protocol` (TLS bytes sent to port 80, `-`) is kept as an event with no method
 * and no path: the status (400) still says what happened.
 */
import { isIpAt, readIp } from './ip-address.ts';
import type { LineTime } from './line-time.ts';
import { makeEvent, MAX_PATH_LENGTH, UNPARSABLE, type ServiceResult } from './make-event.ts';
import { monthAt, type TokenCache } from './syslog-header.ts';

const MAX_METHOD = 16;
const MAX_USER_AGENT = 1024;

const d = (line: string, i: number): number => {
  const c = line.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -10_000;
};

/** `[dd/Mon/yyyy:hh:mm:ss +zzzz]` starting at the `[` at `i`; the time or NaN. */
function readClfTime(line: string, i: number, time: LineTime): number {
  if (line.charCodeAt(i + 27) !== 93 || line.charCodeAt(i + 3) !== 47 || line.charCodeAt(i + 7) !== 47) {
    return Number.NaN;
  }
  if (line.charCodeAt(i + 12) !== 58 || line.charCodeAt(i + 21) !== 32) return Number.NaN;
  const day = d(line, i + 1) * 10 + d(line, i + 2);
  const month = monthAt(line, i + 4);
  const year = d(line, i + 8) * 1000 + d(line, i + 9) * 100 + d(line, i + 10) * 10 + d(line, i + 11);
  const h = d(line, i + 13) * 10 + d(line, i + 14);
  const mi = d(line, i + 16) * 10 + d(line, i + 17);
  const s = d(line, i + 19) * 10 + d(line, i + 20);
  const sign = line.charCodeAt(i + 22);
  const oh = d(line, i + 23) * 10 + d(line, i + 24);
  const om = d(line, i + 25) * 10 + d(line, i + 26);
  if (day < 0 || month === 0 || year < 0 || h < 0 || mi < 0 || s < 0 || oh < 0 || om < 0 || oh > 23 || om > 59) {
    return Number.NaN;
  }
  if (sign !== 43 && sign !== 45) return Number.NaN;
  const off = (oh * 60 + om) * 60_000;
  return time.fromOffset(year, month, day, h, mi, s, 0, sign === 43 ? off : -off);
}

/** Index of the closing quote of a quoted field whose content starts at `i` (backslash escapes skipped), or -1. */
function closingQuote(line: string, i: number, end: number): number {
  for (let p = i; p < end; p++) {
    const c = line.charCodeAt(p);
    if (c === 34) return p;
    if (c === 92) p++;
  }
  return -1;
}

/** True when `line[s, e)` is an HTTP method token (upper-case letters, `-`, `_`). */
function isMethod(line: string, s: number, e: number): boolean {
  if (e <= s || e - s > MAX_METHOD) return false;
  for (let p = s; p < e; p++) {
    const c = line.charCodeAt(p);
    if (!((c >= 65 && c <= 90) || c === 45 || c === 95)) return false;
  }
  return true;
}

/**
 * Parses an access-log line (or syslog message) `line[start, end)`. `parser` is `nginx` or `apache` (the format does
 * not tell them apart); a `host:port IP …` line is `vhost_combined`, names its virtual host and gets `vhostParser`. `timeOut.time` gets the
 * line's own timestamp (callers pass it through `LineTime.accept`).
 */
export function parseAccessLog(
  line: string,
  start: number,
  time: LineTime,
  parser: string,
  vhostParser: string,
  vhosts: TokenCache,
  timeOut: { time: number },
): ServiceResult {
  const end = line.length;
  const sp1 = line.indexOf(' ', start);
  if (sp1 === -1) return UNPARSABLE;
  let ip = readIp(line, start, sp1);
  let vhost: string | undefined;
  let p = sp1 + 1;
  if (ip === undefined) {
    // vhost_combined: "host:port IP …" (the port is optional in hand-made formats).
    const sp2 = line.indexOf(' ', p);
    if (sp2 === -1) return UNPARSABLE;
    ip = readIp(line, p, sp2);
    if (ip === undefined) return UNPARSABLE;
    const colon = line.lastIndexOf(':', sp1 - 1);
    const hostEnd = colon > start ? colon : sp1;
    vhost = vhosts.take(line, start, hostEnd);
    p = sp2 + 1;
  }
  // The timestamp: the first "[" whose 28 characters have its shape (the remote user before it may contain "[").
  let t = Number.NaN;
  let b = line.indexOf('[', p);
  while (b !== -1) {
    t = readClfTime(line, b, time);
    if (!Number.isNaN(t)) break;
    b = line.indexOf('[', b + 1);
  }
  if (b === -1) return UNPARSABLE;
  p = b + 28;
  if (line.charCodeAt(p) !== 32 || line.charCodeAt(p + 1) !== 34) return UNPARSABLE;
  const reqStart = p + 2;
  const reqEnd = closingQuote(line, reqStart, end);
  if (reqEnd === -1) return UNPARSABLE;
  // Status: three digits after the closing quote.
  p = reqEnd + 1;
  if (line.charCodeAt(p) !== 32) return UNPARSABLE;
  const status = d(line, p + 1) * 100 + d(line, p + 2) * 10 + d(line, p + 3);
  if (status < 100 || (p + 4 < end && line.charCodeAt(p + 4) !== 32)) return UNPARSABLE;
  p += 5;
  let method: string | undefined;
  let path: string | undefined;
  const m = line.indexOf(' ', reqStart);
  if (m !== -1 && m < reqEnd && isMethod(line, reqStart, m)) {
    let targetEnd = line.lastIndexOf(' ', reqEnd - 1);
    // "GET /x" (HTTP/0.9) has no protocol; "GET /a b HTTP/1.1" keeps "/a b".
    if (targetEnd <= m || !line.startsWith('HTTP/', targetEnd + 1)) targetEnd = reqEnd;
    if (targetEnd > m + 1) {
      method = line.slice(reqStart, m);
      path = line.slice(m + 1, Math.min(targetEnd, m + 1 + MAX_PATH_LENGTH));
    }
  }
  // Bytes, then the optional quoted referer and user agent.
  let userAgent: string | undefined;
  const refQuote = line.indexOf('"', p);
  if (refQuote !== -1) {
    const refEnd = closingQuote(line, refQuote + 1, end);
    if (refEnd !== -1 && line.charCodeAt(refEnd + 1) === 32 && line.charCodeAt(refEnd + 2) === 34) {
      const uaEnd = closingQuote(line, refEnd + 3, end);
      if (uaEnd !== -1) userAgent = line.slice(refEnd + 3, Math.min(uaEnd, refEnd + 3 + MAX_USER_AGENT));
    }
  }
  timeOut.time = t;
  const event = makeEvent(line, t, ip, 'http', 'request', vhost === undefined ? parser : vhostParser, undefined);
  event.host = vhost;
  event.method = method;
  event.path = path;
  event.status = status;
  event.userAgent = userAgent;
  return event;
}

/** True when the line starts like an access log (an IP, or `host:port IP`) — used by `auto` detection. */
export function looksLikeAccessLog(line: string): boolean {
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0 || sp1 > 300) return false;
  if (isIpAt(line, 0, sp1)) return true;
  const sp2 = line.indexOf(' ', sp1 + 1);
  return sp2 !== -1 && isIpAt(line, sp1 + 1, sp2);
}
