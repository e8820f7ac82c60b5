import { describe, expect, it } from 'vitest';
import type { AdvisoryStatement, Inventory, InventoryPackage, MatchedFinding } from '../model.ts';
import { isAffected } from '../versions/ecosystems.ts';
import { AdvisoryIndex } from './advisory-index.ts';
import { matchInventory, restrictToChanged } from './matcher.ts';

function stmt(s: Partial<AdvisoryStatement> & Pick<AdvisoryStatement, 'vuln' | 'package'>): AdvisoryStatement {
  return { source: 'debian-tracker', aliases: [], ecosystem: 'Debian:12', status: 'fixed', severity: 'medium', ...s };
}

/** A dpkg binary: `name version [source sourceVersion]`. */
function deb(name: string, version: string, source = name, sourceVersion = version, ecosystem = 'Debian:12'): InventoryPackage {
  return { name, version, source, sourceVersion, ecosystem };
}

function host(packages: InventoryPackage[], extra: Partial<Inventory> = {}): Inventory {
  return { format: 'dpkg', distro: 'Debian:12', hostname: 'web1.example.net', packages, ...extra };
}

function indexOf(...statements: AdvisoryStatement[]): AdvisoryIndex {
  const index = new AdvisoryIndex();
  index.add(statements);
  return index;
}

function byVuln(findings: MatchedFinding[]): Record<string, MatchedFinding> {
  return Object.fromEntries(findings.map((f) => [f.vuln, f]));
}

