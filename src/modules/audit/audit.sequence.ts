/**
 * Classifying a break in the sequence: entries carry their own `seq` in their JSON, so when the entry found
 * at position p claims another seq, the pattern of (claimed − position) over the following rows tells what
 * happened:
 *  - a lasting positive offset: entries were removed and the rest moved up (`deleted` at p);
 *  - a lasting negative offset: rows were added and the rest moved down (`inserted`, naming the first added
 *    row, which may come before p when the added rows carry matching seqs);
 *  - the offset returns to zero and the entry that belongs at p turns up elsewhere: `reordered`;
 *  - otherwise the entry at p does not belong in the log: `inserted`.
 */

export type SequenceProblem = 'deleted' | 'inserted' | 'reordered';

export interface SequenceVerdict {
  problem: SequenceProblem;
  firstBadSeq: number;
  message: string;
}

/** The seq an entry's JSON claims, NaN if it has none. Fast path for the canonical `{"v":1,"seq":N,…` form. */
export function claimedSeq(entry: string): number {
  if (entry.startsWith('{"v":1,"seq":')) {
    let n = 0;
    let i = 13;
    for (; i < entry.length && i < 13 + 16; i++) {
      const c = entry.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    if (i > 13 && entry.charCodeAt(i) === 44 /* , */) return n;
  }
  try {
    const v: unknown = JSON.parse(entry);
    const seq = v && typeof v === 'object' ? (v as { seq?: unknown }).seq : undefined;
    return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Follows the rows after the first position whose entry claims another seq, until the kind of change is
 * clear. Feed every later row with `feed`; call `finish` at the end of the rows.
 */
export class SequenceAnomaly {
  readonly position: number;
  readonly claimed: number;
  #runStart: number;
  #runOffset: number;
  #lastPos: number;
  #offsetSum: number;
  /** The entry that belongs at `position` was found later. */
  #belongingFound = false;
  #steadyZero = false;

  constructor(position: number, claimed: number) {
    this.position = position;
    this.claimed = claimed;
    const d = Number.isFinite(claimed) ? claimed - position : 0;
    this.#runStart = position;
    this.#runOffset = Number.isFinite(claimed) ? d : Number.NaN;
    this.#lastPos = position;
    this.#offsetSum = d;
  }

  /** The next row (positions must be consecutive); returns a verdict as soon as one is certain. */
  feed(position: number, claimed: number): SequenceVerdict | null {
    if (claimed === this.position) this.#belongingFound = true;
    const d = Number.isFinite(claimed) ? claimed - position : Number.NaN;
    this.#offsetSum += Number.isFinite(d) ? d : 0;
    const steady = d === this.#runOffset && position === this.#lastPos + 1;
    this.#lastPos = position;
    if (!steady) {
      this.#runStart = position;
      this.#runOffset = d;
      return null;
    }
    // Two rows in a row with the same offset: the log is back in a steady state.
    if (d < 0) return this.#inserted(this.#runStart + d);
    if (d > 0) return this.#deleted();
    this.#steadyZero = true;
    return this.#belongingFound ? this.#reordered() : null;
  }

  /** End of the rows: the best verdict from what was seen. */
  finish(): SequenceVerdict {
    if (this.#steadyZero || this.#offsetSum === 0)
      return this.#belongingFound ? this.#reordered() : this.#inserted(this.position);
    if (this.#runOffset < 0) return this.#inserted(this.#runStart + this.#runOffset);
    if (this.#runOffset > 0) return this.#deleted();
    return this.#inserted(this.position);
  }

  #deleted(): SequenceVerdict {
    const p = this.position;
    const missing = this.claimed - p;
    return {
      problem: 'deleted',
      firstBadSeq: p,
      message: `entry ${p} is missing: the row at seq ${p} holds entry ${this.claimed}, so ${missing === 1 ? 'one entry was' : `${missing} entries were`} removed and the later ones renumbered`,
    };
  }

  #inserted(first: number): SequenceVerdict {
    const f = Math.max(1, Math.min(this.position, first));
    const msg =
      f < this.position
        ? `rows ${f}–${this.position - 1} were inserted: the row at seq ${this.position} holds entry ${this.claimed}, which belongs at seq ${this.claimed}`
        : `the row at seq ${this.position} holds an entry that claims seq ${Number.isFinite(this.claimed) ? this.claimed : '(none)'} and does not belong there`;
    return { problem: 'inserted', firstBadSeq: f, message: msg };
  }

  #reordered(): SequenceVerdict {
    return {
      problem: 'reordered',
      firstBadSeq: this.position,
      message: `entries were reordered: the row at seq ${this.position} holds entry ${this.claimed}, and entry ${this.position} appears at a later position`,
    };
  }
}
