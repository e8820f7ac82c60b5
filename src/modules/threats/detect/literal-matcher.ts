/**
 * Case-insensitive multi-literal matching (Aho–Corasick) for the signature lists. Linear in the input by construction:
 * this is the "no unbounded backtracking" guarantee for every built-in list, with no regex engine involved.
 *
 * The scan folds case and (optionally) percent-decodes `%xx` once and turns `+` into a space on the fly, and collapses
 * runs of whitespace to one space, so `UNION%20SELECT`, `union+select` and `Union  Select` all meet `union select`
 * without allocating a normalised copy of the input.
 */

/** Alphabet: ASCII 0..127, plus one symbol for every code unit above 127 (signatures are ASCII). */
const SYMBOLS = 129;
const OTHER = 128;

export interface LiteralMatcher {
  /** How many signatures were compiled. */
  readonly size: number;
  /** True when any signature occurs in `text` (after folding; decoding when `decode`). */
  test(text: string, decode: boolean): boolean;
  /** The first signature found, for evidence and tests; undefined when none. */
  find(text: string, decode: boolean): string | undefined;
}

/** Lower-case and squeeze a signature the way the scanner squeezes the input. */
export function normaliseSignature(sig: string): string {
  let out = '';
  let space = false;
  for (let i = 0; i < sig.length; i++) {
    let c = sig.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    const ws = c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
    if (ws) {
      if (!space) out += ' ';
      space = true;
      continue;
    }
    space = false;
    out += String.fromCharCode(c > 127 ? OTHER : c);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

interface Automaton {
  /** Code unit (0..128) → symbol class; class 0 is "a character no signature uses". */
  classOf: Uint8Array;
  classes: number;
  delta: Int32Array;
  /** Per state: OR of the masks of every signature ending here (directly or along failure links). */
  mask: Int32Array;
  /** Per state: the index of one signature ending here, or -1. */
  hit: Int32Array;
  states: number;
}

/**
 * Build the DFA. The alphabet is compressed to the characters the signatures use (plus one class for all others),
 * which keeps the table small enough to stay in cache.
 */
function buildAutomaton(pats: readonly string[], masks: readonly number[]): Automaton {
  const classOf = new Uint8Array(SYMBOLS);
  let classes = 1;
  for (const s of pats) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (classOf[c] === 0) classOf[c] = classes++;
    }
  }
  const children: Map<number, number>[] = [new Map<number, number>()];
  const hitList: number[] = [-1];
  const maskList: number[] = [0];
  for (let p = 0; p < pats.length; p++) {
    const s = pats[p] ?? '';
    let st = 0;
    for (let i = 0; i < s.length; i++) {
      const c = classOf[s.charCodeAt(i)] ?? 0;
      const node = children[st] ?? new Map<number, number>();
      let nx = node.get(c);
      if (nx === undefined) {
        nx = children.length;
        children.push(new Map());
        hitList.push(-1);
        maskList.push(0);
        node.set(c, nx);
      }
      st = nx;
    }
    if ((hitList[st] ?? -1) < 0) hitList[st] = p;
    maskList[st] = (maskList[st] ?? 0) | (masks[p] ?? 0);
  }
  const n = children.length;
  const delta = new Int32Array(n * classes);
  const fail = new Int32Array(n);
  const hit = Int32Array.from(hitList);
  const mask = Int32Array.from(maskList);
  // BFS: depth-1 states fail to the root; deeper states fail along their parent's failure chain.
  const queue: number[] = [];
  for (let c = 0; c < classes; c++) {
    const nx = children[0]?.get(c);
    if (nx !== undefined) {
      delta[c] = nx;
      queue.push(nx);
    }
  }
  for (let q = 0; q < queue.length; q++) {
    const st = queue[q] ?? 0;
    const f = fail[st] ?? 0;
    if (st !== f) {
      if ((hit[st] ?? -1) < 0) hit[st] = hit[f] ?? -1;
      mask[st] = (mask[st] ?? 0) | (mask[f] ?? 0);
    }
    for (let c = 0; c < classes; c++) {
      const nx = children[st]?.get(c);
      if (nx !== undefined) {
        delta[st * classes + c] = nx;
        fail[nx] = st === 0 ? 0 : (delta[f * classes + c] ?? 0);
        queue.push(nx);
      } else if (st !== 0) delta[st * classes + c] = delta[f * classes + c] ?? 0;
    }
  }
  return { classOf, classes, delta, mask, hit, states: n };
}

