/**
 * Dovecot login processes, via syslog (`dovecot: imap-login: …`) or Dovecot's own log file (`imap-login: …` as the
 * tag). `Disconnected (auth failed, 3 attempts in 15 secs): user=<bob>, method=PLAIN, rip=IP, lip=…` and
 * `Aborted login (auth failed, …)` (2.3 also writes `Disconnected: Connection closed (auth failed, …)`) are
 * `auth_failed`, one event per connection whatever the attempt count; `Login: user=<bob>, …, rip=IP` is
 * `auth_success`. `user=<…>` is the client's text, so `rip=` is taken as the last one on the line. The auth process's
 * PAM line (`auth: pam_unix(dovecot:auth): authentication failure; … rhost=IP`) repeats the same failure and is
 * ignored, as sshd's is. Service: `imap-login` → imap, `pop3-login` → pop3, `submission-login` → smtp.
 */
import type { ThreatService } from '../events.ts';
import { readIp } from './ip-address.ts';
import { IGNORED, makeEvent, UNPARSABLE, type ServiceResult } from './make-event.ts';

function serviceOf(line: string, s: number): ThreatService | undefined {
  if (line.startsWith('imap-login:', s)) return 'imap';
  if (line.startsWith('pop3-login:', s)) return 'pop3';
  if (line.startsWith('submission-login:', s)) return 'smtp';
  return undefined;
}

/**
 * Parses a Dovecot message at `start`. `app` is the syslog tag: `dovecot` (the login process name then starts the
 * message) or the login process itself.
 */
export function parseDovecot(line: string, start: number, app: string, time: number): ServiceResult {
  let s = start;
  let service: ThreatService | undefined;
  if (app === 'dovecot') {
    service = serviceOf(line, s);
    if (service === undefined) return IGNORED;
    s = line.indexOf(': ', s) + 2;
  } else {
    service = app === 'imap-login' ? 'imap' : app === 'pop3-login' ? 'pop3' : app === 'submission-login' ? 'smtp' : undefined;
    if (service === undefined) return IGNORED;
  }
  if (line.startsWith('Info: ', s)) s += 6;
  let kind: 'auth_failed' | 'auth_success';
  let userAt: number;
  if (line.startsWith('Login: ', s)) {
    kind = 'auth_success';
    userAt = s + 7;
  } else if (line.startsWith('Disconnected', s) || line.startsWith('Aborted login', s)) {
    // The reason is server text up to "): "; the user name after it is the client's.
    const close = line.indexOf('): ', s);
    if (close === -1) return IGNORED;
    const reason = line.indexOf('(auth failed,', s);
    if (reason === -1 || reason > close) return IGNORED;
    kind = 'auth_failed';
    userAt = close + 3;
  } else return IGNORED;
  const rip = line.lastIndexOf('rip=');
  if (rip < userAt) return UNPARSABLE;
  let ipEnd = line.indexOf(',', rip + 4);
  if (ipEnd === -1) ipEnd = line.length;
  const ip = readIp(line, rip + 4, ipEnd);
  if (ip === undefined) return UNPARSABLE;
  let user: string | undefined;
  if (line.startsWith('user=<', userAt)) {
    const close = line.lastIndexOf('>', rip);
    user = close > userAt + 6 ? line.slice(userAt + 6, close) : '';
  }
  return makeEvent(line, time, ip, service, kind, 'dovecot', user);
}
