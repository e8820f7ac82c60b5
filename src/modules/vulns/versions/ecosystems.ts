import type { AdvisoryStatement, Ecosystem, VersionScheme } from '../model.ts';
import { compareDpkgVersions, parseDpkgVersion } from './dpkg-version.ts';
import { compareGenericVersions } from './generic-version.ts';
import { compareMavenVersions } from './maven-version.ts';
import { comparePep440Versions } from './pep440.ts';
import { compareRpmVersions } from './rpm-version.ts';
import { compareRubyGemsVersions, isRubyGemsVersion } from './rubygems-version.ts';
import { compareSemverVersions } from './semver.ts';

/**
 * One entry point for "which version is newer" and "is this version affected" in any ecosystem OSV names, so the
 * matcher never needs to know which comparator an ecosystem uses.
 */

/** OSV ecosystem (the part before the first `:`, lower-cased) → version scheme. */
const SCHEMES: Record<string, VersionScheme> = {
  debian: 'dpkg',
  ubuntu: 'dpkg',
  almalinux: 'rpm',
  'rocky linux': 'rpm',
  'red hat': 'rpm',
  opensuse: 'rpm',
  suse: 'rpm',
  mageia: 'rpm',
  openeuler: 'rpm',
  'photon os': 'rpm',
  'azure linux': 'rpm',
  'cbl-mariner': 'rpm',
  fedora: 'rpm',
  centos: 'rpm',
  oraclelinux: 'rpm',
  npm: 'semver',
  'crates.io': 'semver',
  go: 'semver',
  packagist: 'semver',
  hex: 'semver',
  pub: 'semver',
  swifturl: 'semver',
  pypi: 'pep440',
  maven: 'maven',
  rubygems: 'rubygems',
};

/** The version scheme of an ecosystem (`Debian:12` → dpkg, `Rocky Linux:9` → rpm, `PyPI` → pep440, …); generic when unknown. */
export function schemeOf(ecosystem: Ecosystem): VersionScheme {
  const colon = ecosystem.indexOf(':');
  const family = (colon >= 0 ? ecosystem.slice(0, colon) : ecosystem).trim().toLowerCase();
  return SCHEMES[family] ?? 'generic';
}

const COMPARATORS: Record<VersionScheme, (a: string, b: string) => -1 | 0 | 1> = {
  dpkg: (a, b) =>
    parseDpkgVersion(a) !== null && parseDpkgVersion(b) !== null ? compareDpkgVersions(a, b) : compareGenericVersions(a, b),
  rpm: compareRpmVersions,
  semver: compareSemverVersions,
  pep440: comparePep440Versions,
  maven: compareMavenVersions,
  rubygems: compareRubyGemsVersions,
  generic: compareGenericVersions,
};

/**
 * Compare two versions of one ecosystem with that ecosystem's rules: negative, zero or positive (-1, 0, 1). Never
 * throws: a version the scheme refuses (a dpkg version with a space, a PyPI version PEP 440 refuses, a four-part
 * Packagist version) is compared by the generic rules of `generic-version.ts` for that pair.
 */
export function compareVersions(ecosystem: Ecosystem, a: string, b: string): number {
  return COMPARATORS[schemeOf(ecosystem)](a, b);
}

/**
 * Whether a version can be put in order with others of its ecosystem: it has a digit, no blank, at most 256
 * characters, and its scheme accepts it where the scheme has a strict grammar (dpkg, RubyGems). Semver and PEP 440
 * versions that those grammars refuse still order by the generic rules, so they count as orderable.
 */
export function isOrderableVersion(ecosystem: Ecosystem, version: string): boolean {
  if (version.length === 0 || version.length > 256 || /\s/.test(version) || !/\d/.test(version)) return false;
  const scheme = schemeOf(ecosystem);
  if (scheme === 'dpkg') return parseDpkgVersion(version) !== null;
  if (scheme === 'rubygems') return isRubyGemsVersion(version);
  return true;
}

export type AffectednessInput = Pick<AdvisoryStatement, 'fixed' | 'ranges' | 'versions' | 'status'>;

/**
 * Whether `version` of a package in `ecosystem` is affected by a statement, by the OSV rule:
 * - `status: not_affected` → never (Debian `fixed_version "0"`).
 * - listed in `versions` → affected (exact string, or equal by the ecosystem's comparison).
 * - `ranges` present → affected when inside any: `introduced` ≤ v (absent or `"0"`: from the start) and
 *   v < `fixed`, or v ≤ `lastAffected`, or no upper bound at all.
 * - else `fixed` present (the Debian tracker's form) → affected iff v < fixed.
 * - else `versions` present and not matched → not affected (the list is the whole answer).
 * - else no bound at all → affected (the vendor says open: no fix, postponed, ignored, …; a `fixed` status without
 *   a version cannot show this version is past it either).
 *
 * An installed version that cannot be ordered (see `isOrderableVersion`) is reported **affected** whenever the answer
 * would need a comparison: the safe side, since a version nobody can read cannot be shown to carry the fix. Never
 * throws.
 */
export function isAffected(ecosystem: Ecosystem, version: string, stmt: AffectednessInput): boolean {
  if (stmt.status === 'not_affected') return false;
  const orderable = isOrderableVersion(ecosystem, version);
  const cmp = (bound: string) => compareVersions(ecosystem, version, bound);
  if (stmt.versions?.some((v) => v === version || (orderable && isOrderableVersion(ecosystem, v) && cmp(v) === 0))) return true;
  if (stmt.ranges !== undefined && stmt.ranges.length > 0) {
    if (!orderable) return true;
    return stmt.ranges.some((r) => {
      if (r.introduced !== undefined && r.introduced !== '0' && cmp(r.introduced) < 0) return false;
      if (r.fixed !== undefined && cmp(r.fixed) >= 0) return false;
      if (r.lastAffected !== undefined && cmp(r.lastAffected) > 0) return false;
      return true;
    });
  }
  if (stmt.fixed !== undefined) return !orderable || cmp(stmt.fixed) < 0;
  if (stmt.versions !== undefined && stmt.versions.length > 0) return false;
  return true;
}
