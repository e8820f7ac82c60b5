/**
 * Line parsers: one raw log line (framed, without its newline) → a `ThreatEvent`, or why not. Used by the ingestion
 * pipeline, the scenario tests and `skjold threats replay`. See each `*.parser.ts` for what its lines count as, and
 * `line-time.ts` for how times are read (the line's own timestamp drives every window; future times are clamped).
 *
 * Hostile input: lines longer than `MAX_LINE_LENGTH` are cut there first (counted as `truncated`); all scanning is
 * indexOf/charCodeAt over the line, linear in its length, with no regular expression; NUL and control characters are
 * ordinary characters; a line whose header, timestamp or address does not validate is `unparsable` (counted and
 * sampled), never an exception.
 *
 * Choices a reader should know:
 * - one line gives at most one event: PAM's `authentication failure` lines (sshd, Dovecot) repeat the service's own
 *   line for the same attempt and are ignored; rsyslog's `message repeated N times: [ … ]` gives one event, not N;
 * - an IPv4-mapped IPv6 client (`::ffff:192.0.2.1`) is reported as its IPv4 address, IPv6 otherwise in lower case;
 * - times without a zone use `timeZone` (DST handled; in the repeated autumn hour, lines read in order keep moving
 *   forward), RFC 3164 takes the year of now unless that lands over a day ahead (then the year before);
 * - a time more than `futureSkewMs` ahead of now is clamped to now + skew and counted as `future` (line-time.ts).
 */
import type { LogType, ParseOutcome, ThreatEvent } from '../events.ts';
import { MAX_LINE_LENGTH } from '../events.ts';
import { looksLikeAccessLog, parseAccessLog } from './access-log.parser.ts';
import { parseDovecot } from './dovecot.parser.ts';
import { parseFirewall } from './firewall.parser.ts';
import { parseProftpd, parsePureFtpd, parseVsftpd, readVsftpdTimestamp } from './ftp.parser.ts';
import { createLineTime } from './line-time.ts';
import { IGNORED, IGNORED_OUTCOME, UNPARSABLE, UNPARSABLE_OUTCOME, type ServiceResult } from './make-event.ts';
import { isPostfixSmtpd, parsePostfix } from './postfix.parser.ts';
import { parseSshd } from './sshd.parser.ts';
import { createHeaderState, emptyHeader, monthAt, parseSyslogHeader, TokenCache } from './syslog-header.ts';

export { isIpLiteral, readIp } from './ip-address.ts';
export { readSyslogHeader, type SyslogHeader } from './syslog-header.ts';
export { MAX_PATH_LENGTH } from './make-event.ts';

export interface LineParserOptions {
  type: LogType;
  /** IANA zone for timestamps without one (RFC 3164, vsftpd; nginx has one); default Europe/Copenhagen. */
  timeZone?: string | undefined;
  /** Now (epoch ms), for the year of RFC 3164 timestamps (a line dated "in the future" by more than a day is last year's). */
  now?: (() => number) | undefined;
  /** How far past now a line's time may be before it is clamped to now + this and counted as `future`; default 5 min. */
  futureSkewMs?: number | undefined;
}

/** Counters for metrics, and a few recent bad lines (each cut to 256 characters) for debugging. */
export interface ParseStats {
  /** Lines that became an event. */
  readonly parsed: number;
  /** Valid lines of no interest (other programs, normal logouts, …). */
  readonly ignored: number;
  /** Lines that could not be read: bad header, timestamp or address, unknown shape. */
  readonly unparsable: number;
  /** Lines cut at MAX_LINE_LENGTH (also counted in one of the three above). */
  readonly truncated: number;
  /** Lines whose time was clamped to now + skew. */
  readonly future: number;
  /** The last (up to) 16 unparsable lines. */
  readonly samples: readonly string[];
}

/** A line parser: call it per line; `stats` counts what it has seen. */
export type LineParser = ((line: string) => ParseOutcome) & { readonly stats: ParseStats };

const SAMPLE_COUNT = 16;
const SAMPLE_LENGTH = 256;

