/**
 * OpenSSH `sshd` / `sshd-session` (9.8+) / `sshd-auth` (10+) messages. The user name is attacker-chosen and may hold spaces or a forged
 * " from 6.6.6.6 port 1": wherever it comes before the address we parse from the right (last " from ", last " port "),
 * and where only server text precedes the address we parse from the left (the disconnect reason after it is the
 * client's). What each line counts as, one attempt often writing several lines:
 *
 * | line                                                               | kind            |
 * | ------------------------------------------------------------------ | --------------- |
 * | `Failed <method> for USER from IP port N ssh2`                     | `auth_failed`   |
 * | `Failed <method> for invalid user USER from IP …`                  | `auth_failed`   |
 * | `Failed none for [invalid user] USER from IP …` (a method probe)  | `preauth_close` |
 * | `Invalid user USER from IP port N` (once per connection)          | `invalid_user`  |
 * | `Accepted <method> for USER from IP port N ssh2`                   | `auth_success`  |
 * | `Connection closed by [invalid|authenticating] user U IP port N [preauth]`, the same without a user, `Connection reset by …`, `Disconnected from [invalid|authenticating] user U IP port N [preauth]`, `Received disconnect from IP port N:11: … [preauth]`, `Did not receive identification string from IP`, `Unable to negotiate with IP …`, `banner exchange: Connection from IP …`, `Bad protocol version identification … from IP`, `maximum authentication attempts exceeded for [invalid user] U from IP …` | `preauth_close` |
 * | `Timeout before authentication for IP port N` (`fatal:`)           | `preauth_close` |
 * | `pam_unix(sshd:auth): authentication failure; … rhost=IP user=U`   | ignored         |
 *
 * So every password (or key) tried is one `auth_failed`, whether the user exists or not, and a connection for an unknown
 * user adds one `invalid_user` ("Invalid user U", logged once per connection): brute-force scenarios count
 * `auth_failed` (one per guess, unlike fail2ban and CrowdSec, which count both lines of one guess), user enumeration
 * counts distinct users over `invalid_user`. The user name is the attacker's either way. The PAM line
 * duplicates sshd's own "Failed password" for the same attempt and is ignored (its rhost may also be a host name).
 * "Connection closed/reset by IP port N" without a user is the scanner's line after `kex_exchange_identification`
 * (logged by the listener, so without `[preauth]`) and counts even without the tag; with `user U` and no tag it is a
 * logged-in session ending and is ignored. `error: kex_exchange_identification: …` itself names no address: ignored.
 */
import { readIp } from './ip-address.ts';
import { IGNORED, makeEvent, UNPARSABLE, type ServiceResult } from './make-event.ts';

const PREAUTH = ' [preauth]';
const NO_IDENT = 'Did not receive identification string from ';
const TIMEOUT = 'Timeout before authentication for ';

/** IP token starting at `i`, ending at the next space, colon-after-port or line end; undefined when invalid. */
function ipFrom(line: string, i: number, end: number): string | undefined {
  let e = line.indexOf(' ', i);
  if (e === -1 || e > end) e = end;
  return readIp(line, i, e);
}

/** "… USER from IP[ port N …]": the user is [userStart, last " from ") (none when userStart < 0), the IP follows it. */
function fromRight(
  line: string,
  start: number,
  userStart: number,
  end: number,
  time: number,
  kind: 'auth_failed' | 'invalid_user' | 'auth_success' | 'preauth_close',
): ServiceResult {
  const from = line.lastIndexOf(' from ', end);
  if (from < start) return UNPARSABLE;
  const ip = ipFrom(line, from + 6, end);
  if (ip === undefined) return UNPARSABLE;
  const user = userStart < 0 ? undefined : userStart <= from ? line.slice(userStart, from) : '';
  return makeEvent(line, time, ip, 'ssh', kind, 'sshd', user);
}

/**
 * "[invalid user U |authenticating user U |user U ]IP port N[ [preauth]]" from `i` to `end`: the IP is the token before
 * the last " port ". A post-auth line (a logged-in user, no [preauth]) is ignored.
 */
function closeLine(line: string, i: number, end: number, time: number): ServiceResult {
  let stop = end;
  const preauth = line.endsWith(PREAUTH, end);
  if (preauth) stop = end - PREAUTH.length;
  const port = line.lastIndexOf(' port ', stop);
  const ipEnd = port > i ? port : stop;
  const sp = line.lastIndexOf(' ', ipEnd - 1);
  const ipStart = sp < i ? i : sp + 1;
  if (ipStart >= ipEnd) return UNPARSABLE;
  const ip = readIp(line, ipStart, ipEnd);
  if (ip === undefined) return UNPARSABLE;
  let user: string | undefined;
  if (ipStart > i) {
    // Something precedes the IP: "invalid user U", "authenticating user U" or "user U".
    let u = -1;
    if (line.startsWith('invalid user ', i)) u = i + 13;
    else if (line.startsWith('authenticating user ', i)) u = i + 20;
    else if (line.startsWith('user ', i)) {
      if (!preauth) return IGNORED; // a logged-in session ending
      u = i + 5;
    }
    if (u === -1) return UNPARSABLE;
    user = u <= ipStart - 1 ? line.slice(u, ipStart - 1) : '';
  }
  return makeEvent(line, time, ip, 'ssh', 'preauth_close', 'sshd', user);
}

