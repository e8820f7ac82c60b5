/**
 * Package URLs (purl spec) for a finding's package, built with `packageurl-js` so encoding and per-type
 * normalisation (PyPI names, npm scopes) follow the spec. Distro findings are about **source** packages, so their
 * purls say so: `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source&distro=debian-12`,
 * `pkg:rpm/almalinux/openssl@3.0.7-27.el9?arch=src&epoch=1&distro=almalinux-9`.
 */
import { PackageURL } from 'packageurl-js';

import type { Ecosystem } from '../model.ts';

/** OSV distro ecosystem name → purl type and namespace (the os-release `ID`). */
const DISTROS: Record<string, { type: 'deb' | 'rpm' | 'apk'; namespace: string }> = {
  debian: { type: 'deb', namespace: 'debian' },
  ubuntu: { type: 'deb', namespace: 'ubuntu' },
  almalinux: { type: 'rpm', namespace: 'almalinux' },
  'rocky linux': { type: 'rpm', namespace: 'rocky' },
  'red hat': { type: 'rpm', namespace: 'redhat' },
  fedora: { type: 'rpm', namespace: 'fedora' },
  alpine: { type: 'apk', namespace: 'alpine' },
};

/** Application ecosystems (OSV names) → purl type. */
const APP_TYPES: Record<string, string> = {
  npm: 'npm',
  pypi: 'pypi',
  packagist: 'composer',
  go: 'golang',
  'crates.io': 'cargo',
  rubygems: 'gem',
  maven: 'maven',
  nuget: 'nuget',
  hex: 'hex',
  pub: 'pub',
};

function splitLast(name: string, sep: string): [string | undefined, string] {
  const i = name.lastIndexOf(sep);
  return i <= 0 ? [undefined, name] : [name.slice(0, i), name.slice(i + 1)];
}

function build(ecosystem: string, name: string, version: string): PackageURL {
  const colon = ecosystem.indexOf(':');
  const family = (colon < 0 ? ecosystem : ecosystem.slice(0, colon)).trim().toLowerCase();
  // `Ubuntu:22.04:LTS` → release `22.04`; `Alpine:v3.19` → `3.19`.
  const release = colon < 0 ? '' : (ecosystem.slice(colon + 1).split(':')[0] ?? '').replace(/^v/, '');
  const distro = DISTROS[family];
  if (distro) {
    const qualifiers: Record<string, string> = {};
    let v = version;
    if (distro.type === 'deb') qualifiers.arch = 'source';
    if (distro.type === 'rpm') {
      qualifiers.arch = 'src';
      const epoch = /^(\d+):(.+)$/.exec(version);
      if (epoch?.[1] && epoch[2]) {
        qualifiers.epoch = epoch[1];
        v = epoch[2];
      }
    }
    if (release) qualifiers.distro = `${distro.namespace}-${release}`;
    return new PackageURL(distro.type, distro.namespace, name, v, qualifiers);
  }
  const type = APP_TYPES[family];
  if (type === 'npm' || type === 'composer' || type === 'golang') {
    const [namespace, short] = splitLast(name, '/');
    return new PackageURL(type, namespace, short, version);
  }
  if (type === 'maven') {
    const [group, artifact] = splitLast(name, ':');
    return new PackageURL(type, group, artifact, version);
  }
  if (type) return new PackageURL(type, undefined, name, version);
  return new PackageURL('generic', undefined, name, version);
}

/**
 * The purl of `name@version` in `ecosystem` (OSV ecosystem names: `Debian:12`, `npm`, `PyPI` …); unknown
 * ecosystems get `pkg:generic/…`. Never throws: a name the purl type rejects falls back to a generic purl.
 */
export function purlFor(ecosystem: Ecosystem, name: string, version: string): string {
  try {
    return build(ecosystem, name, version).toString();
  } catch {
    try {
      return new PackageURL('generic', undefined, name || 'unknown', version || undefined).toString();
    } catch {
      return `pkg:generic/${encodeURIComponent(name || 'unknown')}`;
    }
  }
}
