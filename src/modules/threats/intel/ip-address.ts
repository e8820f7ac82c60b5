/**
 * IP address and CIDR text ↔ numbers, hand-written for the hot path: one pass of `charCodeAt`, no regex, no
 * allocation when parsing into a caller's scratch array. IPv4 addresses are uint32 numbers; IPv6 addresses are four
 * uint32 words, most significant first. Anything that is not a plain address (leading zeros in an IPv4 octet, zone
 * ids, brackets, spaces) is rejected rather than guessed at: input comes from the network.
 */

/** Longest IPv6 text accepted (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255` is 45 characters). */
const MAX_IPV6_TEXT = 45;

/**
 * Parse a dotted-quad IPv4 address in `s[from, to)` to a uint32, or -1 when it is not exactly four decimal octets
 * 0–255 without leading zeros (`01.2.3.4` is refused: some stacks read it as octal).
 */
export function parseIPv4At(s: string, from: number, to: number): number {
  const len = to - from;
  if (len < 7 || len > 15) return -1;
  let i = from;
  let value = 0;
  // Unrolled per octet: a third faster than a per-character state machine, and this runs once per log line.
  for (let part = 0; ; part++) {
    let d = s.charCodeAt(i++) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    let octet = d;
    // A leading 0 is a whole octet: "01" fails on the dot expected next.
    if (d !== 0 && i < to) {
      d = s.charCodeAt(i) - 48;
      if (d >= 0 && d <= 9) {
        octet = octet * 10 + d;
        i++;
        if (i < to) {
          d = s.charCodeAt(i) - 48;
          if (d >= 0 && d <= 9) {
            octet = octet * 10 + d;
            i++;
            if (octet > 255) return -1;
          }
        }
      }
    }
    value = value * 256 + octet;
    if (part === 3) return i === to ? value : -1;
    if (i >= to || s.charCodeAt(i++) !== 46 /* . */) return -1;
  }
}

/** Parse a dotted-quad IPv4 address to a uint32, or -1 (see `parseIPv4At`). Never throws. */
export function parseIPv4(s: string): number {
  if (typeof s !== 'string') return -1;
  return parseIPv4At(s, 0, s.length);
}

const groups = new Uint16Array(8);

/** Hex digit values by character code (-1: not a hex digit); a table beats three range checks per character. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[97 + c] = 10 + c;
  HEX[65 + c] = 10 + c;
}

function hexValue(c: number): number {
  return c < 128 ? (HEX[c] as number) : -1;
}

/**
 * Parse an IPv6 address in `s[from, to)` into `out[0..3]` (uint32 words, most significant first). Accepts `::`
 * compression, upper or lower case, and a trailing embedded IPv4 (`::ffff:1.2.3.4`, `64:ff9b::192.0.2.1`).
 * Rejects zone ids (`fe80::1%eth0`), brackets, and more than 4 hex digits per group. Returns false (leaving `out`
 * in an unspecified state) on anything else. No allocation.
 */
export function parseIPv6At(s: string, from: number, to: number, out: Uint32Array): boolean {
  const len = to - from;
  if (len < 2 || len > MAX_IPV6_TEXT) return false;
  let n = 0;
  let gap = -1;
  let i = from;
  if (s.charCodeAt(i) === 58 /* : */) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < to) {
    const start = i;
    let v = 0;
    let digits = 0;
    while (i < to) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      if (++digits > 4) return false;
      v = v * 16 + h;
      i++;
    }
    if (i < to && s.charCodeAt(i) === 46 /* . */) {
      // Embedded IPv4: only as the last 32 bits.
      if (n > 6) return false;
      const v4 = parseIPv4At(s, start, to);
      if (v4 < 0) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = to;
      break;
    }
    if (digits === 0 || n === 8) return false;
    groups[n++] = v;
    if (i === to) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < to && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === to) return false; // a single trailing colon
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const zeros = 8 - n;
  for (let w = 0; w < 4; w++) {
    const k = w * 2;
    const hi = k < gap || gap < 0 ? (groups[k] as number) : k < gap + zeros ? 0 : (groups[k - zeros] as number);
    const k2 = k + 1;
    const lo = k2 < gap || gap < 0 ? (groups[k2] as number) : k2 < gap + zeros ? 0 : (groups[k2 - zeros] as number);
    out[w] = hi * 65536 + lo;
  }
  return true;
}

/** Parse an IPv6 address to four uint32 words (most significant first), or null. Never throws. */
export function parseIPv6(s: string): [number, number, number, number] | null {
  if (typeof s !== 'string') return null;
  const w = new Uint32Array(4);
  return parseIPv6At(s, 0, s.length, w) ? [w[0] as number, w[1] as number, w[2] as number, w[3] as number] : null;
}

/** Whether IPv6 words are an IPv4-mapped address (`::ffff:a.b.c.d`), which is looked up as the IPv4 address. */
export function isMappedIPv4(w: ArrayLike<number>): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

/** A parsed network: IPv4 bounds are uint32 numbers, IPv6 bounds four uint32 words each. Both inclusive. */
export type ParsedCidr =
  | { family: 4; prefix: number; start: number; end: number }
  | { family: 6; prefix: number; start: readonly number[]; end: readonly number[] };