const REPEATED = 'message repeated ';

/**
 * Parses one sshd message `line[start, end)`; `time` is the line's event time. rsyslog's repeated-message reduction
 * (`message repeated 3 times: [ Failed password for …]`) is unwrapped and gives one event for the N attempts.
 */
export function parseSshd(line: string, start: number, time: number, end = line.length): ServiceResult {
  let s = start;
  if (line.startsWith('error: ', s) || line.startsWith('fatal: ', s)) s += 7;
  else if (line.startsWith(REPEATED, s)) {
    const open = line.indexOf(': [ ', s + REPEATED.length);
    if (open === -1 || open - s > 40 || line.charCodeAt(end - 1) !== 93) return IGNORED;
    return parseSshd(line, open + 4, time, end - 1);
  }
  switch (line.charCodeAt(s)) {
    case 70: // F
      if (line.startsWith('Failed ', s)) {
        const forAt = line.indexOf(' for ', s + 7);
        if (forAt === -1 || forAt - s > 48) return UNPARSABLE;
        const u = forAt + 5;
        // "Failed none" is the client asking which methods exist (before the first guess), not a guess.
        const kind = line.startsWith('none ', s + 7) ? 'preauth_close' : 'auth_failed';
        if (line.startsWith('invalid user ', u)) return fromRight(line, s, u + 13, end, time, kind);
        return fromRight(line, s, u, end, time, kind);
      }
      return IGNORED;
    case 73: // I
      if (line.startsWith('Invalid user ', s)) return fromRight(line, s, s + 13, end, time, 'invalid_user');
      return IGNORED;
    case 65: // A
      if (line.startsWith('Accepted ', s)) {
        const forAt = line.indexOf(' for ', s + 9);
        if (forAt === -1 || forAt - s > 48) return UNPARSABLE;
        return fromRight(line, s, forAt + 5, end, time, 'auth_success');
      }
      return IGNORED;
    case 67: // C
      if (line.startsWith('Connection closed by ', s)) return closeLine(line, s + 21, end, time);
      if (line.startsWith('Connection reset by ', s)) return closeLine(line, s + 20, end, time);
      return IGNORED;
    case 68: // D
      if (line.startsWith('Disconnected from ', s)) {
        if (!line.endsWith(PREAUTH, end)) return IGNORED; // normal logout
        return closeLine(line, s + 18, end, time);
      }
      if (line.startsWith(NO_IDENT, s)) {
        const ip = ipFrom(line, s + NO_IDENT.length, end);
        return ip === undefined ? UNPARSABLE : makeEvent(line, time, ip, 'ssh', 'preauth_close', 'sshd', undefined);
      }
      return IGNORED;
    case 82: // R
      if (line.startsWith('Received disconnect from ', s)) {
        if (!line.endsWith(PREAUTH, end)) return IGNORED; // a session the user ended
        // The reason after "port N:11:" is the client's text: the IP is read from the left.
        const ip = ipFrom(line, s + 25, end);
        return ip === undefined ? UNPARSABLE : makeEvent(line, time, ip, 'ssh', 'preauth_close', 'sshd', undefined);
      }
      return IGNORED;
    case 85: // U
      if (line.startsWith('Unable to negotiate with ', s)) {
        const ip = ipFrom(line, s + 25, end);
        return ip === undefined ? UNPARSABLE : makeEvent(line, time, ip, 'ssh', 'preauth_close', 'sshd', undefined);
      }
      return IGNORED;
    case 98: // b
      if (line.startsWith('banner exchange: Connection from ', s)) {
        const ip = ipFrom(line, s + 33, end);
        return ip === undefined ? UNPARSABLE : makeEvent(line, time, ip, 'ssh', 'preauth_close', 'sshd', undefined);
      }
      return IGNORED;
    case 84: // T
      if (line.startsWith(TIMEOUT, s)) {
        const ip = ipFrom(line, s + TIMEOUT.length, end);
        return ip === undefined ? UNPARSABLE : makeEvent(line, time, ip, 'ssh', 'preauth_close', 'sshd', undefined);
      }
      return IGNORED;
    case 66: // B
      if (line.startsWith('Bad protocol version identification ', s)) {
        return fromRight(line, s, -1, end, time, 'preauth_close');
      }
      return IGNORED;
    case 109: // m
      if (line.startsWith('maximum authentication attempts exceeded for ', s)) {
        const u = s + 45;
        const userStart = line.startsWith('invalid user ', u) ? u + 13 : u;
        return fromRight(line, s, userStart, end, time, 'preauth_close');
      }
      return IGNORED;
    default:
      return IGNORED;
  }
}
