/**
 * Debian version comparison, exactly as dpkg does it (lib/dpkg/version.c): `[epoch:]upstream[-revision]`, compared
 * epoch first, then upstream and revision by dpkg's `verrevcmp`: alternating non-digit runs (compared character by
 * character, `~` before everything, even the end; letters before other characters) and digit runs (compared as
 * numbers of any length by their digits — never converted to floating-point numbers, so `1.99999999999999999999`
 * and `1.100000000000000000000` order correctly).
 */

export interface DpkgVersion {
  /** Digits only, leading zeros kept as written; `'0'` when absent. */
  epoch: string;
  upstream: string;
  /** Empty when the version has no `-`. */
  revision: string;
}

/** Split a version; null when it is not a valid Debian version (dpkg would refuse it). */
export function parseDpkgVersion(text: string): DpkgVersion | null {
  const v = text.trim();
  if (v === '' || /\s/.test(v)) return null;
  const colon = v.indexOf(':');
  let epoch = '0';
  let rest = v;
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    // dpkg reads the epoch as a C int and refuses anything larger.
    if (!/^\d+$/.test(epoch) || Number(epoch.replace(/^0+(?=\d)/, '').slice(0, 11)) > 2_147_483_647) return null;
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '' || !/^[0-9]/.test(upstream)) return null;
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream) || !/^[A-Za-z0-9.+~]*$/.test(revision)) return null;
  if (dash >= 0 && revision === '') return null;
  return { epoch, upstream, revision };
}

function order(c: number): number {
  if (c >= 48 && c <= 57) return 0; // digit
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c; // letter
  if (c === 126) return -1; // ~
  if (c === 0) return 0; // end of string
  return c + 256;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
/** The character code at k, or dpkg's NUL past the end (charCodeAt gives NaN there). Module-level: this is the hot path. */
const at = (s: string, k: number) => s.charCodeAt(k) || 0;

/** dpkg's verrevcmp over two upstream (or revision) strings: negative, zero or positive. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 48) i++;
    while (at(b, j) === 48) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (firstDiff === 0) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Compare two digit strings as numbers of any size. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Compare two Debian versions as `dpkg --compare-versions` does: -1, 0 or 1. Throws on a version dpkg would refuse
 * (callers validate inventories first and report the line).
 */
export function compareDpkgVersions(a: string, b: string): -1 | 0 | 1 {
  const x = parseDpkgVersion(a);
  const y = parseDpkgVersion(b);
  if (!x) throw new RangeError(`not a Debian version: ${a.slice(0, 100)}`);
  if (!y) throw new RangeError(`not a Debian version: ${b.slice(0, 100)}`);
  const r = compareParsedDpkgVersions(x, y);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

/** Compare two parsed Debian versions (negative, zero or positive): for callers that parse once and compare often. */
export function compareParsedDpkgVersions(x: DpkgVersion, y: DpkgVersion): number {
  return (
    (x.epoch === y.epoch ? 0 : compareDigits(x.epoch, y.epoch)) ||
    verrevcmp(x.upstream, y.upstream) ||
    verrevcmp(x.revision, y.revision)
  );
}
