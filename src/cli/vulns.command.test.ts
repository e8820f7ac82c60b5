import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerVulns, type ScanReport } from './vulns.command.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skjold.js');
/** Each run starts the whole CLI under tsx: seconds on a busy machine. */
const SLOW = 300_000;

function skjold(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp' }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The same command in this process (commander parsing included): most cases run here, because each start of the
 * binary under tsx costs seconds; the binary itself is run for one scan and one usage error.
 */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = new Command('skjold').exitOverride();
  program.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerVulns(program, { write: (s) => (stdout += s), warn: (s) => (stderr += s), exit: (c) => (code = c) });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
  }
  return { code, stdout, stderr };
}

const bookworm = (r: Record<string, unknown>) => ({ releases: { bookworm: r } });

/** A trimmed Debian tracker document in the tracker's own shape. */
const TRACKER = {
  openssl: {
    'CVE-2023-5678': {
      description: 'Generating excessively long X9.42 DH keys may be very slow.',
      ...bookworm({ status: 'resolved', fixed_version: '3.0.11-1~deb12u2', urgency: 'not yet assigned' }),
    },
    'CVE-2024-0727': {
      description: 'Processing a maliciously formatted PKCS12 file may crash OpenSSL.',
      ...bookworm({ status: 'resolved', fixed_version: '3.0.13-1~deb12u1', urgency: 'high' }),
    },
  },
  curl: {
    'CVE-2023-38545': bookworm({ status: 'resolved', fixed_version: '7.88.1-10+deb12u4', urgency: 'not yet assigned' }),
  },
  bash: { 'CVE-2022-3715': bookworm({ status: 'open', urgency: 'unimportant' }) },
  tar: {
    'CVE-2023-39804': bookworm({ status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' }),
  },
  zlib: { 'CVE-2022-37434': bookworm({ status: 'resolved', fixed_version: '0', urgency: 'not yet assigned' }) },
  linux: {
    'CVE-2024-1086': bookworm({ status: 'resolved', fixed_version: '6.1.76-1', urgency: 'not yet assigned' }),
    'CVE-2024-26581': bookworm({ status: 'resolved', fixed_version: '6.1.82-1', urgency: 'medium' }),
  },
};

const KEV = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities',
  catalogVersion: '2024.06.01',
  dateReleased: '2024-06-01T12:00:00.0000Z',
  count: 2,
  vulnerabilities: [
    {
      cveID: 'CVE-2023-38545',
      vendorProject: 'Haxx',
      product: 'curl',
      vulnerabilityName: 'curl SOCKS5 heap overflow',
      dateAdded: '2024-05-01',
      shortDescription: 'Heap buffer overflow in the SOCKS5 proxy handshake.',
      requiredAction: 'Apply updates per vendor instructions.',
      dueDate: '2024-05-22',
      knownRansomwareCampaignUse: 'Known',
    },
    {
      cveID: 'CVE-2024-1086',
      vendorProject: 'Linux',
      product: 'Kernel',
      vulnerabilityName: 'Linux Kernel Use-After-Free',
      dateAdded: '2024-05-30',
      shortDescription: 'nf_tables use-after-free.',
      requiredAction: 'Apply updates per vendor instructions.',
      dueDate: '2024-06-20',
      knownRansomwareCampaignUse: 'Unknown',
    },
  ],
};

const EPSS = [
  '#model_version:v2023.03.01,score_date:2024-06-01T00:00:00+0000',
  'cve,epss,percentile',
  'CVE-2023-38545,0.25364,0.96735',
  'CVE-2024-0727,0.00117,0.46329',
  'CVE-2021-23337,0.01013,0.83211',
  '',
].join('\n');

/** An npm advisory as GitHub publishes it to OSV. */
const LODASH = {
  schema_version: '1.6.0',
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-03-01T00:00:00Z',
  published: '2021-05-06T16:05:51Z',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
    },
  ],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  database_specific: { severity: 'HIGH' },
};

const MINIMIST = {
  schema_version: '1.6.0',
  id: 'GHSA-xvch-5gv4-984h',
  modified: '2024-03-01T00:00:00Z',
  aliases: ['CVE-2021-44906'],
  summary: 'Prototype Pollution in minimist',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'minimist' },
      ranges: [
        { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.2.4' }, { introduced: '1.0.0' }, { fixed: '1.2.6' }] },
      ],
    },
  ],
  database_specific: { severity: 'CRITICAL' },
};

const OS_RELEASE = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION="12 (bookworm)"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
];

