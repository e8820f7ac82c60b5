import { closeSync, createReadStream, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import { AdvisoryFeedError } from '../modules/vulns/advisories/feed-error.ts';
import { drainFeed } from '../modules/vulns/advisories/feed-stream.ts';
import { parseDebianTracker } from '../modules/vulns/advisories/debian-tracker.ts';
import { parseEpss } from '../modules/vulns/advisories/epss.ts';
import { MAX_KEV_BYTES, parseKev } from '../modules/vulns/advisories/kev.ts';
import { MAX_OSV_ENTRY_BYTES, parseOsvRecord, readOsvZip } from '../modules/vulns/advisories/osv.ts';
import { maxSeverity } from '../modules/vulns/advisories/severity.ts';
import { parseDpkgInventory } from '../modules/vulns/inventory/dpkg-inventory.ts';
import { parseRpmInventory } from '../modules/vulns/inventory/rpm-inventory.ts';
import { parseSbom } from '../modules/vulns/inventory/sbom.ts';
import { MAX_UPLOAD_BYTES, parseInventoryUpload, UPLOAD_HEADER } from '../modules/vulns/inventory/upload.ts';
import { AdvisoryIndex } from '../modules/vulns/match/advisory-index.ts';
import { matchInventory, type MatchResult } from '../modules/vulns/match/matcher.ts';
import type { EpssRow, Inventory, KevEntry, MatchedFinding, Severity, VendorStatus } from '../modules/vulns/model.ts';
import { SEVERITIES } from '../modules/vulns/model.ts';
import { bestCvss, cvssSeverity } from '../modules/vulns/policy/cvss.ts';
import { schemeOf } from '../modules/vulns/versions/ecosystems.ts';

/**
 * `skjold vulns scan`: one inventory against a directory of advisory files, offline, like `trivy` or `grype` in a CI
 * pipeline (issue 5 item 8). Exit 0: nothing at or above `--fail-on` needs action; 1: something does; 2: the command
 * line or an input file is wrong (the message names the file and, where there are lines, the line).
 */

/** A problem with the command line or an input file: printed as is, exit code 2. */
export class ScanInputError extends Error {}

/** Directory levels searched below `--advisories`. */
const MAX_DEPTH = 4;
/** Bytes of a `.json` file read to tell the Debian tracker, a KEV catalog and an OSV record apart. */
const SNIFF_BYTES = 64 * 1024;

export type AdvisoryFileKind = 'debian-tracker' | 'osv-zip' | 'osv-record' | 'kev' | 'epss';

export interface LoadedAdvisoryFile {
  /** Path relative to the advisories directory. */
  file: string;
  kind: AdvisoryFileKind;
  /** Statements added (tracker, OSV), entries (KEV) or rows (EPSS). */
  items: number;
}

export interface LoadedAdvisories {
  index: AdvisoryIndex;
  files: LoadedAdvisoryFile[];
  /** Files that are no advisory feed this command reads (READMEs, DSA lists), relative paths. */
  skipped: string[];
}

/** What a needs-action finding is judged by for `--fail-on`: the vendor's severity, raised by CVSS; KEV is critical. */
export function effectiveSeverity(f: MatchedFinding, kev: KevEntry | undefined): Severity {
  if (kev !== undefined) return 'critical';
  let s = f.severity;
  const best = f.cvss === undefined ? undefined : bestCvss(f.cvss);
  if (best !== undefined) {
    const c = cvssSeverity(best.score);
    s = maxSeverity(s, c === 'none' ? 'negligible' : c);
  }
  return s;
}

/**
 * Whether a finding needs action: a fix is available (or it is on the KEV list) and the vulnerable code is in force
 * or only patched on disk (a reboot or restart is due). An affected kernel that is not running needs none.
 */
export function needsAction(f: MatchedFinding, kev: KevEntry | undefined): boolean {
  return f.inForce !== 'not_running' && (f.status === 'fixed' || kev !== undefined);
}

/** The first `SNIFF_BYTES` of a file as text (a multi-byte character cut at the end becomes U+FFFD, harmlessly). */
function sniff(path: string): string {
  const buf = Buffer.alloc(SNIFF_BYTES);
  const fd = openSync(path, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, SNIFF_BYTES, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Which feed a file is, by its name and, for `.json`, its first bytes; undefined for files this command does not read. */
export function classifyAdvisoryFile(path: string): AdvisoryFileKind | undefined {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.zip')) return 'osv-zip';
  if (/\.csv(\.gz)?$/.test(name)) return 'epss';
  if (!name.endsWith('.json')) return undefined;
  if (name === 'known_exploited_vulnerabilities.json') return 'kev';
  const head = sniff(path);
  if (/"catalogVersion"\s*:/.test(head) && /"vulnerabilities"\s*:/.test(head)) return 'kev';
  // The tracker: an object of source packages, each an object keyed by CVE or TEMP ids.
  if (/^\uFEFF?\s*\{\s*"[^"\\]{1,200}"\s*:\s*\{\s*"(?:CVE|TEMP)-/.test(head)) return 'debian-tracker';
  return 'osv-record';
}

function listFiles(dir: string, depth = 0): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new ScanInputError(`--advisories ${dir}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth < MAX_DEPTH) out.push(...listFiles(path, depth + 1));
    } else if (e.isFile()) out.push(path);
  }
  return out;
}

function readBounded(path: string, max: number, what: string): Buffer {
  const size = statSync(path).size;
  if (size > max) throw new ScanInputError(`${path}: ${what} is larger than ${max} bytes (${size})`);
  return readFileSync(path);
}

/**
 * Load every advisory file below `dir` into one index: Debian tracker JSON, OSV archives (`*.zip`) and single OSV
 * records (`*.json`), the CISA KEV catalog and EPSS CSVs (`*.csv`, `*.csv.gz`). A malformed file throws an
 * `AdvisoryFeedError` (its message names the position) or a `ScanInputError`, each naming the file.
 */
export async function loadAdvisories(dir: string): Promise<LoadedAdvisories> {
  const index = new AdvisoryIndex();
  const files: LoadedAdvisoryFile[] = [];
  const skipped: string[] = [];
  let kevFile: string | undefined;
  let epssFile: string | undefined;
  for (const path of listFiles(dir)) {
    const rel = relative(dir, path);
    const kind = classifyAdvisoryFile(path);
    if (kind === undefined) {
      skipped.push(rel);
      continue;
    }
    try {
      let items = 0;
      const add = (batch: Parameters<AdvisoryIndex['add']>[0]) => {
        index.add(batch);
        items += batch.length;
      };
      if (kind === 'debian-tracker') await drainFeed(parseDebianTracker(createReadStream(path)), add);
      else if (kind === 'osv-zip') await drainFeed(readOsvZip(path), add);
      else if (kind === 'osv-record') {
        const r = parseOsvRecord(readBounded(path, MAX_OSV_ENTRY_BYTES, 'an OSV record'), { entry: rel });
        add(r.statements);
      } else if (kind === 'kev') {
        if (kevFile !== undefined) throw new ScanInputError(`a second KEV catalog (the first is ${kevFile})`);
        kevFile = rel;
        const catalog = parseKev(readBounded(path, MAX_KEV_BYTES, 'the KEV catalog'));
        index.setKev(catalog.entries, catalog.version);
        items = catalog.entries.length;
      } else {
        if (epssFile !== undefined) throw new ScanInputError(`a second EPSS file (the first is ${epssFile})`);
        epssFile = rel;
        const rows: EpssRow[] = [];
        const summary = await drainFeed(parseEpss(createReadStream(path)), (batch) => {
          for (const r of batch) rows.push(r);
        });
        index.setEpss(rows, summary.scoreDate ?? summary.modelVersion ?? rel);
        items = rows.length;
      }
      files.push({ file: rel, kind, items });
    } catch (e) {
      if (e instanceof AdvisoryFeedError || e instanceof ScanInputError)
        throw new ScanInputError(`${path}: ${e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message}`);
      throw new ScanInputError(`${path}: ${(e as Error).message}`);
    }
  }
  if (index.stats().statements === 0)
    throw new ScanInputError(
      `--advisories ${dir}: no advisory statements found (expected Debian tracker JSON, OSV *.zip or *.json records)`,
    );
  return { index, files, skipped };
}

const DISTRO = /^(Debian|Ubuntu|AlmaLinux|Rocky Linux):[A-Za-z0-9.]{1,20}$/;

/**
 * Read an inventory file, telling the format by its content: the agent's upload (first line `skjold-inventory 1`), a
 * CycloneDX or SPDX JSON SBOM (`{`), or a plain `dpkg-query` (5 tab-separated fields) or `rpm -qa` (6 fields) list,
 * which needs `distro`. Throws a `ScanInputError` naming the file and line.
 */
export function loadInventory(
  path: string,
  opts: { distro?: string | undefined; kernelRelease?: string | undefined } = {},
): { inventory: Inventory; warnings: string[] } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new ScanInputError(`--inventory ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_UPLOAD_BYTES) throw new ScanInputError(`${path}: larger than ${MAX_UPLOAD_BYTES} bytes (${size})`);
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  if (opts.distro !== undefined && !DISTRO.test(opts.distro))
    throw new ScanInputError(
      `--distro must name a release like Debian:12, Ubuntu:22.04, AlmaLinux:9 or "Rocky Linux:9" (got "${opts.distro}")`,
    );
  const at = (line: number, reason: string, lineText?: string) =>
    new ScanInputError(`${path}:${line}: ${reason}${lineText ? ` (${JSON.stringify(lineText.slice(0, 120))})` : ''}`);
  let inventory: Inventory;
  const warnings: string[] = [];
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length).replace(/\r$/, '');
  if (firstLine === UPLOAD_HEADER) {
    const r = parseInventoryUpload(text);
    if (!r.ok) throw at(r.line, r.reason, r.text);
    inventory = r.inventory;
    warnings.push(...r.warnings);
  } else if (/^\s*[{[]/.test(text)) {
    const r = parseSbom(text);
    if (!r.ok) throw new ScanInputError(`${path}: ${r.reason}`);
    inventory = r.inventory;
    for (const s of r.skipped.slice(0, 20))
      warnings.push(`component ${s.ref}${s.name ? ` (${s.name})` : ''} not matched: ${s.reason}`);
    if (r.skipped.length > 20) warnings.push(`… and ${r.skipped.length - 20} more components not matched`);
  } else {
    const fields = firstLine.split('\t').length;
    if (fields !== 5 && fields !== 6)
      throw at(
        1,
        `not an inventory: expected the agent's upload ("${UPLOAD_HEADER}"), a CycloneDX or SPDX JSON SBOM, or a dpkg-query (5 tab-separated fields) or rpm -qa (6) list`,
        firstLine,
      );
    const family = fields === 5 ? 'dpkg' : 'rpm';
    if (opts.distro === undefined)
      throw new ScanInputError(
        `${path}: a plain ${family} package list does not say its release: add --distro (e.g. ${family === 'dpkg' ? 'Debian:12' : 'AlmaLinux:9'})`,
      );
    if (schemeOf(opts.distro) !== family)
      throw new ScanInputError(`${path}: a ${family} package list cannot be from ${opts.distro}`);
    if (family === 'dpkg') {
      const r = parseDpkgInventory(text);
      if (!r.ok) throw at(r.line, r.reason, r.text);
      const distro = opts.distro;
      inventory = {
        format: 'dpkg',
        distro,
        notInstalled: r.notInstalled,
        packages: r.packages.map((p) => ({ ...p, ecosystem: distro })),
      };
    } else {
      const r = parseRpmInventory(text, opts.distro);
      if (!r.ok) throw at(r.line, r.reason, r.text);
      inventory = { format: 'rpm', distro: opts.distro, packages: r.packages };
    }
  }
  if (opts.distro !== undefined && inventory.distro !== undefined && inventory.distro !== opts.distro) {
    const distro = opts.distro;
    warnings.push(`--distro ${distro} overrides the inventory's ${inventory.distro}`);
    inventory = {
      ...inventory,
      distro,
      packages: inventory.packages.map((p) => (p.ecosystem === inventory.distro ? { ...p, ecosystem: distro } : p)),
    };
  }
  if (opts.kernelRelease !== undefined) inventory = { ...inventory, kernelRelease: opts.kernelRelease };
  return { inventory, warnings };
}

/** One finding as the scan reports it: the matcher's finding with its exploitation context and verdict. */
export interface ScanFinding extends MatchedFinding {
  kev?: { dateAdded: string; dueDate: string; ransomware: boolean } | undefined;
  epss?: { score: number; percentile: number } | undefined;
  /** Vendor severity raised by CVSS; `critical` when on the KEV list. */
  effectiveSeverity: Severity;
  needsAction: boolean;
}

export interface ScanReport {
  inventory: {
    file: string;
    format: Inventory['format'];
    hostname?: string | undefined;
    distro?: string | undefined;
    kernelRelease?: string | undefined;
    packages: number;
  };
  advisories: {
    dir: string;
    files: LoadedAdvisoryFile[];
    skipped: string[];
    statements: number;
    ecosystems: string[];
    kevVersion?: string | undefined;
    epssVersion?: string | undefined;
  };
  failOn: Severity;
  /** Whether a finding at or above `failOn` needs action (exit code 1). */
  failed: boolean;
  needsAction: number;
  counts: Record<VendorStatus, number>;
  pendingRestart: boolean;
  kernel?: MatchResult['kernel'];
  ecosystemsWithoutAdvisories: Record<string, number>;
  warnings: string[];
  findings: ScanFinding[];
}

const RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;

export function buildScanReport(
  inventoryFile: string,
  inventory: Inventory,
  warnings: string[],
  loaded: LoadedAdvisories,
  advisoriesDir: string,
  result: MatchResult,
  failOn: Severity,
): ScanReport {
  const { index } = loaded;
  const findings: ScanFinding[] = result.findings.map((f) => {
    const x = index.exploitation(f.vuln, f.aliases);
    const s: ScanFinding = { ...f, effectiveSeverity: effectiveSeverity(f, x.kev), needsAction: needsAction(f, x.kev) };
    if (x.kev !== undefined) s.kev = { dateAdded: x.kev.dateAdded, dueDate: x.kev.dueDate, ransomware: x.kev.ransomware };
    if (x.epss !== undefined) s.epss = { score: x.epss.epss, percentile: x.epss.percentile };
    return s;
  });
  findings.sort(
    (a, b) =>
      Number(b.needsAction) - Number(a.needsAction) ||
      Number(b.kev !== undefined) - Number(a.kev !== undefined) ||
      RANK[b.effectiveSeverity] - RANK[a.effectiveSeverity] ||
      (b.epss?.score ?? 0) - (a.epss?.score ?? 0) ||
      (a.package < b.package ? -1 : a.package > b.package ? 1 : 0) ||
      (a.vuln < b.vuln ? -1 : a.vuln > b.vuln ? 1 : 0),
  );
  const stats = index.stats();
  const action = findings.filter((f) => f.needsAction);
  return {
    inventory: {
      file: inventoryFile,
      format: inventory.format,
      hostname: inventory.hostname,
      distro: inventory.distro,
      kernelRelease: inventory.kernelRelease,
      packages: inventory.packages.length,
    },
    advisories: {
      dir: advisoriesDir,
      files: loaded.files,
      skipped: loaded.skipped,
      statements: stats.statements,
      ecosystems: index.ecosystems().sort(),
      kevVersion: index.kevVersion,
      epssVersion: index.epssVersion,
    },
    failOn,
    failed: action.some((f) => RANK[f.effectiveSeverity] >= RANK[failOn]),
    needsAction: action.length,
    counts: result.counts,
    pendingRestart: result.pendingRestart,
    kernel: result.kernel,
    ecosystemsWithoutAdvisories: result.ecosystemsWithoutAdvisories,
    warnings,
    findings,
  };
}

const STATUS_WORDS: Record<VendorStatus, string> = {
  fixed: 'fix available',
  not_affected: 'not affected',
  no_fix: 'no fix yet',
  postponed: 'fix postponed',
  ignored: 'will not fix',
  unimportant: 'unimportant',
  end_of_life: 'end of life',
  undetermined: 'undetermined',
};

function statusText(f: ScanFinding): string {
  const s = STATUS_WORDS[f.status];
  if (f.inForce === 'on_disk') return `${s}; patched on disk, not in force`;
  if (f.inForce === 'not_running') return `${s}; kernel not running`;
  return s;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] as number)))
      .join('  ')
      .trimEnd(),
  );
}

