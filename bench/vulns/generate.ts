/**
 * Deterministic generator of the vulnerability benchmark's data, in the real formats:
 *
 *   node --import tsx bench/vulns/generate.ts [--out DIR] [--seed S] [--hosts N] [--packages N] [--entries N]
 *
 * Writes into DIR (default `/tmp/skjold-bench-vulns`):
 * - `debian-tracker.json`: the Debian Security Tracker JSON (`{ pkg: { CVE: { description, scope, releases: {
 *   codename: { status, repositories, fixed_version, urgency, nodsa?, nodsa_reason? } } } } }`), about 100,000
 *   (source package, CVE) entries over buster, bullseye, bookworm, trixie and sid;
 * - `debian-tracker-2.json`: the same tracker a day later (the "feed change": new DSAs fix open issues, new CVEs);
 * - `epss_scores.csv.gz`: FIRST EPSS (`#model_version:…,score_date:…`, `cve,epss,percentile`), 250,000 rows;
 * - `kev.json` (1,500 entries) and `kev-2.json` (+20): the CISA KEV catalog;
 * - `hosts/host-NNNN.upload`: one agent upload per host (`skjold-inventory 1`, os-release and the verbatim
 *   `dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n'` lines), 2,000
 *   packages each, 85 % bookworm, 10 % bullseye, 5 % trixie;
 * - `universe.json`: source package → binary packages (for debsecan's `source,binaries` section);
 * - `manifest.json`: the parameters, so `run.ts` can reuse the data when they match.
 *
 * The model: each source package has a version timeline in sid; a release's base version is sid's at its release
 * date; every CVE has a time. A CVE fixed in sid before a release was published is "resolved" in that release at
 * sid's fixed version (below the release's base); a later one is fixed in the release by a security update
 * (`+deb12u3`, or `-2~deb12u1` backport style), or stays open (no DSA yet, postponed, ignored, unimportant,
 * end-of-life, undetermined) or is not affected (`"0"`). Point-release updates without a CVE are sprinkled in. Each
 * host upgraded last at its own time (most recently), with some packages held back, so installed versions fall
 * below, at and above the fixed versions, including backported fixes that are not vulnerable.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';

export const RELEASES = ['buster', 'bullseye', 'bookworm', 'trixie', 'sid'] as const;
export type Release = (typeof RELEASES)[number];
const STABLE: readonly Release[] = ['buster', 'bullseye', 'bookworm', 'trixie'];
/** Release dates on the model's time line 0..1 (now = 1). */
const RELEASED: Record<Release, number> = { buster: 0, bullseye: 0.3, bookworm: 0.55, trixie: 0.85, sid: 0 };
const RELEASE_NUMBER: Record<Release, number> = { buster: 10, bullseye: 11, bookworm: 12, trixie: 13, sid: 0 };
const OS_RELEASE: Record<string, string> = {
  bullseye:
    'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\nVERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n',
  bookworm:
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  trixie:
    'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nVERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nID=debian\n',
};

export interface GenerateOptions {
  out: string;
  seed: number;
  hosts: number;
  packagesPerHost: number;
  /** (source package, CVE) entries in the tracker, about. */
  entries: number;
  sources: number;
  epssRows: number;
  kevEntries: number;
}

export const DEFAULTS: GenerateOptions = {
  out: '/tmp/skjold-bench-vulns',
  seed: 1,
  hosts: 1000,
  packagesPerHost: 2000,
  entries: 100_000,
  sources: 6000,
  epssRows: 250_000,
  kevEntries: 1500,
};

export interface Manifest extends GenerateOptions {
  generator: number;
  trackerEntries: number;
  trackerEntries2: number;
  distinctCves: number;
  hostReleases: Record<string, number>;
  files: { tracker: string; tracker2: string; epss: string; kev: string; kev2: string; hosts: string; universe: string };
}

/** Bumped whenever the output changes for the same options, so `run.ts` regenerates. */
export const GENERATOR_VERSION = 5;

// ---------------------------------------------------------------------------------------------------------------
// PRNG (mulberry32): fast, seedable, good enough for synthetic data.

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The model

