import { Worker } from 'node:worker_threads';
import { CIDR_SCRATCH_LENGTH, isMappedIPv4, parseIPv4At, parseIPv6At, scanCidr } from './ip-address.ts';

/**
 * One index of every threat feed and the allowlist, IPv4 and IPv6, answering "which sources list this IP, since
 * when" without allocating on a miss.
 *
 * Layout. The CIDRs of all sources are cut into elementary, non-overlapping intervals, each labelled with the set of
 * sources covering it; each distinct set is stored once and intervals carry its id (16-bit while there are at most
 * 65,536 sets, as with any realistic number of feeds); neighbouring intervals with the same set are merged. IPv4
 * intervals are [start, end] pairs in one Uint32Array (interleaved: the end is on the cache line the search ended
 * on) and a set-id array: 10 bytes each, plus a 65,537-entry table giving, for the top 16 bits of an address, the
 * window of intervals to binary-search (a few steps). IPv6 intervals whose bounds fall on /64 boundaries (most of
 * real lists: /32, /48, /64) keep only their upper 64 bits (18 bytes per interval); the rest keep all four words per
 * bound (34 bytes). The two IPv6 tables never overlap, so a lookup tries the fine one and then the coarse one.
 * Sources in a hit come in the order they were given to the build.
 *
 * "Since" is kept apart from the sets (it differs per CIDR, and would make nearly every set distinct): for each
 * source that gives it, its own CIDRs sorted by start with a parent link (CIDRs nest or are disjoint) and the
 * earliest `since` along the chain; a hit walks from the last CIDR starting at or before the address up to the
 * first that covers it.
 */

export type SourceKind = 'feed' | 'allow';

export interface IndexSource {
  /** The feed's (or allowlist's) id, reported back on hits. */
  id: number;
  name: string;
  kind: SourceKind;
  /** Networks or addresses as text; a bad item is counted (`stats().rejected`) and skipped. */
  cidrs: readonly string[];
  /** When each CIDR was first listed (epoch seconds), same length as `cidrs`; absent or NaN: unknown. */
  since?: readonly number[] | undefined;
}

export interface IndexHitSource {
  id: number;
  name: string;
  kind: SourceKind;
  /** The earliest `since` of this source's CIDRs that cover the address; undefined when the source gave none. */
  since: number | undefined;
}

export interface IndexHit {
  sources: readonly IndexHitSource[];
}

export interface IpIndexStats {
  /** Stored intervals after splitting and merging (what lookups search). */
  ranges: number;
  ipv4Ranges: number;
  ipv6Ranges: number;
  /** CIDRs given and accepted / rejected as garbage. */
  inputRanges: number;
  rejected: number;
  /** Distinct source sets. */
  sets: number;
  /** Bytes of every typed array the index holds (the per-set hit objects, a few hundred bytes each, aside). */
  bytes: number;
  builtMs: number;
}

/** "Since" data of one source in one family: its CIDRs sorted by start (then outer first), parent links, min since. */
export interface SinceTable {
  source: number;
  /** IPv4: one word per bound; IPv6: four. */
  starts: Uint32Array;
  ends: Uint32Array;
  since: Float64Array;
  parent: Int32Array;
}

export type SetIds = Uint16Array | Uint32Array;