const clipCell = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The report for a person: a header, the table (what needs action, or everything with `all`), and what was left out. */
export function renderScanReport(r: ScanReport, all: boolean): string {
  const out: string[] = [];
  const inv = r.inventory;
  out.push(
    `${inv.hostname ?? inv.file} (${inv.distro ?? inv.format}): ${inv.packages} packages; ` +
      `${r.advisories.statements} advisory statements from ${r.advisories.files.length} files` +
      (r.advisories.kevVersion !== undefined ? `, KEV ${r.advisories.kevVersion}` : '') +
      (r.advisories.epssVersion !== undefined ? `, EPSS ${r.advisories.epssVersion}` : ''),
  );
  const shown = all ? r.findings : r.findings.filter((f) => f.needsAction);
  if (shown.length > 0) {
    out.push('');
    const rows = [['VULNERABILITY', 'PACKAGE', 'INSTALLED', 'FIXED', 'STATUS', 'SEVERITY', 'KEV', 'EPSS']];
    for (const f of shown)
      rows.push([
        f.vuln,
        clipCell(f.package, 40),
        clipCell(f.installedVersion, 40),
        clipCell(f.fixedVersion ?? '-', 40),
        statusText(f),
        f.effectiveSeverity === f.severity ? f.severity : `${f.effectiveSeverity} (vendor ${f.severity})`,
        f.kev === undefined ? '' : f.kev.ransomware ? 'yes, ransomware' : 'yes',
        f.epss === undefined ? '' : f.epss.score.toFixed(3),
      ]);
    out.push(...table(rows));
  }
  out.push('');
  out.push(
    `${r.needsAction} ${r.needsAction === 1 ? 'finding needs' : 'findings need'} action` +
      (r.failed ? ` (some at or above ${r.failOn})` : ` (none at or above ${r.failOn})`),
  );
  if (!all) {
    const rest = new Map<string, number>();
    for (const f of r.findings) {
      if (f.needsAction) continue;
      const key = f.inForce === 'not_running' ? `${STATUS_WORDS[f.status]} (kernel not running)` : STATUS_WORDS[f.status];
      rest.set(key, (rest.get(key) ?? 0) + 1);
    }
    if (rest.size > 0)
      out.push(
        `Not shown: ${[...rest]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')} (--all lists them)`,
      );
  }
  if (r.kernel?.assumedRunning === true) out.push(`Note: ${r.kernel.note ?? 'the running kernel is not known'}`);
  if (r.pendingRestart)
    out.push('Note: the host reports services needing a restart or a reboot: installed fixes may not be in force yet');
  const without = Object.entries(r.ecosystemsWithoutAdvisories);
  if (without.length > 0)
    out.push(`Not checked (no advisories for the ecosystem): ${without.map(([e, n]) => `${n} ${e} packages`).join(', ')}`);
  return `${out.join('\n')}\n`;
}

