import semver from 'semver';
import { compareGenericVersions } from './generic-version.ts';

/**
 * Semantic versions for npm, crates.io, Go and Packagist, compared by the `semver` package in loose mode (a leading
 * `v` or `=` is accepted; pre-releases order below their release; build metadata `+…` is ignored, as SemVer 2.0
 * says). A version `semver` refuses (Packagist's four-part `1.2.3.4`) falls back to
 * the generic comparison (`generic-version.ts`) for that pair.
 */

const LOOSE = { loose: true } as const;

/** The version as semver reads it, or null when it is not a semantic version. */
export function cleanSemver(text: string): string | null {
  return semver.valid(text.trim(), LOOSE);
}

/** Compare two semantic versions: -1, 0 or 1; the generic comparison when either is not a semantic version. */
export function compareSemverVersions(a: string, b: string): -1 | 0 | 1 {
  const x = cleanSemver(a);
  const y = cleanSemver(b);
  if (x === null || y === null) return compareGenericVersions(a.replace(/^\s*[vV=]/, ''), b.replace(/^\s*[vV=]/, ''));
  return semver.compare(x, y, LOOSE);
}
