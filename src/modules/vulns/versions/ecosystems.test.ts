import { describe, expect, it } from 'vitest';
import { compareVersions, isAffected, isOrderableVersion, schemeOf } from './ecosystems.ts';
import { compareGenericVersions } from './generic-version.ts';
import { compareMavenVersions } from './maven-version.ts';
import { comparePep440Versions } from './pep440.ts';
import { compareRubyGemsVersions } from './rubygems-version.ts';
import { compareSemverVersions } from './semver.ts';

/** Every version in the list is strictly older than every later one (and equal to itself). */
function expectAscending(compare: (a: string, b: string) => number, list: string[]) {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      const want = Math.sign(i - j);
      const got = Math.sign(compare(list[i] as string, list[j] as string));
      if (got !== want) throw new Error(`${list[i]} vs ${list[j]}: expected ${want}, got ${got}`);
    }
  }
}

function expectEqual(compare: (a: string, b: string) => number, ...list: string[]) {
  for (const a of list) for (const b of list) expect([a, b, compare(a, b)]).toEqual([a, b, 0]);
}

describe('schemeOf', () => {
  it('maps OSV ecosystem names, with their releases, to version schemes', () => {
    expect(schemeOf('Debian:12')).toBe('dpkg');
    expect(schemeOf('Ubuntu:22.04:LTS')).toBe('dpkg');
    expect(schemeOf('AlmaLinux:9')).toBe('rpm');
    expect(schemeOf('Rocky Linux:9')).toBe('rpm');
    expect(schemeOf('Red Hat:enterprise_linux:9::appstream')).toBe('rpm');
    expect(schemeOf('openSUSE:Leap 15.5')).toBe('rpm');
    expect(schemeOf('npm')).toBe('semver');
    expect(schemeOf('crates.io')).toBe('semver');
    expect(schemeOf('Go')).toBe('semver');
    expect(schemeOf('Packagist')).toBe('semver');
    expect(schemeOf('PyPI')).toBe('pep440');
    expect(schemeOf('Maven')).toBe('maven');
    expect(schemeOf('RubyGems')).toBe('rubygems');
    expect(schemeOf('Alpine:v3.19')).toBe('generic');
    expect(schemeOf('')).toBe('generic');
  });
});

describe('semver (npm, crates.io, Go, Packagist)', () => {
  it('orders pre-releases below their release, by SemVer 2.0 precedence', () => {
    expectAscending(compareSemverVersions, [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.2.0',
      '1.10.0',
      '2.0.0',
    ]);
  });

  it('ignores build metadata and tolerates a leading v (Go, Packagist)', () => {
    expectEqual(compareSemverVersions, '1.0.0+build.1', '1.0.0+build.2', '1.0.0', 'v1.0.0', '=1.0.0');
    expect(compareVersions('Go', 'v0.0.0-20191109021931-daa7c04131f5', 'v0.1.0')).toBe(-1);
    expect(compareVersions('Go', 'v1.8.0', '1.8.1')).toBe(-1);
    expect(compareVersions('Packagist', 'v5.4.9', '5.4.10')).toBe(-1);
  });

  it('falls back to the generic order for versions semver refuses, without throwing', () => {
    expect(compareVersions('Packagist', '1.2.3.4', '1.2.3.10')).toBe(-1);
    expect(compareVersions('Packagist', '1.2.3.4', '1.2.4')).toBe(-1);
    expect(compareVersions('npm', 'banana', '1.0.0')).toBe(-1);
  });
});

describe('PEP 440 (PyPI)', () => {
  it('orders dev, pre, release, post and local versions as PEP 440 says', () => {
    expectAscending(comparePep440Versions, [
      '1.0.dev0',
      '1.0a1.dev1',
      '1.0a1',
      '1.0b2',
      '1.0rc1',
      '1.0',
      '1.0+abc',
      '1.0.post1.dev3',
      '1.0.post1',
      '1.1.dev1',
      '1.1',
      '2.0',
      '1!0.5',
    ]);
  });

  it('normalises spellings: 1.0 = 1.0.0, RC = rc, -post = .post', () => {
    expectEqual(comparePep440Versions, '1.0', '1.0.0', '1.0.0.0', 'v1.0');
    expectEqual(comparePep440Versions, '1.0rc1', '1.0RC1', '1.0-rc.1', '1.0c1');
    expectEqual(comparePep440Versions, '1.0.post1', '1.0-post1', '1.0-1');
    expectEqual(comparePep440Versions, '0!1.0', '1.0');
  });
});