interface ScanOptions {
  inventory: string;
  advisories: string;
  distro?: string;
  kernelRelease?: string;
  json?: boolean;
  failOn: string;
  all?: boolean;
}

/** Run the scan; returns the exit code (0 clean, 1 something needs action at or above `--fail-on`, 2 input error). */
export async function runScan(opts: ScanOptions, write: (s: string) => void, warn: (s: string) => void): Promise<number> {
  try {
    if (!(SEVERITIES as readonly string[]).includes(opts.failOn))
      throw new ScanInputError(`--fail-on takes one of ${SEVERITIES.join(', ')} (got "${opts.failOn}")`);
    const failOn = opts.failOn as Severity;
    const { inventory, warnings } = loadInventory(opts.inventory, { distro: opts.distro, kernelRelease: opts.kernelRelease });
    const loaded = await loadAdvisories(opts.advisories);
    const result = matchInventory(loaded.index, inventory);
    if (result.unmatchedEcosystem !== undefined)
      throw new ScanInputError(
        `${opts.advisories}: no advisories for ${result.unmatchedEcosystem}, the inventory's release (the files cover ${
          loaded.index.ecosystems().sort().join(', ') || 'nothing'
        }): nothing could be checked`,
      );
    const report = buildScanReport(opts.inventory, inventory, warnings, loaded, opts.advisories, result, failOn);
    if (!opts.json) for (const w of warnings) warn(`warning: ${w}\n`);
    write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderScanReport(report, opts.all === true));
    return report.failed ? 1 : 0;
  } catch (e) {
    warn(`skjold vulns scan: ${(e as Error).message}\n`);
    return 2;
  }
}

