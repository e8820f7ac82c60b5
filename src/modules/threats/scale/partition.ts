/**
 * Which partition an event belongs to. Per-source state (buckets keyed by IP, /24 or /64) must live on one detector
 * worker, so the partition is a hash of the source *network*: the /24 of an IPv4 address (IPv4-mapped IPv6 counts
 * as IPv4) and the /64 of an IPv6 address. Hashing the network rather than the address serves every IP-keyed group-by
 * at once: `ip` buckets are inside their /24 or /64, and `net24`/`ip64` buckets are exactly it.
 *
 * User-keyed scenarios (password spraying: many IPs, one user) cannot follow the IP. Authentication events that name
 * a user are published a second time on a user lane partitioned by `userPartitionOf`, owned by the same workers as
 * the IP partitions of the same number; workers run only user-keyed scenarios on that lane. A single designated
 * worker receiving every auth event would be simpler but caps the whole cluster at one worker's auth throughput
 * (auth events are most of the volume under a brute-force wave); hashing the user spreads it and still keeps all
 * attempts on one account together. Cost: auth events cross the wire twice.
 *
 * The hash is part of the wire contract between collectors and engines of possibly different versions: changing it
 * moves every network to another worker. The golden values in partition.test.ts pin it.
 */
import { isMappedIPv4, parseIPv4At, parseIPv6At } from '../intel/ip-address.ts';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Longest user name hashed; longer names hash on this prefix (input is hostile, bound the work). */
const MAX_USER_HASHED = 256;

const words = new Uint32Array(4);

function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME);
}

function fnvWord(h: number, w: number): number {
  h = fnvByte(h, w >>> 24);
  h = fnvByte(h, (w >>> 16) & 0xff);
  h = fnvByte(h, (w >>> 8) & 0xff);
  return fnvByte(h, w & 0xff);
}

/** Murmur3's finalizer: FNV-1a's low bits are weak on short keys, and `% partitions` reads exactly those. */
function finish(h: number, partitions: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % partitions;
}

function checkPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 65_536)
    throw new RangeError(`partitions must be an integer from 1 to 65536, got ${partitions}`);
}

/**
 * The partition (0 … partitions-1) of a source IP: FNV-1a over the /24 (IPv4, tagged 4) or the /64 (IPv6, tagged 6),
 * finalised with Murmur3's mixer. Stable across processes and versions. Text that is not an IP address hashes on its
 * characters, so a malformed key still lands somewhere deterministic. No allocation.
 */
export function partitionOf(ip: string, partitions: number): number {
  checkPartitions(partitions);
  const len = ip.length;
  let h = FNV_OFFSET;
  const v4 = parseIPv4At(ip, 0, len);
  if (v4 >= 0) {
    h = fnvByte(h, 4);
    h = fnvWord(h, v4 >>> 8);
  } else if (len <= 45 && parseIPv6At(ip, 0, len, words)) {
    if (isMappedIPv4(words)) {
      h = fnvByte(h, 4);
      h = fnvWord(h, (words[3] as number) >>> 8);
    } else {
      h = fnvByte(h, 6);
      h = fnvWord(h, words[0] as number);
      h = fnvWord(h, words[1] as number);
    }
  } else {
    h = fnvByte(h, 0);
    const n = Math.min(len, 64);
    for (let i = 0; i < n; i++) h = fnvByte(fnvByte(h, ip.charCodeAt(i) >>> 8), ip.charCodeAt(i) & 0xff);
  }
  return finish(h, partitions);
}

/**
 * The partition of a user name for user-keyed scenarios: FNV-1a over its UTF-16 code units (the first 256),
 * finalised like `partitionOf`. Case is kept: `Admin` and `admin` are different accounts on most services.
 */
export function userPartitionOf(user: string, partitions: number): number {
  checkPartitions(partitions);
  let h = fnvByte(FNV_OFFSET, 0x75);
  const n = Math.min(user.length, MAX_USER_HASHED);
  for (let i = 0; i < n; i++) {
    const c = user.charCodeAt(i);
    h = fnvByte(fnvByte(h, c >>> 8), c & 0xff);
  }
  return finish(h, partitions);
}

/**
 * The partitions worker `workerIndex` of `workerCount` owns: every partition p with p % workerCount === workerIndex.
 * Round-robin keeps the split even when partitions is not a multiple of workerCount (off by at most one).
 */
export function partitionsOfWorker(partitions: number, workerIndex: number, workerCount: number): number[] {
  checkPartitions(partitions);
  if (!Number.isInteger(workerCount) || workerCount < 1) throw new RangeError(`workerCount must be ≥ 1, got ${workerCount}`);
  if (!Number.isInteger(workerIndex) || workerIndex < 0 || workerIndex >= workerCount)
    throw new RangeError(`workerIndex must be in 0…${workerCount - 1}, got ${workerIndex}`);
  const owned: number[] = [];
  for (let p = workerIndex; p < partitions; p += workerCount) owned.push(p);
  return owned;
}
