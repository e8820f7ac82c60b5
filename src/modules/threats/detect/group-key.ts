import type { GroupBy } from './scenario.schema.ts';

/** Longest user name kept as a bucket key. */
const MAX_USER_KEY = 256;

/** Expand the first four hextets of an IPv6 address (`2001:db8::1` → [0x2001, 0xdb8, 0, 0]); undefined if malformed. */
function firstHextets(ip: string): number[] | undefined {
  const dbl = ip.indexOf('::');
  const headText = dbl < 0 ? ip : ip.slice(0, dbl);
  const tailText = dbl < 0 ? '' : ip.slice(dbl + 2);
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === '' ? [] : tailText.split(':');
  // An embedded IPv4 tail counts as two hextets.
  const tailLen = tail.length + (tail.length > 0 && (tail[tail.length - 1] ?? '').includes('.') ? 1 : 0);
  if (head.length > 8 || (dbl < 0 && head.length < 4)) return undefined;
  const out: number[] = [];
  for (const h of head) {
    if (out.length === 4) break;
    const n = parseInt(h, 16);
    if (!(n >= 0 && n <= 0xffff) || h.length > 4) return undefined;
    out.push(n);
  }
  const zeros = 8 - head.length - tailLen;
  for (let i = 0; i < zeros && out.length < 4; i++) out.push(0);
  for (const h of tail) {
    if (out.length === 4) break;
    const n = parseInt(h, 16);
    if (!(n >= 0 && n <= 0xffff) || h.length > 4) return undefined;
    out.push(n);
  }
  return out.length === 4 ? out : undefined;
}

/** The /64 of an IPv6 address in canonical-ish form (`2001:db8:1:2::/64`); undefined for IPv4 or malformed input. */
export function ipv6Slash64(ip: string): string | undefined {
  if (ip.indexOf(':') < 0) return undefined;
  const h = firstHextets(ip);
  return h ? `${h.map((x) => x.toString(16)).join(':')}::/64` : undefined;
}

/** The /24 of an IPv4 address (`198.51.100.0/24`); undefined for IPv6 or malformed input. */
export function ipv4Slash24(ip: string): string | undefined {
  const dot = ip.lastIndexOf('.');
  if (dot < 0 || ip.indexOf(':') >= 0) return undefined;
  return `${ip.slice(0, dot)}.0/24`;
}

/**
 * The bucket key of an event for a group-by. `ip64` on IPv4 keys by the IP (an IPv4 host is not a /64);
 * `net24` on IPv6 keys by the /64 (the IPv6 equivalent of "one customer's network"). `user` needs a user.
 */
export function groupKey(groupBy: GroupBy, ip: string, host: string | undefined, user: string | undefined): string | undefined {
  switch (groupBy) {
    case 'ip':
      return ip;
    case 'ip64':
      return ipv6Slash64(ip) ?? ip;
    case 'net24':
      return ipv4Slash24(ip) ?? ipv6Slash64(ip) ?? ip;
    case 'ip_host':
      return host === undefined ? ip : `${ip} ${host}`;
    case 'user':
      // User names come from attackers: cut them so a key cannot carry kilobytes into every bucket.
      return user !== undefined && user.length > MAX_USER_KEY ? user.slice(0, MAX_USER_KEY) : user;
  }
}

/** What a remediation applies to for a bucket key: the IP itself, or the network the key names. */
export function keyScope(groupBy: GroupBy, key: string, ip: string): { kind: 'ip' | 'range'; value: string } | undefined {
  if (groupBy === 'user') return undefined;
  if (groupBy === 'ip_host') return { kind: 'ip', value: ip };
  return key.endsWith('/64') || key.endsWith('/24') ? { kind: 'range', value: key } : { kind: 'ip', value: key };
}