/** Where a command writes and how it ends (the process's streams and exit code, or a test's buffers). */
export interface CommandIo {
  write: (s: string) => void;
  warn: (s: string) => void;
  exit: (code: number) => void;
}

const PROCESS_IO: CommandIo = {
  write: (s) => process.stdout.write(s),
  warn: (s) => process.stderr.write(s),
  exit: (code) => process.exit(code),
};

/** `skjold vulns …`: offline scanning of one inventory. */
export function registerVulns(program: Command, io: CommandIo = PROCESS_IO): void {
  const vulns = program.command('vulns').description('Vulnerability management: scan an inventory offline');
  vulns
    .command('scan')
    .description('Match one inventory against a directory of advisory files and print what needs action (like trivy or grype)')
    .requiredOption('--inventory <file>', "the agent's upload, a CycloneDX/SPDX JSON SBOM, or a dpkg-query / rpm -qa list")
    .requiredOption(
      '--advisories <dir>',
      'Debian tracker JSON, OSV *.zip archives and *.json records, known_exploited_vulnerabilities.json, epss*.csv[.gz]',
    )
    .option('--distro <release>', 'the release of a plain package list (Debian:12, Ubuntu:22.04, AlmaLinux:9, "Rocky Linux:9")')
    .option('--kernel-release <uname-r>', 'the running kernel, when the inventory does not say (uname -r)')
    .addOption(
      new Option(
        '--fail-on <severity>',
        'exit 1 when a finding needing action has this severity or higher (KEV counts as critical)',
      )
        .choices(SEVERITIES)
        .default('high'),
    )
    .option('--all', 'list every finding, not only those that need action')
    .option('--json', 'print the whole report as JSON')
    .exitOverride((err) => {
      // Usage errors exit 2 (1 means "something needs action"); help exits 0.
      io.exit(err.exitCode === 0 ? 0 : 2);
      throw err;
    })
    .action(async (opts: ScanOptions) => {
      const code = await runScan(opts, io.write, io.warn);
      if (io === PROCESS_IO) process.exitCode = code;
      else io.exit(code);
    });
}
