import { describe, expect, it } from 'vitest';
import { MAX_INVENTORY_LINES } from './dpkg-inventory.ts';
import { MAX_UPLOAD_BYTES, parseInventoryUpload } from './upload.ts';

const DEBIAN_OS = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION="12 (bookworm)"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
  'HOME_URL="https://www.debian.org/"',
];

const DPKG = [
  'libssl3\t3.0.15-1~deb12u1\topenssl\t3.0.15-1~deb12u1\tinstall ok installed',
  'openssl\t3.0.15-1~deb12u1\topenssl\t3.0.15-1~deb12u1\tinstall ok installed',
  'bash\t5.2.15-2+b2\tbash\t5.2.15-2\tinstall ok installed',
  'linux-image-6.1.0-18-amd64\t6.1.76-1\tlinux-signed-amd64\t6.1.76+1\tinstall ok installed',
  'oldthing\t1.0-1\toldthing\t1.0-1\tdeinstall ok config-files',
  'mytool\t0.3-1\tmytool\t0.3-1\tinstall ok installed',
];

const APT = [
  'Listing...',
  'bash/stable,now 5.2.15-2+b2 amd64 [installed]',
  'libssl3/stable-security,now 3.0.15-1~deb12u1 amd64 [installed,automatic]',
  'openssl/stable-security,now 3.0.15-1~deb12u1 amd64 [installed]',
  'linux-image-6.1.0-18-amd64/now 6.1.76-1 amd64 [installed,local]',
];

const NEEDRESTART = [
  'NEEDRESTART-VER: 3.6',
  'NEEDRESTART-KCUR: 6.1.0-18-amd64',
  'NEEDRESTART-KEXP: 6.1.0-21-amd64',
  'NEEDRESTART-KSTA: 3',
  'NEEDRESTART-SVC: nginx.service',
  'NEEDRESTART-SVC: systemd-journald.service',
];

function debianDoc(): string[] {
  return [
    'skjold-inventory 1',
    'agent skjold-vulns-agent 1',
    'hostname web-01.example.dk',
    'collected-at 2026-11-27T03:00:00Z',
    'uname-r 6.1.0-18-amd64',
    'reboot-required no',
    '[os-release]',
    ...DEBIAN_OS,
    '[dpkg]',
    ...DPKG,
    '[apt-origins]',
    ...APT,
    '[needrestart]',
    ...NEEDRESTART,
  ];
}

/** The document with line `n` (1-based) replaced, or removed when `text` is null. */
function withLine(n: number, text: string | null, doc = debianDoc()): string {
  if (text === null) doc.splice(n - 1, 1);
  else doc[n - 1] = text;
  return `${doc.join('\n')}\n`;
}

const lineOf = (prefix: string, doc = debianDoc()) => doc.findIndex((l) => l.startsWith(prefix)) + 1;

