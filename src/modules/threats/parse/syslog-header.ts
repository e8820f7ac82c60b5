/**
 * The header of a syslog line, in the shapes found in files and on the wire:
 * - RFC 3164, with or without `<PRI>`: `<38>Nov 27 10:00:01 web1 sshd[1234]: msg` (day space-padded: `Nov  7`);
 *   the host may be missing (`Nov 27 10:00:01 imap-login: …`, Dovecot's own log file);
 * - RFC 5424: `<38>1 2026-11-27T10:00:01.123+01:00 web1 sshd 1234 - - msg`, structured data `[id k="v"]` or `-`;
 * - ISO 8601 "high precision" (rsyslog `RSYSLOG_FileFormat`, `journalctl -o short-iso`):
 *   `2026-11-27T10:00:01.123456+01:00 web1 sshd[1234]: msg`, offset `Z`, `±hh:mm`, `±hhmm` or none (zone applies).
 * Scanning is by index; host and app names are cached so a run of lines from the same source allocates nothing.
 * A header that does not validate (`<999>`, a bad date) fails the whole line: it is counted as unparsable.
 */
import { createLineTime, type LineTime, type LineTimeOptions } from './line-time.ts';

/** The header fields; `msgStart` indexes the first character of the message in the line. */
export interface SyslogHeader {
  /** Event time, epoch ms UTC (already year-resolved and clamped, see line-time.ts). */
  time: number;
  /** The HOSTNAME field; undefined when the line has none or it is `-`. */
  host: string | undefined;
  /** The tag / APP-NAME (`sshd`, `postfix/smtpd`, `kernel`); empty when absent. */
  app: string;
  /** The PID (`sshd[1234]`, RFC 5424 PROCID); -1 when absent or not a number. */
  pid: number;
  msgStart: number;
}

const MAX_TOKEN = 255; // RFC 5424 HOSTNAME limit; longer tokens are not a header

