import type { Ecosystem, Inventory, InventoryPackage } from '../model.ts';
import { releaseEcosystem } from '../advisories/debian-tracker.ts';
import { MAX_INVENTORY_LINES, parseDpkgInventory, parseOsRelease } from './dpkg-inventory.ts';
import { parseRpmInventory } from './rpm-inventory.ts';

/**
 * The host agent's upload (`agent/skjold-vulns-agent.sh`): one plain-text document a POSIX shell script writes
 * without a JSON encoder. A header line, `key value` lines, then sections, each the verbatim output of one command:
 *
 * ```
 * skjold-inventory 1
 * agent skjold-vulns-agent 1
 * hostname web-01.example.dk
 * collected-at 2026-11-27T03:00:00Z
 * uname-r 6.1.0-18-amd64
 * reboot-required no                  # /run/reboot-required exists: yes|no
 * [os-release]
 * <the contents of /etc/os-release>
 * [dpkg]                              # or [rpm]: exactly one of the two
 * <dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n'>
 * [rpm]
 * <rpm -qa --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n'>
 * [apt-origins]                       # optional
 * <apt list --installed: libssl3/stable-security,now 3.0.15-1~deb12u1 amd64 [installed,automatic]>
 * [needrestart]                       # optional
 * <needrestart -b: NEEDRESTART-KSTA: 1, NEEDRESTART-SVC: nginx.service, …>
 * ```
 *
 * Required: the header, `hostname`, `[os-release]` and one package list. Blank lines are allowed before the first
 * section and inside `[os-release]`, `[apt-origins]` and `[needrestart]`; inside a package list only as its last line.
 * Unknown keys and sections are refused, so a typo cannot pass for data.
 */

/** Largest upload, bytes. */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
export const UPLOAD_HEADER = 'skjold-inventory 1';

export type UploadParse =
  { ok: true; inventory: Inventory; warnings: string[] } | { ok: false; line: number; text: string; reason: string };

type Fail = { ok: false; line: number; text: string; reason: string };

const SECTIONS = ['os-release', 'dpkg', 'rpm', 'apt-origins', 'needrestart'] as const;
type SectionName = (typeof SECTIONS)[number];
interface Section {
  /** Line number of the `[name]` line. */
  line: number;
  lines: string[];
}

const KEYS: Record<string, RegExp> = {
  agent: /^[\x20-\x7e]{1,200}$/,
  hostname: /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/,
  'collected-at': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/,
  'uname-r': /^[A-Za-z0-9._+~-]{1,128}$/,
  'reboot-required': /^(yes|no)$/,
};
const KEY_HELP: Record<string, string> = {
  agent: 'printable text',
  hostname: 'a host name',
  'collected-at': 'a UTC time like 2026-11-27T03:00:00Z',
  'uname-r': 'a kernel release like 6.1.0-18-amd64',
  'reboot-required': 'yes or no',
};

/** Debian-family and RPM-family distros by os-release `ID`: how the OSV ecosystem is built. */
const RPM_DISTROS: Record<string, string> = { almalinux: 'AlmaLinux', rocky: 'Rocky Linux' };

/** The OSV distro ecosystem an os-release names (`Debian:12`, `Ubuntu:22.04`, `AlmaLinux:9`), or why not. */
export function distroEcosystem(os: Record<string, string>): { ecosystem: Ecosystem; family: 'dpkg' | 'rpm' } | string {
  const id = os['ID'];
  const versionId = os['VERSION_ID'];
  if (id === undefined) return 'os-release has no ID';
  if (id === 'debian') {
    if (versionId !== undefined && /^\d+$/.test(versionId)) return { ecosystem: `Debian:${versionId}`, family: 'dpkg' };
    // testing and unstable have no VERSION_ID, only the codename of the coming release.
    const codename = os['VERSION_CODENAME'];
    const eco = codename === undefined ? undefined : releaseEcosystem(codename);
    if (eco === undefined) return `Debian without a numeric VERSION_ID and with unknown VERSION_CODENAME "${codename ?? ''}"`;
    return { ecosystem: eco, family: 'dpkg' };
  }
  if (id === 'ubuntu') {
    if (versionId === undefined || !/^\d+\.\d+$/.test(versionId)) return `Ubuntu with VERSION_ID "${versionId ?? ''}"`;
    return { ecosystem: `Ubuntu:${versionId}`, family: 'dpkg' };
  }
  const family = RPM_DISTROS[id];
  if (family !== undefined) {
    const m = versionId === undefined ? null : /^(\d+)(\.\d+)*$/.exec(versionId);
    if (!m) return `${family} with VERSION_ID "${versionId ?? ''}"`;
    return { ecosystem: `${family}:${m[1]}`, family: 'rpm' };
  }
  return `os-release ID "${id.slice(0, 60)}" is not a supported distribution (debian, ubuntu, almalinux, rocky)`;
}