interface Update {
  version: string;
  time: number;
  security: boolean;
}

interface ReleaseLine {
  base: string;
  updates: Update[];
}

interface Source {
  name: string;
  binaries: string[];
  epoch: string;
  native: boolean;
  /** Security updates as `-N~deb12uJ` backports instead of `+deb12uJ`. */
  tilde: boolean;
  major: number;
  minor: number;
  patch: number;
  /** sid versions over the time line. */
  steps: number;
  /** Which releases ship it. */
  lines: Partial<Record<Release, ReleaseLine>>;
  /** The binaries carry a binNMU suffix `+b1` on hosts. */
  binNmu: boolean;
  /** Bookworm support for this package ended (open bookworm entries are end-of-life). */
  unsupported: boolean;
}

interface ReleaseEntry {
  status: 'resolved' | 'open' | 'undetermined';
  fixed_version?: string;
  urgency: string;
  nodsa?: string;
  nodsa_reason?: string;
}

interface Entry {
  cve: string;
  time: number;
  scope: 'local' | 'remote' | undefined;
  description: string;
  releases: Partial<Record<Release, ReleaseEntry>>;
}

const REAL_NAMES = [
  'linux',
  'openssl',
  'glibc',
  'curl',
  'systemd',
  'openssh',
  'bash',
  'coreutils',
  'zlib',
  'libxml2',
  'sudo',
  'nginx',
  'apache2',
  'python3.11',
  'perl',
  'git',
  'vim',
  'tar',
  'gnutls28',
  'expat',
  'sqlite3',
  'libx11',
  'tiff',
  'libpng1.6',
  'libwebp',
  'imagemagick',
  'ghostscript',
  'postgresql-15',
  'mariadb',
  'bind9',
  'dnsmasq',
  'unbound',
  'postfix',
  'dovecot',
  'exim4',
  'samba',
  'krb5',
  'cups',
  'pam',
  'shadow',
  'util-linux',
  'e2fsprogs',
  'xz-utils',
  'bzip2',
  'libarchive',
  'libssh2',
  'nghttp2',
  'c-ares',
  'libgcrypt20',
  'gnupg2',
  'apt',
  'dpkg',
  'ca-certificates',
  'tzdata',
  'ncurses',
  'readline',
  'less',
  'wget',
  'rsync',
  'openldap',
  'cyrus-sasl2',
  'libtasn1-6',
  'p11-kit',
  'nettle',
  'gmp',
  'pcre2',
  'libzstd',
  'lz4',
  'icu',
  'freetype',
  'fontconfig',
  'cairo',
  'pango1.0',
  'harfbuzz',
  'poppler',
  'libjpeg-turbo',
  'giflib',
  'libsndfile',
  'ffmpeg',
  'qemu',
  'libvirt',
  'xen',
  'containerd',
  'runc',
  'docker.io',
  'golang-1.19',
  'nodejs',
  'ruby3.1',
  'php8.2',
  'openjdk-17',
  'wpa',
  'bluez',
  'avahi',
  'dbus',
  'polkit',
  'intel-microcode',
  'grub2',
  'shim',
  'busybox',
  'procps',
  'iproute2',
  'iptables',
  'nftables',
  'libseccomp',
];
const SYLLABLES = [
  'ab',
  'ba',
  'ce',
  'di',
  'fo',
  'gu',
  'ha',
  'ki',
  'lo',
  'mu',
  'na',
  'po',
  're',
  'si',
  'ta',
  'vu',
  'we',
  'xo',
  'ze',
  'qu',
  'bro',
  'cla',
  'dre',
  'fli',
  'gro',
  'pla',
  'stu',
  'tri',
  'xen',
  'zor',
];
const WORDS = [
  'buffer overflow',
  'use-after-free',
  'NULL pointer dereference',
  'integer overflow',
  'out-of-bounds read',
  'out-of-bounds write',
  'denial of service',
  'heap corruption',
  'path traversal',
  'improper certificate validation',
  'race condition',
  'information disclosure',
  'command injection',
  'double free',
  'infinite loop',
];
const FUNCS = ['parse_header', 'read_chunk', 'decode', 'inflate', 'handle_request', 'x509_verify', 'load_config'];

