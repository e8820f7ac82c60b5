import { describe, expect, it } from 'vitest';
import { MAX_SBOM_COMPONENTS, parseSbom } from './sbom.ts';

/** Trimmed from what `syft -o cyclonedx-json` writes for a container with a Node app on Debian 12. */
const CYCLONEDX = {
  $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
  version: 1,
  metadata: { timestamp: '2026-11-27T10:00:00Z', component: { type: 'application', name: 'shop-frontend', version: '4.2.0' } },
  components: [
    { 'bom-ref': 'a1', type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' },
    {
      'bom-ref': 'a2',
      type: 'library',
      name: '@babel/core',
      version: '7.0.0',
      purl: 'pkg:npm/%40babel/core@7.0.0',
      components: [
        { type: 'library', name: 'Django', version: '4.2.1', purl: 'pkg:pypi/django@4.2.1' },
        {
          type: 'library',
          name: 'inner',
          components: [{ 'bom-ref': 'deep', type: 'library', name: 'serde', purl: 'pkg:cargo/serde@1.0.150' }],
        },
      ],
    },
    {
      type: 'library',
      name: 'libssl3',
      version: '3.0.11-1~deb12u2',
      purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12',
    },
    {
      type: 'library',
      name: 'libc6',
      purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc%402.36-9%2Bdeb12u4&distro=debian-12.5',
    },
    { type: 'library', name: 'zlib1g', purl: 'pkg:deb/ubuntu/zlib1g@1:1.2.11.dfsg-2ubuntu9.2?distro=ubuntu-22.04' },
    {
      type: 'library',
      name: 'openssl-libs',
      purl: 'pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm&distro=almalinux-9.3',
    },
    { type: 'library', name: 'log4j-core', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1' },
    { type: 'library', name: 'mux', purl: 'pkg:golang/github.com/gorilla/mux@v1.8.0' },
    { type: 'library', name: 'monolog', purl: 'pkg:composer/monolog/monolog@2.9.1' },
    { type: 'library', name: 'rack', purl: 'pkg:gem/rack@2.2.6' },
    { 'bom-ref': 'nopurl', type: 'library', name: 'vendored-thing', version: '1.0' },
    { type: 'library', name: 'broken', purl: 'npm/lodash@1' },
    { type: 'library', name: 'img', purl: 'pkg:docker/library/nginx@1.25' },
    { type: 'library', name: 'old', purl: 'pkg:deb/debian/old@1.0' },
    { type: 'library', name: 'noversion', purl: 'pkg:npm/noversion' },
  ],
};

/** Trimmed from `syft -o spdx-json`. */
const SPDX = {
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'billing-api',
  documentNamespace: 'https://example.dk/spdx/billing-api-1',
  creationInfo: { created: '2026-11-27T10:00:00Z', creators: ['Tool: syft-1.0.0'] },
  packages: [
    { SPDXID: 'SPDXRef-root', name: 'billing-api', versionInfo: '1.0.0' },
    {
      SPDXID: 'SPDXRef-Package-requests',
      name: 'requests',
      versionInfo: '2.31.0',
      externalRefs: [
        {
          referenceCategory: 'SECURITY',
          referenceType: 'cpe23Type',
          referenceLocator: 'cpe:2.3:a:python:requests:2.31.0:*:*:*:*:*:*:*',
        },
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:pypi/requests@2.31.0' },
      ],
    },
    {
      SPDXID: 'SPDXRef-Package-express',
      name: 'express',
      versionInfo: '4.18.2',
      externalRefs: [{ referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/express' }],
    },
  ],
};

describe('CycloneDX SBOMs', () => {
  it('places every component, nested ones too, in its advisory ecosystem by its purl', () => {
    const r = parseSbom(JSON.stringify(CYCLONEDX));
    if (!r.ok) throw new Error(r.reason);
    expect(r.inventory.format).toBe('cyclonedx');
    expect(r.inventory.hostname).toBe('shop-frontend');
    const rows = r.inventory.packages.map((p) => [p.ecosystem, p.name, p.version, p.source, p.sourceVersion]);
    expect(rows).toEqual([
      ['npm', 'lodash', '4.17.20', 'lodash', '4.17.20'],
      ['npm', '@babel/core', '7.0.0', '@babel/core', '7.0.0'],
      ['Debian:12', 'libssl3', '3.0.11-1~deb12u2', 'openssl', '3.0.11-1~deb12u2'],
      ['Debian:12', 'libc6', '2.36-9+deb12u4', 'glibc', '2.36-9+deb12u4'],
      ['Ubuntu:22.04', 'zlib1g', '1:1.2.11.dfsg-2ubuntu9.2', 'zlib1g', '1:1.2.11.dfsg-2ubuntu9.2'],
      ['AlmaLinux:9', 'openssl-libs', '1:3.0.7-25.el9_3', 'openssl', '1:3.0.7-25.el9_3'],
      ['Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'org.apache.logging.log4j:log4j-core', '2.14.1'],
      ['Go', 'github.com/gorilla/mux', 'v1.8.0', 'github.com/gorilla/mux', 'v1.8.0'],
      ['Packagist', 'monolog/monolog', '2.9.1', 'monolog/monolog', '2.9.1'],
      ['RubyGems', 'rack', '2.2.6', 'rack', '2.2.6'],
      ['PyPI', 'django', '4.2.1', 'django', '4.2.1'],
      ['crates.io', 'serde', '1.0.150', 'serde', '1.0.150'],
    ]);
    expect(r.inventory.packages[2]).toMatchObject({ arch: 'amd64', purl: CYCLONEDX.components[2]?.purl });
  });

  it('lists the components it could not place, with where they are and why', () => {
    const r = parseSbom(JSON.stringify(CYCLONEDX));
    if (!r.ok) throw new Error(r.reason);
    expect(r.skipped).toEqual([
      {
        ref: 'components[10]',
        id: 'nopurl',
        name: 'vendored-thing',
        reason: 'no purl: the component cannot be placed in an advisory ecosystem',
      },
      { ref: 'components[11]', name: 'broken', reason: expect.stringMatching(/^malformed purl: /) as string },
      { ref: 'components[12]', name: 'img', reason: 'purl type "docker" has no advisory ecosystem' },
      {
        ref: 'components[13]',
        name: 'old',
        reason: 'a deb purl without a distro qualifier: the Debian or Ubuntu release is unknown',
      },
      { ref: 'components[14]', name: 'noversion', reason: 'no version in the purl or the component' },
      {
        ref: 'components[1].components[1]',
        name: 'inner',
        reason: 'no purl: the component cannot be placed in an advisory ecosystem',
      },
    ]);
  });

  it('refuses a document whose structure is wrong, naming the path', () => {
    const bad = (patch: Record<string, unknown>) => parseSbom(JSON.stringify({ ...CYCLONEDX, ...patch }));
    expect(bad({ specVersion: '1.7' })).toEqual({
      ok: false,
      reason: 'CycloneDX specVersion "1.7" is not supported (1.2 to 1.6)',
    });
    expect(bad({ specVersion: undefined })).toMatchObject({ ok: false, reason: expect.stringMatching(/specVersion/) as string });
    expect(bad({ components: {} })).toEqual({ ok: false, reason: 'components is not an array' });
    expect(bad({ components: [{ name: 'a', purl: 'pkg:npm/a@1' }, 'x'] })).toEqual({
      ok: false,
      reason: 'components[1] is not an object',
    });
    expect(bad({ components: [{ name: 'a', components: [{ name: 'b', purl: 7 }] }] })).toEqual({
      ok: false,
      reason: 'components[0].components[0]: purl is not a string',
    });
    expect(bad({ components: [{ name: 'a', components: 'no' }] })).toEqual({
      ok: false,
      reason: 'components[0].components is not an array',
    });
  });

  it('accepts an SBOM without components, and refuses one over the bound', () => {
    const empty = { ...CYCLONEDX, components: undefined };
    expect(parseSbom(JSON.stringify(empty))).toMatchObject({ ok: true, inventory: { packages: [] }, skipped: [] });
    const many = Array.from({ length: MAX_SBOM_COMPONENTS + 1 }, () => ({ name: 'x' }));
    expect(parseSbom(JSON.stringify({ ...CYCLONEDX, components: many }))).toEqual({
      ok: false,
      reason: `more than ${MAX_SBOM_COMPONENTS} components`,
    });
  });
});

describe('deb and rpm purls', () => {
  const place = (purl: string) => {
    const r = parseSbom(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'x', purl }] }));
    if (!r.ok) throw new Error(r.reason);
    return r.inventory.packages[0]?.ecosystem ?? r.skipped[0]?.reason;
  };

  it('reads the release from the distro qualifier in its usual spellings', () => {
    expect(place('pkg:deb/debian/bash@5.2.15-2?distro=bookworm')).toBe('Debian:12');
    expect(place('pkg:deb/debian/bash@5.2.15-2?distro=debian-11.9')).toBe('Debian:11');
    expect(place('pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-24.04')).toBe('Ubuntu:24.04');
    expect(place('pkg:rpm/rocky/bash@5.1.8-9.el9?distro=rocky-9.4')).toBe('Rocky Linux:9');
    expect(place('pkg:deb/ubuntu/bash@5.1?distro=debian-12')).toBe(
      'deb purl namespace "ubuntu" disagrees with its distro "debian-12"',
    );
    expect(place('pkg:deb/debian/bash@5.1?distro=hamm')).toBe(
      'unknown deb distro qualifier "hamm" (want debian-12 or ubuntu-22.04)',
    );
    expect(place('pkg:rpm/fedora/bash@5.1?distro=fedora-40')).toBe('rpm distro "fedora-40" has no advisory ecosystem');
    expect(place('pkg:rpm/almalinux/bash@5.1')).toBe('an rpm purl without a distro qualifier: the release is unknown');
  });
});

describe('SPDX SBOMs', () => {
  it('reads packages by their package-manager purl reference, either spelling of the category', () => {
    const r = parseSbom(JSON.stringify(SPDX));
    if (!r.ok) throw new Error(r.reason);
    expect(r.inventory).toMatchObject({ format: 'spdx', hostname: 'billing-api' });
    expect(r.inventory.packages.map((p) => [p.ecosystem, p.name, p.version])).toEqual([
      ['PyPI', 'requests', '2.31.0'],
      ['npm', 'express', '4.18.2'],
    ]);
    expect(r.skipped).toEqual([
      {
        ref: 'packages[0]',
        id: 'SPDXRef-root',
        name: 'billing-api',
        reason: 'no purl: the component cannot be placed in an advisory ecosystem',
      },
    ]);
  });

  it('refuses other SPDX versions and wrong structure', () => {
    expect(parseSbom(JSON.stringify({ ...SPDX, spdxVersion: 'SPDX-3.0' }))).toEqual({
      ok: false,
      reason: 'SPDX-3.0 is not supported (SPDX-2.2 or SPDX-2.3)',
    });
    expect(parseSbom(JSON.stringify({ ...SPDX, packages: [{ name: 'a', externalRefs: {} }] }))).toEqual({
      ok: false,
      reason: 'packages[0].externalRefs is not an array',
    });
  });
});

describe('documents that are not SBOMs', () => {
  it('says what it wanted', () => {
    expect(parseSbom('{"bomFormat": "CycloneDX"')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not JSON: /) as string,
    });
    const neither = 'neither a CycloneDX JSON SBOM (bomFormat "CycloneDX") nor an SPDX JSON SBOM (spdxVersion "SPDX-2.x")';
    expect(parseSbom('{"bomFormat": "cyclonedx"}')).toEqual({ ok: false, reason: neither });
    expect(parseSbom('[]')).toEqual({ ok: false, reason: neither });
    expect(parseSbom('null')).toEqual({ ok: false, reason: neither });
  });
});