const enum Family {
  Sshd,
  Http,
  Postfix,
  Dovecot,
  PureFtpd,
  Proftpd,
  Vsftpd,
  Firewall,
  None,
}

/** The service family of a syslog tag, and the parser name for HTTP tags. */
function familyOf(app: string): Family {
  switch (app) {
    case 'sshd':
    case 'sshd-session': // OpenSSH 9.8+
    case 'sshd-auth': // OpenSSH 10+
      return Family.Sshd;
    case 'nginx':
    case 'apache2':
    case 'apache':
    case 'httpd':
      return Family.Http;
    case 'dovecot':
    case 'imap-login':
    case 'pop3-login':
    case 'submission-login':
      return Family.Dovecot;
    case 'pure-ftpd':
      return Family.PureFtpd;
    case 'proftpd':
      return Family.Proftpd;
    case 'vsftpd':
      return Family.Vsftpd;
    case 'kernel':
      return Family.Firewall;
    default:
      return isPostfixSmtpd(app) ? Family.Postfix : Family.None;
  }
}

/** Which families a fixed `type` accepts from syslog (auto: all). */
function accepts(type: LogType, family: Family): boolean {
  switch (type) {
    case 'auto':
      return family !== Family.None;
    case 'sshd':
      return family === Family.Sshd;
    case 'nginx':
    case 'apache':
      return family === Family.Http;
    case 'postfix':
      return family === Family.Postfix;
    case 'dovecot':
      return family === Family.Dovecot;
    case 'ftp':
      return family === Family.PureFtpd || family === Family.Proftpd || family === Family.Vsftpd;
    case 'nftables':
      return family === Family.Firewall;
  }
}

/** Where a line's header or format is to be looked for. */
const enum Shape {
  Syslog,
  Access,
  Vsftpd,
  Unknown,
}

/** True when the line starts like a syslog header: `<PRI>`, an ISO date, or an RFC 3164 month and space. */
function isSyslogStart(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c === 60) return true;
  if (c >= 48 && c <= 57) return line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84;
  return monthAt(line, 0) !== 0 && line.charCodeAt(3) === 32;
}

/** `auto` detection: syslog header, access log (IP or `host:port IP` first), or vsftpd.log's own timestamp. */
function shapeOf(line: string): Shape {
  const c = line.charCodeAt(0);
  if (c === 60) return Shape.Syslog; // <PRI>
  if (c >= 48 && c <= 57) {
    // "2026-11-27T…" is an ISO syslog timestamp; any other digit start is an IPv4 client (or vhost).
    return line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84 ? Shape.Syslog : Shape.Access;
  }
  if (monthAt(line, 0) !== 0 && line.charCodeAt(3) === 32) return Shape.Syslog;
  if (monthAt(line, 4) !== 0 && line.charCodeAt(3) === 32 && line.charCodeAt(7) === 32) return Shape.Vsftpd;
  return looksLikeAccessLog(line) ? Shape.Access : Shape.Unknown;
}

/**
 * A parser for one log source. `type: 'auto'` decides per line (syslog header → the program's parser; otherwise an
 * access log, otherwise vsftpd.log); a fixed type reads only that family (other programs' syslog lines are `ignored`).
 * The returned function never throws for any input string; its `stats` property holds the counters.
 */
