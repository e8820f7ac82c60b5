/**
 * A binary min-heap of (due time, slot) pairs in typed arrays: the scheduler's queue. O(log n) push and pop, no
 * allocation per operation once grown, so 10,000 monitors cost a few hundred kilobytes and no GC pressure.
 */
export class MinHeap {
  #due = new Float64Array(1024);
  #slot = new Int32Array(1024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Earliest due time, or Infinity when empty. */
  peekDue(): number {
    return this.#size > 0 ? this.#due[0]! : Infinity;
  }

  push(due: number, slot: number): void {
    if (this.#size === this.#due.length) {
      const d = new Float64Array(this.#size * 2);
      d.set(this.#due);
      this.#due = d;
      const s = new Int32Array(this.#size * 2);
      s.set(this.#slot);
      this.#slot = s;
    }
    let i = this.#size++;
    const due_ = this.#due;
    const slot_ = this.#slot;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (due_[p]! <= due) break;
      due_[i] = due_[p]!;
      slot_[i] = slot_[p]!;
      i = p;
    }
    due_[i] = due;
    slot_[i] = slot;
  }

  /** Remove the earliest entry; returns its slot (the caller read its due time with peekDue). */
  pop(): number {
    const due_ = this.#due;
    const slot_ = this.#slot;
    const top = slot_[0]!;
    const n = --this.#size;
    if (n === 0) return top;
    const d = due_[n]!;
    const s = slot_[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && due_[r]! < due_[l]! ? r : l;
      if (due_[c]! >= d) break;
      due_[i] = due_[c]!;
      slot_[i] = slot_[c]!;
      i = c;
    }
    due_[i] = d;
    slot_[i] = s;
    return top;
  }

  clear(): void {
    this.#size = 0;
  }
}
