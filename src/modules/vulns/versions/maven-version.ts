import { compareDigitRuns } from './generic-version.ts';

/**
 * Maven's version order, after `org.apache.maven.artifact.versioning.ComparableVersion` (Maven 3): a version is a
 * list of items split at `.` and `-` and at every change between digits and letters; a `-` (or such a change) opens a
 * nested sub-list. Numbers compare as numbers of any size; words are qualifiers ordered
 * `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, unknown words after those,
 * alphabetically; `a1`/`b1`/`m1` mean alpha/beta/milestone when a digit follows. Trailing zeros and empty
 * qualifiers are dropped from each list, so `1` = `1.0` = `1-ga` = `1.0.0.final`.
 */

type Item = { kind: 'int'; digits: string } | { kind: 'str'; q: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE = String(QUALIFIERS.indexOf(''));

function qualifierKey(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${q}`;
}

function word(text: string, followedByDigit: boolean): Item {
  let q = text;
  if (followedByDigit && q.length === 1) q = q === 'a' ? 'alpha' : q === 'b' ? 'beta' : q === 'm' ? 'milestone' : q;
  return { kind: 'str', q: ALIASES[q] ?? q };
}

const piece = (text: string, digit: boolean): Item =>
  digit ? { kind: 'int', digits: text.replace(/^0+(?=\d)/, '') } : word(text, false);

const isNull = (it: Item): boolean =>
  it.kind === 'int' ? /^0+$/.test(it.digits) : it.kind === 'str' ? it.q === '' : it.items.length === 0;

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const it = list[i] as Item;
    if (it.kind === 'list') normalize(it.items);
    if (isNull(it)) list.splice(i, 1);
    else if (it.kind !== 'list') break;
  }
}

/** Parse a Maven version into ComparableVersion's item tree. */
export function parseMavenVersion(version: string): Item[] {
  const v = version.trim().toLowerCase();
  const root: Item[] = [];
  let list = root;
  let digit = false;
  let start = 0;
  const nest = () => {
    const sub: Item[] = [];
    list.push({ kind: 'list', items: sub });
    list = sub;
  };
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.push(i === start ? { kind: 'int', digits: '0' } : piece(v.slice(start, i), digit));
      start = i + 1;
      if (c === 45) nest();
    } else if (isDigit) {
      if (!digit && i > start) {
        list.push(word(v.slice(start, i), true));
        start = i;
        nest();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.push(piece(v.slice(start, i), true));
        start = i;
        nest();
      }
      digit = false;
    }
  }
  if (v.length > start) list.push(piece(v.slice(start), digit));
  normalize(root);
  return root;
}

function compareItem(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -compareItem(b, undefined);
  if (a.kind === 'int') {
    if (b === undefined) return isNull(a) ? 0 : 1;
    return b.kind === 'int' ? compareDigitRuns(a.digits, b.digits) : 1;
  }
  if (a.kind === 'str') {
    if (b === undefined) return cmp(qualifierKey(a.q), RELEASE);
    return b.kind === 'str' ? cmp(qualifierKey(a.q), qualifierKey(b.q)) : -1;
  }
  if (b === undefined) return a.items.length === 0 ? 0 : compareItem(a.items[0], undefined);
  if (b.kind === 'int') return -1;
  if (b.kind === 'str') return 1;
  return compareLists(a.items, b.items);
}

function compareLists(a: Item[], b: Item[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = compareItem(a[i], b[i]);
    if (r !== 0) return r;
  }
  return 0;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Compare two Maven versions as ComparableVersion does: -1, 0 or 1. Every string is a Maven version; never throws. */
export function compareMavenVersions(a: string, b: string): -1 | 0 | 1 {
  return Math.sign(compareLists(parseMavenVersion(a), parseMavenVersion(b))) as -1 | 0 | 1;
}