describe('agent uploads', () => {
  it('reads a Debian host: packages with origins, kernel, reboot state and services needing restart', () => {
    const r = parseInventoryUpload(`${debianDoc().join('\n')}\n`);
    if (!r.ok) throw new Error(`line ${r.line}: ${r.reason}`);
    const inv = r.inventory;
    expect(inv).toMatchObject({
      format: 'dpkg',
      hostname: 'web-01.example.dk',
      distro: 'Debian:12',
      kernelRelease: '6.1.0-18-amd64',
      collectedAt: '2026-11-27T03:00:00Z',
      rebootRequired: true,
      servicesNeedingRestart: ['nginx.service', 'systemd-journald.service'],
      notInstalled: 1,
    });
    expect(inv.osRelease?.['PRETTY_NAME']).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(inv.packages).toHaveLength(5);
    expect(inv.packages[0]).toEqual({
      name: 'libssl3',
      version: '3.0.15-1~deb12u1',
      source: 'openssl',
      sourceVersion: '3.0.15-1~deb12u1',
      ecosystem: 'Debian:12',
      origin: 'stable-security',
    });
    expect(inv.packages.map((p) => p.origin)).toEqual(['stable-security', 'stable-security', 'stable', 'now', undefined]);
    expect(r.warnings).toEqual(['1 packages have no APT origin']);
  });

  it('reads reboot state from the flag file when needrestart is absent, and KSTA 1 as current', () => {
    const base = debianDoc().slice(0, lineOf('[apt-origins]') - 1);
    const yes = parseInventoryUpload(withLine(6, 'reboot-required yes', [...base]));
    expect(yes).toMatchObject({ ok: true, inventory: { rebootRequired: true, servicesNeedingRestart: undefined } });
    const current = parseInventoryUpload(withLine(6, null, [...base, '[needrestart]', 'NEEDRESTART-KSTA: 1']));
    expect(current).toMatchObject({ ok: true, inventory: { rebootRequired: false, servicesNeedingRestart: [] } });
    const noKernel = parseInventoryUpload(withLine(5, null, [...base]));
    expect(noKernel).toMatchObject({ ok: true, warnings: ['no uname-r line: the running kernel is unknown'] });
  });

  it('derives the distro ecosystem from os-release', () => {
    const eco = (os: string[], list = ['[dpkg]', ...DPKG]) => {
      const r = parseInventoryUpload(['skjold-inventory 1', 'hostname h', '[os-release]', ...os, ...list].join('\n'));
      return r.ok ? r.inventory.distro : r.reason;
    };
    const rpm = ['[rpm]', 'bash\t0\t5.1.8\t6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm'];
    expect(eco(['ID=debian', 'VERSION_ID="11"'])).toBe('Debian:11');
    expect(eco(['ID=debian', 'VERSION_CODENAME=trixie'])).toBe('Debian:13');
    expect(eco(['ID=debian', 'VERSION_CODENAME=sid'])).toBe('Debian:sid');
    expect(eco(['ID=ubuntu', 'ID_LIKE=debian', 'VERSION_ID="22.04"'])).toBe('Ubuntu:22.04');
    expect(eco(['ID="almalinux"', 'VERSION_ID="9.3"'], rpm)).toBe('AlmaLinux:9');
    expect(eco(['ID="rocky"', 'VERSION_ID="9.4"'], rpm)).toBe('Rocky Linux:9');
    expect(eco(['ID=linuxmint', 'VERSION_ID="21.3"'])).toBe(
      'os-release ID "linuxmint" is not a supported distribution (debian, ubuntu, almalinux, rocky)',
    );
    expect(eco(['ID=debian'])).toBe('Debian without a numeric VERSION_ID and with unknown VERSION_CODENAME ""');
    expect(eco(['NAME=x'])).toBe('os-release has no ID');
    expect(eco(['ID=almalinux', 'VERSION_ID=9'])).toBe('a [dpkg] package list on AlmaLinux:9');
    expect(eco(['ID=debian', 'VERSION_ID=12'], rpm)).toBe('a [rpm] package list on Debian:12');
  });

  it('reads an RPM host with rpm line numbers counted in the whole document', () => {
    const doc = [
      'skjold-inventory 1',
      'hostname db-02',
      'uname-r 5.14.0-362.24.1.el9_3.x86_64',
      '[os-release]',
      'NAME="AlmaLinux"',
      'VERSION_ID="9.3"',
      'ID="almalinux"',
      '[rpm]',
      'openssl-libs\t1\t3.0.7\t25.el9_3\tx86_64\topenssl-3.0.7-25.el9_3.src.rpm',
      'kernel-core\t0\t5.14.0\t362.24.1.el9_3\tx86_64\tkernel-5.14.0-362.24.1.el9_3.src.rpm',
    ];
    const r = parseInventoryUpload(doc.join('\n'));
    expect(r).toMatchObject({ ok: true, inventory: { format: 'rpm', distro: 'AlmaLinux:9' } });
    if (r.ok) expect(r.inventory.packages[0]).toMatchObject({ source: 'openssl', ecosystem: 'AlmaLinux:9' });
    expect(parseInventoryUpload([...doc, 'kernel\tx\t1\t1\tx86_64\t(none)'].join('\n'))).toMatchObject({
      ok: false,
      line: 11,
      reason: 'not an epoch number: "x"',
    });
  });

  it('rejects each kind of wrong line with its line number in the document', () => {
    const doc = debianDoc();
    const cases: [number, string | null, string][] = [
      [1, 'skjold-inventory 2', 'the first line must be "skjold-inventory 1"'],
      [3, 'hostnme web-01', 'unknown key "hostnme" (known: agent, hostname, collected-at, uname-r, reboot-required)'],
      [4, 'collected-at yesterday', 'collected-at must be a UTC time like 2026-11-27T03:00:00Z'],
      [4, 'collected-at 2026-13-45T99:00:00Z', 'collected-at must be a UTC time like 2026-11-27T03:00:00Z'],
      [5, 'uname-r 6.1.0 amd64', 'uname-r must be a kernel release like 6.1.0-18-amd64'],
      [6, 'reboot-required maybe', 'reboot-required must be yes or no'],
      [6, 'hostname again', 'key "hostname" appears twice'],
      [3, 'hostname -bad', 'hostname must be a host name'],
      [
        lineOf('[apt-origins]'),
        '[apt-orgins]',
        'unknown section [apt-orgins] (known: os-release, dpkg, rpm, apt-origins, needrestart)',
      ],
      [lineOf('[needrestart]'), '[dpkg]', 'section [dpkg] appears twice'],
      [
        lineOf('bash\t'),
        'bash\t5.2.15-2+b2\tbash',
        'expected 5 tab-separated fields (Package, Version, source:Package, source:Version, Status), found 3',
      ],
      [
        lineOf('openssl\t'),
        '',
        'expected 5 tab-separated fields (Package, Version, source:Package, source:Version, Status), found 1',
      ],
      [
        lineOf('openssl/'),
        'openssl stable-security 3.0.15',
        'not an `apt list --installed` line (name/suites version arch [flags])',
      ],
      [lineOf('NEEDRESTART-KSTA'), 'NEEDRESTART-KSTA: 7', 'NEEDRESTART-KSTA must be 0, 1, 2 or 3'],
      [lineOf('NEEDRESTART-SVC'), 'NEEDRESTART-SVC: nginx.service; rm -rf /', 'NEEDRESTART-SVC must name a unit'],
      [lineOf('NEEDRESTART-VER'), 'Your outdated processes:', 'not a `needrestart -b` line (NEEDRESTART-KEY: value)'],
      [lineOf('ID='), 'ID=gentoo', 'os-release ID "gentoo" is not a supported distribution (debian, ubuntu, almalinux, rocky)'],
    ];
    for (const [line, text, reason] of cases) {
      expect([line, text, parseInventoryUpload(withLine(line, text, [...doc]))]).toEqual([
        line,
        text,
        { ok: false, line, text: text ?? '', reason },
      ]);
    }
  });

  it('rejects uploads missing a required piece', () => {
    const doc = debianDoc();
    expect(parseInventoryUpload(withLine(3, null, [...doc]))).toMatchObject({ line: 1, reason: 'the hostname line is missing' });
    const noOs = doc.filter((l, i) => i < 6 || i >= lineOf('[dpkg]') - 1);
    expect(parseInventoryUpload(noOs.join('\n'))).toMatchObject({ line: 1, reason: 'the [os-release] section is missing' });
    const noList = doc.slice(0, lineOf('[dpkg]') - 1);
    expect(parseInventoryUpload(noList.join('\n'))).toMatchObject({
      line: 1,
      reason: 'a package list is missing: one [dpkg] or [rpm] section',
    });
    expect(parseInventoryUpload([...noList, '[dpkg]', '[needrestart]'].join('\n'))).toMatchObject({
      line: lineOf('[dpkg]'),
      reason: 'the [dpkg] section is empty',
    });
    expect(parseInventoryUpload([...doc, '[rpm]', 'x\t0\t1\t1\tx86_64\t(none)'].join('\n'))).toMatchObject({
      line: doc.length + 1,
      reason: 'both [dpkg] and [rpm]: an upload has one package list',
    });
    expect(parseInventoryUpload('')).toMatchObject({ ok: false, line: 1 });
  });

  it('enforces the size and line bounds', () => {
    expect(parseInventoryUpload('x'.repeat(MAX_UPLOAD_BYTES + 1))).toMatchObject({
      ok: false,
      line: 0,
      reason: `the upload is larger than ${MAX_UPLOAD_BYTES} bytes`,
    });
    // Multi-byte characters count as bytes, not as string length.
    expect(parseInventoryUpload('é'.repeat(MAX_UPLOAD_BYTES / 2 + 1))).toMatchObject({ ok: false, line: 0 });
    const head = debianDoc().slice(0, lineOf('[dpkg]'));
    const pkg = 'bash\t5.2.15-2+b2\tbash\t5.2.15-2\tinstall ok installed';
    const over = [...head, ...Array<string>(MAX_INVENTORY_LINES + 1).fill(pkg)];
    expect(parseInventoryUpload(over.join('\n'))).toMatchObject({
      ok: false,
      line: head.length + MAX_INVENTORY_LINES + 1,
      reason: `more than ${MAX_INVENTORY_LINES} lines`,
    });
    const full = [...head, ...Array<string>(MAX_INVENTORY_LINES).fill(pkg)];
    expect(parseInventoryUpload(full.join('\n'))).toMatchObject({ ok: true });
  });
});