/** The built index as plain typed arrays: what a build worker transfers back (no copy) and `IpIndex` wraps. */
export interface IpIndexData {
  sources: { id: number; name: string; kind: SourceKind }[];
  /** IPv4 intervals as [start, end] pairs (interleaved: the end is read from the cache line the search ended on). */
  v4Bounds: Uint32Array;
  /** Set id per interval: 16-bit while there are at most 65,536 distinct sets (the usual case), else 32-bit. */
  v4Sets: SetIds;
  /** v4Table[b] = first interval whose end ≥ b·2^16, for b in 0..65536. */
  v4Table: Uint32Array;
  /** /64-aligned IPv6 intervals, upper two words per bound: [start0, start1, end0, end1] per interval. */
  v6cBounds: Uint32Array;
  v6cSets: SetIds;
  /** Like v4Table, over the top 16 bits of the first word; empty when the table has no interval. */
  v6cTable: Uint32Array;
  /** Other IPv6 intervals, four words per bound: [start0..3, end0..3] per interval. */
  v6fBounds: Uint32Array;
  v6fSets: SetIds;
  v6fTable: Uint32Array;
  /** Members (source indexes, ascending) of set s: setMembers[setOffsets[s] .. setOffsets[s+1]). */
  setOffsets: Uint32Array;
  setMembers: Uint32Array;
  sinceV4: SinceTable[];
  sinceV6: SinceTable[];
  inputRanges: number;
  rejected: number;
  builtMs: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Build

/** A growable Uint32Array (the IPv6 side, whose size is not known up front). */
class U32List {
  a = new Uint32Array(64);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  take(): Uint32Array {
    return this.a.slice(0, this.n);
  }
}

/**
 * Stable LSD radix sort (two 16-bit passes) of the indexes in `idx` by `keys[idx]` (or by its complement, for a
 * descending order). Linear time: a comparator sort of a million entries costs ten times more.
 */
function radixSort(idx: Uint32Array, keys: Uint32Array, descending: boolean): Uint32Array {
  const n = idx.length;
  // Never writes into `idx`: callers sort the same identity order by several keys.
  let src: Uint32Array = idx;
  let dst: Uint32Array = new Uint32Array(n);
  let spare: Uint32Array | null = new Uint32Array(n);
  const count = new Uint32Array(65537);
  for (let shift = 0; shift <= 16; shift += 16) {
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const k = descending ? ~(keys[src[i] as number] as number) >>> 0 : (keys[src[i] as number] as number);
      (count[((k >>> shift) & 0xffff) + 1] as number)++;
    }
    for (let b = 1; b <= 65536; b++) count[b] = (count[b] as number) + (count[b - 1] as number);
    for (let i = 0; i < n; i++) {
      const e = src[i] as number;
      const k = descending ? ~(keys[e] as number) >>> 0 : (keys[e] as number);
      const b = (k >>> shift) & 0xffff;
      dst[count[b] as number] = e;
      count[b] = (count[b] as number) + 1;
    }
    const done = dst;
    dst = src === idx ? (spare ?? new Uint32Array(n)) : src;
    spare = null;
    src = done;
  }
  return src;
}

function cmp4(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let w = 0; w < 4; w++) {
    const x = a[ai + w] as number;
    const y = b[bi + w] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Interns sets of sources while sweeping: the active set is tracked by count per source and two additive 32-bit
 * hashes (updated in O(1) as sources come and go); a hash hit is confirmed by comparing members.
 */
class SetInterner {
  readonly count: Int32Array;
  readonly active: number[] = [];
  readonly #pos: Int32Array;
  readonly #r1: Uint32Array;
  readonly #r2: Uint32Array;
  #h1 = 0;
  #h2 = 0;
  readonly #byHash = new Map<number, number>();
  readonly #next: number[] = [];
  readonly members: number[][] = [];

  constructor(sources: number) {
    this.count = new Int32Array(sources);
    this.#pos = new Int32Array(sources);
    this.#r1 = new Uint32Array(sources);
    this.#r2 = new Uint32Array(sources);
    let x = 0x9e3779b9;
    const rnd = (): number => {
      // xorshift32: deterministic, so builds are reproducible.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let i = 0; i < sources; i++) {
      this.#r1[i] = rnd();
      this.#r2[i] = rnd();
    }
  }

  add(src: number): void {
    if ((this.count[src] as number)++ !== 0) return;
    this.#pos[src] = this.active.length;
    this.active.push(src);
    this.#h1 = (this.#h1 + (this.#r1[src] as number)) >>> 0;
    this.#h2 = (this.#h2 + (this.#r2[src] as number)) >>> 0;
  }

  remove(src: number): void {
    if (--(this.count[src] as number) !== 0) return;
    const at = this.#pos[src] as number;
    const last = this.active.pop() as number;
    if (last !== src) {
      this.active[at] = last;
      this.#pos[last] = at;
    }
    this.#h1 = (this.#h1 - (this.#r1[src] as number)) >>> 0;
    this.#h2 = (this.#h2 - (this.#r2[src] as number)) >>> 0;
  }

  /** The id of the active set, or -1 when no source is active. */
  current(): number {
    const n = this.active.length;
    if (n === 0) return -1;
    const key = this.#h1 * 2097152 + (this.#h2 & 0x1fffff);
    const first = this.#byHash.get(key);
    for (let s = first ?? -1; s >= 0; s = this.#next[s] as number) {
      const m = this.members[s] as number[];
      if (m.length !== n) continue;
      let same = true;
      for (let k = 0; k < n; k++)
        if ((this.count[m[k] as number] as number) === 0) {
          same = false;
          break;
        }
      if (same) return s;
    }
    const id = this.members.length;
    this.members.push(this.active.slice().sort((a, b) => a - b));
    this.#next.push(first ?? -1);
    this.#byHash.set(key, id);
    return id;
  }
}

/** Sweep the IPv4 CIDRs into merged elementary intervals. */
function sweepV4(
  starts: Uint32Array,
  ends: Uint32Array,
  srcs: Uint32Array,
  sets: SetInterner,
): { bounds: Uint32Array; id: Uint32Array } {
  const n = starts.length;
  const identity = new Uint32Array(n);
  for (let i = 0; i < n; i++) identity[i] = i;
  const byStart = radixSort(identity, starts, false);
  const byEnd = radixSort(identity, ends, false);
  const cap = Math.max(1, 2 * n);
  const ob = new Uint32Array(cap * 2);
  const oid = new Uint32Array(cap);
  let m = 0;
  let cur = -1;
  let prevEmitted = false;
  let segStart = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < n) {
    const ps = i < n ? (starts[byStart[i] as number] as number) : Infinity;
    const pe = j < n ? (ends[byEnd[j] as number] as number) + 1 : Infinity;
    const p = ps < pe ? ps : pe;
    if (p > segStart) {
      if (cur >= 0) {
        if (prevEmitted && oid[m - 1] === cur) ob[m * 2 - 1] = p - 1;
        else {
          ob[m * 2] = segStart;
          ob[m * 2 + 1] = p - 1;
          oid[m] = cur;
          m++;
        }
        prevEmitted = true;
      } else prevEmitted = false;
    }
    while (j < n && (ends[byEnd[j] as number] as number) + 1 === p) sets.remove(srcs[byEnd[j++] as number] as number);
    while (i < n && starts[byStart[i] as number] === p) sets.add(srcs[byStart[i++] as number] as number);
    segStart = p;
    cur = sets.current();
  }
  return { bounds: ob.slice(0, m * 2), id: oid.slice(0, m) };
}

