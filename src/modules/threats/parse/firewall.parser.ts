/**
 * nftables / iptables `log` lines from the kernel: `[12345.678] PREFIX IN=eth0 OUT= MAC=… SRC=IP DST=IP LEN=60 …
 * PROTO=TCP SPT=1234 DPT=22 …` → service `firewall`, kind `drop`. The prefix is the administrator's; fields are
 * found by their ` KEY=` markers after `IN=`. ICMP has no DPT (dstPort stays undefined). Other kernel lines: ignored.
 */
import { readIp } from './ip-address.ts';
import { IGNORED, makeEvent, UNPARSABLE, type ServiceResult } from './make-event.ts';

/** End of the field value starting at `i` (next space or line end). */
function valueEnd(line: string, i: number): number {
  const e = line.indexOf(' ', i);
  return e === -1 ? line.length : e;
}

export function parseFirewall(line: string, start: number, time: number): ServiceResult {
  const inAt = line.indexOf('IN=', start);
  if (inAt === -1) return IGNORED;
  const src = line.indexOf(' SRC=', inAt);
  if (src === -1) return IGNORED;
  const srcEnd = valueEnd(line, src + 5);
  const ip = readIp(line, src + 5, srcEnd);
  if (ip === undefined) return UNPARSABLE;
  const event = makeEvent(line, time, ip, 'firewall', 'drop', 'nftables', undefined);
  const dst = line.indexOf(' DST=', srcEnd);
  if (dst !== -1) event.dst = readIp(line, dst + 5, valueEnd(line, dst + 5));
  const proto = line.indexOf(' PROTO=', srcEnd);
  if (proto !== -1) {
    const e = valueEnd(line, proto + 7);
    if (e - proto - 7 <= 16) event.proto = line.slice(proto + 7, e);
    const dpt = line.indexOf(' DPT=', e);
    if (dpt !== -1) {
      let port = 0;
      let k = dpt + 5;
      for (let c = line.charCodeAt(k); c >= 48 && c <= 57 && k < dpt + 10; c = line.charCodeAt(++k)) {
        port = port * 10 + (c - 48);
      }
      if (k > dpt + 5 && port <= 65_535) event.dstPort = port;
    }
  }
  return event;
}
