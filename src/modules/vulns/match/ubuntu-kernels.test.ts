import { describe, expect, it } from 'vitest';
import { parseOsvRecord } from '../advisories/osv.ts';
import { parseInventoryUpload } from '../inventory/upload.ts';
import type { AdvisoryStatement, Inventory } from '../model.ts';
import { AdvisoryIndex } from './advisory-index.ts';
import { matchInventory, matchedSource, restrictToChanged } from './matcher.ts';

/**
 * Ubuntu builds its kernels from many source packages — `linux`, `linux-aws`, `linux-aws-6.5`, `linux-azure`,
 * `linux-hwe-6.5`, `linux-lowlatency`, … — and signs the images in `linux-signed-<flavour>` sources. Ubuntu's OSV
 * records name the unsigned source. Whichever flavour it comes from, the running kernel is the image whose release is
 * `uname -r`; the other kernels are not running, and a fixed one installed but not booted is patched on disk only.
 */

/** `dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n'` on Ubuntu 22.04. */
const DPKG_AWS_HOST = [
  // The cloud image's first kernel, generic flavour, still installed.
  'linux-image-5.15.0-91-generic\t5.15.0-91.101\tlinux-signed\t5.15.0-91.101\tinstall ok installed',
  'linux-modules-5.15.0-91-generic\t5.15.0-91.101\tlinux\t5.15.0-91.101\tinstall ok installed',
  'linux-headers-5.15.0-91\t5.15.0-91.101\tlinux\t5.15.0-91.101\tinstall ok installed',
  // The AWS 6.5 kernel running now …
  'linux-image-6.5.0-1015-aws\t6.5.0-1015.15~22.04.1\tlinux-signed-aws-6.5\t6.5.0-1015.15~22.04.1\tinstall ok installed',
  'linux-modules-6.5.0-1015-aws\t6.5.0-1015.15~22.04.1\tlinux-aws-6.5\t6.5.0-1015.15~22.04.1\tinstall ok installed',
  'linux-aws-6.5-headers-6.5.0-1015\t6.5.0-1015.15~22.04.1\tlinux-aws-6.5\t6.5.0-1015.15~22.04.1\tinstall ok installed',
  'linux-headers-6.5.0-1015-aws\t6.5.0-1015.15~22.04.1\tlinux-aws-6.5\t6.5.0-1015.15~22.04.1\tinstall ok installed',
  // … and its fixed successor, installed by unattended-upgrades, not yet booted.
  'linux-image-6.5.0-1017-aws\t6.5.0-1017.17~22.04.2\tlinux-signed-aws-6.5\t6.5.0-1017.17~22.04.2\tinstall ok installed',
  'linux-modules-6.5.0-1017-aws\t6.5.0-1017.17~22.04.2\tlinux-aws-6.5\t6.5.0-1017.17~22.04.2\tinstall ok installed',
  // Metapackages, firmware and helpers: sources named linux-* that are no kernel.
  'linux-image-aws\t6.5.0.1017.17~22.04.2\tlinux-meta-aws-6.5\t6.5.0.1017.17~22.04.2\tinstall ok installed',
  'linux-aws\t6.5.0.1017.17~22.04.2\tlinux-meta-aws-6.5\t6.5.0.1017.17~22.04.2\tinstall ok installed',
  'linux-firmware\t20220329.git681281e4-0ubuntu3.24\tlinux-firmware\t20220329.git681281e4-0ubuntu3.24\tinstall ok installed',
  'linux-base\t4.5ubuntu9\tlinux-base\t4.5ubuntu9\tinstall ok installed',
  'openssl\t3.0.2-0ubuntu1.12\topenssl\t3.0.2-0ubuntu1.12\tinstall ok installed',
];

function ubuntuUpload(uname: string | undefined, dpkg: string[] = DPKG_AWS_HOST): Inventory {
  const text = [
    'skjold-inventory 1',
    'hostname web-aws-01',
    'collected-at 2026-11-27T03:00:00Z',
    ...(uname === undefined ? [] : [`uname-r ${uname}`]),
    'reboot-required yes',
    '[os-release]',
    'PRETTY_NAME="Ubuntu 22.04.3 LTS"',
    'NAME="Ubuntu"',
    'VERSION_ID="22.04"',
    'VERSION_CODENAME=jammy',
    'ID=ubuntu',
    'ID_LIKE=debian',
    '[dpkg]',
    ...dpkg,
    '',
  ].join('\n');
  const r = parseInventoryUpload(text);
  if (!r.ok) throw new Error(`upload rejected at line ${r.line}: ${r.reason}`);
  return r.inventory;
}