describe('matchInventory: Debian packages on the vendor terms', () => {
  it('does not report a backported security fix, and reports what is below the fixed version', () => {
    const index = indexOf(
      stmt({ vuln: 'CVE-2023-5678', package: 'openssl', fixed: '3.0.11-1~deb12u2' }),
      stmt({ vuln: 'CVE-2023-5363', package: 'openssl', fixed: '3.0.11-1~deb12u1' }),
      stmt({ vuln: 'CVE-2024-0727', package: 'openssl', fixed: '3.0.13-1~deb12u1', severity: 'high' }),
      stmt({ vuln: 'CVE-2023-46218', package: 'curl', fixed: '7.88.1-10+deb12u5' }),
      stmt({ vuln: 'CVE-2023-38545', package: 'curl', fixed: '7.88.1-10+deb12u4' }),
      stmt({ vuln: 'CVE-2023-28321', package: 'curl', fixed: '7.88.1-10+deb12u1' }),
    );
    const inv = host([
      deb('openssl', '3.0.11-1~deb12u2'),
      deb('libssl3', '3.0.11-1~deb12u2', 'openssl'),
      deb('curl', '7.88.1-10+deb12u4'),
      deb('libcurl4', '7.88.1-10+deb12u4', 'curl'),
    ]);
    const r = matchInventory(index, inv);
    expect(r.findings.map((f) => `${f.package} ${f.vuln}`)).toEqual(['curl CVE-2023-46218', 'openssl CVE-2024-0727']);
    const f = byVuln(r.findings)['CVE-2024-0727'];
    expect(f).toMatchObject({
      ecosystem: 'Debian:12',
      package: 'openssl',
      installedVersion: '3.0.11-1~deb12u2',
      fixedVersion: '3.0.13-1~deb12u1',
      status: 'fixed',
      severity: 'high',
      inForce: 'vulnerable',
      source: 'debian-tracker',
    });
    // Several binaries of one source: one finding, the binaries listed.
    expect(f?.binaries).toEqual([
      { name: 'openssl', version: '3.0.11-1~deb12u2' },
      { name: 'libssl3', version: '3.0.11-1~deb12u2' },
    ]);
    expect(r.counts).toMatchObject({ fixed: 2, not_affected: 0, no_fix: 0 });
    // Exactly the fixed version installed is fixed.
    const equal = matchInventory(index, host([deb('curl', '7.88.1-10+deb12u5')]));
    expect(equal.findings).toEqual([]);
  });

  it('treats fixed_version "0" as not affected and keeps every other vendor status as a finding', () => {
    const statuses = ['no_fix', 'postponed', 'ignored', 'unimportant', 'end_of_life', 'undetermined'] as const;
    const index = indexOf(
      stmt({ vuln: 'CVE-2020-0001', package: 'bash', status: 'not_affected' }),
      ...statuses.map((status, i) =>
        stmt({
          vuln: `CVE-2024-100${i}`,
          package: 'bash',
          status,
          urgency: status === 'unimportant' ? 'unimportant' : 'low',
          note: `why ${i}`,
        }),
      ),
    );
    const r = matchInventory(index, host([deb('bash', '5.2.15-2+b2', 'bash', '5.2.15-2')]));
    expect(r.findings.map((f) => f.status).sort()).toEqual([...statuses].sort());
    expect(r.counts).toEqual({
      fixed: 0,
      not_affected: 0,
      no_fix: 1,
      postponed: 1,
      ignored: 1,
      unimportant: 1,
      end_of_life: 1,
      undetermined: 1,
    });
    const postponed = r.findings.find((f) => f.status === 'postponed');
    expect(postponed).toMatchObject({ note: 'why 1', urgency: 'low', fixedVersion: undefined, inForce: 'vulnerable' });
    expect(r.findings.some((f) => f.vuln === 'CVE-2020-0001')).toBe(false);
  });

  it('uses an open entry’s fixed version (fixed in unstable) when the host already has it', () => {
    const index = indexOf(stmt({ vuln: 'CVE-2024-2000', package: 'zlib', status: 'no_fix', fixed: '1:1.3.dfsg-1' }));
    expect(matchInventory(index, host([deb('zlib1g', '1:1.2.13.dfsg-1', 'zlib')])).findings).toHaveLength(1);
    expect(matchInventory(index, host([deb('zlib1g', '1:1.3.dfsg-1', 'zlib')])).findings).toHaveLength(0);
  });

  it('compares the source version of a binNMU, not the binary version', () => {
    const index = indexOf(
      stmt({ vuln: 'CVE-2024-3000', package: 'libxml2', fixed: '2.9.14+dfsg-1.3~deb12u1' }),
      stmt({ vuln: 'CVE-2024-3001', package: 'libxml2', fixed: '2.9.14+dfsg-1.3~deb12u2' }),
    );
    const r = matchInventory(index, host([deb('libxml2', '2.9.14+dfsg-1.3~deb12u1+b1', 'libxml2', '2.9.14+dfsg-1.3~deb12u1')]));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      vuln: 'CVE-2024-3001',
      installedVersion: '2.9.14+dfsg-1.3~deb12u1',
      binaries: [{ name: 'libxml2', version: '2.9.14+dfsg-1.3~deb12u1+b1' }],
    });
  });

  it('compares epochs before everything else', () => {
    const index = indexOf(
      stmt({ vuln: 'CVE-2024-4000', package: 'vim', fixed: '2:9.0.1378-2' }),
      stmt({ vuln: 'CVE-2024-4001', package: 'vim', fixed: '9.1.0000-1' }),
    );
    const r = matchInventory(index, host([deb('vim', '2:9.0.1378-1'), deb('vim-common', '2:9.0.1378-1', 'vim')]));
    expect(r.findings.map((f) => f.vuln)).toEqual(['CVE-2024-4000']);
  });

  it('matches each version of a source installed twice (multi-arch skew), in one finding naming the oldest', () => {
    const index = indexOf(stmt({ vuln: 'CVE-2023-6246', package: 'glibc', fixed: '2.36-9+deb12u4', severity: 'high' }));
    const r = matchInventory(
      index,
      host([
        deb('libc6:amd64', '2.36-9+deb12u4', 'glibc'),
        deb('libc-bin', '2.36-9+deb12u4', 'glibc'),
        deb('libc6:i386', '2.36-9+deb12u3', 'glibc'),
      ]),
    );
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      installedVersion: '2.36-9+deb12u3',
      binaries: [{ name: 'libc6:i386', version: '2.36-9+deb12u3' }],
    });
  });

  it('makes one finding of a vulnerability known under two ids by two feeds, with aliases and metadata', () => {
    const index = indexOf(
      stmt({ vuln: 'CVE-2024-5000', package: 'nginx', fixed: '1.22.1-9+deb12u1', summary: 'HTTP/3 crash' }),
      stmt({
        source: 'osv',
        vuln: 'DEBIAN-CVE-2024-5000',
        aliases: ['CVE-2024-5000'],
        package: 'nginx',
        ranges: [{ introduced: '0', fixed: '1.22.1-9+deb12u1' }],
        severity: 'high',
        cvss: ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'],
        published: '2024-02-14T16:15:00Z',
      }),
    );
    const r = matchInventory(index, host([deb('nginx', '1.22.1-9'), deb('nginx-common', '1.22.1-9', 'nginx')]));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      vuln: 'CVE-2024-5000',
      aliases: ['DEBIAN-CVE-2024-5000'],
      severity: 'high',
      source: 'debian-tracker',
      summary: 'HTTP/3 crash',
      fixedVersion: '1.22.1-9+deb12u1',
    });
  });

  it('says so when the index holds nothing for the host’s release', () => {
    const index = indexOf(stmt({ vuln: 'CVE-2024-1', package: 'bash', status: 'no_fix' }));
    const r = matchInventory(index, host([deb('bash', '5.2.37-1', 'bash', '5.2.37-1', 'Debian:13')], { distro: 'Debian:13' }));
    expect(r).toMatchObject({ findings: [], unmatchedEcosystem: 'Debian:13' });
    expect(matchInventory(index, host([deb('bash', '5.2.15-2')])).unmatchedEcosystem).toBeUndefined();
  });

  it('uses the distro option for packages that name no ecosystem, and reports a pending restart', () => {
    const index = indexOf(stmt({ vuln: 'CVE-2024-6', package: 'openssh', fixed: '1:9.2p1-2+deb12u3' }));
    const inv = host([{ ...deb('openssh-server', '1:9.2p1-2+deb12u2', 'openssh'), ecosystem: '' }], {
      distro: undefined,
      servicesNeedingRestart: ['ssh.service'],
    });
    const r = matchInventory(index, inv, { distro: 'Debian:12' });
    expect(r.findings.map((f) => f.vuln)).toEqual(['CVE-2024-6']);
    expect(r.pendingRestart).toBe(true);
    expect(matchInventory(index, host([])).pendingRestart).toBe(false);
    expect(matchInventory(index, host([], { rebootRequired: true })).pendingRestart).toBe(true);
  });
});