/**
 * The one scanning loop: fold, optionally decode, squeeze whitespace, step the DFA. With `wantMask` it ORs the masks
 * of everything found until `stopMask` is reached and returns the mask; otherwise it returns the first hit's index.
 */
function scan(a: Automaton, text: string, decode: boolean, wantMask: boolean, stopMask: number): number {
  if (a.states === 1) return wantMask ? 0 : -1;
  const { classOf, classes, delta, mask, hit } = a;
  let st = 0;
  let found = 0;
  let space = false;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    let c = text.charCodeAt(i);
    if (decode) {
      if (c === 37 && i + 2 < len) {
        const hi = hexValue(text.charCodeAt(i + 1));
        const lo = hi < 0 ? -1 : hexValue(text.charCodeAt(i + 2));
        if (lo >= 0) {
          c = hi * 16 + lo;
          i += 2;
        }
      } else if (c === 43) c = 32;
    }
    if (c >= 65 && c <= 90) c += 32;
    else if (c === 9 || c === 10 || c === 13 || c === 11 || c === 12) c = 32;
    else if (c > 127) c = OTHER;
    if (c === 32) {
      if (space) continue;
      space = true;
    } else space = false;
    st = delta[st * classes + (classOf[c] ?? 0)] ?? 0;
    if (wantMask) {
      const m = mask[st] ?? 0;
      if (m !== 0) {
        found |= m;
        if ((found & stopMask) === stopMask) return found;
      }
    } else {
      const h = hit[st] ?? -1;
      if (h >= 0) return h;
    }
  }
  return wantMask ? found : -1;
}

/**
 * Build a matcher from signatures (one literal each; empty ones are skipped). The automaton is a full DFA over a
 * compressed alphabet in an Int32Array, so a scan is one table lookup per input code unit.
 */
export function createLiteralMatcher(signatures: readonly string[]): LiteralMatcher {
  const pats = [...new Set(signatures.map(normaliseSignature).filter((s) => s.length > 0))];
  const a = buildAutomaton(
    pats,
    pats.map(() => 1),
  );
  return {
    size: pats.length,
    test: (text, decode) => scan(a, text, decode, false, 0) >= 0,
    find: (text, decode) => {
      const h = scan(a, text, decode, false, 0);
      return h >= 0 ? pats[h] : undefined;
    },
  };
}

/** Several named lists in one automaton: one pass over a field answers "which lists occur" for all of them. */
export interface SignatureSet {
  readonly names: readonly string[];
  /** The bit of a list in `scan`'s result, or undefined for an unknown list. */
  bit(name: string): number | undefined;
  /** The bits of every list with a signature in `text`. Remembers the last two answers (one event's path and UA). */
  scan(text: string, decode: boolean): number;
}

/** Build a signature set from lists of literals (at most 30 lists). */
export function createSignatureSet(lists: ReadonlyMap<string, readonly string[]>): SignatureSet {
  const names = [...lists.keys()].slice(0, 30);
  const bySig = new Map<string, number>();
  names.forEach((name, i) => {
    for (const sig of lists.get(name) ?? []) {
      const n = normaliseSignature(sig);
      if (n.length > 0) bySig.set(n, (bySig.get(n) ?? 0) | (1 << i));
    }
  });
  const a = buildAutomaton([...bySig.keys()], [...bySig.values()]);
  const all = names.length >= 31 ? -1 : (1 << names.length) - 1;
  // Every scenario testing the same field of the same event asks with the same string: answer it once.
  let t0: string | undefined;
  let d0 = false;
  let r0 = 0;
  let t1: string | undefined;
  let d1 = false;
  let r1 = 0;
  return {
    names,
    bit: (name) => {
      const i = names.indexOf(name);
      return i < 0 ? undefined : 1 << i;
    },
    scan: (text, decode) => {
      if (text === t0 && decode === d0) return r0;
      if (text === t1 && decode === d1) return r1;
      const r = scan(a, text, decode, true, all);
      t1 = t0;
      d1 = d0;
      r1 = r0;
      t0 = text;
      d0 = decode;
      r0 = r;
      return r;
    },
  };
}