/** Sweep the IPv6 CIDRs (four words per bound) into merged elementary intervals. */
function sweepV6(
  starts: Uint32Array,
  ends: Uint32Array,
  srcs: Uint32Array,
  sets: SetInterner,
): { s: U32List; e: U32List; id: U32List } {
  const n = srcs.length;
  // end + 1 of every entry, with a flag for the one past ffff:…:ffff.
  const next = new Uint32Array(n * 4);
  const over = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    let carry = 1;
    for (let w = 3; w >= 0; w--) {
      const v = (ends[k * 4 + w] as number) + carry;
      carry = v > 0xffffffff ? 1 : 0;
      next[k * 4 + w] = v >>> 0;
    }
    over[k] = carry;
  }
  const byStart = Array.from({ length: n }, (_, k) => k).sort((a, b) => cmp4(starts, a * 4, starts, b * 4));
  const byEnd = Array.from({ length: n }, (_, k) => k).sort((a, b) => over[a]! - over[b]! || cmp4(next, a * 4, next, b * 4));
  const os = new U32List();
  const oe = new U32List();
  const oid = new U32List();
  const seg = new Uint32Array(4);
  const last = new Uint32Array(4);
  let cur = -1;
  let prevEmitted = false;
  let i = 0;
  let j = 0;
  while (i < n || j < n) {
    const si = byStart[i];
    const ej = byEnd[j];
    // The next boundary: a start, or an end + 1 (a start first on a tie: both are applied at the same point).
    const fromStart = si !== undefined && (ej === undefined || over[ej] === 1 || cmp4(starts, si * 4, next, ej * 4) <= 0);
    const pArr = fromStart ? starts : next;
    const pOff = fromStart ? si * 4 : (ej as number) * 4;
    const pOver = !fromStart && over[ej as number] === 1;
    if (pOver || cmp4(pArr, pOff, seg, 0) > 0) {
      if (cur >= 0) {
        // The segment's last address, p - 1: the end itself when p is an end + 1.
        if (fromStart) {
          let borrow = 1;
          for (let w = 3; w >= 0; w--) {
            const v = (pArr[pOff + w] as number) - borrow;
            borrow = v < 0 ? 1 : 0;
            last[w] = v >>> 0;
          }
        } else for (let w = 0; w < 4; w++) last[w] = ends[pOff + w] as number;
        if (prevEmitted && oid.a[oid.n - 1] === cur) for (let w = 0; w < 4; w++) oe.a[oe.n - 4 + w] = last[w] as number;
        else {
          for (let w = 0; w < 4; w++) os.push(seg[w] as number);
          for (let w = 0; w < 4; w++) oe.push(last[w] as number);
          oid.push(cur);
        }
        prevEmitted = true;
      } else prevEmitted = false;
    }
    if (pOver) break;
    for (let w = 0; w < 4; w++) seg[w] = pArr[pOff + w] as number;
    for (let e = byEnd[j]; e !== undefined && over[e] === 0 && cmp4(next, e * 4, seg, 0) === 0; e = byEnd[++j])
      sets.remove(srcs[e] as number);
    for (let s = byStart[i]; s !== undefined && cmp4(starts, s * 4, seg, 0) === 0; s = byStart[++i]) sets.add(srcs[s] as number);
    cur = sets.current();
  }
  return { s: os, e: oe, id: oid };
}

