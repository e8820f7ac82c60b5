/**
 * RPM version comparison as rpm 4.18 does it: `rpmvercmp` over alternating alphabetic and numeric segments
 * (separators ignored, numbers compared by their digits at any length, a numeric segment newer than an alphabetic
 * one, `~` before everything including the end, `^` after the end but before anything else), and `[epoch:]version
 * [-release]` compared epoch, version, then release, a missing release older than any (as `rpm.vercmp` does).
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number) => isDigit(c) || isAlpha(c);

/** rpm's `rpmvercmp` over two version (or release) strings: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => s.charCodeAt(k) || 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== 126 && at(a, i) !== 94) i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== 126 && at(b, j) !== 94) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    // Tilde: before everything, even the end of the string.
    if (ca === 126 || cb === 126) {
      if (ca !== 126) return 1;
      if (cb !== 126) return -1;
      i++;
      j++;
      continue;
    }
    // Caret: after the end of the string, before anything else.
    if (ca === 94 || cb === 94) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== 94) return 1;
      if (cb !== 94) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    let ei = i;
    let ej = j;
    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isAlpha;
    while (ei < a.length && inSegment(at(a, ei))) ei++;
    while (ej < b.length && inSegment(at(b, ej))) ej++;
    // Segments of different kinds: the numeric one is newer.
    if (ei === i) return -1;
    if (ej === j) return numeric ? 1 : -1;
    let x = a.slice(i, ei);
    let y = b.slice(j, ej);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface RpmEvr {
  epoch: string | null;
  version: string;
  release: string | null;
}

/** `[epoch:]version[-release]` as rpm splits it (the epoch only when all digits). */
export function parseRpmEvr(text: string): RpmEvr {
  let rest = text.trim();
  let epoch: string | null = null;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
    : { epoch, version: rest, release: null };
}

/** Compare two `[epoch:]version[-release]` strings as rpm does (`rpm.vercmp`): -1, 0 or 1. */
export function compareRpmVersions(a: string, b: string): -1 | 0 | 1 {
  const x = parseRpmEvr(a);
  const y = parseRpmEvr(b);
  const e = rpmvercmp(x.epoch ?? '0', y.epoch ?? '0');
  if (e !== 0) return e;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0) return v;
  // As `rpm.vercmp` does: a version without a release is older than the same version with any release, even "".
  if (x.release === null || y.release === null) return x.release === y.release ? 0 : x.release === null ? -1 : 1;
  return rpmvercmp(x.release, y.release);
}
