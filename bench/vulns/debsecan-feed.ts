/**
 * debsecan, offline, on the benchmark's data: the Debian tracker JSON converted to debsecan's `VERSION 1` feed the
 * way the tracker builds it (`security_db.py`, `calculateDebsecan1`), a dpkg status file per host, and a runner that
 * parses `debsecan --format detail`.
 *
 *   node --import tsx bench/vulns/debsecan-feed.ts [--dir DIR] [--suite bookworm] [--host host-0001]
 *
 * The feed (zlib-compressed text, read from `DIR/<suite>` with `--source file:///DIR/ --suite <suite>`):
 * 1. `VERSION 1`, then one `name,,description` line per vulnerability (sorted by name); its line number is its index;
 * 2. after a blank line, `package,index,FLAGS,unstable-fix,other-fixed…` per (source package, vulnerability), FLAGS
 *    four characters: `S` (source package), urgency `L`/`M`/`H`/space, remote `R`/space/`?`, `F` when a fix exists
 *    for the suite; `unstable-fix` is sid's fixed version (empty: not fixed in sid), `other-fixed` space-separated
 *    versions that are fixed on some release branch;
 * 3. after a blank line, `source,binary binary…` for each source package whose binaries are not just itself.
 *
 * How the tracker fills it (and this converter after it): the release-specific notes are the release entries that
 * differ from sid's (a release that got the fix from unstable before it was published has no note of its own). The
 * urgency is the highest over the notes in the tracker's order (high > medium > low > unimportant > end-of-life >
 * not yet assigned); a pair whose urgency comes out `unimportant` or `end-of-life`, or whose sid fix is `0`, is left
 * out. `other-fixed` holds, for every release with a fixed version V in its note, the fixed versions of that
 * package's other notes in the release that are ≥ V and the versions in the release's archive that are ≥ V.
 *
 * debsecan then says a source package at version I is vulnerable when `I < unstable-fix` (or there is none) and I is
 * not literally one of `other-fixed`: equality, not ≥. That is where it and Skjold part (see `classify` in run.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { compareDpkgVersions } from '../../src/modules/vulns/versions/dpkg-version.ts';
import type { InventoryPackage } from '../../src/modules/vulns/model.ts';

interface TrackerRelease {
  status: string;
  repositories?: Record<string, string>;
  fixed_version?: string;
  urgency?: string;
  nodsa?: string;
  nodsa_reason?: string;
}
interface TrackerEntry {
  description?: string;
  scope?: string;
  releases?: Record<string, TrackerRelease>;
}
export type Tracker = Record<string, Record<string, TrackerEntry>>;

/** The tracker's urgency order (`bugs.py`: high > medium > low > unimportant > end-of-life > not yet assigned). */
const URGENCY_RANK: Record<string, number> = {
  high: 0,
  medium: -1,
  low: -2,
  unimportant: -3,
  'end-of-life': -4,
  'not yet assigned': -5,
};
const URGENCY_FLAG: Record<string, string> = { low: 'L', medium: 'M', high: 'H', 'not yet assigned': ' ' };

/** `medium**` (the tracker marks urgencies taken from NVD) is `medium` in its database. */
function urgencyOf(u: string | undefined): string {
  const s = (u ?? '').replace(/\*/g, '').trim();
  return s === '' ? 'not yet assigned' : s;
}

interface Note {
  release: string;
  urgency: string;
  /** `undefined`: no fixed version (open, undetermined). */
  fixed: string | undefined;
}

/** The tracker's notes for one (package, vulnerability): sid's, and each release's that differs from sid. */
function notesOf(entry: TrackerEntry): { unstable: Note | undefined; releases: Note[] } {
  const rel = entry.releases ?? {};
  const fixedOf = (r: TrackerRelease) => (r.status === 'resolved' ? r.fixed_version : undefined);
  const sid = rel.sid;
  const unstable = sid === undefined ? undefined : { release: '', urgency: urgencyOf(sid.urgency), fixed: fixedOf(sid) };
  const releases: Note[] = [];
  for (const [name, r] of Object.entries(rel)) {
    if (name === 'sid') continue;
    const n = { release: name, urgency: urgencyOf(r.urgency), fixed: fixedOf(r) };
    if (unstable !== undefined && n.fixed === unstable.fixed && n.urgency === unstable.urgency && r.nodsa_reason === undefined)
      continue;
    releases.push(n);
  }
  return { unstable, releases };
}

const ge = (a: string, b: string) => compareDpkgVersions(a, b) >= 0;

/**
 * The `VERSION 1` feed text for `suite`, from the tracker JSON and the source → binaries table. Pure; see the file
 * comment for the rules.
 */