export function createLineParser(options: LineParserOptions): LineParser {
  const type = options.type;
  const time = createLineTime({
    timeZone: options.timeZone ?? 'Europe/Copenhagen',
    now: options.now ?? Date.now,
    skewMs: options.futureSkewMs ?? 5 * 60_000,
  });
  const headerState = createHeaderState(time);
  const header = emptyHeader();
  const vhosts = new TokenCache();
  const accessTime = { time: 0 };
  const httpParser = type === 'apache' ? 'apache' : 'nginx';
  const samples: string[] = [];
  let sampleAt = 0;
  const stats: { -readonly [K in keyof ParseStats]: ParseStats[K] } = {
    parsed: 0,
    ignored: 0,
    unparsable: 0,
    truncated: 0,
    get future() {
      return time.future;
    },
    samples,
  };

  // In auto mode a vhost_combined line is Apache's format; a fixed type names its own parser.
  const vhostParser = type === 'auto' ? 'apache' : httpParser;
  const access = (line: string, start: number, parser: string): ServiceResult => {
    const r = parseAccessLog(line, start, time, parser, vhostParser, vhosts, accessTime);
    if (typeof r === 'object') r.time = time.accept(accessTime.time);
    return r;
  };

  const syslog = (line: string): ServiceResult => {
    if (!parseSyslogHeader(line, headerState, header)) return UNPARSABLE;
    const family = familyOf(header.app);
    if (!accepts(type, family)) return IGNORED;
    // An access log carried by syslog has its own, better timestamp (with a zone): that one is accepted instead.
    const t = family === Family.Http ? 0 : time.accept(header.time);
    const s = header.msgStart;
    let r: ServiceResult;
    switch (family) {
      case Family.Sshd:
        r = parseSshd(line, s, t);
        break;
      case Family.Http:
        r = access(line, s, header.app === 'nginx' ? 'nginx' : 'apache');
        if (typeof r === 'object' && header.app === 'nginx') r.parser = 'nginx'; // the tag names the server
        break;
      case Family.Postfix:
        r = parsePostfix(line, s, t);
        break;
      case Family.Dovecot:
        r = parseDovecot(line, s, header.app, t);
        break;
      case Family.PureFtpd:
        r = parsePureFtpd(line, s, t);
        break;
      case Family.Proftpd:
        r = parseProftpd(line, s, t);
        break;
      case Family.Vsftpd:
        r = parseVsftpd(line, s, t);
        break;
      case Family.Firewall:
        r = parseFirewall(line, s, t);
        break;
      case Family.None:
        return IGNORED;
    }
    if (typeof r === 'object' && r.host === undefined) r.host = header.host;
    return r;
  };

  const vsftpdFile = (line: string): ServiceResult => {
    const t = readVsftpdTimestamp(line, time);
    if (Number.isNaN(t) || line.charCodeAt(24) !== 32) return UNPARSABLE;
    return parseVsftpd(line, 25, time.accept(t));
  };

  const dispatch = (line: string): ServiceResult => {
    switch (type) {
      case 'auto':
        switch (shapeOf(line)) {
          case Shape.Syslog:
            return syslog(line);
          case Shape.Access:
            return access(line, 0, httpParser);
          case Shape.Vsftpd:
            return vsftpdFile(line);
          case Shape.Unknown:
            return UNPARSABLE;
        }
        return UNPARSABLE;
      case 'nginx':
      case 'apache':
        // A syslog-shaped start means a forwarded access log; anything else is read as the access log itself.
        return isSyslogStart(line) ? syslog(line) : access(line, 0, httpParser);
      case 'ftp':
        return shapeOf(line) === Shape.Vsftpd ? vsftpdFile(line) : syslog(line);
      default:
        return syslog(line);
    }
  };

  const parse = (raw: string): ParseOutcome => {
    let line = raw;
    if (line.length > MAX_LINE_LENGTH) {
      line = line.slice(0, MAX_LINE_LENGTH);
      stats.truncated++;
    }
    // A CRLF file framed on LF leaves a CR: drop it so "[preauth]" and friends still end the line.
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    let r: ServiceResult;
    try {
      r = dispatch(line);
    } catch {
      // Defence in depth: the parsers are written not to throw; if one does on some input, that line alone is lost.
      r = UNPARSABLE;
    }
    if (r === IGNORED) {
      stats.ignored++;
      return IGNORED_OUTCOME;
    }
    if (r === UNPARSABLE) {
      stats.unparsable++;
      samples[sampleAt] = line.length > SAMPLE_LENGTH ? line.slice(0, SAMPLE_LENGTH) : line;
      sampleAt = (sampleAt + 1) % SAMPLE_COUNT;
      return UNPARSABLE_OUTCOME;
    }
    stats.parsed++;
    return { ok: true, event: r satisfies ThreatEvent };
  };
  return Object.assign(parse, { stats });
}