/** An Ubuntu OSV record (as in canonical/ubuntu-security-notices `osv/cve/`) for a kernel CVE. */
function ubuntuKernelRecord(cve: string, fixes: Record<string, string>): unknown {
  return {
    schema_version: '1.6.3',
    id: `UBUNTU-${cve}`,
    upstream: [cve],
    published: '2026-04-25T06:15:00Z',
    modified: '2026-06-10T12:00:00Z',
    details: 'In the Linux kernel, the following vulnerability has been resolved: netfilter: nf_tables: …',
    severity: [{ type: 'Ubuntu', score: 'high' }],
    affected: Object.entries(fixes).map(([name, fixed]) => ({
      package: {
        ecosystem: 'Ubuntu:22.04:LTS',
        name,
        purl: `pkg:deb/ubuntu/${name}@${fixed}?arch=source&distro=jammy`,
      },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
      ecosystem_specific: { binaries: [{ binary_name: `linux-image-${name}`, binary_version: fixed }] },
    })),
  };
}

function indexOf(...records: unknown[]): AdvisoryIndex {
  const statements: AdvisoryStatement[] = records.flatMap((r) => parseOsvRecord(r).statements);
  const index = new AdvisoryIndex();
  index.add(statements);
  return index;
}

const KERNEL_CVE = ubuntuKernelRecord('CVE-2026-26925', {
  linux: '5.15.0-107.117',
  'linux-aws-6.5': '6.5.0-1017.17~22.04.2',
  'linux-azure': '5.15.0-1064.73',
});
const FIRMWARE_CVE = {
  schema_version: '1.6.3',
  id: 'UBUNTU-CVE-2026-20592',
  upstream: ['CVE-2026-20592'],
  published: '2026-05-14T00:00:00Z',
  modified: '2026-06-10T12:00:00Z',
  details: 'Improper input validation in some Intel firmware …',
  severity: [{ type: 'Ubuntu', score: 'medium' }],
  affected: [
    {
      package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'linux-firmware' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '20220329.git681281e4-0ubuntu3.30' }] }],
    },
  ],
};