export function debsecanFeedText(tracker: Tracker, binaries: Record<string, string[]>, suite: string): string {
  const packages = Object.keys(tracker).sort();
  // Per (package, release): the fixed versions of its notes, and the versions in the release's archive.
  const noteFixes = new Map<string, string[]>();
  const archive = new Map<string, Set<string>>();
  const bugIndexable = new Map<string, string>();
  for (const pkg of packages) {
    for (const [bug, entry] of Object.entries(tracker[pkg] as Record<string, TrackerEntry>)) {
      if (!bug.startsWith('CVE-') && !bug.startsWith('TEMP-')) continue;
      const { unstable, releases } = notesOf(entry);
      for (const n of [...releases, ...(unstable ? [unstable] : [])]) {
        if (n.urgency !== 'unimportant' && n.fixed !== '0' && !bugIndexable.has(bug))
          bugIndexable.set(bug, (entry.description ?? '').replace(/[\r\n]+/g, ' '));
        if (n.release !== '' && n.fixed !== undefined) {
          const k = `${pkg}\0${n.release}`;
          const l = noteFixes.get(k);
          if (l === undefined) noteFixes.set(k, [n.fixed]);
          else l.push(n.fixed);
        }
      }
      for (const [name, r] of Object.entries(entry.releases ?? {})) {
        const k = `${pkg}\0${name}`;
        let s = archive.get(k);
        if (s === undefined) archive.set(k, (s = new Set()));
        for (const [repo, v] of Object.entries(r.repositories ?? {})) if (repo === name || repo.startsWith(`${name}-`)) s.add(v);
      }
    }
  }
  // The versions of one (package, release) sorted once, so "every version ≥ V" is a binary search and a slice.
  const sorted = new Map<string, string[]>();
  const atOrAbove = (k: string, v: string): string[] => {
    let list = sorted.get(k);
    if (list === undefined) {
      list = [...new Set([...(noteFixes.get(k) ?? []), ...(archive.get(k) ?? [])])].sort(compareDpkgVersions);
      sorted.set(k, list);
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareDpkgVersions(list[mid] as string, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    return list.slice(lo);
  };
  const bugs = [...bugIndexable.keys()].sort();
  const index = new Map(bugs.map((b, i) => [b, i]));
  const out: string[] = ['VERSION 1'];
  for (const b of bugs) out.push(`${b},,${bugIndexable.get(b) as string}`);
  out.push('');

  const sources = new Set<string>();
  for (const pkg of packages) {
    const entries = tracker[pkg] as Record<string, TrackerEntry>;
    for (const bug of Object.keys(entries).sort()) {
      if (!bug.startsWith('CVE-') && !bug.startsWith('TEMP-')) continue;
      const entry = entries[bug] as TrackerEntry;
      const { unstable, releases } = notesOf(entry);
      sources.add(pkg);
      let total = '';
      const fixedReleases = new Set<string>();
      const other = new Set<string>();
      const all = unstable === undefined ? releases : [unstable, ...releases];
      for (const n of all) {
        if (total === '' || (URGENCY_RANK[n.urgency] ?? -9) > (URGENCY_RANK[total] ?? -9)) total = n.urgency;
        if (n.release === '') {
          const sidVersion = entry.releases?.sid?.repositories?.sid;
          if (n.fixed !== undefined && n.fixed !== '' && sidVersion !== undefined && ge(sidVersion, n.fixed))
            fixedReleases.add('sid');
        } else if (n.fixed !== undefined) {
          fixedReleases.add(n.release);
          for (const v of atOrAbove(`${pkg}\0${n.release}`, n.fixed)) other.add(v);
        }
      }
      const unstableFixed = unstable?.fixed ?? '';
      if (total === 'unimportant' || total === 'end-of-life' || unstableFixed === '0') continue;
      const i = index.get(bug);
      if (i === undefined) continue; // the tracker would fail here; it cannot happen with its own data
      const remote = entry.scope === 'remote' ? 'R' : entry.scope === 'local' ? ' ' : '?';
      const flags = `S${URGENCY_FLAG[total] ?? ' '}${remote}${fixedReleases.has(suite) ? 'F' : ' '}`;
      out.push(`${pkg},${i},${flags},${unstableFixed},${[...other].sort().join(' ')}`);
    }
  }
  out.push('');
  for (const sp of [...sources].sort()) {
    const bps = [...(binaries[sp] ?? [])].sort();
    if (bps.length === 1 && bps[0] === sp) continue;
    out.push(`${sp},${bps.join(' ')}`);
  }
  out.push('');
  return out.join('\n');
}

/** Write `dir/<suite>` (zlib-compressed, as the tracker serves it). Returns its path and the record counts. */
export function writeDebsecanFeed(
  trackerFile: string,
  universeFile: string,
  dir: string,
  suite: string,
): { file: string; vulnerabilities: number; records: number; bytes: number } {
  const tracker = JSON.parse(readFileSync(trackerFile, 'utf8')) as Tracker;
  const binaries = JSON.parse(readFileSync(universeFile, 'utf8')) as Record<string, string[]>;
  const text = debsecanFeedText(tracker, binaries, suite);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, suite);
  const data = deflateSync(text, { level: 9 });
  writeFileSync(file, data);
  const sections = text.split('\n\n');
  return {
    file,
    vulnerabilities: (sections[0] ?? '').split('\n').length - 1,
    records: (sections[1] ?? '').split('\n').filter(Boolean).length,
    bytes: data.length,
  };
}

/**
 * A `/var/lib/dpkg/status` with the host's installed packages (and its config-files leftovers, which debsecan skips as
 * dpkg does): `Package`, `Status`, `Architecture`, `Source: name (version)` where it differs, `Version`.
 */
export function dpkgStatusText(packages: readonly InventoryPackage[], leftovers: readonly InventoryPackage[] = []): string {
  const rec = (p: InventoryPackage, status: string) => {
    const lines = [`Package: ${p.name}`, `Status: ${status}`, 'Priority: optional', `Architecture: ${p.arch ?? 'amd64'}`];
    if (p.source !== p.name || p.sourceVersion !== p.version)
      lines.push(`Source: ${p.source}${p.sourceVersion !== p.version ? ` (${p.sourceVersion})` : ''}`);
    lines.push(`Version: ${p.version}`, `Description: ${p.name}`, '');
    return lines.join('\n');
  };
  return [
    ...packages.map((p) => rec(p, 'install ok installed')),
    ...leftovers.map((p) => rec(p, 'deinstall ok config-files')),
  ].join('\n');
}

export interface DebsecanFinding {
  vuln: string;
  binary: string;
  binaryVersion: string;
  source: string;
  sourceVersion: string;
  /** debsecan's "fixed": a fix exists for the suite. */
  fixAvailable: boolean;
}

/** Parse `debsecan --format detail`. */
export function parseDebsecanDetail(text: string): DebsecanFinding[] {
  const out: DebsecanFinding[] = [];
  let cur: Partial<DebsecanFinding> | undefined;
  for (const line of text.split('\n')) {
    if (line === '') {
      cur = undefined;
      continue;
    }
    if (!line.startsWith(' ')) {
      const m = /^(\S+)(?: \(([^)]*)\))?$/.exec(line);
      if (m === null) continue;
      cur = { vuln: m[1] as string, fixAvailable: (m[2] ?? '').split(', ').includes('fixed') };
      continue;
    }
    if (cur === undefined) continue;
    const inst = /^ {2}installed: (\S+) (\S+)$/.exec(line);
    if (inst) {
      cur.binary = inst[1];
      cur.binaryVersion = inst[2];
      continue;
    }
    const built = /^\s+\(built from (\S+) (\S+)\)$/.exec(line);
    if (built && cur.binary !== undefined) {
      out.push({ ...(cur as DebsecanFinding), source: built[1] as string, sourceVersion: built[2] as string });
    }
  }
  return out;
}

