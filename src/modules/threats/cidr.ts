import { formatIPv4, formatIPv6, ipv6Prefix64, parseCidr, type ParsedCidr } from './intel/ip-address.ts';

/** A ban target in canonical form: a single address (`scope: 'ip'`) or a network (`scope: 'range'`). */
export interface BanTarget {
  value: string;
  scope: 'ip' | 'range';
  family: 4 | 6;
}

/**
 * Canonical form of an IP or CIDR typed by a person or written by a scenario (`2001:DB8::1` → `2001:db8::1`,
 * `10.1.2.3/8` → `10.0.0.0/8`, `1.2.3.4/32` → `1.2.3.4`); null for anything else.
 */
export function canonicalTarget(text: string): BanTarget | null {
  const c = parseCidr(text.trim());
  if (!c) return null;
  if (c.family === 4)
    return c.prefix === 32
      ? { value: formatIPv4(c.start), scope: 'ip', family: 4 }
      : { value: `${formatIPv4(c.start)}/${c.prefix}`, scope: 'range', family: 4 };
  return c.prefix === 128
    ? { value: formatIPv6(c.start), scope: 'ip', family: 6 }
    : { value: `${formatIPv6(c.start)}/${c.prefix}`, scope: 'range', family: 6 };
}

function cmpWords(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 4; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function overlapParsed(a: ParsedCidr, b: ParsedCidr): boolean {
  if (a.family === 4 && b.family === 4) return a.start <= b.end && b.start <= a.end;
  if (a.family === 6 && b.family === 6) return cmpWords(a.start, b.end) <= 0 && cmpWords(b.start, a.end) <= 0;
  return false;
}

/** Whether two IPs/CIDRs share at least one address (IPv4-mapped IPv6 counts as IPv4). */
export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  return pa !== null && pb !== null && overlapParsed(pa, pb);
}

/** Whether `outer` contains every address of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i) return false;
  if (o.family === 4 && i.family === 4) return o.start <= i.start && i.end <= o.end;
  if (o.family === 6 && i.family === 6) return cmpWords(o.start, i.start) <= 0 && cmpWords(i.end, o.end) <= 0;
  return false;
}

/**
 * What a ban on an overflow's scope covers: an IPv6 address is widened to its /64 (one customer's allocation; an
 * attacker rotating addresses inside it stays banned) — fail2ban cannot ban a /64 at all.
 */
export function banTargetOf(scope: { kind: 'ip' | 'range'; value: string }): string {
  if (scope.kind !== 'ip') return scope.value;
  return ipv6Prefix64(scope.value) ?? scope.value;
}
