/**
 * Special-purpose and bogon address ranges, and the small IP/CIDR parser the feed readers need. A threat feed that
 * lists one of these (FireHOL level1 carries 10.0.0.0/8 via fullbogons) must never turn into a ban on our own internal
 * or loopback addresses, so every feed entry that overlaps one (contains it, sits inside it or straddles it) is refused.
 *
 * Kept self-contained on purpose (node:net plus a few lines of arithmetic): the fast IP index lives in its own file and
 * this module only has to produce validated, canonical CIDR strings for it.
 */
import { isIPv6 } from 'node:net';

/** A parsed IPv4 or IPv6 network: inclusive numeric bounds, prefix length and canonical text. */
export type Network =
  | { family: 4; start: number; end: number; prefix: number; text: string }
  | { family: 6; start: bigint; end: bigint; prefix: number; text: string };

interface Range4 {
  start: number;
  end: number;
  cidr: string;
  reason: string;
  documentation: boolean;
}
interface Range6 {
  start: bigint;
  end: bigint;
  cidr: string;
  reason: string;
  documentation: boolean;
}

/** Options of the bogon filter. */
export interface BogonOptions {
  /**
   * Let the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20) through.
   * Only for tests, which use them as "attacker" addresses; production never should.
   */
  allowDocumentationRanges?: boolean | undefined;
}

const V4_SPECIAL: readonly [string, string, boolean][] = [
  ['0.0.0.0/8', '"this network" (RFC 791)', false],
  ['10.0.0.0/8', 'private network (RFC 1918)', false],
  ['100.64.0.0/10', 'shared address space / CGNAT (RFC 6598)', false],
  ['127.0.0.0/8', 'loopback (RFC 1122)', false],
  ['169.254.0.0/16', 'link-local (RFC 3927)', false],
  ['172.16.0.0/12', 'private network (RFC 1918)', false],
  ['192.0.0.0/24', 'IETF protocol assignments (RFC 6890)', false],
  ['192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)', true],
  ['192.88.99.0/24', '6to4 relay anycast (RFC 7526)', false],
  ['192.168.0.0/16', 'private network (RFC 1918)', false],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)', false],
  ['198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)', true],
  ['203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)', true],
  ['224.0.0.0/4', 'multicast (RFC 5771)', false],
  // 240.0.0.0/4 also holds the limited broadcast address 255.255.255.255.
  ['240.0.0.0/4', 'reserved for future use and broadcast (RFC 1112, RFC 919)', false],
];

// Specific IPv6 ranges come first so their reason is reported; anything outside 2000::/3 is caught afterwards.
const V6_SPECIAL: readonly [string, string, boolean][] = [
  ['::/128', 'unspecified address (RFC 4291)', false],
  ['::1/128', 'loopback (RFC 4291)', false],
  ['::ffff:0:0/96', 'IPv4-mapped (RFC 4291)', false],
  ['64:ff9b::/96', 'NAT64 well-known prefix (RFC 6052)', false],
  ['64:ff9b:1::/48', 'NAT64 local use (RFC 8215)', false],
  ['100::/64', 'discard-only (RFC 6666)', false],
  ['2001:2::/48', 'benchmarking (RFC 5180)', false],
  ['2001:db8::/32', 'documentation (RFC 3849)', true],
  ['3fff::/20', 'documentation (RFC 9637)', true],
  ['fc00::/7', 'unique local (RFC 4193)', false],
  ['fe80::/10', 'link-local (RFC 4291)', false],
  ['fec0::/10', 'site-local, deprecated (RFC 3879)', false],
  ['ff00::/8', 'multicast (RFC 4291)', false],
];

function build4(): Range4[] {
  return V4_SPECIAL.map(([cidr, reason, documentation]) => {
    const n = parseNetwork(cidr);
    if (!n || n.family !== 4) throw new Error(`bad built-in range ${cidr}`);
    return { start: n.start, end: n.end, cidr, reason, documentation };
  });
}

function build6(): Range6[] {
  return V6_SPECIAL.map(([cidr, reason, documentation]) => {
    const n = parseNetwork(cidr);
    if (!n || n.family !== 6) throw new Error(`bad built-in range ${cidr}`);
    return { start: n.start, end: n.end, cidr, reason, documentation };
  });
}

let ranges4: Range4[] | undefined;
let ranges6: Range6[] | undefined;

const GLOBAL_UNICAST_START = 0x2n << 124n; // 2000::
const GLOBAL_UNICAST_END = (0x4n << 124n) - 1n; // 3fff:ffff:…

/** The built-in special-purpose ranges as CIDR strings with their reason (for display and documentation). */
export function bogonRanges(): { cidr: string; reason: string; documentation: boolean }[] {
  return [...V4_SPECIAL, ...V6_SPECIAL, ['outside 2000::/3', 'not global unicast (RFC 4291)', false] as const].map(
    ([cidr, reason, documentation]) => ({ cidr, reason, documentation }),
  );
}

/**
 * Whether a network overlaps a special-purpose or bogon range, and why. Returns the reason (`"private network (RFC 1918)
 * 10.0.0.0/8"`) or null when the network is entirely public. Overlap is checked both ways, so a broad entry such as
 * 0.0.0.0/1 that merely contains a private range is refused too. IPv6 outside 2000::/3 is never global unicast and is
 * refused as well. Accepts a parsed `Network` or CIDR/IP text (unparsable text returns `"not an IP or CIDR"`).
 */