describe('matchInventory: the Debian fast path', () => {
  it('agrees with isAffected on every pair of awkward Debian versions', () => {
    const versions = [
      '1.0-1',
      '1.0-1+b1',
      '1.0-1~deb12u1',
      '1.0-1+deb12u1',
      '1.0-1+deb12u10',
      '1.0-1+deb12u2',
      '1:0.9-1',
      '01:0.9-1',
      '1.0~rc1-1',
      '1.0',
      '1.00-1',
      '1.0.0-1',
      '1.0a-1',
      '1.0+dfsg-1',
      '2:1.0-1',
      '1.99999999999999999999-1',
      '1.100000000000000000000-1',
    ];
    const index = indexOf(...versions.map((fixed, i) => stmt({ vuln: `CVE-2024-${1000 + i}`, package: 'p', fixed })));
    for (const installed of versions) {
      const got = new Set(matchInventory(index, host([deb('p', installed)])).findings.map((f) => f.vuln));
      const want = new Set(
        versions.flatMap((fixed, i) =>
          isAffected('Debian:12', installed, { status: 'fixed', fixed }) ? [`CVE-2024-${1000 + i}`] : [],
        ),
      );
      expect([installed, [...got].sort()]).toEqual([installed, [...want].sort()]);
    }
  });
});

