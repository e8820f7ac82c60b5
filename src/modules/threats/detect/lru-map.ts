/**
 * A string-keyed map that keeps its entries in least-recently-touched order with O(1) touch and O(1) eviction of the
 * oldest: a Map from key to slot, and a doubly linked list over slots in typed arrays.
 *
 * Why not a plain Map with delete + re-insert: V8 leaves deleted entries as holes at the front of a Map's table until
 * it rehashes, so "first key" after many front deletions scans the holes, and evicting under a flood goes quadratic.
 */
export class LruMap<V> {
  private readonly index = new Map<string, number>();
  private keys: (string | undefined)[] = [];
  private vals: (V | undefined)[] = [];
  private prev = new Int32Array(16);
  private next = new Int32Array(16);
  private free: number[] = [];
  private head = -1;
  private tail = -1;

  get size(): number {
    return this.index.size;
  }

  /** The value, moved to the most-recently-touched end. */
  touch(key: string): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    if (slot !== this.tail) {
      this.unlink(slot);
      this.append(slot);
    }
    return this.vals[slot];
  }

  /** Add a key that is not present (the caller checked), as the most recently touched. */
  add(key: string, value: V): void {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.keys.length;
      this.keys.push(key);
      this.vals.push(value);
      if (slot >= this.prev.length) {
        const grow = (a: Int32Array) => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        this.prev = grow(this.prev);
        this.next = grow(this.next);
      }
    } else {
      this.keys[slot] = key;
      this.vals[slot] = value;
    }
    this.index.set(key, slot);
    this.append(slot);
  }

  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.remove(slot);
    return true;
  }

  /** Drop the least recently touched entry; false when empty. */
  deleteOldest(): boolean {
    if (this.head < 0) return false;
    this.remove(this.head);
    return true;
  }

  /**
   * Visit entries from least to most recently touched; `visit` returns `'delete'` to drop the entry, `'stop'` to end
   * the walk, anything else to go on.
   */
  walk(visit: (key: string, value: V) => 'delete' | 'stop' | 'next'): number {
    let deleted = 0;
    let slot = this.head;
    while (slot >= 0) {
      const nextSlot = this.next[slot] ?? -1;
      const r = visit(this.keys[slot] ?? '', this.vals[slot] as V);
      if (r === 'delete') {
        this.remove(slot);
        deleted++;
      } else if (r === 'stop') break;
      slot = nextSlot;
    }
    return deleted;
  }

  private remove(slot: number): void {
    this.unlink(slot);
    this.index.delete(this.keys[slot] ?? '');
    this.keys[slot] = undefined;
    this.vals[slot] = undefined;
    this.free.push(slot);
  }

  private unlink(slot: number): void {
    const p = this.prev[slot] ?? -1;
    const n = this.next[slot] ?? -1;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private append(slot: number): void {
    this.prev[slot] = this.tail;
    this.next[slot] = -1;
    if (this.tail >= 0) this.next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
  }
}