/** Build the since table of one source from its CIDRs `idx` (sorted by start, outer first). */
function sinceTable(
  source: number,
  idx: ArrayLike<number>,
  starts: Uint32Array,
  ends: Uint32Array,
  since: Float64Array,
  words: 1 | 4,
): SinceTable {
  const n = idx.length;
  const ts = new Uint32Array(n * words);
  const te = new Uint32Array(n * words);
  const tsince = new Float64Array(n);
  const parent = new Int32Array(n);
  const stack: number[] = [];
  let m = 0;
  for (let k = 0; k < n; k++) {
    const e = idx[k] as number;
    const eo = e * words;
    // Pop the CIDRs that ended before this one starts; the top of the stack then contains it (CIDRs nest).
    while (stack.length > 0) {
      const top = (stack[stack.length - 1] as number) * words;
      if (words === 1 ? (te[top] as number) >= (starts[eo] as number) : cmp4(te, top, starts, eo) >= 0) break;
      stack.pop();
    }
    const top = stack[stack.length - 1];
    const own = since[e] as number;
    if (top !== undefined) {
      let same = true;
      for (let w = 0; w < words; w++)
        if (ts[top * words + w] !== starts[eo + w] || te[top * words + w] !== ends[eo + w]) same = false;
      if (same) {
        // The same CIDR listed twice: keep the earliest (nothing nested in it has been seen yet).
        if (own < (tsince[top] as number)) tsince[top] = own;
        continue;
      }
    }
    for (let w = 0; w < words; w++) {
      ts[m * words + w] = starts[eo + w] as number;
      te[m * words + w] = ends[eo + w] as number;
    }
    parent[m] = top ?? -1;
    tsince[m] = top === undefined ? own : Math.min(own, tsince[top] as number);
    stack.push(m);
    m++;
  }
  return {
    source,
    starts: ts.slice(0, m * words),
    ends: te.slice(0, m * words),
    since: tsince.slice(0, m),
    parent: parent.slice(0, m),
  };
}

/**
 * The first-level table of sorted, disjoint intervals: table[b] = the first interval whose end's top 16 bits are
 * ≥ b, for b in 0..65536 (interval i's end has its first word at `ends[i * stride + offset]`). Intervals that touch
 * bucket b are then those in [table[b], table[b + 1]] (the last only if it starts inside the bucket).
 */
function firstLevel(ends: Uint32Array, offset: number, stride: number, count: number, always: boolean): Uint32Array {
  // IPv6 tables are small or empty in most deployments: no 256 KiB table for nothing.
  if (count === 0 && !always) return new Uint32Array(0);
  const table = new Uint32Array(65537);
  for (let b = 0, i = 0; b <= 65536; b++) {
    while (i < count && (ends[i * stride + offset] as number) >>> 16 < b) i++;
    table[b] = i;
  }
  return table;
}

/**
 * Build the index data synchronously (tests, the CLI, and the worker behind `IpIndexHolder`). Bad CIDRs are counted
 * and skipped; a source with an unknown kind or a `since` array of the wrong length throws a RangeError (a caller's
 * bug, not hostile input).
 */