describe('matchInventory: kernels', () => {
  // linux 6.1.69 (old, installed), 6.1.76 (running), 6.1.90 (installed, not booted yet).
  const index = indexOf(
    stmt({ vuln: 'CVE-2024-K1', package: 'linux', fixed: '6.1.90-1', severity: 'high' }),
    stmt({ vuln: 'CVE-2024-K2', package: 'linux', fixed: '6.1.76-1' }),
    stmt({ vuln: 'CVE-2024-K3', package: 'linux', fixed: '6.1.99-1' }),
    stmt({ vuln: 'CVE-2024-K4', package: 'linux', status: 'no_fix' }),
    stmt({ vuln: 'CVE-2024-K5', package: 'linux', fixed: '6.1.60-1' }),
  );
  const packages = [
    deb('linux-image-6.1.0-17-amd64', '6.1.69-1', 'linux-signed-amd64', '6.1.69+1'),
    deb('linux-image-6.1.0-18-amd64', '6.1.76-1', 'linux-signed-amd64', '6.1.76+1'),
    deb('linux-image-6.1.0-21-amd64-unsigned', '6.1.90-1', 'linux'),
    deb('linux-image-amd64', '6.1.90-1', 'linux-signed-amd64', '6.1.90+1'),
    deb('linux-libc-dev', '6.1.90-1', 'linux'),
  ];

  it('judges by the running kernel: affected, patched on disk, or only an old kernel not running', () => {
    const r = matchInventory(index, host(packages, { kernelRelease: '6.1.0-18-amd64', rebootRequired: true }));
    const f = byVuln(r.findings);
    expect(Object.keys(f).sort()).toEqual(['CVE-2024-K1', 'CVE-2024-K2', 'CVE-2024-K3', 'CVE-2024-K4']);
    // Every kernel finding is on source `linux`, never on `linux-signed-amd64`.
    expect(new Set(r.findings.map((x) => x.package))).toEqual(new Set(['linux']));
    expect(f['CVE-2024-K1']).toMatchObject({ inForce: 'on_disk', installedVersion: '6.1.76-1', fixedVersion: '6.1.90-1' });
    expect(f['CVE-2024-K2']).toMatchObject({
      inForce: 'not_running',
      installedVersion: '6.1.69-1',
      binaries: [{ name: 'linux-image-6.1.0-17-amd64', version: '6.1.69-1' }],
    });
    expect(f['CVE-2024-K3']).toMatchObject({ inForce: 'vulnerable', installedVersion: '6.1.76-1' });
    expect(f['CVE-2024-K3']?.binaries.map((b) => b.name).sort()).toEqual([
      'linux-image-6.1.0-17-amd64',
      'linux-image-6.1.0-18-amd64',
      'linux-image-6.1.0-21-amd64-unsigned',
      'linux-image-amd64',
      'linux-libc-dev',
    ]);
    expect(f['CVE-2024-K4']).toMatchObject({ inForce: 'vulnerable', status: 'no_fix' });
    expect(r.kernel).toMatchObject({ release: '6.1.0-18-amd64', assumedRunning: false });
    expect(r.kernel?.images.filter((i) => i.running).map((i) => i.name)).toEqual(['linux-image-6.1.0-18-amd64']);
    expect(r.pendingRestart).toBe(true);
  });

  it('after the reboot into the fixed kernel, the old one is reported as not running', () => {
    const r = matchInventory(index, host(packages, { kernelRelease: '6.1.0-21-amd64' }));
    const f = byVuln(r.findings);
    expect(f['CVE-2024-K1']).toMatchObject({ inForce: 'not_running' });
    expect(f['CVE-2024-K3']).toMatchObject({ inForce: 'vulnerable', installedVersion: '6.1.90-1' });
  });

  it('without uname -r treats every installed kernel as running and says so', () => {
    const r = matchInventory(index, host(packages));
    const f = byVuln(r.findings);
    expect(f['CVE-2024-K1']).toMatchObject({ inForce: 'vulnerable', installedVersion: '6.1.69-1' });
    expect(f['CVE-2024-K2']).toMatchObject({ inForce: 'vulnerable', installedVersion: '6.1.69-1' });
    expect(r.kernel?.assumedRunning).toBe(true);
    expect(r.kernel?.note).toMatch(/uname -r/);
    const unknown = matchInventory(index, host(packages, { kernelRelease: '6.6.0-custom' }));
    expect(unknown.kernel?.assumedRunning).toBe(true);
    expect(unknown.kernel?.note).toContain('6.6.0-custom');
  });

  it('matches an RPM kernel by version-release.arch', () => {
    const alma = (name: string, v: string, source = name, arch = 'x86_64'): InventoryPackage => ({
      name,
      version: v,
      source,
      sourceVersion: v,
      ecosystem: 'AlmaLinux:9',
      arch,
    });
    const idx = indexOf(
      stmt({
        source: 'osv',
        ecosystem: 'AlmaLinux:9',
        vuln: 'CVE-2023-K9',
        aliases: ['ALSA-2024:0461'],
        package: 'kernel-core',
        ranges: [{ introduced: '0', fixed: '5.14.0-362.18.1.el9_3' }],
        severity: 'high',
      }),
    );
    const r = matchInventory(
      idx,
      host(
        [
          alma('kernel', '5.14.0-362.8.1.el9_3'),
          alma('kernel-core', '5.14.0-362.8.1.el9_3', 'kernel'),
          alma('kernel', '5.14.0-362.18.1.el9_3'),
          alma('kernel-core', '5.14.0-362.18.1.el9_3', 'kernel'),
        ],
        { format: 'rpm', distro: 'AlmaLinux:9', kernelRelease: '5.14.0-362.8.1.el9_3.x86_64' },
      ),
    );
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      package: 'kernel',
      inForce: 'on_disk',
      installedVersion: '5.14.0-362.8.1.el9_3',
      fixedVersion: '5.14.0-362.18.1.el9_3',
    });
  });
});