describe('Ubuntu kernels from flavoured sources', () => {
  it('names the unsigned source for signed images, on Debian and Ubuntu alike', () => {
    const src = (name: string, source: string) =>
      matchedSource({ name, version: '1', source, sourceVersion: '1', ecosystem: '' }, 'dpkg').name;
    expect(src('linux-image-6.1.0-18-amd64', 'linux-signed-amd64')).toBe('linux');
    expect(src('linux-image-5.10.0-0.deb10.28-amd64', 'linux-signed-5.10-amd64')).toBe('linux-5.10');
    expect(src('linux-image-5.15.0-91-generic', 'linux-signed')).toBe('linux');
    expect(src('linux-image-6.5.0-1015-aws', 'linux-signed-aws-6.5')).toBe('linux-aws-6.5');
    expect(src('linux-image-6.5.0-14-generic', 'linux-signed-hwe-6.5')).toBe('linux-hwe-6.5');
    expect(src('linux-image-aws', 'linux-meta-aws-6.5')).toBe('linux-meta-aws-6.5');
  });

  it('judges by the running AWS kernel: fixed one installed but not booted is patched on disk; the generic one is not running', () => {
    const index = indexOf(KERNEL_CVE, FIRMWARE_CVE);
    const inv = ubuntuUpload('6.5.0-1015-aws');
    expect(inv.distro).toBe('Ubuntu:22.04');
    const r = matchInventory(index, inv);
    expect(r.findings.map((f) => `${f.package} ${f.vuln} ${f.inForce}`)).toEqual([
      'linux CVE-2026-26925 not_running',
      'linux-aws-6.5 CVE-2026-26925 on_disk',
      'linux-firmware CVE-2026-20592 vulnerable',
    ]);
    const aws = r.findings.find((f) => f.package === 'linux-aws-6.5');
    expect(aws).toMatchObject({
      ecosystem: 'Ubuntu:22.04',
      installedVersion: '6.5.0-1015.15~22.04.1',
      fixedVersion: '6.5.0-1017.17~22.04.2',
      severity: 'high',
    });
    // The signed image counts under its unsigned source, beside its modules and headers.
    expect(aws?.binaries.map((b) => b.name)).toContain('linux-image-6.5.0-1015-aws');
    expect(aws?.binaries.map((b) => b.name)).toContain('linux-modules-6.5.0-1015-aws');
    expect(r.kernel).toMatchObject({ release: '6.5.0-1015-aws', assumedRunning: false });
    expect(r.kernel?.images.filter((i) => i.running).map((i) => i.name)).toEqual(['linux-image-6.5.0-1015-aws']);
    expect(r.kernel?.images.map((i) => i.name).sort()).toEqual([
      'linux-image-5.15.0-91-generic',
      'linux-image-6.5.0-1015-aws',
      'linux-image-6.5.0-1017-aws',
    ]);
  });

  it('after the reboot into the fixed AWS kernel only kernels not running remain affected', () => {
    const r = matchInventory(indexOf(KERNEL_CVE), ubuntuUpload('6.5.0-1017-aws'));
    expect(r.findings.map((f) => `${f.package} ${f.inForce} ${f.installedVersion}`)).toEqual([
      'linux not_running 5.15.0-91.101',
      'linux-aws-6.5 not_running 6.5.0-1015.15~22.04.1',
    ]);
    expect(r.kernel?.assumedRunning).toBe(false);
  });

  it('running the generic kernel makes the AWS ones the kernels not running', () => {
    const r = matchInventory(indexOf(KERNEL_CVE), ubuntuUpload('5.15.0-91-generic'));
    expect(r.findings.map((f) => `${f.package} ${f.inForce}`)).toEqual(['linux vulnerable', 'linux-aws-6.5 not_running']);
  });

  it('an Azure host: the flavour `linux-azure` with its signed image is the running kernel', () => {
    const dpkg = [
      'linux-image-5.15.0-1057-azure\t5.15.0-1057.65\tlinux-signed-azure\t5.15.0-1057.65\tinstall ok installed',
      'linux-modules-5.15.0-1057-azure\t5.15.0-1057.65\tlinux-azure\t5.15.0-1057.65\tinstall ok installed',
      'linux-azure-headers-5.15.0-1057\t5.15.0-1057.65\tlinux-azure\t5.15.0-1057.65\tinstall ok installed',
    ];
    const r = matchInventory(indexOf(KERNEL_CVE), ubuntuUpload('5.15.0-1057-azure', dpkg));
    expect(r.findings.map((f) => `${f.package} ${f.inForce} ${f.fixedVersion}`)).toEqual([
      'linux-azure vulnerable 5.15.0-1064.73',
    ]);
    expect(r.kernel).toMatchObject({ assumedRunning: false, images: [{ name: 'linux-image-5.15.0-1057-azure', running: true }] });
  });

  it('without uname -r every installed kernel of every flavour counts as running, and the report says so', () => {
    const r = matchInventory(indexOf(KERNEL_CVE), ubuntuUpload(undefined));
    expect(r.findings.map((f) => `${f.package} ${f.inForce}`)).toEqual(['linux vulnerable', 'linux-aws-6.5 vulnerable']);
    expect(r.kernel?.assumedRunning).toBe(true);
    expect(r.kernel?.note).toMatch(/uname -r/);
  });

  it('a feed change to one kernel source re-matches every kernel source of the host, with the full match’s outcome', () => {
    const before = indexOf(ubuntuKernelRecord('CVE-2026-26925', { 'linux-aws-6.5': '6.5.0-1017.17~22.04.2' }));
    const after = indexOf(KERNEL_CVE);
    const inv = ubuntuUpload('6.5.0-1015-aws');
    const changed = after.changedPackages(before) as Set<string>;
    expect([...changed].sort()).toEqual(['Ubuntu:22.04\u0000linux', 'Ubuntu:22.04\u0000linux-azure']);
    const part = restrictToChanged(after, inv, changed);
    expect([...part.groups].sort()).toEqual(['Ubuntu:22.04\u0000linux', 'Ubuntu:22.04\u0000linux-aws-6.5']);
    const partial = matchInventory(after, part.inventory);
    expect(partial.findings).toEqual(matchInventory(after, inv).findings);
    expect(partial.findings.find((f) => f.package === 'linux')?.inForce).toBe('not_running');
  });
});