export function buildIpIndexData(sources: readonly IndexSource[]): IpIndexData {
  const t0 = performance.now();
  let total = 0;
  for (const src of sources) {
    if (src.kind !== 'feed' && src.kind !== 'allow') throw new RangeError(`source ${src.id}: unknown kind`);
    if (src.since !== undefined && src.since.length !== src.cidrs.length)
      throw new RangeError(`source ${src.id}: since has ${src.since.length} values for ${src.cidrs.length} cidrs`);
    total += src.cidrs.length;
  }
  const scratch = new Uint32Array(CIDR_SCRATCH_LENGTH);
  const v4s = new Uint32Array(total);
  const v4e = new Uint32Array(total);
  const v4src = new Uint32Array(total);
  const withSince = sources.some((s) => s.since !== undefined);
  const v4since = withSince ? new Float64Array(total) : new Float64Array(0);
  const v6s = new U32List();
  const v6e = new U32List();
  const v6src = new U32List();
  const v6since: number[] = [];
  let n4 = 0;
  let rejected = 0;
  for (let si = 0; si < sources.length; si++) {
    const src = sources[si] as IndexSource;
    const cidrs = src.cidrs;
    const since = src.since;
    for (let k = 0; k < cidrs.length; k++) {
      const family = scanCidr(cidrs[k] as string, scratch);
      const when = since === undefined ? Infinity : (since[k] as number);
      const at = Number.isFinite(when) ? when : Infinity;
      if (family === 4) {
        v4s[n4] = scratch[1] as number;
        v4e[n4] = scratch[5] as number;
        v4src[n4] = si;
        if (withSince) v4since[n4] = at;
        n4++;
      } else if (family === 6) {
        for (let w = 1; w <= 4; w++) v6s.push(scratch[w] as number);
        for (let w = 5; w <= 8; w++) v6e.push(scratch[w] as number);
        v6src.push(si);
        if (withSince) v6since.push(at);
      } else rejected++;
    }
  }
  const starts4 = v4s.subarray(0, n4);
  const ends4 = v4e.subarray(0, n4);
  const src4 = v4src.subarray(0, n4);
  const sets = new SetInterner(sources.length);
  const iv4 = sweepV4(starts4, ends4, src4, sets);
  const starts6 = v6s.take();
  const ends6 = v6e.take();
  const src6 = v6src.take();
  const iv6 = sweepV6(starts6, ends6, src6, sets);

  // IPv4 first-level table.
  const m4 = iv4.id.length;
  const v4Table = firstLevel(iv4.bounds, 1, 2, m4, true);

  // IPv6: split /64-aligned intervals (low words 0 … ffffffff) from the rest.
  const m6 = iv6.id.n;
  let coarse = 0;
  const isCoarse = new Uint8Array(m6);
  for (let k = 0; k < m6; k++) {
    const o = k * 4;
    if (iv6.s.a[o + 2] === 0 && iv6.s.a[o + 3] === 0 && iv6.e.a[o + 2] === 0xffffffff && iv6.e.a[o + 3] === 0xffffffff) {
      isCoarse[k] = 1;
      coarse++;
    }
  }
  const v6cBounds = new Uint32Array(coarse * 4);
  const narrow = sets.members.length <= 65536;
  const setIds = (n: number): SetIds => (narrow ? new Uint16Array(n) : new Uint32Array(n));
  const v4Sets = setIds(m4);
  v4Sets.set(iv4.id);
  const v6cSets = setIds(coarse);
  const v6fBounds = new Uint32Array((m6 - coarse) * 8);
  const v6fSets = setIds(m6 - coarse);
  for (let k = 0, c = 0, f = 0; k < m6; k++) {
    const o = k * 4;
    if (isCoarse[k] === 1) {
      v6cBounds[c * 4] = iv6.s.a[o] as number;
      v6cBounds[c * 4 + 1] = iv6.s.a[o + 1] as number;
      v6cBounds[c * 4 + 2] = iv6.e.a[o] as number;
      v6cBounds[c * 4 + 3] = iv6.e.a[o + 1] as number;
      v6cSets[c++] = iv6.id.a[k] as number;
    } else {
      v6fBounds.set(iv6.s.a.subarray(o, o + 4), f * 8);
      v6fBounds.set(iv6.e.a.subarray(o, o + 4), f * 8 + 4);
      v6fSets[f++] = iv6.id.a[k] as number;
    }
  }

  const setOffsets = new Uint32Array(sets.members.length + 1);
  let memberCount = 0;
  for (let s = 0; s < sets.members.length; s++) {
    setOffsets[s] = memberCount;
    memberCount += (sets.members[s] as number[]).length;
  }
  setOffsets[sets.members.length] = memberCount;
  const setMembers = new Uint32Array(memberCount);
  for (let s = 0; s < sets.members.length; s++) setMembers.set(sets.members[s] as number[], setOffsets[s]);

  // Since tables, for the sources that gave since values.
  const sinceV4: SinceTable[] = [];
  const sinceV6: SinceTable[] = [];
  if (withSince) {
    const bySource4: number[][] = sources.map(() => []);
    for (let k = 0; k < n4; k++) if (sources[src4[k] as number]?.since) (bySource4[src4[k] as number] as number[]).push(k);
    const bySource6: number[][] = sources.map(() => []);
    for (let k = 0; k < src6.length; k++)
      if (sources[src6[k] as number]?.since) (bySource6[src6[k] as number] as number[]).push(k);
    const since6 = Float64Array.from(v6since);
    for (let si = 0; si < sources.length; si++) {
      if (!sources[si]?.since) continue;
      const own4 = Uint32Array.from(bySource4[si] as number[]);
      if (own4.length > 0) {
        const order = radixSort(radixSort(own4, ends4, true), starts4, false);
        sinceV4.push(sinceTable(si, order, starts4, ends4, v4since, 1));
      }
      const own6 = bySource6[si] as number[];
      if (own6.length > 0) {
        own6.sort((a, b) => cmp4(starts6, a * 4, starts6, b * 4) || cmp4(ends6, b * 4, ends6, a * 4));
        sinceV6.push(sinceTable(si, own6, starts6, ends6, since6, 4));
      }
    }
  }

  return {
    sources: sources.map((s) => ({ id: s.id, name: s.name, kind: s.kind })),
    v4Bounds: iv4.bounds,
    v4Sets,
    v4Table,
    v6cBounds,
    v6cSets,
    v6cTable: firstLevel(v6cBounds, 2, 4, coarse, false),
    v6fBounds,
    v6fSets,
    v6fTable: firstLevel(v6fBounds, 4, 8, m6 - coarse, false),
    setOffsets,
    setMembers,
    sinceV4,
    sinceV6,
    inputRanges: n4 + src6.length,
    rejected,
    builtMs: performance.now() - t0,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Lookup

const probe = new Uint32Array(4);

/** Index of the last since-table entry whose start ≤ the address, walked up to the first that covers it; -1 if none. */
function sinceAt(t: SinceTable, v4: number, words: Uint32Array | null): number {
  const n = t.since.length;
  let lo = 0;
  let hi = n - 1;
  let k = -1;
  if (words === null) {
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((t.starts[mid] as number) <= v4) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    while (k >= 0 && (t.ends[k] as number) < v4) k = t.parent[k] as number;
  } else {
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp4(t.starts, mid * 4, words, 0) <= 0) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    while (k >= 0 && cmp4(t.ends, k * 4, words, 0) < 0) k = t.parent[k] as number;
  }
  return k < 0 ? Infinity : (t.since[k] as number);
}

/** A read-only index over typed arrays; build with `buildIpIndex`, swap with `IpIndexHolder`. */
/** Below this many IPv4 intervals the search is short and cached anyway: no bitmap (it costs 2 MiB). */
const BITMAP_MIN_RANGES = 65_536;

/** One bit per IPv4 /24 that any interval touches (2 MiB): a clear bit means no source lists the address. */
function presenceBitmap(bounds: Uint32Array, n: number): Int32Array {
  const bm = new Int32Array(1 << 19);
  for (let i = 0; i < n; i++) {
    const last = (bounds[i * 2 + 1] as number) >>> 8;
    for (let x = (bounds[i * 2] as number) >>> 8; x <= last; x++) bm[x >>> 5] = (bm[x >>> 5] as number) | (1 << (x & 31));
  }
  return bm;
}

export class IpIndex {
  readonly data: IpIndexData;
  private readonly v4Bitmap: Int32Array | null;
  private readonly bounds: Uint32Array;
  private readonly sets: SetIds;
  private readonly table: Uint32Array;
  private readonly n4: number;
  /** Set id → the hit without since values (shared, frozen: no allocation on a lookup). */
  private readonly hits: IndexHit[];
  private readonly setAllowed: Uint8Array;
  private readonly setHasSince: Uint8Array;
  private readonly since4: (SinceTable | undefined)[];
  private readonly since6: (SinceTable | undefined)[];

  constructor(data: IpIndexData) {
    this.data = data;
    this.bounds = data.v4Bounds;
    this.sets = data.v4Sets;
    this.table = data.v4Table;
    this.n4 = data.v4Sets.length;
    this.v4Bitmap = this.n4 >= BITMAP_MIN_RANGES ? presenceBitmap(this.bounds, this.n4) : null;
    this.since4 = data.sources.map(() => undefined);
    this.since6 = data.sources.map(() => undefined);
    for (const t of data.sinceV4) this.since4[t.source] = t;
    for (const t of data.sinceV6) this.since6[t.source] = t;
    const nSets = data.setOffsets.length - 1;
    this.hits = [];
    this.setAllowed = new Uint8Array(nSets);
    this.setHasSince = new Uint8Array(nSets);
    for (let s = 0; s < nSets; s++) {
      const members: IndexHitSource[] = [];
      for (let k = data.setOffsets[s] as number; k < (data.setOffsets[s + 1] as number); k++) {
        const si = data.setMembers[k] as number;
        const src = data.sources[si] as IpIndexData['sources'][number];
        members.push(Object.freeze({ id: src.id, name: src.name, kind: src.kind, since: undefined }));
        if (src.kind === 'allow') this.setAllowed[s] = 1;
        if (this.since4[si] !== undefined || this.since6[si] !== undefined) this.setHasSince[s] = 1;
      }
      this.hits.push(Object.freeze({ sources: Object.freeze(members) }));
    }
  }

  /** The set id of the interval holding the IPv4 address (a uint32), or -1. The hot path: no allocation. */
  matchIPv4(ip: number): number {
    // Most addresses in logs are listed nowhere: one bit per /24 turns those away before the search.
    const bm = this.v4Bitmap;
    if (bm !== null && ((bm[ip >>> 13] as number) & (1 << ((ip >>> 8) & 31))) === 0) return -1;
    const b = ip >>> 16;
    let lo = this.table[b] as number;
    let hi = this.table[b + 1] as number;
    if (hi >= this.n4) hi = this.n4 - 1;
    const bounds = this.bounds;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((bounds[mid * 2] as number) <= ip) lo = mid;
      else hi = mid - 1;
    }
    if (lo <= hi && (bounds[lo * 2] as number) <= ip && (bounds[lo * 2 + 1] as number) >= ip) return this.sets[lo] as number;
    return -1;
  }

  /** The set id for an IPv6 address given as four uint32 words (IPv4-mapped ones are matched as IPv4), or -1. */
  matchIPv6(w: Uint32Array): number {
    if (isMappedIPv4(w)) return this.matchIPv4(w[3] as number);
    const d = this.data;
    const w0 = w[0] as number;
    const b = w0 >>> 16;
    // Fine intervals (four words per bound).
    const ft = d.v6fTable;
    let lo = 0;
    let hi = d.v6fSets.length - 1;
    if (ft.length > 0) {
      lo = ft[b] as number;
      hi = Math.min(hi, ft[b + 1] as number);
    }
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp4(d.v6fBounds, mid * 8, w, 0) <= 0) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k >= 0 && cmp4(d.v6fBounds, k * 8 + 4, w, 0) >= 0) return d.v6fSets[k] as number;
    // /64-aligned intervals: only the upper 64 bits decide.
    const w1 = w[1] as number;
    const cb = d.v6cBounds;
    const ct = d.v6cTable;
    lo = 0;
    hi = d.v6cSets.length - 1;
    if (ct.length > 0) {
      lo = ct[b] as number;
      hi = Math.min(hi, ct[b + 1] as number);
    }
    k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s0 = cb[mid * 4] as number;
      if (s0 < w0 || (s0 === w0 && (cb[mid * 4 + 1] as number) <= w1)) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k < 0) return -1;
    const e0 = cb[k * 4 + 2] as number;
    return e0 > w0 || (e0 === w0 && (cb[k * 4 + 3] as number) >= w1) ? (d.v6cSets[k] as number) : -1;
  }

  /** The set id for an address in text (IPv4, IPv6, IPv4-mapped IPv6), or -1 when no source lists it or it is garbage. */
  match(ip: string): number {
    if (typeof ip !== 'string') return -1;
    const v4 = parseIPv4At(ip, 0, ip.length);
    if (v4 >= 0) return this.matchIPv4(v4);
    return parseIPv6At(ip, 0, ip.length, probe) ? this.matchIPv6(probe) : -1;
  }

  /** The sources of a set id (since values left undefined: `lookup` fills them in). */
  setOf(setId: number): IndexHit | null {
    return this.hits[setId] ?? null;
  }

  /**
   * Which sources list the address, with since values; null when none does (or the text is not an address). Hits
   * of sets without since data return one shared frozen object.
   */
  lookup(ip: string): IndexHit | null {
    const set = this.match(ip);
    if (set < 0) return null;
    const hit = this.hits[set] as IndexHit;
    if (this.setHasSince[set] !== 1) return hit;
    // `match` left the address in `probe` unless it was plain IPv4.
    let v4 = parseIPv4At(ip, 0, ip.length);
    if (v4 < 0 && isMappedIPv4(probe)) v4 = probe[3] as number;
    const d = this.data;
    const sources: IndexHitSource[] = [];
    for (let k = d.setOffsets[set] as number, i = 0; k < (d.setOffsets[set + 1] as number); k++, i++) {
      const si = d.setMembers[k] as number;
      const table = v4 >= 0 ? this.since4[si] : this.since6[si];
      const base = hit.sources[i] as IndexHitSource;
      const since = table ? sinceAt(table, v4, v4 >= 0 ? null : probe) : Infinity;
      sources.push(since === Infinity ? base : { ...base, since });
    }
    return { sources };
  }

  /** Whether an `allow` source lists the address. */
  allowed(ip: string): boolean {
    const set = this.match(ip);
    return set >= 0 && this.setAllowed[set] === 1;
  }

  stats(): IpIndexStats {
    const d = this.data;
    let bytes = 0;
    for (const a of [d.v4Bounds, d.v4Sets, d.v4Table, d.v6cBounds, d.v6cSets, d.v6cTable, d.v6fBounds, d.v6fSets, d.v6fTable])
      bytes += a.byteLength;
    bytes += d.setOffsets.byteLength + d.setMembers.byteLength + (this.v4Bitmap?.byteLength ?? 0);
    for (const t of [...d.sinceV4, ...d.sinceV6])
      bytes += t.starts.byteLength + t.ends.byteLength + t.since.byteLength + t.parent.byteLength;
    const ipv6Ranges = d.v6cSets.length + d.v6fSets.length;
    return {
      ranges: this.n4 + ipv6Ranges,
      ipv4Ranges: this.n4,
      ipv6Ranges,
      inputRanges: d.inputRanges,
      rejected: d.rejected,
      sets: d.setOffsets.length - 1,
      bytes,
      builtMs: d.builtMs,
    };
  }
}