describe('matchInventory: RPM distros', () => {
  it('matches AlmaLinux advisories keyed by binary names under the source package, with el9_3 releases and epochs', () => {
    const alma = (name: string, v: string, source: string, sv = v): InventoryPackage => ({
      name,
      version: v,
      source,
      sourceVersion: sv,
      ecosystem: 'AlmaLinux:9',
      arch: 'x86_64',
    });
    const osv = (vuln: string, pkg: string, fixed: string): AdvisoryStatement =>
      stmt({
        source: 'osv',
        ecosystem: 'AlmaLinux:9',
        vuln,
        package: pkg,
        ranges: [{ introduced: '0', fixed }],
        severity: 'medium',
      });
    const index = indexOf(
      osv('CVE-2023-5678', 'openssl', '1:3.0.7-25.el9_3'),
      osv('CVE-2023-5678', 'openssl-libs', '1:3.0.7-25.el9_3'),
      osv('CVE-2023-3446', 'openssl-libs', '1:3.0.7-24.el9'),
      osv('CVE-2024-26458', 'krb5-libs', '1.21.1-2.el9_4'),
    );
    const r = matchInventory(
      index,
      host(
        [
          alma('openssl', '1:3.0.7-25.el9', 'openssl'),
          alma('openssl-libs', '1:3.0.7-25.el9', 'openssl'),
          alma('krb5-libs', '1.21.1-1.el9', 'krb5'),
        ],
        { format: 'rpm', distro: 'AlmaLinux:9.3' },
      ),
    );
    expect(r.findings.map((f) => `${f.package} ${f.vuln}`)).toEqual(['krb5 CVE-2024-26458', 'openssl CVE-2023-5678']);
    expect(byVuln(r.findings)['CVE-2023-5678']).toMatchObject({
      ecosystem: 'AlmaLinux:9',
      installedVersion: '1:3.0.7-25.el9',
      fixedVersion: '1:3.0.7-25.el9_3',
      binaries: [
        { name: 'openssl', version: '1:3.0.7-25.el9' },
        { name: 'openssl-libs', version: '1:3.0.7-25.el9' },
      ],
    });
    expect(r.unmatchedEcosystem).toBeUndefined();
  });
});