export interface DebsecanRun {
  ms: number;
  exitCode: number | null;
  findings: DebsecanFinding[];
  stderr: string;
  /** Peak RSS of the debsecan process, KiB (from GNU time when available). */
  maxRssKb?: number | undefined;
}

/** Run debsecan offline on one status file; wall time measured around the process. */
export async function runDebsecan(feedDir: string, suite: string, statusFile: string): Promise<DebsecanRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'debsecan-'));
  const history = join(scratch, 'history');
  const whitelist = join(scratch, 'whitelist');
  // An empty history is read as "no history"; the whitelist must be absent or start with its version line.
  writeFileSync(history, '');
  writeFileSync(whitelist, 'VERSION 0\n');
  const rssFile = join(scratch, 'rss');
  const gnuTime = existsSync('/usr/bin/time');
  const args = [
    '--suite',
    suite,
    '--source',
    `file://${feedDir.endsWith('/') ? feedDir : `${feedDir}/`}`,
    '--status',
    statusFile,
    '--history',
    history,
    '--whitelist',
    whitelist,
    '--config',
    join(scratch, 'no-config'),
    '--format',
    'detail',
  ];
  const t0 = performance.now();
  const child = gnuTime
    ? spawn('/usr/bin/time', ['-o', rssFile, '-f', '%M', '/usr/bin/debsecan', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('/usr/bin/debsecan', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - t0;
  const rss = gnuTime && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : NaN;
  rmSync(scratch, { recursive: true, force: true });
  return {
    ms,
    exitCode,
    findings: parseDebsecanDetail(Buffer.concat(out).toString('utf8')),
    stderr: Buffer.concat(err).toString('utf8'),
    maxRssKb: Number.isFinite(rss) ? rss : undefined,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const val = (n: string, d: string) => (argv.includes(n) ? (argv[argv.indexOf(n) + 1] ?? d) : d);
  const dir = val('--dir', '/tmp/skjold-bench-vulns');
  const suite = val('--suite', 'bookworm');
  const t0 = performance.now();
  const feed = writeDebsecanFeed(join(dir, 'debian-tracker.json'), join(dir, 'universe.json'), join(dir, 'debsecan'), suite);
  console.log(
    `${feed.file}: ${feed.vulnerabilities} vulnerabilities, ${feed.records} records, ${feed.bytes} bytes compressed, ${(performance.now() - t0).toFixed(0)} ms`,
  );
}