/** Scratch layout of `scanCidr`: [0] prefix, [1..4] start words, [5..8] end words (IPv4: start in [1], end in [5]). */
export const CIDR_SCRATCH_LENGTH = 9;

function maskOf(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Parse `a.b.c.d/n`, `a.b.c.d` (a /32), `x:y::z/n` or a bare IPv6 (a /128) into `out` (see `CIDR_SCRATCH_LENGTH`),
 * returning the family (4 or 6) or 0 for garbage. Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`). IPv4-mapped
 * IPv6 networks of prefix ≥ 96 come back as IPv4 (`::ffff:10.0.0.0/104` is `10.0.0.0/8`), so that they match the
 * IPv4 lookups that mapped addresses become. No allocation.
 */
export function scanCidr(text: string, out: Uint32Array): 0 | 4 | 6 {
  if (typeof text !== 'string' || text.length > MAX_IPV6_TEXT + 4) return 0;
  const slash = text.indexOf('/');
  const addrEnd = slash < 0 ? text.length : slash;
  let prefix = -1;
  if (slash >= 0) {
    const digits = text.length - slash - 1;
    if (digits < 1 || digits > 3) return 0;
    prefix = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return 0;
      prefix = prefix * 10 + d;
    }
  }
  const v4 = parseIPv4At(text, 0, addrEnd);
  if (v4 >= 0) {
    if (prefix > 32) return 0;
    if (prefix < 0) prefix = 32;
    const mask = maskOf(prefix);
    out[0] = prefix;
    out[1] = (v4 & mask) >>> 0;
    out[5] = (v4 | ~mask) >>> 0;
    return 4;
  }
  const words = scratchWords;
  if (!parseIPv6At(text, 0, addrEnd, words)) return 0;
  if (prefix > 128) return 0;
  if (prefix < 0) prefix = 128;
  if (prefix >= 96 && isMappedIPv4(words)) {
    const mask = maskOf(prefix - 96);
    out[0] = prefix - 96;
    out[1] = ((words[3] as number) & mask) >>> 0;
    out[5] = ((words[3] as number) | ~mask) >>> 0;
    return 4;
  }
  out[0] = prefix;
  for (let w = 0; w < 4; w++) {
    const mask = maskOf(prefix - 32 * w);
    out[1 + w] = ((words[w] as number) & mask) >>> 0;
    out[5 + w] = ((words[w] as number) | ~mask) >>> 0;
  }
  return 6;
}

const scratchWords = new Uint32Array(4);
const scratchCidr = new Uint32Array(CIDR_SCRATCH_LENGTH);

/**
 * Parse a CIDR (`a.b.c.d/n`, a bare IPv4 as /32, IPv6 `/n`, a bare IPv6 as /128) to its inclusive bounds, with
 * host bits cleared; null for anything else. Never throws. Allocates the result: bulk paths use `scanCidr`.
 */
export function parseCidr(text: string): ParsedCidr | null {
  const family = scanCidr(text, scratchCidr);
  const o = scratchCidr;
  if (family === 4) return { family, prefix: o[0] as number, start: o[1] as number, end: o[5] as number };
  if (family === 6)
    return {
      family,
      prefix: o[0] as number,
      start: [o[1] as number, o[2] as number, o[3] as number, o[4] as number],
      end: [o[5] as number, o[6] as number, o[7] as number, o[8] as number],
    };
  return null;
}

/** A uint32 as dotted-quad text. */
export function formatIPv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/**
 * Four uint32 words as canonical IPv6 text (RFC 5952): lower case, no leading zeros, the longest run of two or
 * more zero groups (the first on a tie) as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 */
export function formatIPv6(words: ArrayLike<number>): string {
  if (isMappedIPv4(words)) return `::ffff:${formatIPv4(words[3] as number)}`;
  const g: number[] = [];
  for (let w = 0; w < 4; w++) {
    const v = (words[w] ?? 0) >>> 0;
    g.push(v >>> 16, v & 0xffff);
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/**
 * The /64 network of an IPv6 address as CIDR text (`2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`), the unit a
 * single customer usually gets; null when the text is not IPv6 (or is IPv4-mapped: use `net24`).
 */
export function ipv6Prefix64(ip: string): string | null {
  if (typeof ip !== 'string' || !parseIPv6At(ip, 0, ip.length, scratchWords) || isMappedIPv4(scratchWords)) return null;
  return `${formatIPv6([scratchWords[0] as number, scratchWords[1] as number, 0, 0])}/64`;
}

/**
 * The /24 network of an IPv4 address (a uint32, dotted-quad text, or IPv4-mapped IPv6 text) as CIDR text
 * (`203.0.113.7` → `203.0.113.0/24`); null when it is not IPv4.
 */
export function net24(ip: number | string): string | null {
  let v: number;
  if (typeof ip === 'number') v = Number.isInteger(ip) && ip >= 0 && ip <= 0xffffffff ? ip : -1;
  else {
    v = parseIPv4(ip);
    if (v < 0 && typeof ip === 'string' && parseIPv6At(ip, 0, ip.length, scratchWords) && isMappedIPv4(scratchWords))
      v = scratchWords[3] as number;
  }
  return v < 0 ? null : `${formatIPv4((v & 0xffffff00) >>> 0)}/24`;
}