export function overlapsBogon(network: Network | string, options: BogonOptions = {}): string | null {
  const n = typeof network === 'string' ? parseNetwork(network) : network;
  if (!n) return 'not an IP or CIDR';
  const allowDoc = options.allowDocumentationRanges === true;
  if (n.family === 4) {
    ranges4 ??= build4();
    for (const r of ranges4) {
      if (n.start <= r.end && r.start <= n.end && !(allowDoc && r.documentation && n.start >= r.start && n.end <= r.end)) {
        return `${r.reason} ${r.cidr}`;
      }
    }
    return null;
  }
  ranges6 ??= build6();
  for (const r of ranges6) {
    if (n.start <= r.end && r.start <= n.end && !(allowDoc && r.documentation && n.start >= r.start && n.end <= r.end)) {
      return `${r.reason} ${r.cidr}`;
    }
  }
  if (n.start < GLOBAL_UNICAST_START || n.end > GLOBAL_UNICAST_END) return 'not global unicast (outside 2000::/3)';
  return null;
}

/** Parses a dotted quad without leading zeros into an unsigned 32-bit number, or -1. Scans char codes (no regex). */
export function parseIPv4(text: string, from = 0, to = text.length): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero ("010") is ambiguous (octal in some tools): refuse it.
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** Dotted-quad text of an unsigned 32-bit number. */
export function formatIPv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

// Appends the 16-bit groups of a colon-separated run; an embedded dotted quad (::ffff:1.2.3.4) gives two groups.
function expandGroups(run: string, out: number[]): boolean {
  if (run === '') return true;
  for (const g of run.split(':')) {
    if (g.indexOf('.') >= 0) {
      const v4 = parseIPv4(g);
      if (v4 < 0) return false;
      out.push(Math.floor(v4 / 65536), v4 & 0xffff);
    } else {
      out.push(parseInt(g, 16));
    }
  }
  return true;
}

/** Parses IPv6 text (no zone id) into a 128-bit bigint, or null. Validity is checked by node:net first. */
export function parseIPv6(text: string): bigint | null {
  if (text.length > 45 || text.indexOf('%') >= 0 || !isIPv6(text)) return null;
  let head = text;
  let tail = '';
  const dc = text.indexOf('::');
  if (dc >= 0) {
    head = text.slice(0, dc);
    tail = text.slice(dc + 2);
  }
  const headValues: number[] = [];
  const tailValues: number[] = [];
  if (!expandGroups(head, headValues) || !expandGroups(tail, tailValues)) return null;
  let all = headValues;
  if (dc >= 0) {
    const missing = 8 - headValues.length - tailValues.length;
    if (missing < 1) return null;
    all = [...headValues, ...new Array<number>(missing).fill(0), ...tailValues];
  }
  if (all.length !== 8) return null;
  let value = 0n;
  for (const g of all) {
    if (!(g >= 0 && g <= 0xffff)) return null;
    value = (value << 16n) | BigInt(g);
  }
  return value;
}

/** RFC 5952 text of a 128-bit value: lower-case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(value: bigint): string {
  const groups: number[] = new Array<number>(8);
  for (let i = 7; i >= 0; i--) {
    groups[i] = Number(value & 0xffffn);
    value >>= 16n;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

const ALL_ONES_128 = (1n << 128n) - 1n;

/**
 * Parses `IP` or `IP/prefix` (IPv4 or IPv6) into a `Network` with canonical text: a single address (/32, /128) is
 * written as the bare address, a network as `address/prefix` with host bits cleared (ipset does the same with
 * `1.2.3.4/24`). Returns null for anything else; never throws.
 */
export function parseNetwork(text: string): Network | null {
  if (text.length === 0 || text.length > 49) return null;
  const slash = text.indexOf('/');
  const addrEnd = slash >= 0 ? slash : text.length;
  let prefix = -1;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (p.length === 0 || p.length > 3) return null;
    prefix = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      prefix = prefix * 10 + (c - 48);
    }
    if (p.length > 1 && p.charCodeAt(0) === 48) return null;
  }
  const v4 = parseIPv4(text, 0, addrEnd);
  if (v4 >= 0) {
    if (prefix < 0) prefix = 32;
    if (prefix > 32) return null;
    const size = 2 ** (32 - prefix);
    const start = v4 - (v4 % size);
    const end = start + size - 1;
    // The input is already canonical unless it says /32 or has host bits set: reuse it rather than rebuild a string.
    const canonical = slash < 0 || (prefix < 32 && start === v4);
    const out = canonical ? text : prefix === 32 ? formatIPv4(start) : `${formatIPv4(start)}/${prefix}`;
    return { family: 4, start, end, prefix, text: out };
  }
  const v6 = parseIPv6(slash >= 0 ? text.slice(0, slash) : text);
  if (v6 === null) return null;
  if (prefix < 0) prefix = 128;
  if (prefix > 128) return null;
  const hostMask = prefix === 128 ? 0n : ALL_ONES_128 >> BigInt(prefix);
  const start = v6 & (ALL_ONES_128 ^ hostMask);
  const end = start | hostMask;
  return { family: 6, start, end, prefix, text: prefix === 128 ? formatIPv6(start) : `${formatIPv6(start)}/${prefix}` };
}