class Model {
  readonly rnd: () => number;
  readonly sources: Source[] = [];
  /** Per source index: its entries, in CVE time order. */
  readonly entries: Entry[][] = [];
  readonly cves: string[] = [];
  private readonly cveSet = new Set<string>();

  constructor(readonly opts: GenerateOptions) {
    this.rnd = prng(opts.seed);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)] as T;
  }

  newCve(): string {
    for (;;) {
      const year = this.int(2014, 2026);
      const num = year >= 2020 && this.rnd() < 0.5 ? this.int(10000, 59999) : this.int(1000, 9999);
      const id = `CVE-${year}-${num}`;
      if (!this.cveSet.has(id)) {
        this.cveSet.add(id);
        this.cves.push(id);
        return id;
      }
    }
  }

  buildSources(): void {
    const used = new Set<string>();
    const binariesUsed = new Set<string>();
    for (let i = 0; i < this.opts.sources; i++) {
      let name = REAL_NAMES[i];
      while (name === undefined || used.has(name)) {
        const n = this.int(2, 3);
        let s = '';
        for (let k = 0; k < n; k++) s += this.pick(SYLLABLES);
        if (this.rnd() < 0.3) s = `lib${s}`;
        if (this.rnd() < 0.15) s += String(this.int(1, 5));
        name = s;
      }
      used.add(name);
      const binaries: string[] = [];
      const addBin = (b: string) => {
        if (!binariesUsed.has(b)) {
          binariesUsed.add(b);
          binaries.push(b);
        }
      };
      if (name === 'linux') {
        for (const b of [
          'linux-image-6.1.0-18-amd64-unsigned',
          'linux-headers-6.1.0-18-amd64',
          'linux-kbuild-6.1',
          'linux-libc-dev',
        ])
          addBin(b);
      } else {
        const count = 1 + Math.floor(-Math.log(1 - this.rnd()) * 2.2);
        const base = name.startsWith('lib') ? name.slice(3) : name;
        const soname = this.int(0, 9);
        const kinds = [
          name,
          `lib${base}${soname}`,
          `${base}-common`,
          `${base}-data`,
          `lib${base}-dev`,
          `${base}-utils`,
          `lib${base}${soname}-dbg`,
          `${base}-doc`,
          `python3-${base}`,
        ];
        for (let k = 0; k < Math.min(count, kinds.length); k++) addBin(kinds[k] as string);
        if (binaries.length === 0) addBin(`${name}-bin`);
      }
      const steps = this.int(20, 80);
      const src: Source = {
        name,
        binaries,
        epoch: this.rnd() < 0.1 ? `${this.int(1, 3)}:` : '',
        native: this.rnd() < 0.05,
        tilde: false,
        major: this.int(0, 9),
        minor: this.int(0, 30),
        patch: this.int(0, 9),
        steps,
        lines: {},
        binNmu: this.rnd() < 0.04,
        unsupported: i > 200 && this.rnd() < 0.01,
      };
      src.tilde = !src.native && this.rnd() < 0.08;
      const presence: Record<Release, number> = { buster: 0.75, bullseye: 0.9, bookworm: 1, trixie: 0.95, sid: 0.99 };
      for (const r of RELEASES)
        if (r === 'bookworm' || r === 'sid' || this.rnd() < presence[r])
          src.lines[r] = { base: this.sidVersion(src, this.step(src, RELEASED[r])), updates: [] };
      this.sources.push(src);
    }
  }

  step(src: Source, t: number): number {
    return Math.min(src.steps, Math.floor(t * src.steps));
  }

  upstream(src: Source, k: number): string {
    return `${src.major}.${src.minor + Math.floor(k / 5)}.${src.patch + (k % 5)}`;
  }

  sidVersion(src: Source, k: number): string {
    return `${src.epoch}${this.upstream(src, k)}${src.native ? '' : `-${1 + (k % 3)}`}`;
  }

  securityVersion(src: Source, r: Release, j: number): string {
    const k = this.step(src, RELEASED[r]);
    const n = RELEASE_NUMBER[r];
    if (src.tilde) return `${src.epoch}${this.upstream(src, k)}-${2 + (k % 3)}~deb${n}u${j}`;
    return `${this.sidVersion(src, k)}+deb${n}u${j}`;
  }

  /**
   * Entry counts per source: Zipf-like, summing to about `entries`. linux has the most (thousands); the other ranks
   * are shuffled, so how many CVEs a package has does not follow how many hosts install it (servers rarely carry
   * the browsers and toolkits with the longest lists).
   */
  entryCounts(): number[] {
    const n = this.sources.length;
    const w = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 3, 0.85));
    const sum = w.reduce((a, b) => a + b, 0);
    const rank = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 1; i--) {
      const j = 1 + Math.floor(this.rnd() * i);
      [rank[i], rank[j]] = [rank[j] as number, rank[i] as number];
    }
    return rank.map((r) => Math.max(1, Math.round(((w[r] as number) / sum) * this.opts.entries)));
  }

  buildEntries(): void {
    const counts = this.entryCounts();
    for (let i = 0; i < this.sources.length; i++) {
      const src = this.sources[i] as Source;
      const list: Entry[] = [];
      const seen = new Set<string>();
      for (let k = 0; k < (counts[i] as number); k++) {
        // Some CVEs affect several source packages (embedded copies, forks): reuse an earlier id.
        let cve = this.cves.length > 100 && this.rnd() < 0.08 ? this.pick(this.cves) : this.newCve();
        if (seen.has(cve)) cve = this.newCve();
        seen.add(cve);
        if (this.rnd() < 0.004)
          cve = `TEMP-${String(this.int(0, 1_100_000)).padStart(7, '0')}-${this.int(0x100000, 0xffffff).toString(16).toUpperCase()}`;
        // Most CVEs in the tracker predate the current stable release (t < 0.55 for about three quarters).
        list.push(this.entry(src, cve, Math.pow(this.rnd(), 2)));
      }
      list.sort((a, b) => a.time - b.time);
      this.entries.push(list);
      this.assignUpdates(src, list);
    }
  }

  private entry(src: Source, cve: string, time: number): Entry {
    const u = this.rnd();
    const scope = u < 0.45 ? 'remote' : u < 0.85 ? 'local' : undefined;
    const e: Entry = {
      cve,
      time,
      scope,
      description: `${this.pick(WORDS)} in ${this.pick(FUNCS)}() of ${src.name} before ${this.upstream(src, this.step(src, time) + 1)}`,
      releases: {},
    };
    const unimportant = this.rnd() < 0.08;
    const notAffected = this.rnd() < 0.04;
    const undetermined = this.rnd() < 0.01;
    const urgency = unimportant
      ? 'unimportant'
      : this.pick(['not yet assigned', 'not yet assigned', 'low', 'low', 'medium', 'medium', 'high', 'low**', 'medium**']);
    const kFix = this.step(src, time) + 1;
    const sidOpen = kFix > src.steps || undetermined;
    for (const r of RELEASES) {
      if (src.lines[r] === undefined) continue;
      let re: ReleaseEntry;
      if (notAffected) re = { status: 'resolved', fixed_version: '0', urgency };
      else if (r === 'sid')
        re = sidOpen
          ? { status: undetermined ? 'undetermined' : 'open', urgency }
          : { status: 'resolved', fixed_version: this.sidVersion(src, kFix), urgency };
      else if (!sidOpen && kFix <= this.step(src, RELEASED[r]))
        re = { status: 'resolved', fixed_version: this.sidVersion(src, kFix), urgency };
      else if (undetermined) re = { status: 'undetermined', urgency };
      else if (unimportant) re = { status: 'open', urgency };
      else if (r === 'buster' && time > 0.8 && this.rnd() < 0.4) re = { status: 'open', urgency: 'end-of-life' };
      else if (r === 'bookworm' && src.unsupported) re = { status: 'open', urgency: 'end-of-life' };
      else {
        const c = this.rnd();
        if (c < 0.66 && !sidOpen) re = { status: 'resolved', fixed_version: 'pending', urgency };
        else if (c < 0.77) re = { status: 'open', urgency };
        else if (c < 0.85)
          re = { status: 'open', urgency, nodsa: 'Minor issue; can be fixed via point release', nodsa_reason: 'postponed' };
        else if (c < 0.92) re = { status: 'open', urgency, nodsa: 'Minor issue', nodsa_reason: 'ignored' };
        else if (c < 0.97) re = { status: 'resolved', fixed_version: '0', urgency };
        else re = { status: 'undetermined', urgency };
      }
      e.releases[r] = re;
    }
    return e;
  }

  /** Groups a source's pending fixes per release into security updates, with point releases between them. */
  private assignUpdates(src: Source, list: Entry[]): void {
    for (const r of STABLE) {
      const line = src.lines[r];
      if (line === undefined) continue;
      const pending = list.filter((e) => e.releases[r]?.fixed_version === 'pending');
      let j = line.updates.length;
      let i = 0;
      while (i < pending.length) {
        if (this.rnd() < 0.3) {
          const t = Math.min(0.999, (pending[i] as Entry).time - 0.002);
          if (t > RELEASED[r]) line.updates.push({ version: this.securityVersion(src, r, ++j), time: t, security: false });
        }
        // A kernel or browser update fixes dozens of CVEs at once; most packages one or two.
        const mean = Math.max(1.2, pending.length / 40);
        const size = Math.min(pending.length - i, 1 + Math.floor(-Math.log(1 - this.rnd()) * mean));
        const group = pending.slice(i, i + size);
        i += size;
        const version = this.securityVersion(src, r, ++j);
        const time = Math.min(1, (group.at(-1) as Entry).time + 0.003 + this.rnd() * 0.01);
        line.updates.push({ version, time, security: true });
        for (const e of group) (e.releases[r] as ReleaseEntry).fixed_version = version;
      }
      if (pending.length === 0 && this.rnd() < 0.15)
        line.updates.push({
          version: this.securityVersion(src, r, ++j),
          time: RELEASED[r] + this.rnd() * (1 - RELEASED[r]),
          security: false,
        });
      line.updates.sort((a, b) => a.time - b.time);
      // Versions must rise with time: renumber in time order.
      const old = new Map<string, string>();
      line.updates.forEach((u, idx) => {
        const v = this.securityVersion(src, r, idx + 1);
        old.set(u.version, v);
        u.version = v;
      });
      for (const e of pending) {
        const re = e.releases[r] as ReleaseEntry;
        re.fixed_version = old.get(re.fixed_version as string);
      }
    }
  }

  /** The feed change: a day later, some open bookworm issues got a DSA and new CVEs appeared. */
  advanceOneDay(): { fixed: number; added: number } {
    let fixed = 0;
    let added = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const src = this.sources[i] as Source;
      const list = this.entries[i] as Entry[];
      const line = src.lines.bookworm as ReleaseLine;
      const open = list.filter(
        (e) =>
          e.releases.bookworm?.status === 'open' &&
          e.releases.bookworm.nodsa_reason === undefined &&
          e.releases.bookworm.urgency !== 'unimportant' &&
          e.releases.bookworm.urgency !== 'end-of-life' &&
          e.releases.sid?.status === 'resolved',
      );
      if (open.length > 0 && this.rnd() < 0.06) {
        const version = this.securityVersion(src, 'bookworm', line.updates.length + 1);
        line.updates.push({ version, time: 1.001, security: true });
        for (const e of open.slice(0, this.int(1, 3))) {
          e.releases.bookworm = {
            status: 'resolved',
            fixed_version: version,
            urgency: e.releases.bookworm?.urgency ?? 'not yet assigned',
          };
          fixed++;
        }
      }
      if (i < 1500 && this.rnd() < 0.15) {
        const e = this.entry(src, this.newCve(), 0.999);
        // Too new for a DSA: wherever a release would get a fix, it is still open.
        for (const re of Object.values(e.releases))
          if (re.fixed_version === 'pending') {
            delete re.fixed_version;
            re.status = 'open';
          }
        list.push(e);
        added++;
      }
    }
    return { fixed, added };
  }

  repositories(src: Source, r: Release): Record<string, string> {
    const line = src.lines[r] as ReleaseLine;
    if (r === 'sid') return { sid: this.sidVersion(src, src.steps) };
    const point = line.updates.filter((u) => u.time <= 1 && (!u.security || u.time < 0.95));
    const repos: Record<string, string> = { [r]: point.at(-1)?.version ?? line.base };
    const latest = line.updates.filter((u) => u.time <= 1.001).at(-1);
    if (latest !== undefined && latest.version !== repos[r]) repos[`${r}-security`] = latest.version;
    return repos;
  }

  entryCount(): number {
    return this.entries.reduce((n, l) => n + l.length, 0);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writers

async function write(out: WriteStream, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

async function writeTracker(m: Model, file: string): Promise<void> {
  const out = createWriteStream(file);
  await write(out, '{');
  for (let i = 0; i < m.sources.length; i++) {
    const src = m.sources[i] as Source;
    const value: Record<string, unknown> = {};
    for (const e of m.entries[i] as Entry[]) {
      const releases: Record<string, unknown> = {};
      for (const r of RELEASES) {
        const re = e.releases[r];
        if (re === undefined) continue;
        // Key order as the tracker writes it.
        const o: Record<string, unknown> = { status: re.status, repositories: m.repositories(src, r) };
        if (re.fixed_version !== undefined) o.fixed_version = re.fixed_version;
        o.urgency = re.urgency;
        if (re.nodsa !== undefined) o.nodsa = re.nodsa;
        if (re.nodsa_reason !== undefined) o.nodsa_reason = re.nodsa_reason;
        releases[r] = o;
      }
      value[e.cve] = { description: e.description, ...(e.scope ? { scope: e.scope } : {}), releases };
    }
    await write(out, `${i === 0 ? '' : ', '}${JSON.stringify(src.name)}: ${JSON.stringify(value)}`);
  }
  await write(out, '}');
  await close(out);
}

function writeEpss(m: Model, file: string, rows: number): void {
  const r = prng(m.opts.seed + 101);
  const ids = new Set(m.cves);
  while (ids.size < rows) ids.add(`CVE-${1999 + Math.floor(r() * 28)}-${String(1 + Math.floor(r() * 60000)).padStart(4, '0')}`);
  const list = [...ids].slice(0, rows);
  const key = (c: string) => {
    const [, y, n] = c.split('-');
    return Number(y) * 1e7 + Number(n);
  };
  list.sort((a, b) => key(a) - key(b));
  const scores = list.map(() => Math.pow(10, -5 + 5 * Math.pow(r(), 6)));
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const pct = new Float64Array(scores.length);
  order.forEach((idx, rank) => (pct[idx] = rank / scores.length));
  const lines = ['#model_version:v2025.03.14,score_date:2026-11-27T00:00:00+0000', 'cve,epss,percentile'];
  for (let i = 0; i < list.length; i++)
    lines.push(`${list[i]},${(scores[i] as number).toFixed(5)},${(pct[i] as number).toFixed(5)}`);
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
}

/** `count` entries; `added` more appended as the next day's catalog adds them (the others exactly as before). */
function kevCatalog(m: Model, count: number, version: string, added = 0): unknown {
  const r = prng(m.opts.seed + 202);
  const picked = new Set<string>();
  // Most KEV entries concern software every host has (the popular sources), the rest other products.
  for (let i = 0; picked.size < Math.floor(count * 0.7) && i < count * 50; i++) {
    const s = Math.floor(Math.pow(r(), 2.5) * m.sources.length);
    const list = m.entries[s] as Entry[];
    const e = list[Math.floor(r() * list.length)];
    if (e !== undefined && e.cve.startsWith('CVE-')) picked.add(e.cve);
  }
  while (picked.size < count) picked.add(`CVE-${2015 + Math.floor(r() * 11)}-${10000 + Math.floor(r() * 50000)}`);
  const day = (n: number) => new Date(Date.UTC(2021, 10, 3) + n * 86_400_000).toISOString().slice(0, 10);
  const entry = (cve: string, i: number, addedDay: number) => ({
    cveID: cve,
    vendorProject: r() < 0.3 ? 'Linux' : 'Debian',
    product: `Product ${i % 97}`,
    vulnerabilityName: `Product ${i % 97} ${WORDS[i % WORDS.length] as string} Vulnerability`,
    dateAdded: day(addedDay),
    shortDescription: 'A synthetic entry for the Skjold benchmark.',
    requiredAction: 'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
    dueDate: day(addedDay + 21),
    knownRansomwareCampaignUse: r() < 0.15 ? 'Known' : 'Unknown',
    notes: '',
    cwes: ['CWE-787'],
  });
  const vulnerabilities = [...picked].map((cve, i) => entry(cve, i, Math.floor((i / count) * 1850)));
  // The next day's additions: CVEs of the popular sources not in the catalog yet, dated that day.
  const next = prng(m.opts.seed + 404);
  const today = Math.round((Date.UTC(2026, 10, 27) - Date.UTC(2021, 10, 3)) / 86_400_000);
  for (let i = 0, n = 0; n < added && i < added * 1000; i++) {
    const list = m.entries[Math.floor(Math.pow(next(), 2.5) * m.sources.length)] as Entry[];
    const e = list[Math.floor(next() * list.length)];
    if (e === undefined || !e.cve.startsWith('CVE-') || picked.has(e.cve)) continue;
    picked.add(e.cve);
    vulnerabilities.push(entry(e.cve, count + n, today));
    n++;
  }
  return {
    title: 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: version,
    dateReleased: `${version.replaceAll('.', '-')}T14:00:00.0000Z`,
    count: vulnerabilities.length,
    vulnerabilities,
  };
}

function writeKev(m: Model, dir: string): void {
  const kev = kevCatalog(m, m.opts.kevEntries, '2026.11.26') as { vulnerabilities: unknown[] };
  writeFileSync(join(dir, 'kev.json'), JSON.stringify(kev, null, 2));
  const next = kevCatalog(m, m.opts.kevEntries, '2026.11.27', 20) as { vulnerabilities: { cveID: string }[] };
  writeFileSync(join(dir, 'kev-2.json'), JSON.stringify(next, null, 2));
}

/** Writes the hosts' uploads; returns how many hosts run each release. */
function writeHosts(m: Model, dir: string): Record<string, number> {
  const r = prng(m.opts.seed + 303);
  mkdirSync(dir, { recursive: true });
  const n = m.sources.length;
  const weight = m.sources.map((_, i) => 1 / Math.pow(i + 20, 0.9));
  const counts: Record<string, number> = {};
  for (let h = 1; h <= m.opts.hosts; h++) {
    const u = r();
    const release: Release = u < 0.85 ? 'bookworm' : u < 0.95 ? 'bullseye' : 'trixie';
    counts[release] = (counts[release] ?? 0) + 1;
    // Last upgrade: most hosts recently, a few long ago.
    const upgraded = 1 - Math.pow(r(), 4) * (1 - RELEASED[release]);
    // Efraimidis–Spirakis: a weighted sample without replacement, popular sources on nearly every host.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = Math.log(r()) / (weight[i] as number);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (keys[b] as number) - (keys[a] as number));
    const lines: string[] = [];
    let installed = 0;
    for (const i of order) {
      if (installed >= m.opts.packagesPerHost) break;
      const src = m.sources[i] as Source;
      const line = src.lines[release];
      if (line === undefined) continue;
      const held = r() < 0.05 ? r() * 0.2 : 0;
      const at = upgraded - held;
      let version = line.base;
      for (const up of line.updates) if (up.time <= Math.min(at, 1)) version = up.version;
      for (const b of src.binaries) {
        if (installed >= m.opts.packagesPerHost) break;
        if (b !== src.name && b !== src.binaries[0] && r() < 0.25) continue;
        const binVersion = src.binNmu ? `${version}+b1` : version;
        lines.push(`${b}\t${binVersion}\t${src.name}\t${version}\tinstall ok installed`);
        installed++;
      }
    }
    // A few leftovers from removed packages (`dpkg -r` keeps their configuration files).
    for (let k = 0; k < 3; k++) {
      const src = m.sources[Math.floor(r() * n)] as Source;
      const b = `${src.binaries[0] as string}-old`;
      lines.push(
        `${b}\t${src.lines.bookworm?.base ?? '1.0-1'}\t${src.name}\t${src.lines.bookworm?.base ?? '1.0-1'}\tdeinstall ok config-files`,
      );
    }
    const text = [
      'skjold-inventory 1',
      'agent skjold-vulns-agent 1',
      `hostname host-${String(h).padStart(4, '0')}.bench.example`,
      'collected-at 2026-11-27T03:00:00Z',
      `uname-r ${release === 'bookworm' ? '6.1.0-18-amd64' : release === 'bullseye' ? '5.10.0-28-amd64' : '6.12.9-amd64'}`,
      'reboot-required no',
      '[os-release]',
      (OS_RELEASE[release] as string).trimEnd(),
      '[dpkg]',
      ...lines,
      '',
    ].join('\n');
    writeFileSync(join(dir, `host-${String(h).padStart(4, '0')}.upload`), text);
  }
  return counts;
}

/** Generate everything into `opts.out` (replacing what is there). Returns the manifest (also written to the directory). */
export async function generate(opts: GenerateOptions): Promise<Manifest> {
  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  const m = new Model(opts);
  m.buildSources();
  m.buildEntries();
  const files = {
    tracker: 'debian-tracker.json',
    tracker2: 'debian-tracker-2.json',
    epss: 'epss_scores.csv.gz',
    kev: 'kev.json',
    kev2: 'kev-2.json',
    hosts: 'hosts',
    universe: 'universe.json',
  };
  await writeTracker(m, join(opts.out, files.tracker));
  const trackerEntries = m.entryCount();
  writeEpss(m, join(opts.out, files.epss), opts.epssRows);
  writeKev(m, opts.out);
  const hostReleases = writeHosts(m, join(opts.out, files.hosts));
  writeFileSync(join(opts.out, files.universe), JSON.stringify(Object.fromEntries(m.sources.map((s) => [s.name, s.binaries]))));
  m.advanceOneDay();
  await writeTracker(m, join(opts.out, files.tracker2));
  const manifest: Manifest = {
    ...opts,
    generator: GENERATOR_VERSION,
    trackerEntries,
    trackerEntries2: m.entryCount(),
    distinctCves: new Set(m.entries.flat().map((e) => e.cve)).size,
    hostReleases,
    files,
  };
  writeFileSync(join(opts.out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

export function parseGenerateArgs(argv: readonly string[]): GenerateOptions {
  const val = (name: string): string | undefined => {
    const eq = argv.find((a) => a.startsWith(`${name}=`));
    if (eq !== undefined) return eq.slice(name.length + 1);
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number): number => {
    const v = val(name);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} wants a positive integer, got ${v}`);
    return n;
  };
  return {
    out: val('--out') ?? val('--dir') ?? DEFAULTS.out,
    seed: num('--seed', DEFAULTS.seed),
    hosts: num('--hosts', DEFAULTS.hosts),
    packagesPerHost: num('--packages', DEFAULTS.packagesPerHost),
    entries: num('--entries', DEFAULTS.entries),
    sources: num('--sources', DEFAULTS.sources),
    epssRows: num('--epss-rows', DEFAULTS.epssRows),
    kevEntries: num('--kev', DEFAULTS.kevEntries),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = parseGenerateArgs(process.argv.slice(2));
  const t0 = performance.now();
  const manifest = await generate(opts);
  console.log(
    `generated in ${((performance.now() - t0) / 1000).toFixed(1)} s into ${opts.out}: ${manifest.trackerEntries} tracker entries ` +
      `(${manifest.distinctCves} CVEs), ${opts.epssRows} EPSS rows, ${opts.kevEntries} KEV entries, ${opts.hosts} hosts × ${opts.packagesPerHost} packages ${JSON.stringify(manifest.hostReleases)}`,
  );
}