const DPKG = [
  'openssl\t3.0.11-1~deb12u2\topenssl\t3.0.11-1~deb12u2\tinstall ok installed',
  'libssl3:amd64\t3.0.11-1~deb12u2\topenssl\t3.0.11-1~deb12u2\tinstall ok installed',
  'curl\t7.88.1-10+deb12u3\tcurl\t7.88.1-10+deb12u3\tinstall ok installed',
  'libcurl4:amd64\t7.88.1-10+deb12u3\tcurl\t7.88.1-10+deb12u3\tinstall ok installed',
  'bash\t5.2.15-2+b2\tbash\t5.2.15-2\tinstall ok installed',
  'tar\t1.34+dfsg-1.2+deb12u1\ttar\t1.34+dfsg-1.2+deb12u1\tinstall ok installed',
  'zlib1g:amd64\t1:1.2.13.dfsg-1\tzlib\t1:1.2.13.dfsg-1\tinstall ok installed',
  'linux-image-6.1.0-17-amd64\t6.1.69-1\tlinux-signed-amd64\t6.1.69+1\tinstall ok installed',
  'linux-image-6.1.0-18-amd64\t6.1.76-1\tlinux-signed-amd64\t6.1.76+1\tinstall ok installed',
  'linux-image-6.1.0-20-amd64\t6.1.85-1\tlinux-signed-amd64\t6.1.85+1\tinstall ok installed',
  'nano\t7.2-1\tnano\t7.2-1\tdeinstall ok config-files',
];

function upload(opts: { dpkg?: string[]; osRelease?: string[]; uname?: string } = {}): string {
  return [
    'skjold-inventory 1',
    'agent skjold-vulns-agent 1',
    'hostname web1.example.net',
    'collected-at 2024-06-02T03:00:00Z',
    `uname-r ${opts.uname ?? '6.1.0-18-amd64'}`,
    'reboot-required yes',
    '[os-release]',
    ...(opts.osRelease ?? OS_RELEASE),
    '[dpkg]',
    ...(opts.dpkg ?? DPKG),
    '',
  ].join('\n');
}

function cycloneDx(components: { name: string; version: string }[]): string {
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: { component: { type: 'application', name: 'shop-frontend' } },
    components: components.map((c) => ({
      type: 'library',
      'bom-ref': `pkg:npm/${c.name}@${c.version}`,
      name: c.name,
      version: c.version,
      purl: `pkg:npm/${c.name}@${c.version}`,
    })),
  });
}

