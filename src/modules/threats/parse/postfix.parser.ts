/**
 * Postfix smtpd SASL lines (any instance: `postfix/smtpd`, `postfix/submission/smtpd`, `postfix-out/smtpd`):
 * `warning: unknown[IP]: SASL LOGIN authentication failed: UGFzc3dvcmQ6[, sasl_username=bob]` → `auth_failed`, and
 * `QUEUEID: client=host[IP], sasl_method=PLAIN, sasl_username=bob` → `auth_success`. The client host name before
 * `[IP]` comes from reverse DNS, so the address is the bracketed text right before the fixed `]: SASL ` / `], `.
 */
import { readIp } from './ip-address.ts';
import { IGNORED, makeEvent, UNPARSABLE, type ServiceResult } from './make-event.ts';

/** `sasl_username=` value (up to `,` or line end) after `from`, or undefined. */
function saslUser(line: string, from: number): string | undefined {
  const u = line.indexOf('sasl_username=', from);
  if (u === -1) return undefined;
  let e = line.indexOf(',', u + 14);
  if (e === -1) e = line.length;
  return line.slice(u + 14, e);
}

/** True for a Postfix smtpd syslog tag. */
export function isPostfixSmtpd(app: string): boolean {
  return app.startsWith('postfix') && app.endsWith('/smtpd');
}

export function parsePostfix(line: string, start: number, time: number): ServiceResult {
  if (line.startsWith('warning: ', start)) {
    const sasl = line.indexOf(']: SASL ', start + 9);
    if (sasl === -1) return IGNORED;
    if (line.indexOf(' authentication failed', sasl + 8) === -1) return IGNORED;
    const open = line.lastIndexOf('[', sasl);
    if (open < start) return UNPARSABLE;
    const ip = readIp(line, open + 1, sasl);
    if (ip === undefined) return UNPARSABLE;
    return makeEvent(line, time, ip, 'smtp', 'auth_failed', 'postfix', saslUser(line, sasl));
  }
  const client = line.indexOf(': client=', start);
  if (client !== -1 && client - start < 32) {
    const user = saslUser(line, client);
    if (user === undefined) return IGNORED; // an unauthenticated client: not an auth event
    const close = line.indexOf('], ', client);
    const open = close === -1 ? -1 : line.lastIndexOf('[', close);
    if (open < client) return UNPARSABLE;
    const ip = readIp(line, open + 1, close);
    if (ip === undefined) return UNPARSABLE;
    return makeEvent(line, time, ip, 'smtp', 'auth_success', 'postfix', user);
  }
  return IGNORED;
}
