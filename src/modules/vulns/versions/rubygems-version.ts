import { compareDigitRuns } from './generic-version.ts';

/**
 * RubyGems' version order (`Gem::Version#<=>`): a `-` reads as `.pre.`; the version is cut into segments, each a digit
 * run (a number of any size) or a letter run; any letter makes it a pre-release. Trailing zeros are dropped from the
 * release part and from the pre-release part (`1.0` = `1`, `1.0.a` = `1.a`); segments then compare in turn, a
 * missing one counting as 0, a number newer than a word (`1.0` > `1.0.rc1`), words by their characters.
 */

/** `Gem::Version::ANCHORED_VERSION_PATTERN`: what `Gem::Version.new` accepts (blank means `0`). */
const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*$/;

/** Whether RubyGems accepts the string as a version. */
export function isRubyGemsVersion(text: string): boolean {
  return VALID.test(text);
}

function canonicalSegments(version: string): string[] {
  const v = version.trim().replace(/-/g, '.pre.');
  const segs = v.match(/[0-9]+|[a-z]+/gi) ?? [];
  const isNum = (s: string) => /^\d/.test(s);
  const firstWord = segs.findIndex((s) => !isNum(s));
  const parts = firstWord < 0 ? [segs] : [segs.slice(0, firstWord), segs.slice(firstWord)];
  return parts.flatMap((p) => {
    let end = p.length;
    while (end > 0 && /^0+$/.test(p[end - 1] as string)) end--;
    return p.slice(0, end);
  });
}

/** Compare two RubyGems versions: -1, 0 or 1. Never throws (callers check `isRubyGemsVersion` where it matters). */
export function compareRubyGemsVersions(a: string, b: string): -1 | 0 | 1 {
  const x = canonicalSegments(a);
  const y = canonicalSegments(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const l = x[i] ?? '0';
    const r = y[i] ?? '0';
    if (l === r) continue;
    const ln = /^\d/.test(l);
    const rn = /^\d/.test(r);
    if (ln && rn) {
      const c = compareDigitRuns(l, r);
      if (c !== 0) return c;
      continue;
    }
    if (ln !== rn) return ln ? 1 : -1;
    return l < r ? -1 : 1;
  }
  return 0;
}