const APT_LINE = /^([a-z0-9][a-z0-9+.-]+)\/(\S+) (\S+) ([a-z0-9-]+)(?: \[[^\]]*\])?$/;
const NEEDRESTART_LINE = /^NEEDRESTART-([A-Z]+): ?(.*)$/;

/**
 * Parse an agent upload into an inventory. All or nothing: any wrong line rejects the whole upload with its line
 * number in the document and its text, so the previous snapshot stays in force. `warnings` lists what was accepted
 * but is worth knowing (no kernel release, apt origins for packages not in the list).
 */
export function parseInventoryUpload(text: string): UploadParse {
  if (text.length > MAX_UPLOAD_BYTES || Buffer.byteLength(text, 'utf8') > MAX_UPLOAD_BYTES)
    return { ok: false, line: 0, text: '', reason: `the upload is larger than ${MAX_UPLOAD_BYTES} bytes` };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const maxLines = 2 * MAX_INVENTORY_LINES + 10_000;
  if (lines.length > maxLines) return { ok: false, line: maxLines + 1, text: '', reason: `more than ${maxLines} lines` };
  const at = (n: number) => (lines[n - 1] ?? '').replace(/\r$/, '');
  const fail = (line: number, reason: string): Fail => ({ ok: false, line, text: at(line).slice(0, 300), reason });

  if (at(1) !== UPLOAD_HEADER) return fail(1, `the first line must be "${UPLOAD_HEADER}"`);
  const keys = new Map<string, string>();
  const sections = new Map<SectionName, Section>();
  let current: Section | undefined;
  for (let n = 2; n <= lines.length; n++) {
    const line = at(n);
    const head = /^\[([^\]]*)\]$/.exec(line);
    if (head) {
      const name = head[1] as SectionName;
      if (!SECTIONS.includes(name)) return fail(n, `unknown section [${name.slice(0, 40)}] (known: ${SECTIONS.join(', ')})`);
      if (sections.has(name)) return fail(n, `section [${name}] appears twice`);
      current = { line: n, lines: [] };
      sections.set(name, current);
    } else if (current !== undefined) {
      current.lines.push(line);
    } else if (line.trim() !== '') {
      const sp = line.indexOf(' ');
      const key = sp < 0 ? line : line.slice(0, sp);
      const value = sp < 0 ? '' : line.slice(sp + 1);
      const shape = KEYS[key];
      if (shape === undefined) return fail(n, `unknown key "${key.slice(0, 40)}" (known: ${Object.keys(KEYS).join(', ')})`);
      if (keys.has(key)) return fail(n, `key "${key}" appears twice`);
      if (!shape.test(value) || (key === 'collected-at' && Number.isNaN(Date.parse(value))))
        return fail(n, `${key} must be ${KEY_HELP[key]}`);
      keys.set(key, value);
    }
  }

  const hostname = keys.get('hostname');
  if (hostname === undefined) return fail(1, 'the hostname line is missing');
  const osSection = sections.get('os-release');
  if (osSection === undefined) return fail(1, 'the [os-release] section is missing');
  const dpkg = sections.get('dpkg');
  const rpm = sections.get('rpm');
  if (dpkg === undefined && rpm === undefined) return fail(1, 'a package list is missing: one [dpkg] or [rpm] section');
  if (dpkg !== undefined && rpm !== undefined) return fail(rpm.line, 'both [dpkg] and [rpm]: an upload has one package list');
  const list = (dpkg ?? rpm) as Section;

  if (osSection.lines.length > 200) return fail(osSection.line + 201, '[os-release] is longer than 200 lines');
  const osRelease = parseOsRelease(osSection.lines.join('\n'));
  const distro = distroEcosystem(osRelease);
  if (typeof distro === 'string') {
    const idLine = osSection.lines.findIndex((l) => /^ID=/.test(l.trim()));
    return fail(idLine >= 0 ? osSection.line + 1 + idLine : osSection.line, distro);
  }
  const family = dpkg !== undefined ? 'dpkg' : 'rpm';
  if (distro.family !== family) return fail(list.line, `a [${family}] package list on ${distro.ecosystem}`);

  const first = list.line + 1;
  if (list.lines.length === 0) return fail(list.line, `the [${family}] section is empty`);
  const warnings: string[] = [];
  let packages: InventoryPackage[];
  let notInstalled: number | undefined;
  if (dpkg !== undefined) {
    const r = parseDpkgInventory(dpkg.lines.join('\n'));
    if (!r.ok) return fail(first + r.line - 1, r.reason);
    notInstalled = r.notInstalled;
    packages = r.packages.map((p) => ({ ...p, ecosystem: distro.ecosystem }));
  } else {
    const r = parseRpmInventory(list.lines.join('\n'), distro.ecosystem, first);
    if (!r.ok) return fail(r.line, r.reason);
    packages = r.packages;
  }

  const apt = sections.get('apt-origins');
  if (apt !== undefined) {
    if (rpm !== undefined) return fail(apt.line, '[apt-origins] belongs with a [dpkg] list');
    if (apt.lines.length > MAX_INVENTORY_LINES)
      return fail(apt.line + MAX_INVENTORY_LINES + 1, `[apt-origins] is longer than ${MAX_INVENTORY_LINES} lines`);
    const origins = new Map<string, string>();
    for (let i = 0; i < apt.lines.length; i++) {
      const line = apt.lines[i] as string;
      // `apt list` starts with "Listing..." (and may end with a blank line); both say nothing.
      if (line === '' || line === 'Listing...' || line === 'Listing... Done') continue;
      const m = APT_LINE.exec(line);
      if (!m) return fail(apt.line + 1 + i, 'not an `apt list --installed` line (name/suites version arch [flags])');
      origins.set(`${m[1]}\t${m[3]}`, (m[2] as string).split(',')[0] as string);
    }
    let joined = 0;
    for (const p of packages) {
      const origin = origins.get(`${p.name.replace(/:.*$/, '')}\t${p.version}`);
      if (origin !== undefined) {
        p.origin = origin;
        joined++;
      }
    }
    if (joined < packages.length) warnings.push(`${packages.length - joined} packages have no APT origin`);
  }

  let rebootRequired: boolean | undefined =
    keys.get('reboot-required') === undefined ? undefined : keys.get('reboot-required') === 'yes';
  let servicesNeedingRestart: string[] | undefined;
  const nr = sections.get('needrestart');
  if (nr !== undefined) {
    if (nr.lines.length > 10_000) return fail(nr.line + 10_001, '[needrestart] is longer than 10000 lines');
    servicesNeedingRestart = [];
    for (let i = 0; i < nr.lines.length; i++) {
      const line = nr.lines[i] as string;
      if (line === '') continue;
      const m = NEEDRESTART_LINE.exec(line);
      if (!m) return fail(nr.line + 1 + i, 'not a `needrestart -b` line (NEEDRESTART-KEY: value)');
      const [, key, value] = m as unknown as [string, string, string];
      if (key === 'KSTA') {
        // 0 unknown, 1 running the newest kernel, 2 an ABI-compatible update is pending, 3 a newer version is pending.
        if (!/^[0-3]$/.test(value)) return fail(nr.line + 1 + i, 'NEEDRESTART-KSTA must be 0, 1, 2 or 3');
        if (value === '2' || value === '3') rebootRequired = true;
        else if (value === '1') rebootRequired ??= false;
      } else if (key === 'SVC') {
        if (!/^[A-Za-z0-9@._:\\-]{1,256}$/.test(value)) return fail(nr.line + 1 + i, 'NEEDRESTART-SVC must name a unit');
        servicesNeedingRestart.push(value);
      }
      // Other keys (VER, KCUR, KEXP, UCSTA, CONT, SESS, …) are needrestart's own and carry nothing Skjold uses.
    }
  }

  const kernelRelease = keys.get('uname-r');
  if (kernelRelease === undefined) warnings.push('no uname-r line: the running kernel is unknown');
  const inventory: Inventory = {
    format: family,
    hostname,
    osRelease,
    distro: distro.ecosystem,
    kernelRelease,
    packages,
    collectedAt: keys.get('collected-at'),
    rebootRequired,
    servicesNeedingRestart,
    ...(notInstalled !== undefined ? { notInstalled } : {}),
  };
  return { ok: true, inventory, warnings };
}
