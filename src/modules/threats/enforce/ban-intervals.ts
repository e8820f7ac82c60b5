import { CIDR_SCRATCH_LENGTH, formatIPv4, formatIPv6, scanCidr } from '../intel/ip-address.ts';

/** What every firewall output needs of a decision: the address or network, and when the ban ends (epoch ms). */
export interface BanEntry {
  value: string;
  until: number;
}

/** A ban as an inclusive address interval (IPv4 and IPv6 both as bigint, so one sweep serves both). */
export interface BanInterval {
  family: 4 | 6;
  lo: bigint;
  hi: bigint;
  /** Prefix length of the network it came from (32/128 for a single address). */
  prefix: number;
  until: number;
}

const scratch = new Uint32Array(CIDR_SCRATCH_LENGTH);

/**
 * Parse ban values to intervals, in input order; values that are not an IP or CIDR, and bans already over at
 * `now`, are counted in `skipped` and left out (one bad row never sinks a firewall file).
 */
export function toIntervals(
  entries: readonly BanEntry[],
  now: number,
): { v4: BanInterval[]; v6: BanInterval[]; skipped: number } {
  const v4: BanInterval[] = [];
  const v6: BanInterval[] = [];
  let skipped = 0;
  for (const e of entries) {
    const family = e.until > now ? scanCidr(e.value, scratch) : 0;
    if (family === 4) {
      v4.push({
        family,
        lo: BigInt(scratch[1] as number),
        hi: BigInt(scratch[5] as number),
        prefix: scratch[0] as number,
        until: e.until,
      });
    } else if (family === 6) {
      v6.push({ family, lo: wordsToBig(scratch, 1), hi: wordsToBig(scratch, 5), prefix: scratch[0] as number, until: e.until });
    } else skipped++;
  }
  return { v4, v6, skipped };
}

function wordsToBig(w: Uint32Array, at: number): bigint {
  return (
    (BigInt(w[at] as number) << 96n) |
    (BigInt(w[at + 1] as number) << 64n) |
    (BigInt(w[at + 2] as number) << 32n) |
    BigInt(w[at + 3] as number)
  );
}

const M32 = 0xffffffffn;

/** An address of the family as canonical text. */
export function formatAddress(family: 4 | 6, a: bigint): string {
  if (family === 4) return formatIPv4(Number(a));
  return formatIPv6([Number((a >> 96n) & M32), Number((a >> 64n) & M32), Number((a >> 32n) & M32), Number(a & M32)]);
}

/** A network as canonical text (a bare address for /32 and /128), with its latest end and its prefix length. */
export interface BanNetwork {
  text: string;
  prefix: number;
  until: number;
}

/**
 * Active bans as canonical network text per family, exact duplicates merged to the longest ban, input order kept
 * otherwise. Nested networks stay: ipset `hash:net`, nginx `geo` and plain lists all accept them. No bigint on this
 * path (it is the one a 100,000-entry plain list takes).
 */
export function toNetworks(entries: readonly BanEntry[], now: number): { v4: BanNetwork[]; v6: BanNetwork[] } {
  const v4 = new Map<string, BanNetwork>();
  const v6 = new Map<string, BanNetwork>();
  const words = [0, 0, 0, 0];
  for (const e of entries) {
    const family = e.until > now ? scanCidr(e.value, scratch) : 0;
    if (family === 0) continue;
    const prefix = scratch[0] as number;
    let text: string;
    if (family === 4) text = prefix === 32 ? formatIPv4(scratch[1] as number) : `${formatIPv4(scratch[1] as number)}/${prefix}`;
    else {
      for (let w = 0; w < 4; w++) words[w] = scratch[1 + w] as number;
      text = prefix === 128 ? formatIPv6(words) : `${formatIPv6(words)}/${prefix}`;
    }
    const map = family === 4 ? v4 : v6;
    const prev = map.get(text);
    if (!prev) map.set(text, { text, prefix, until: e.until });
    else if (e.until > prev.until) prev.until = e.until;
  }
  return { v4: [...v4.values()], v6: [...v6.values()] };
}

/** A piece of the address line with one end time: the output of `collapse`. */
export interface Segment {
  lo: bigint;
  hi: bigint;
  until: number;
}

/**
 * Non-overlapping segments covering exactly the banned addresses, each address ending at the latest end of the bans
 * covering it. nftables interval sets refuse overlapping elements ("conflicting intervals specified"), so a ban on
 * an address inside a banned network is folded in: dropped when the network's ban lasts as long, otherwise cut out
 * of the network as its own segment with its longer end. CIDR networks are either nested or disjoint, so one sorted
 * sweep with a stack of open networks does it. Segments come out in address order.
 */
export function collapse(intervals: readonly BanInterval[]): Segment[] {
  const sorted = [...intervals].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : a.hi > b.hi ? -1 : a.hi < b.hi ? 1 : 0));
  const out: Segment[] = [];
  const stack: { hi: bigint; until: number }[] = [];
  let pos = 0n;
  const emit = (lo: bigint, hi: bigint, until: number) => {
    if (lo > hi) return;
    const last = out[out.length - 1];
    // Touching pieces with the same end become one (a cut that turned out not to be needed).
    if (last && last.until === until && last.hi + 1n === lo) last.hi = hi;
    else out.push({ lo, hi, until });
  };
  for (const i of sorted) {
    let top = stack[stack.length - 1];
    while (top && top.hi < i.lo) {
      emit(pos, top.hi, top.until);
      pos = top.hi + 1n;
      stack.pop();
      top = stack[stack.length - 1];
    }
    if (!top) {
      pos = i.lo;
      stack.push({ hi: i.hi, until: i.until });
    } else if (i.until > top.until) {
      // Laminar: `top` contains `i`. The part of `top` before `i` keeps top's end; `i` gets its own, longer one.
      emit(pos, i.lo - 1n, top.until);
      pos = i.lo;
      stack.push({ hi: i.hi, until: i.until });
    }
    // else: covered by a network banned at least as long: nothing to add.
  }
  while (stack.length > 0) {
    const top = stack.pop() as { hi: bigint; until: number };
    emit(pos, top.hi, top.until);
    pos = top.hi + 1n;
  }
  return out;
}

/**
 * A segment as nft element text: a bare address, a CIDR when it is exactly one aligned network, else `lo-hi`
 * (interval sets take ranges; an IPv6 /64 stays `2001:db8:1:2::/64`).
 */
export function formatSegment(family: 4 | 6, s: Segment): string {
  const size = s.hi - s.lo + 1n;
  if (size === 1n) return formatAddress(family, s.lo);
  // A power of two whose block starts aligned: a CIDR.
  if ((size & (size - 1n)) === 0n && (s.lo & (size - 1n)) === 0n) {
    const bits = size.toString(2).length - 1;
    return `${formatAddress(family, s.lo)}/${(family === 4 ? 32 : 128) - bits}`;
  }
  return `${formatAddress(family, s.lo)}-${formatAddress(family, s.hi)}`;
}
