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

/**
 * Build a matcher from signatures (one literal each; empty ones are skipped). The automaton is a full DFA over a
 * 129-symbol alphabet in an Int32Array, so a scan is one table lookup per input code unit.
 */
export function createLiteralMatcher(signatures: readonly string[]): LiteralMatcher {
  const pats = [...new Set(signatures.map(normaliseSignature).filter((s) => s.length > 0))];
  // Trie first, as growable arrays; then the DFA table.
  const children: Map<number, number>[] = [new Map()];
  const out: number[] = [-1];
  for (let p = 0; p < pats.length; p++) {
    const s = pats[p] ?? '';
    let st = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const node = children[st] ?? new Map<number, number>();
      let nx = node.get(c);
      if (nx === undefined) {
        nx = children.length;
        children.push(new Map());
        out.push(-1);
        node.set(c, nx);
      }
      st = nx;
    }
    if ((out[st] ?? -1) < 0) out[st] = p;
  }
  const n = children.length;
  const delta = new Int32Array(n * SYMBOLS);
  const fail = new Int32Array(n);
  const hit = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) hit[i] = out[i] ?? -1;
  // BFS: states at depth 1 fail to the root; deeper states fail along their parent's failure chain.
  const queue: number[] = [];
  for (let c = 0; c < SYMBOLS; c++) {
    const nx = children[0]?.get(c);
    if (nx !== undefined) {
      delta[c] = nx;
      fail[nx] = 0;
      queue.push(nx);
    } else delta[c] = 0;
  }
  for (let q = 0; q < queue.length; q++) {
    const st = queue[q] ?? 0;
    const f = fail[st] ?? 0;
    if ((hit[st] ?? -1) < 0) hit[st] = hit[f] ?? -1;
    for (let c = 0; c < SYMBOLS; c++) {
      const nx = children[st]?.get(c);
      if (nx !== undefined) {
        delta[st * SYMBOLS + c] = nx;
        fail[nx] = delta[f * SYMBOLS + c] ?? 0;
        queue.push(nx);
      } else delta[st * SYMBOLS + c] = delta[f * SYMBOLS + c] ?? 0;
    }
  }

  /** Returns the index of the first signature found, or -1. */
  function scan(text: string, decode: boolean): number {
    if (n === 1) return -1;
    let st = 0;
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
      st = delta[st * SYMBOLS + c] ?? 0;
      const h = hit[st] ?? -1;
      if (h >= 0) return h;
    }
    return -1;
  }

  return {
    size: pats.length,
    test: (text, decode) => scan(text, decode) >= 0,
    find: (text, decode) => {
      const h = scan(text, decode);
      return h >= 0 ? pats[h] : undefined;
    },
  };
}