describe('skjold vulns scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skjold-vulns-scan-'));
  const adv = join(dir, 'advisories');
  const zipSrc = join(dir, 'zip-src');
  mkdirSync(join(adv, 'osv'), { recursive: true });
  mkdirSync(zipSrc);
  writeFileSync(join(adv, 'debian-tracker.json'), JSON.stringify(TRACKER, null, 1));
  writeFileSync(join(adv, 'known_exploited_vulnerabilities.json'), JSON.stringify(KEV));
  writeFileSync(join(adv, 'epss_scores-2024-06-01.csv.gz'), gzipSync(EPSS));
  writeFileSync(join(adv, 'README.txt'), 'Feeds downloaded on 2024-06-01.\n');
  writeFileSync(join(zipSrc, `${LODASH.id}.json`), JSON.stringify(LODASH));
  // An ecosystem archive like OSV's npm all.zip, written by Info-ZIP's zip; the single record sits beside it.
  execFileSync('zip', ['-q', join(adv, 'osv', 'npm-all.zip'), `${LODASH.id}.json`], { cwd: zipSrc });
  writeFileSync(join(adv, 'osv', `${MINIMIST.id}.json`), JSON.stringify(MINIMIST));
  const host = join(dir, 'web1.inventory');
  writeFileSync(host, upload());

  it(
    'prints what needs action, counts the rest, and exits 1 above the threshold',
    async () => {
      const r = await skjold(['vulns', 'scan', '--inventory', host, '--advisories', adv]);
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(
        /^web1\.example\.net \(Debian:12\): 10 packages; \d+ advisory statements from 5 files, KEV 2024\.06\.01, EPSS 2024-06-01/,
      );
      const row = (vuln: string) => lines.find((l) => l.startsWith(`${vuln} `)) ?? '';
      // curl below the fix and on the KEV list (known ransomware use): first, critical whatever the vendor said.
      expect(lines[2]).toMatch(/^VULNERABILITY\s+PACKAGE\s+INSTALLED\s+FIXED\s+STATUS\s+SEVERITY\s+KEV\s+EPSS$/);
      expect(lines[3]).toMatch(
        /^CVE-2023-38545\s+curl\s+7\.88\.1-10\+deb12u3\s+7\.88\.1-10\+deb12u4\s+fix available\s+critical \(vendor unknown\)\s+yes, ransomware\s+0\.254$/,
      );
      expect(row('CVE-2024-0727')).toMatch(/openssl\s+3\.0\.11-1~deb12u2\s+3\.0\.13-1~deb12u1\s+fix available\s+high\s+0\.001$/);
      // The running kernel 6.1.76 has the KEV fix; 6.1.82's fix is installed (6.1.85) but not booted.
      expect(row('CVE-2024-26581')).toMatch(
        /linux\s+6\.1\.76-1\s+6\.1\.82-1\s+fix available; patched on disk, not in force\s+medium/,
      );
      // The backported fix and fixed_version "0" are not findings; the old non-running kernel and vendor statuses are counted.
      expect(r.stdout).not.toContain('CVE-2023-5678');
      expect(r.stdout).not.toContain('CVE-2022-37434');
      expect(row('CVE-2024-1086')).toBe('');
      expect(r.stdout).toContain('3 findings need action (some at or above high)');
      expect(r.stdout).toMatch(
        /Not shown: (?=.*1 unimportant)(?=.*1 fix postponed)(?=.*1 fix available \(kernel not running\)).* \(--all lists them\)/,
      );
      expect(r.stdout).toContain('Note: the host reports services needing a restart or a reboot');
      expect(r.stderr).toBe('');
    },
    SLOW,
  );

  it(
    'lists everything with --all and prints the whole report with --json',
    async () => {
      const [all, j] = await Promise.all([
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', adv, '--all']),
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', adv, '--json']),
      ]);
      expect(all.code).toBe(1);
      expect(all.stdout).toMatch(/CVE-2022-3715\s+bash\s+5\.2\.15-2\s+-\s+unimportant\s+negligible/);
      expect(all.stdout).toMatch(/CVE-2023-39804\s+tar\s+.*fix postponed\s+low/);
      expect(all.stdout).toMatch(
        /CVE-2024-1086\s+linux\s+6\.1\.69-1\s+6\.1\.76-1\s+fix available; kernel not running\s+critical.*yes/,
      );
      expect(j.code).toBe(1);
      const report = JSON.parse(j.stdout) as ScanReport;
      expect(report.counts).toMatchObject({ fixed: 4, unimportant: 1, postponed: 1, not_affected: 0 });
      expect(report.failed).toBe(true);
      expect(report.advisories.files.map((f) => `${f.file} ${f.kind} ${f.items}`)).toEqual([
        'debian-tracker.json debian-tracker 8',
        'epss_scores-2024-06-01.csv.gz epss 3',
        'known_exploited_vulnerabilities.json kev 2',
        'osv/GHSA-xvch-5gv4-984h.json osv-record 1',
        'osv/npm-all.zip osv-zip 1',
      ]);
      expect(report.advisories.skipped).toEqual(['README.txt']);
      const curl = report.findings.find((f) => f.vuln === 'CVE-2023-38545');
      expect(curl).toMatchObject({
        package: 'curl',
        binaries: [
          { name: 'curl', version: '7.88.1-10+deb12u3' },
          { name: 'libcurl4:amd64', version: '7.88.1-10+deb12u3' },
        ],
        kev: { dateAdded: '2024-05-01', ransomware: true },
        epss: { score: 0.25364, percentile: 0.96735 },
        needsAction: true,
        effectiveSeverity: 'critical',
      });
      expect(report.kernel).toMatchObject({ release: '6.1.0-18-amd64', assumedRunning: false });
      expect(report.findings.find((f) => f.vuln === 'CVE-2024-1086')).toMatchObject({
        inForce: 'not_running',
        needsAction: false,
      });
    },
    SLOW,
  );

  it(
    'exits 0 when nothing at or above --fail-on needs action',
    async () => {
      // curl patched, and the host rebooted into 6.1.85: only openssl (high) is left.
      const patched = join(dir, 'patched.inventory');
      writeFileSync(
        patched,
        upload({ dpkg: DPKG.map((l) => l.replaceAll('7.88.1-10+deb12u3', '7.88.1-10+deb12u4')), uname: '6.1.0-20-amd64' }),
      );
      const [r, ok, high] = await Promise.all([
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', adv, '--fail-on', 'critical']),
        inProcess(['vulns', 'scan', '--inventory', patched, '--advisories', adv, '--fail-on', 'critical']),
        inProcess(['vulns', 'scan', '--inventory', patched, '--advisories', adv]),
      ]);
      // curl is on the KEV list, so critical still fails on the unpatched host.
      expect(r.code).toBe(1);
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.stdout).toContain('1 finding needs action (none at or above critical)');
      expect(high.code).toBe(1);
    },
    SLOW,
  );

  it(
    'reads a plain dpkg-query list with --distro, and refuses one without',
    async () => {
      const list = join(dir, 'dpkg.txt');
      writeFileSync(list, `${DPKG.filter((l) => /^(openssl|libssl3|bash|zlib1g)/.test(l)).join('\n')}\n`);
      const [r, none] = await Promise.all([
        inProcess(['vulns', 'scan', '--inventory', list, '--advisories', adv, '--distro', 'Debian:12']),
        inProcess(['vulns', 'scan', '--inventory', list, '--advisories', adv]),
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain(`${list} (Debian:12): 4 packages;`);
      expect(r.stdout).toContain('CVE-2024-0727');
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(`${list}: a plain dpkg package list does not say its release: add --distro`);
    },
    SLOW,
  );

  it(
    'matches a CycloneDX SBOM against OSV archives and records',
    async () => {
      const sbom = join(dir, 'shop.cdx.json');
      writeFileSync(
        sbom,
        cycloneDx([
          { name: 'lodash', version: '4.17.20' },
          { name: 'minimist', version: '1.2.5' },
          { name: 'express', version: '4.19.2' },
        ]),
      );
      const j = await inProcess(['vulns', 'scan', '--inventory', sbom, '--advisories', adv, '--json']);
      expect(j.code, j.stderr).toBe(1);
      const report = JSON.parse(j.stdout) as ScanReport;
      expect(report.findings.map((f) => `${f.package} ${f.vuln} ${f.fixedVersion} ${f.effectiveSeverity}`)).toEqual([
        'minimist CVE-2021-44906 1.2.6 critical',
        'lodash CVE-2021-23337 4.17.21 high',
      ]);
      expect(report.findings[1]).toMatchObject({ aliases: ['GHSA-35jh-r3h4-6jhm'], epss: { score: 0.01013 } });
    },
    SLOW,
  );

  it(
    'exits 2 with the file and line of a malformed inventory or advisory file',
    async () => {
      const badHost = join(dir, 'bad.inventory');
      const lines = upload().split('\n');
      lines[16] = 'curl\t7.88.1-10+deb12u3\tcurl\tinstall ok installed';
      writeFileSync(badHost, lines.join('\n'));
      const badAdv = join(dir, 'bad-advisories');
      mkdirSync(badAdv);
      writeFileSync(join(badAdv, 'tracker.json'), JSON.stringify(TRACKER).slice(0, -40));
      const badEpss = join(dir, 'bad-epss');
      mkdirSync(badEpss);
      writeFileSync(join(badEpss, 'tracker.json'), JSON.stringify(TRACKER));
      writeFileSync(join(badEpss, 'epss.csv'), EPSS.replace('CVE-2024-0727,0.00117', 'CVE-2024-0727,1.7'));
      const trixie = join(dir, 'trixie.inventory');
      writeFileSync(trixie, upload({ osRelease: OS_RELEASE.map((l) => l.replace('"12"', '"13"')) }));
      const empty = join(dir, 'empty-advisories');
      mkdirSync(empty);
      const [r1, r2, r3, r4, r5] = await Promise.all([
        inProcess(['vulns', 'scan', '--inventory', badHost, '--advisories', adv]),
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', badAdv]),
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', badEpss]),
        inProcess(['vulns', 'scan', '--inventory', trixie, '--advisories', adv]),
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', empty]),
      ]);
      expect(r1.code).toBe(2);
      expect(r1.stderr).toContain(`${badHost}:17: expected 5 tab-separated fields`);
      expect(r1.stdout).toBe('');
      expect(r2.code).toBe(2);
      expect(r2.stderr).toContain(`${join(badAdv, 'tracker.json')}: debian-tracker: `);
      expect(r2.stderr).toMatch(/byte \d+.*truncated/);
      expect(r3.code).toBe(2);
      expect(r3.stderr).toMatch(/epss\.csv: epss: line 4/);
      expect(r4.code).toBe(2);
      expect(r4.stderr).toContain('no advisories for Debian:13');
      expect(r5.code).toBe(2);
      expect(r5.stderr).toContain('no advisory statements found');
    },
    SLOW,
  );

  it(
    'exits 2 on usage errors',
    async () => {
      const [missing, badSeverity, noFile] = await Promise.all([
        skjold(['vulns', 'scan', '--inventory', host]),
        inProcess(['vulns', 'scan', '--inventory', host, '--advisories', adv, '--fail-on', 'severe']),
        inProcess(['vulns', 'scan', '--inventory', join(dir, 'nope'), '--advisories', adv]),
      ]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("required option '--advisories <dir>' not specified");
      expect(badSeverity.code).toBe(2);
      expect(badSeverity.stderr).toContain('--fail-on');
      expect(noFile.code).toBe(2);
      expect(noFile.stderr).toContain('ENOENT');
    },
    SLOW,
  );
});