/** Build an index synchronously (see `buildIpIndexData`). For a live process, prefer `IpIndexHolder.rebuild`. */
export function buildIpIndex(sources: readonly IndexSource[]): IpIndex {
  return new IpIndex(buildIpIndexData(sources));
}

/** Every ArrayBuffer of the data, to transfer rather than copy. */
export function transferList(d: IpIndexData): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [
    d.v4Bounds,
    d.v4Sets,
    d.v4Table,
    d.v6cBounds,
    d.v6cSets,
    d.v6cTable,
    d.v6fBounds,
    d.v6fSets,
    d.v6fTable,
    d.setOffsets,
    d.setMembers,
  ];
  for (const t of [...d.sinceV4, ...d.sinceV6]) arrays.push(t.starts, t.ends, t.since, t.parent);
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

// ---------------------------------------------------------------------------------------------------------------
// Off the hot path: build in a worker, swap in one assignment

/** What the build worker answers. */
export type BuildReply = { ok: true; data: IpIndexData } | { ok: false; error: string };

/** Build in a worker thread (which loads TypeScript through tsx, as the audit verifier's workers do). */
function buildInWorker(sources: readonly IndexSource[]): Promise<IpIndexData> {
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./ip-index.worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  const worker = new Worker(boot, { eval: true });
  return new Promise<IpIndexData>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: 'ready' | BuildReply) => {
      if (m === 'ready') {
        // Sources that cannot be cloned (a caller bug) fail this build, not the process.
        try {
          worker.postMessage(sources);
        } catch (e) {
          finish(() => reject(e instanceof Error ? e : new Error(String(e))));
        }
        return;
      }
      finish(() => (m.ok ? resolve(m.data) : reject(new Error(m.error))));
    });
    worker.once('error', (e) => finish(() => reject(e)));
    worker.once('exit', (code) => finish(() => reject(new Error(`ip index worker exited with ${code}`))));
  });
}

/**
 * Holds the index in force. `rebuild` builds a new one off the event loop (in a worker thread; `inThread` for
 * tests and tiny sets) and swaps `current` in one assignment, so a lookup sees either the old index or the new one,
 * never a mix; lookups made while a build runs see the old one. When the build fails the old index stays and the
 * promise rejects. When rebuilds overlap, the one started last wins, whichever finishes first.
 */
export class IpIndexHolder {
  current: IpIndex;
  #started = 0;
  #swapped = 0;

  constructor(initial?: IpIndex) {
    this.current = initial ?? buildIpIndex([]);
  }

  async rebuild(sources: readonly IndexSource[], opts: { inThread?: boolean } = {}): Promise<IpIndex> {
    const seq = ++this.#started;
    const data = opts.inThread ? buildIpIndexData(sources) : await buildInWorker(sources);
    const next = new IpIndex(data);
    if (seq > this.#swapped) {
      this.#swapped = seq;
      this.current = next;
    }
    return next;
  }
}