describe('matchInventory: application ecosystems from SBOMs', () => {
  const component = (ecosystem: string, name: string, version: string): InventoryPackage => ({
    name,
    version,
    source: name,
    sourceVersion: version,
    ecosystem,
    purl: `pkg:${ecosystem.toLowerCase()}/${name}@${version}`,
  });
  const index = indexOf(
    stmt({
      source: 'osv',
      ecosystem: 'npm',
      vuln: 'CVE-2021-23337',
      aliases: ['GHSA-35jh-r3h4-6jhm'],
      package: 'lodash',
      ranges: [{ introduced: '0', fixed: '4.17.21' }],
      severity: 'high',
    }),
    stmt({
      source: 'osv',
      ecosystem: 'npm',
      vuln: 'GHSA-xxxx-semver-2',
      package: 'semver',
      ranges: [
        { introduced: '0', fixed: '5.7.2' },
        { introduced: '6.0.0', fixed: '6.3.1' },
        { introduced: '7.0.0', fixed: '7.5.2' },
      ],
    }),
    stmt({
      source: 'osv',
      ecosystem: 'PyPI',
      vuln: 'CVE-2024-22195',
      package: 'jinja2',
      ranges: [{ introduced: '0', fixed: '3.1.3' }],
    }),
    stmt({ source: 'osv', ecosystem: 'PyPI', vuln: 'PYSEC-2099-1', package: 'Pillow', versions: ['10.0.0', '10.0.1'] }),
  );
  const sbom = (packages: InventoryPackage[]): Inventory => ({ format: 'cyclonedx', hostname: 'shop', packages });

  it('matches npm and PyPI components by their OSV ranges and version lists', () => {
    const r = matchInventory(
      index,
      sbom([
        component('npm', 'lodash', '4.17.20'),
        component('npm', 'lodash', '4.17.20'),
        component('npm', 'semver', '6.3.0'),
        component('npm', 'express', '4.19.2'),
        component('PyPI', 'Jinja2', '3.1.2'),
        component('PyPI', 'pillow', '10.0.1'),
        component('Go', 'golang.org/x/net', '0.17.0'),
      ]),
    );
    expect(r.findings.map((f) => `${f.ecosystem} ${f.package} ${f.vuln}`)).toEqual([
      'PyPI Jinja2 CVE-2024-22195',
      'PyPI pillow PYSEC-2099-1',
      'npm lodash CVE-2021-23337',
      'npm semver GHSA-xxxx-semver-2',
    ]);
    const f = byVuln(r.findings);
    expect(f['CVE-2021-23337']).toMatchObject({
      installedVersion: '4.17.20',
      fixedVersion: '4.17.21',
      aliases: ['GHSA-35jh-r3h4-6jhm'],
      binaries: [{ name: 'lodash', version: '4.17.20' }],
    });
    // The fix shown is the one of the range the installed version is in.
    expect(f['GHSA-xxxx-semver-2']?.fixedVersion).toBe('6.3.1');
    expect(r.ecosystemsWithoutAdvisories).toEqual({ Go: 1 });
    expect(r.unmatchedEcosystem).toBeUndefined();
  });

  it('reports nothing for fixed versions', () => {
    const r = matchInventory(
      index,
      sbom([component('npm', 'lodash', '4.17.21'), component('npm', 'semver', '7.5.2'), component('PyPI', 'Pillow', '10.0.2')]),
    );
    expect(r.findings).toEqual([]);
  });
});