/** Returns a cached copy of `line[start, end)` when it equals the last one seen, else a new substring. */
export class TokenCache {
  #last = '';
  take(line: string, start: number, end: number): string {
    const last = this.#last;
    if (last.length === end - start && line.startsWith(last, start)) return last;
    return (this.#last = line.slice(start, end));
  }
}

/** The per-parser state header parsing needs: the time context and the name caches. */
export interface HeaderState {
  time: LineTime;
  hosts: TokenCache;
  apps: TokenCache;
}

export function createHeaderState(time: LineTime): HeaderState {
  return { time, hosts: new TokenCache(), apps: new TokenCache() };
}

/** An empty header object to reuse across lines. */
export function emptyHeader(): SyslogHeader {
  return { time: 0, host: undefined, app: '', pid: -1, msgStart: 0 };
}

const digit = (line: string, i: number): number => {
  const c = line.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -100; // -100 poisons any sum so one range check catches it
};
const two = (line: string, i: number): number => digit(line, i) * 10 + digit(line, i + 1);

/** Month 1–12 from a three-letter English abbreviation at `i`, else 0. */
export function monthAt(line: string, i: number): number {
  const a = line.charCodeAt(i);
  const b = line.charCodeAt(i + 1);
  const c = line.charCodeAt(i + 2);
  switch (a) {
    case 74: // J
      if (b === 97 && c === 110) return 1; // an
      if (b === 117) return c === 110 ? 6 : c === 108 ? 7 : 0; // un, ul
      return 0;
    case 70: // F
      return b === 101 && c === 98 ? 2 : 0;
    case 77: // M
      return b === 97 ? (c === 114 ? 3 : c === 121 ? 5 : 0) : 0; // ar, ay
    case 65: // A
      if (b === 112 && c === 114) return 4; // pr
      return b === 117 && c === 103 ? 8 : 0; // ug
    case 83: // S
      return b === 101 && c === 112 ? 9 : 0;
    case 79: // O
      return b === 99 && c === 116 ? 10 : 0;
    case 78: // N
      return b === 111 && c === 118 ? 11 : 0;
    case 68: // D
      return b === 101 && c === 99 ? 12 : 0;
    default:
      return 0;
  }
}

/**
 * Reads `Mmm dd hh:mm:ss` (RFC 3164; day space- or zero-padded) at `i`; returns the UTC time or NaN. A fraction of a
 * second (`.123`, some rsyslog templates) is not read here: the caller checks what follows.
 */
export function readBsdTimestamp(line: string, i: number, time: LineTime): number {
  const month = monthAt(line, i);
  if (month === 0 || line.charCodeAt(i + 3) !== 32) return Number.NaN;
  const d0 = line.charCodeAt(i + 4);
  const day = d0 === 32 ? digit(line, i + 5) : two(line, i + 4);
  if (line.charCodeAt(i + 6) !== 32 || line.charCodeAt(i + 9) !== 58 || line.charCodeAt(i + 12) !== 58) {
    return Number.NaN;
  }
  const h = two(line, i + 7);
  const mi = two(line, i + 10);
  const s = two(line, i + 13);
  if (day < 1 || h < 0 || mi < 0 || s < 0) return Number.NaN;
  return time.fromLocalNoYear(month, day, h, mi, s, 0);
}

/**
 * Reads an ISO 8601 timestamp `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm|±hhmm]` at `i`. Returns the index after it (or -1
 * when it is not one) and stores the time in `out.time`. Without an offset the parser's zone applies.
 */
export function readIsoTimestamp(line: string, i: number, time: LineTime, out: { time: number }): number {
  const y = two(line, i) * 100 + two(line, i + 2);
  if (y < 0 || line.charCodeAt(i + 4) !== 45 || line.charCodeAt(i + 7) !== 45) return -1;
  const t = line.charCodeAt(i + 10);
  if ((t !== 84 && t !== 116) || line.charCodeAt(i + 13) !== 58 || line.charCodeAt(i + 16) !== 58) return -1;
  const mo = two(line, i + 5);
  const d = two(line, i + 8);
  const h = two(line, i + 11);
  const mi = two(line, i + 14);
  const s = two(line, i + 17);
  if (mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return -1;
  let p = i + 19;
  let ms = 0;
  if (line.charCodeAt(p) === 46) {
    // Fraction: keep milliseconds, skip the rest (at most 9 digits in practice; bounded anyway).
    p++;
    let scale = 100;
    const stop = Math.min(line.length, p + 12);
    const from = p;
    while (p < stop) {
      const c = digit(line, p);
      if (c < 0) break;
      ms += c * scale;
      scale /= 10;
      p++;
    }
    if (p === from) return -1;
    ms = Math.floor(ms);
  }
  const z = line.charCodeAt(p);
  let value: number;
  if (z === 90 || z === 122) {
    value = time.fromOffset(y, mo, d, h, mi, s, ms, 0);
    p++;
  } else if (z === 43 || z === 45) {
    const oh = two(line, p + 1);
    let om: number;
    if (line.charCodeAt(p + 3) === 58) {
      om = two(line, p + 4);
      p += 6;
    } else {
      om = two(line, p + 3);
      p += 5;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
    const off = (oh * 60 + om) * 60_000;
    value = time.fromOffset(y, mo, d, h, mi, s, ms, z === 43 ? off : -off);
  } else {
    value = time.fromLocal(y, mo, d, h, mi, s, ms);
  }
  if (Number.isNaN(value)) return -1;
  out.time = value;
  return p;
}

/** End of the space-delimited token starting at `i` (bounded), or -1 when there is no space within MAX_TOKEN. */
function tokenEnd(line: string, i: number): number {
  const sp = line.indexOf(' ', i);
  return sp === -1 || sp - i > MAX_TOKEN ? -1 : sp;
}

/** Reads `TAG[PID]: ` / `TAG: ` at `i` into out.app/out.pid/out.msgStart; false when it is not a tag. */
function readTag(line: string, i: number, state: HeaderState, out: SyslogHeader): boolean {
  const stop = Math.min(line.length, i + MAX_TOKEN);
  let p = i;
  while (p < stop) {
    const c = line.charCodeAt(p);
    if (c === 58 || c === 91 || c === 32) break;
    p++;
  }
  if (p === i || p >= stop) return false;
  let c = line.charCodeAt(p);
  out.pid = -1;
  const appEnd = p;
  if (c === 91) {
    let pid = 0;
    p++;
    const from = p;
    while (p < stop && (c = line.charCodeAt(p)) >= 48 && c <= 57 && p - from < 10) {
      pid = pid * 10 + (c - 48);
      p++;
    }
    if (p === from || line.charCodeAt(p) !== 93) return false;
    out.pid = pid;
    p++;
    c = line.charCodeAt(p);
  }
  if (c !== 58) return false;
  p++;
  if (line.charCodeAt(p) === 32) p++;
  out.app = state.apps.take(line, i, appEnd);
  out.msgStart = p;
  return true;
}

/** Host token at [i, end): undefined for `-`, else the cached string. */
function hostOf(line: string, i: number, end: number, state: HeaderState): string | undefined {
  return end - i === 1 && line.charCodeAt(i) === 45 ? undefined : state.hosts.take(line, i, end);
}

/** RFC 5424 after `<PRI>1 `. */
function readRfc5424(line: string, i: number, state: HeaderState, out: SyslogHeader): boolean {
  let p: number;
  if (line.charCodeAt(i) === 45 && line.charCodeAt(i + 1) === 32) {
    out.time = state.time.now(); // NILVALUE timestamp: the receiver's time is all there is
    p = i + 1;
  } else {
    p = readIsoTimestamp(line, i, state.time, out);
    if (p === -1 || line.charCodeAt(p) !== 32) return false;
  }
  const hostStart = p + 1;
  const hostEnd = tokenEnd(line, hostStart);
  if (hostEnd <= hostStart) return false;
  const appEnd = tokenEnd(line, hostEnd + 1);
  if (appEnd <= hostEnd + 1) return false;
  const procEnd = tokenEnd(line, appEnd + 1);
  if (procEnd <= appEnd + 1) return false;
  const msgIdEnd = line.indexOf(' ', procEnd + 1);
  // The MSGID may be the last token when neither SD nor MSG follow ("... - -" with nothing after is still valid).
  const sdStart = msgIdEnd === -1 ? line.length : msgIdEnd + 1;
  if (msgIdEnd !== -1 && msgIdEnd - procEnd > MAX_TOKEN) return false;
  out.host = hostOf(line, hostStart, hostEnd, state);
  out.app = line.charCodeAt(hostEnd + 1) === 45 && appEnd === hostEnd + 2 ? '' : state.apps.take(line, hostEnd + 1, appEnd);
  let pid = 0;
  for (let k = appEnd + 1; k < procEnd; k++) {
    const c = line.charCodeAt(k) - 48;
    if (c < 0 || c > 9 || k - appEnd > 10) {
      pid = -1;
      break;
    }
    pid = pid * 10 + c;
  }
  out.pid = pid;
  // Structured data: "-" or one or more [id param="value"...] with \" \] \\ escapes inside values.
  let p2 = sdStart;
  if (p2 >= line.length) {
    out.msgStart = line.length;
    return true;
  }
  if (line.charCodeAt(p2) === 45) p2++;
  else if (line.charCodeAt(p2) === 91) {
    while (line.charCodeAt(p2) === 91) {
      let inQuote = false;
      p2++;
      for (; p2 < line.length; p2++) {
        const c = line.charCodeAt(p2);
        if (inQuote) {
          if (c === 92) p2++;
          else if (c === 34) inQuote = false;
        } else if (c === 34) inQuote = true;
        else if (c === 93) break;
      }
      if (p2 >= line.length) return false;
      p2++;
    }
  } else return false;
  if (p2 < line.length) {
    if (line.charCodeAt(p2) !== 32) return false;
    p2++;
    if (line.charCodeAt(p2) === 0xfeff) p2++; // BOM before a UTF-8 MSG
  }
  out.msgStart = p2;
  return true;
}

/**
 * Parses the syslog header of `line` into `out` (reused across lines); false when the line has no valid header.
 * `out.time` is the raw parsed time; callers pass it through `state.time.accept` once the line is kept.
 */
export function parseSyslogHeader(line: string, state: HeaderState, out: SyslogHeader): boolean {
  let i = 0;
  let c = line.charCodeAt(0);
  if (c === 60) {
    // <PRI>: 1–3 digits, at most 191 (facility 23, severity 7).
    let pri = 0;
    i = 1;
    while (i < 4 && (c = line.charCodeAt(i)) >= 48 && c <= 57) {
      pri = pri * 10 + (c - 48);
      i++;
    }
    if (i === 1 || line.charCodeAt(i) !== 62 || pri > 191) return false;
    i++;
    c = line.charCodeAt(i);
    if (c === 49 && line.charCodeAt(i + 1) === 32) return readRfc5424(line, i + 2, state, out);
  }
  let hostStart: number;
  if (c >= 48 && c <= 57) {
    const p = readIsoTimestamp(line, i, state.time, out);
    if (p === -1 || line.charCodeAt(p) !== 32) return false;
    hostStart = p + 1;
  } else {
    const t = readBsdTimestamp(line, i, state.time);
    if (Number.isNaN(t)) return false;
    out.time = t;
    hostStart = i + 15;
    if (line.charCodeAt(hostStart) === 46) {
      // Fractional seconds appended by some templates: skip up to 9 digits.
      let p = hostStart + 1;
      while (p < hostStart + 10 && (c = line.charCodeAt(p)) >= 48 && c <= 57) p++;
      hostStart = p;
    }
    if (line.charCodeAt(hostStart) !== 32) return false;
    hostStart++;
  }
  const hostEnd = tokenEnd(line, hostStart);
  if (hostEnd > hostStart) {
    // No HOSTNAME when the first token is already the tag ("imap-login:" or "sshd[12]:").
    const last = line.charCodeAt(hostEnd - 1);
    if (last === 58 && readTag(line, hostStart, state, out)) {
      out.host = undefined;
      return true;
    }
    out.host = hostOf(line, hostStart, hostEnd, state);
    if (!readTag(line, hostEnd + 1, state, out)) {
      // RFC 3164 makes the tag optional ("-- MARK --", "last message repeated 3 times"): a valid line of no program.
      out.app = '';
      out.pid = -1;
      out.msgStart = hostEnd + 1;
    }
    return true;
  }
  return false;
}

/** The header of one line as a plain object (convenience API for tools and tests; the hot path uses `parseSyslogHeader`). */
export function readSyslogHeader(
  line: string,
  options: Partial<LineTimeOptions> = {},
): { time: number; host: string | undefined; app: string; pid: number; msgStart: number } | undefined {
  const time = createLineTime({
    timeZone: options.timeZone ?? 'Europe/Copenhagen',
    now: options.now ?? Date.now,
    skewMs: options.skewMs ?? 5 * 60_000,
  });
  const out = emptyHeader();
  if (!parseSyslogHeader(line, createHeaderState(time), out)) return undefined;
  out.time = time.accept(out.time);
  return { ...out };
}
