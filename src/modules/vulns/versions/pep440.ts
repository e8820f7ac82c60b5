import { compare, valid } from '@renovatebot/pep440';
import { compareGenericVersions } from './generic-version.ts';

/**
 * PyPI versions by PEP 440, compared by `@renovatebot/pep440`: epochs (`1!2.0`), pre-releases (`a`, `b`, `rc`),
 * post-releases (`.post1`), dev releases (`.dev1`), local versions (`+ubuntu1`, newer than the same version without)
 * and normalisation (`1.0` = `1.0.0`, `1.0RC1` = `1.0rc1`). A version PEP 440 refuses falls back to the generic
 * comparison (`generic-version.ts`) for that pair.
 */

/** Whether the string is a PEP 440 version. */
export function isPep440Version(text: string): boolean {
  return valid(text.trim()) !== null;
}

/** Compare two PEP 440 versions: -1, 0 or 1; the generic comparison when either is not a PEP 440 version. */
export function comparePep440Versions(a: string, b: string): -1 | 0 | 1 {
  const x = a.trim();
  const y = b.trim();
  if (valid(x) === null || valid(y) === null) return compareGenericVersions(x, y);
  return Math.sign(compare(x, y)) as -1 | 0 | 1;
}