describe('AdvisoryIndex', () => {
  it('holds KEV and EPSS with their feed versions and finds them through aliases', () => {
    const index = indexOf(stmt({ vuln: 'GHSA-aaaa', aliases: ['CVE-2024-3094'], package: 'xz-utils', status: 'no_fix' }));
    index.setKev(
      [
        {
          cve: 'CVE-2024-3094',
          vendor: 'XZ',
          product: 'xz',
          name: 'backdoor',
          dateAdded: '2024-03-29',
          dueDate: '2024-04-19',
          ransomware: false,
          requiredAction: 'downgrade',
        },
      ],
      'kev-2024.03.29',
    );
    index.setEpss(
      Array.from({ length: 3000 }, (_, i) => ({ cve: `CVE-2023-${1000 + i}`, epss: 0.00043, percentile: 0.0811 })).concat([
        { cve: 'CVE-2024-3094', epss: 0.85341, percentile: 0.98563 },
      ]),
      '2024-04-01',
    );
    const x = index.exploitation('GHSA-aaaa', index.meta('GHSA-aaaa')?.aliases);
    expect(x.kev?.dateAdded).toBe('2024-03-29');
    expect(x.epss).toEqual({ cve: 'CVE-2024-3094', epss: 0.85341, percentile: 0.98563 });
    expect(index.epss('CVE-2023-1500')).toEqual({ cve: 'CVE-2023-1500', epss: 0.00043, percentile: 0.0811 });
    expect([index.kevVersion, index.epssVersion]).toEqual(['kev-2024.03.29', '2024-04-01']);
    expect(index.stats()).toMatchObject({ statements: 1, kev: 1, epss: 3001 });
  });

  it('shares tails and interns repeated strings across releases', () => {
    const index = new AdvisoryIndex();
    for (const eco of ['Debian:11', 'Debian:12', 'Debian:13'])
      index.add(
        Array.from({ length: 100 }, (_, i) =>
          stmt({ ecosystem: eco, vuln: `CVE-2024-${i}`, package: `pkg${i % 10}`, fixed: '1.0-1', urgency: 'low' }),
        ),
      );
    expect(index.stats()).toMatchObject({ statements: 300, ecosystems: 3, packages: 30, tails: 1 });
    expect(index.lookup('Debian:12', 'pkg3')?.vulns).toHaveLength(10);
    expect(index.resolveEcosystem('Debian:12.5')).toBe('Debian:12');
    expect(index.resolveEcosystem('Debian:10')).toBeUndefined();
  });
});