describe('Maven (ComparableVersion)', () => {
  it("orders qualifiers as Maven's own test suite does", () => {
    expectAscending(compareMavenVersions, [
      '1-alpha2snapshot',
      '1-alpha2',
      '1-alpha-123',
      '1-beta-2',
      '1-beta123',
      '1-m2',
      '1-m11',
      '1-rc',
      '1-cr2',
      '1-rc123',
      '1-SNAPSHOT',
      '1',
      '1-sp',
      '1-sp2',
      '1-sp123',
      '1-abc',
      '1-def',
      '1-pom-1',
      '1-1-snapshot',
      '1-1',
      '1-2',
      '1-123',
    ]);
  });

  it("orders numbers as Maven's own test suite does", () => {
    expectAscending(compareMavenVersions, [
      '2.0',
      '2-1',
      '2.0.a',
      '2.0.0.a',
      '2.0.2',
      '2.0.123',
      '2.1.0',
      '2.1-a',
      '2.1b',
      '2.1-c',
      '2.1-1',
      '2.1.0.1',
      '2.2',
      '2.123',
      '11.a2',
      '11.a11',
      '11.b2',
      '11.b11',
      '11.m2',
      '11.m11',
      '11',
      '11.a',
      '11b',
      '11c',
      '11m',
    ]);
  });

  it('treats trailing zeros and release words as nothing, and aliases as their qualifier', () => {
    expectEqual(compareMavenVersions, '1', '1.0', '1.0.0', '1-0', '1-ga', '1.0-final', '1.0.0.RELEASE', '1-GA');
    expectEqual(compareMavenVersions, '1a', '1-a', '1.0-a', '1.0.0-a', '1.0a');
    expectEqual(compareMavenVersions, '1cr', '1rc', '1-RC');
    expectEqual(compareMavenVersions, '1m3', '1milestone3', '1-milestone-3');
    expectEqual(compareMavenVersions, '1a3', '1alpha3', '1-alpha-3');
    // log4j: the fix is 2.15.0; release candidates of it are older.
    expect(compareVersions('Maven', '2.15.0-rc1', '2.15.0')).toBe(-1);
    expect(compareVersions('Maven', '2.14.1', '2.15.0')).toBe(-1);
    expect(compareVersions('Maven', '1.2.3.4.5.123456789012345678901234567890', '1.2.3.4.5.9')).toBe(1);
  });
});

describe('RubyGems (Gem::Version)', () => {
  it('orders pre-releases below releases and numbers numerically', () => {
    expectAscending(compareRubyGemsVersions, [
      '1.0.a',
      '1.0.a.2',
      '1.0.b1',
      '1.0.rc1',
      '1.0.rc10',
      '1.0',
      '1.0.1',
      '1.9',
      '1.10',
      '2.0.0.pre',
      '2.0.0',
      '10.0',
    ]);
  });

  it('treats trailing zeros as nothing and - as .pre.', () => {
    expectEqual(compareRubyGemsVersions, '1', '1.0', '1.0.0', '01.0');
    expectEqual(compareRubyGemsVersions, '1.0.a', '1.a', '1.0a');
    expectEqual(compareRubyGemsVersions, '1.0-1', '1.0.pre.1');
    expect(compareVersions('RubyGems', '6.1.7.6', '6.1.7.10')).toBe(-1);
  });
});

