/**
 * The fallback comparison for ecosystems without a comparator of their own, and for versions an ecosystem's own
 * comparator refuses. A version is read as tokens: maximal runs of digits and maximal runs of other characters, with
 * `.`, `-`, `_`, `+` and `:` only separating them. Tokens are compared in turn: two digit runs as numbers of any length
 * (leading zeros ignored, then by length, then digit by digit: never converted to floating-point numbers), two text runs
 * by their characters, and a digit run is newer than a text run (`1.0.1` > `1.0.rc1`). When one version runs out, a
 * missing token counts as `0` against a number (`1` == `1.0`) and as older than text is newer (`1.0` > `1.0rc1`, as
 * most ecosystems treat a trailing word as a pre-release).
 */

const TOKEN = /\d+|[^\d.\-_+:]+/g;

/** Compare two digit strings as numbers of any size: -1, 0 or 1. */
export function compareDigitRuns(a: string, b: string): -1 | 0 | 1 {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const isDigits = (s: string) => s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57;

/** Generic version order (see the file comment): -1, 0 or 1. Never throws. */
export function compareGenericVersions(a: string, b: string): -1 | 0 | 1 {
  const x = a.trim().match(TOKEN) ?? [];
  const y = b.trim().match(TOKEN) ?? [];
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) {
      const other = (p ?? q) as string;
      // The shorter side counts as 0 against a number and as newer than a trailing word.
      const r = isDigits(other) ? compareDigitRuns('0', other) : 1;
      if (r === 0) continue;
      return (p === undefined ? r : -r) as -1 | 1;
    }
    const pd = isDigits(p);
    const qd = isDigits(q);
    if (pd && qd) {
      const r = compareDigitRuns(p, q);
      if (r !== 0) return r;
    } else if (pd !== qd) {
      return pd ? 1 : -1;
    } else if (p !== q) {
      return p < q ? -1 : 1;
    }
  }
  return 0;
}