describe('a feed change: the statement lists that changed, and the part of a host they touch', () => {
  const kev = (cve: string) => ({
    cve,
    vendor: 'v',
    product: 'p',
    name: 'n',
    dateAdded: '2026-11-20',
    dueDate: '2026-12-11',
    ransomware: false,
    requiredAction: 'patch',
  });
  const day1 = () =>
    indexOf(
      stmt({ vuln: 'CVE-2024-1', package: 'openssl', fixed: '3.0.11-1~deb12u2' }),
      stmt({ vuln: 'CVE-2024-2', package: 'curl', status: 'no_fix' }),
      stmt({ vuln: 'DSA-1-1', aliases: ['CVE-2024-3'], package: 'bash', fixed: '5.2.15-3' }),
    );
  const inv = host([
    deb('openssl', '3.0.11-1~deb12u1'),
    deb('libssl3', '3.0.11-1~deb12u1', 'openssl'),
    deb('curl', '7.88.1-10+deb12u5'),
    deb('bash', '5.2.15-2+b2', 'bash', '5.2.15-2'),
  ]);

  it('names the changed lists; only their groups are matched again, with the findings a full match gives them', () => {
    const before = day1();
    const after = indexOf(
      stmt({ vuln: 'CVE-2024-1', package: 'openssl', fixed: '3.0.11-1~deb12u3' }),
      stmt({ vuln: 'CVE-2024-2', package: 'curl', status: 'no_fix' }),
      stmt({ vuln: 'DSA-1-1', aliases: ['CVE-2024-3'], package: 'bash', fixed: '5.2.15-3' }),
    );
    const changed = after.changedPackages(before);
    expect(changed && [...changed]).toEqual(['Debian:12\u0000openssl']);
    const part = restrictToChanged(after, inv, changed as Set<string>);
    expect([...part.groups]).toEqual(['Debian:12\u0000openssl']);
    expect(part.inventory.packages.map((p) => p.name)).toEqual(['openssl', 'libssl3']);
    const full = matchInventory(after, inv).findings.filter((f) => f.package === 'openssl');
    expect(matchInventory(after, part.inventory).findings).toEqual(full);
    expect(full[0]?.fixedVersion).toBe('3.0.11-1~deb12u3');
    // Nothing changed: nothing to match.
    expect(day1().changedPackages(before)?.size).toBe(0);
    expect(restrictToChanged(after, inv, new Set()).inventory.packages).toEqual([]);
  });

  it('a KEV or EPSS change marks the lists whose statements name the CVE, by id or by alias', () => {
    const before = day1();
    const after = day1();
    after.setKev([kev('CVE-2024-3')], '2026.11.27');
    expect([...(after.changedPackages(before) as Set<string>)]).toEqual(['Debian:12\u0000bash']);
    after.setEpss([{ cve: 'CVE-2024-2', epss: 0.5, percentile: 0.97 }], '2026-11-27');
    expect([...(after.changedPackages(before) as Set<string>)].sort()).toEqual(['Debian:12\u0000bash', 'Debian:12\u0000curl']);
  });

  it('on RPM distros a group is touched through a binary name too, and a finer release resolves to the index', () => {
    const osv = (vuln: string, pkg: string, fixed: string): AdvisoryStatement =>
      stmt({ source: 'osv', ecosystem: 'AlmaLinux:9', vuln, package: pkg, ranges: [{ introduced: '0', fixed }] });
    const alma = (name: string, v: string, source: string): InventoryPackage => ({
      name,
      version: v,
      source,
      sourceVersion: v,
      ecosystem: 'AlmaLinux:9.3',
    });
    const before = indexOf(osv('CVE-2024-9', 'krb5-libs', '1.21.1-2.el9_4'), osv('CVE-2024-8', 'openssl', '1:3.0.7-27.el9'));
    const after = indexOf(osv('CVE-2024-9', 'krb5-libs', '1.21.1-3.el9_4'), osv('CVE-2024-8', 'openssl', '1:3.0.7-27.el9'));
    const rpmHost = host(
      [
        alma('krb5-libs', '1.21.1-1.el9', 'krb5'),
        alma('krb5-workstation', '1.21.1-1.el9', 'krb5'),
        alma('openssl', '1:3.0.7-25.el9', 'openssl'),
      ],
      {
        format: 'rpm',
        distro: 'AlmaLinux:9.3',
      },
    );
    const part = restrictToChanged(after, rpmHost, after.changedPackages(before) as Set<string>);
    expect([...part.groups]).toEqual(['AlmaLinux:9.3\u0000krb5']);
    expect(part.inventory.packages.map((p) => p.name)).toEqual(['krb5-libs', 'krb5-workstation']);
    expect(matchInventory(after, part.inventory).findings.map((f) => `${f.package} ${f.vuln} ${f.fixedVersion}`)).toEqual([
      'krb5 CVE-2024-9 1.21.1-3.el9_4',
    ]);
  });

  it('a release appearing or going makes every host a full match', () => {
    const after = day1();
    after.add([stmt({ vuln: 'CVE-2024-4', package: 'curl', ecosystem: 'Debian:13' })]);
    expect(after.changedPackages(day1())).toBeUndefined();
  });
});
