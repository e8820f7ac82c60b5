import { ipv6Prefix64, net24 } from '../intel/ip-address.ts';
import type { GroupBy } from './scenario.schema.ts';

/** Longest user name kept as a bucket key. */
const MAX_USER_KEY = 256;

/** The /64 of an IPv6 address in canonical form (`2001:db8:1:2::/64`); undefined for IPv4 or malformed input. */
export function ipv6Slash64(ip: string): string | undefined {
  return ip.indexOf(':') < 0 ? undefined : (ipv6Prefix64(ip) ?? undefined);
}

/** The /24 of an IPv4 address (`198.51.100.0/24`, also for `::ffff:198.51.100.7`); undefined otherwise. */
export function ipv4Slash24(ip: string): string | undefined {
  return net24(ip) ?? undefined;
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
