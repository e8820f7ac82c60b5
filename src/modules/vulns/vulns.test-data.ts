/**
 * Test data in the real formats, written by the tests: agent uploads (`skjold-inventory 1`), a small Debian Security
 * Tracker JSON document and a KEV catalog.
 */

export interface TestPackage {
  name: string;
  version: string;
  source?: string;
  sourceVersion?: string;
}

/** An agent upload of a Debian 12 host. */
export function agentUpload(opts: {
  hostname: string;
  packages: TestPackage[];
  kernel?: string;
  collectedAt?: string;
  rebootRequired?: boolean;
}): string {
  const lines = [
    'skjold-inventory 1',
    'agent skjold-vulns-agent 1',
    `hostname ${opts.hostname}`,
    `collected-at ${opts.collectedAt ?? '2026-11-27T03:00:00Z'}`,
    `uname-r ${opts.kernel ?? '6.1.0-18-amd64'}`,
    `reboot-required ${opts.rebootRequired ? 'yes' : 'no'}`,
    '[os-release]',
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'VERSION_ID="12"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    '[dpkg]',
    ...opts.packages.map(
      (p) => `${p.name}\t${p.version}\t${p.source ?? p.name}\t${p.sourceVersion ?? p.version}\tinstall ok installed`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export const BASE_PACKAGES: TestPackage[] = [
  { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
  { name: 'openssl', version: '3.0.11-1~deb12u1' },
  { name: 'bash', version: '5.2.15-2+b2', source: 'bash', sourceVersion: '5.2.15-2' },
  { name: 'curl', version: '7.88.1-10+deb12u5' },
];

export interface TrackerEntry {
  pkg: string;
  cve: string;
  fixed?: string;
  status?: 'resolved' | 'open';
  urgency?: string;
  description?: string;
}

/** A Debian Security Tracker JSON document (bookworm entries only). */
export function trackerJson(entries: TrackerEntry[]): string {
  const doc: Record<string, Record<string, unknown>> = {};
  for (const e of entries) {
    const pkg = (doc[e.pkg] ??= {});
    pkg[e.cve] = {
      description: e.description ?? `test vulnerability ${e.cve} in ${e.pkg}`,
      scope: 'remote',
      releases: {
        bookworm: {
          status: e.status ?? 'resolved',
          repositories: { bookworm: e.fixed ?? '1.0' },
          ...(e.fixed !== undefined ? { fixed_version: e.fixed } : {}),
          urgency: e.urgency ?? 'high',
        },
      },
    };
  }
  return JSON.stringify(doc, null, 1);
}

/** A CISA KEV catalog with the given CVEs. */
export function kevJson(cves: string[], version = '2026.11.27'): string {
  return JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: version,
    dateReleased: '2026-11-27T12:00:00.000Z',
    count: cves.length,
    vulnerabilities: cves.map((cve) => ({
      cveID: cve,
      vendorProject: 'OpenSSL',
      product: 'OpenSSL',
      vulnerabilityName: `OpenSSL ${cve}`,
      dateAdded: '2026-11-20',
      shortDescription: 'test',
      requiredAction: 'Apply updates per vendor instructions.',
      dueDate: '2026-12-11',
      knownRansomwareCampaignUse: 'Known',
      notes: '',
    })),
  });
}