describe('generic order', () => {
  it('compares digit runs of any length exactly, never as floating-point numbers', () => {
    expect(2 ** 53 + 1).toBe(2 ** 53); // why: floats would call these equal
    expect(compareGenericVersions('1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
    expect(compareGenericVersions('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareGenericVersions('1.0009', '1.9')).toBe(0);
    expect(compareVersions('Alpine:v3.19', '1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
  });

  it('orders words below numbers and treats missing numbers as 0', () => {
    expectAscending(compareGenericVersions, ['1.0a', '1.0rc1', '1.0', '1.0.1', '1.1', '2']);
    expectEqual(compareGenericVersions, '1', '1.0', '1-0', '1_0.0');
    expect(compareGenericVersions('', '0')).toBe(0);
  });

  it('dispatches dpkg and rpm ecosystems to their comparators and never throws on refused versions', () => {
    expect(compareVersions('Debian:12', '1.0~rc1-1', '1.0-1')).toBe(-1);
    expect(compareVersions('Debian:12', '1:0.9', '2.0')).toBe(1);
    expect(compareVersions('AlmaLinux:9', '1.0^git1', '1.0')).toBe(1);
    expect(compareVersions('Rocky Linux:9', '1:3.0.7-24.el9', '3.0.7-25.el9')).toBe(1);
    expect(() => compareVersions('Debian:12', 'not a version', '1.0')).not.toThrow();
  });
});

describe('isAffected', () => {
  it('Debian tracker statements: affected iff the installed source version is below the fix', () => {
    const s = { status: 'fixed' as const, fixed: '3.0.15-1~deb12u1' };
    expect(isAffected('Debian:12', '3.0.11-1~deb12u2', s)).toBe(true);
    expect(isAffected('Debian:12', '3.0.15-1~deb12u1', s)).toBe(false);
    expect(isAffected('Debian:12', '3.0.15-1~deb12u1+b1', s)).toBe(false);
    expect(isAffected('Debian:12', '3.0.15-1', s)).toBe(false);
    expect(isAffected('Debian:12', '1.0', { status: 'not_affected', fixed: '0' })).toBe(false);
    expect(isAffected('Debian:12', '1.0', { status: 'fixed', fixed: '0' })).toBe(false);
  });

  it('open vendor statements without a bound are affected', () => {
    for (const status of ['no_fix', 'postponed', 'ignored', 'unimportant', 'end_of_life', 'undetermined'] as const)
      expect(isAffected('Debian:12', '1.0-1', { status })).toBe(true);
    expect(isAffected('Debian:12', '1.0-1', { status: 'postponed', fixed: '1.0-2' })).toBe(true);
    expect(isAffected('Debian:12', '1.0-3', { status: 'postponed', fixed: '1.0-2' })).toBe(false);
  });

  it('OSV ranges: introduced inclusive, fixed exclusive, lastAffected inclusive, any range suffices', () => {
    const s = {
      status: 'fixed' as const,
      ranges: [{ introduced: '0', fixed: '4.17.21' }, { introduced: '5.0.0', lastAffected: '5.0.3' }, { introduced: '6.0.0' }],
    };
    expect(isAffected('npm', '4.17.20', s)).toBe(true);
    expect(isAffected('npm', '4.17.21', s)).toBe(false);
    expect(isAffected('npm', '4.17.21-beta.1', s)).toBe(true);
    expect(isAffected('npm', '4.99.0', s)).toBe(false);
    expect(isAffected('npm', '5.0.0', s)).toBe(true);
    expect(isAffected('npm', '5.0.3', s)).toBe(true);
    expect(isAffected('npm', '5.0.4', s)).toBe(false);
    expect(isAffected('npm', '5.0.0-rc.1', s)).toBe(false);
    expect(isAffected('npm', '7.1.0', s)).toBe(true);
    expect(isAffected('PyPI', '2.0.0', { status: 'fixed', ranges: [{ introduced: '1.0', fixed: '2.0' }] })).toBe(false);
    expect(isAffected('PyPI', '2.0rc1', { status: 'fixed', ranges: [{ introduced: '1.0', fixed: '2.0' }] })).toBe(true);
    expect(isAffected('Go', 'v1.8.0', { status: 'fixed', ranges: [{ introduced: '0', fixed: '1.8.1' }] })).toBe(true);
  });

  it('OSV versions lists: a listed version is affected; with no ranges the list is the whole answer', () => {
    const s = { status: 'fixed' as const, versions: ['1.0', '1.1'] };
    expect(isAffected('PyPI', '1.1', s)).toBe(true);
    expect(isAffected('PyPI', '1.1.0', s)).toBe(true);
    expect(isAffected('PyPI', '1.2', s)).toBe(false);
    expect(isAffected('PyPI', '1.2', { ...s, ranges: [{ introduced: '1.2', fixed: '1.3' }] })).toBe(true);
  });

  it('an installed version that cannot be ordered is reported affected, never thrown', () => {
    expect(isOrderableVersion('Debian:12', 'not a version')).toBe(false);
    expect(isAffected('Debian:12', 'not a version', { status: 'fixed', fixed: '1.0-1' })).toBe(true);
    expect(isAffected('npm', 'latest', { status: 'fixed', ranges: [{ introduced: '0', fixed: '1.0.0' }] })).toBe(true);
    expect(isAffected('npm', 'latest', { status: 'not_affected' })).toBe(false);
    expect(isAffected('npm', 'latest', { status: 'fixed', versions: ['1.0.0'] })).toBe(false);
  });
});
