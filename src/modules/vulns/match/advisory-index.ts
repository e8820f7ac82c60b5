/**
 * The advisories the matcher reads, held in memory and keyed the way hosts are matched: ecosystem → package →
 * statements. Built incrementally from the importers' batches (`add`), it stays compact enough for the whole Debian
 * tracker (about 100,000 entries × 5 releases = 500,000 statements) plus OSV:
 * - strings that repeat (vulnerability ids across releases, fixed versions across CVEs, urgencies, nodsa notes,
 *   ecosystems) are interned, so each is stored once;
 * - a package's statements are three parallel arrays (id, fixed version, shared "tail"), not one object each;
 * - the tail (status, severity, urgency, note, source, and OSV ranges/versions) is shared by every statement with
 *   the same values — almost all Debian statements of one release share a handful of tails;
 * - what the matcher does not need per package (aliases, CVSS vectors, dates, summary) is kept once per
 *   vulnerability (`meta`).
 * KEV and EPSS are held beside it (`setKev`, `setEpss`), with the feed version each came from.
 *
 * Measured (generated tracker, 100,000 entries × 5 releases, descriptions included, strings as `JSON.parse` makes
 * them): about 90 bytes of heap per statement, 45 MB for 500,000 statements.
 */
import { createHash } from 'node:crypto';
import type { AdvisoryStatement, AffectedRange, Ecosystem, EpssRow, KevEntry, Severity, VendorStatus } from '../model.ts';
import { parseDpkgVersion, type DpkgVersion } from '../versions/dpkg-version.ts';

/** What statements with the same status, severity, vendor words and ranges share. Never mutated once made. */
export interface StatementTail {
  readonly status: VendorStatus;
  readonly severity: Severity;
  readonly source: string;
  readonly urgency: string | undefined;
  readonly note: string | undefined;
  readonly ranges: readonly AffectedRange[] | undefined;
  readonly versions: readonly string[] | undefined;
}

/** One package's statements in one ecosystem, as parallel arrays: statement `i` is (`vulns[i]`, `fixed[i]`, `tails[i]`). */
export interface PackageStatements {
  /** The vulnerability's one shared record (id and metadata): the matcher reads it without another lookup. */
  readonly vulns: VulnMeta[];
  readonly fixed: (string | undefined)[];
  readonly tails: StatementTail[];
}

/** Per-vulnerability facts kept once, whichever package or release they came with (merged across feeds). */
export interface VulnMeta {
  readonly id: string;
  aliases: string[];
  cvss: string[];
  published?: string | undefined;
  modified?: string | undefined;
  summary?: string | undefined;
}

export interface IndexStats {
  statements: number;
  ecosystems: number;
  /** (ecosystem, package) pairs. */
  packages: number;
  /** Distinct vulnerability ids. */
  vulnerabilities: number;
  /** Distinct shared tails: small when interning works. */
  tails: number;
  kev: number;
  epss: number;
}

/** Where a vulnerability is known to be exploited, or likely to be: for the finding's id or any alias. */
export interface Exploitation {
  kev?: KevEntry | undefined;
  epss?: EpssRow | undefined;
}

const EMPTY: readonly string[] = [];

/** The key of one (ecosystem, package) statement list in `fingerprints()` and `changedPackages()`. */
export function listKey(ecosystem: Ecosystem, key: string): string {
  return `${ecosystem}\u0000${key}`;
}

/**
 * The key an ecosystem's package names are compared by: PyPI names by PEP 503 (`Foo_Bar` = `foo-bar`), everything
 * else exactly as written (npm, Go, Maven and distro source names are case-sensitive or always lower-case).
 */
export function packageKey(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

/** An index's ecosystems and statement-list digests (`AdvisoryIndex.prints`), as kept between fleet runs. */
export interface IndexPrints {
  ecosystems: readonly string[];
  prints: ReadonlyMap<string, string>;
}

/** The in-memory advisory index. Not safe to `add` to while a `matchInventory` over it is running (single-threaded JS makes that moot). */
export class AdvisoryIndex {
  private readonly byEcosystem: Map<Ecosystem, Map<string, PackageStatements>>;
  private readonly strings: Map<string, string>;
  private readonly tailCache: Map<string, StatementTail>;
  private readonly metas: Map<string, VulnMeta>;
  private readonly dpkgParsed: Map<string, DpkgVersion | null>;
  private readonly ecosystemAlias: Map<string, Ecosystem | null>;
  private kevMap = new Map<string, KevEntry>();
  private epssIndex = new Map<string, number>();
  private epssScores = new Float32Array(0);
  private epssPercentiles = new Float32Array(0);
  private statementCount = 0;
  private packageCount = 0;
  private printCache: Map<string, string> | undefined;
  /** Feed version of the KEV catalog held (content hash or catalog version), `undefined` before `setKev`. */
  kevVersion: string | undefined;
  /** Feed version of the EPSS scores held (the score date), `undefined` before `setEpss`. */
  epssVersion: string | undefined;

  /**
   * An empty index, or (`statementsOf`) one holding the same statements as another, shared, without its KEV and EPSS
   * data: after a KEV or EPSS import the statements need not be read again. Neither may be `add`ed to afterwards.
   */
  constructor(statementsOf?: AdvisoryIndex) {
    const o = statementsOf;
    this.byEcosystem = o ? o.byEcosystem : new Map<Ecosystem, Map<string, PackageStatements>>();
    this.strings = o ? o.strings : new Map<string, string>();
    this.tailCache = o ? o.tailCache : new Map<string, StatementTail>();
    this.metas = o ? o.metas : new Map<string, VulnMeta>();
    this.dpkgParsed = o ? o.dpkgParsed : new Map<string, DpkgVersion | null>();
    this.ecosystemAlias = o ? o.ecosystemAlias : new Map<string, Ecosystem | null>();
    this.statementCount = o ? o.statementCount : 0;
    this.packageCount = o ? o.packageCount : 0;
  }

  /** Add a batch of statements (an importer's batch). Order is kept; the same statement twice is kept twice, harmlessly. */
  add(batch: readonly AdvisoryStatement[]): void {
    for (const s of batch) this.addOne(s);
    this.ecosystemAlias.clear();
    this.printCache = undefined;
  }

  /**
   * A digest per (ecosystem, package) statement list (keyed by `listKey`) of everything a match of that package and
   * the finding it makes read: each statement's id, fixed version and tail, its vulnerability's aliases, CVSS and
   * publication, and the KEV entry and EPSS row of every CVE among them. Two indexes give a package the same digest
   * exactly when matching it against either makes the same findings with the same priority inputs (feed versions
   * aside), so a fleet re-evaluation re-matches only the packages whose digest changed. Computed once per index.
   */
  fingerprints(): ReadonlyMap<string, string> {
    if (this.printCache !== undefined) return this.printCache;
    const out = new Map<string, string>();
    const tailIds = new Map<StatementTail, string>();
    const tailId = (t: StatementTail): string => {
      let id = tailIds.get(t);
      if (id === undefined) {
        id = JSON.stringify([
          t.status,
          t.severity,
          t.source,
          t.urgency ?? null,
          t.note ?? null,
          t.ranges ?? null,
          t.versions ?? null,
        ]);
        if (t.ranges === undefined && t.versions === undefined) tailIds.set(t, id);
      }
      return id;
    };
    const exploit = (cve: string): string => {
      if (!cve.startsWith('CVE-')) return '';
      const k = this.kevMap.get(cve);
      const e = this.epss(cve);
      if (k === undefined && e === undefined) return '';
      return `${k === undefined ? '' : `${k.dateAdded}/${k.dueDate}/${k.ransomware ? 1 : 0}`}|${e === undefined ? '' : `${e.epss}/${e.percentile}`}`;
    };
    for (const [ecosystem, packages] of this.byEcosystem)
      for (const [name, list] of packages) {
        const h = createHash('sha1');
        for (let i = 0; i < list.vulns.length; i++) {
          const m = list.vulns[i] as VulnMeta;
          let line = `${m.id}\u0001${list.fixed[i] ?? ''}\u0001${tailId(list.tails[i] as StatementTail)}\u0001${m.aliases.join(',')}\u0001${m.cvss.join(' ')}\u0001${m.published ?? ''}\u0001${exploit(m.id)}`;
          for (const a of m.aliases) line += `\u0001${exploit(a)}`;
          h.update(line);
          h.update('\n');
        }
        out.set(listKey(ecosystem, name), h.digest('base64'));
      }
    this.printCache = out;
    return out;
  }

  /** What `changedPackages` compares: the ecosystems held and the digest of every statement list. */
  prints(): IndexPrints {
    return { ecosystems: this.ecosystems(), prints: this.fingerprints() };
  }

  /**
   * The statement lists (`listKey`) whose `fingerprints()` differ between `before` (an index, or the prints kept of
   * one) and this index (new, gone or changed), or `undefined` when the two hold different ecosystems (a release's
   * resolution may have moved: every asset needs a full match).
   */
  changedPackages(before: AdvisoryIndex | IndexPrints): Set<string> | undefined {
    const was = before instanceof AdvisoryIndex ? before.prints() : before;
    const mine = this.ecosystems().sort();
    const theirs = [...was.ecosystems].sort();
    if (mine.length !== theirs.length || mine.some((e, i) => e !== theirs[i])) return undefined;
    const a = was.prints;
    const b = this.fingerprints();
    const out = new Set<string>();
    for (const [k, v] of b) if (a.get(k) !== v) out.add(k);
    for (const k of a.keys()) if (!b.has(k)) out.add(k);
    return out;
  }

  private addOne(s: AdvisoryStatement): void {
    const ecosystem = this.intern(s.ecosystem);
    let packages = this.byEcosystem.get(ecosystem);
    if (packages === undefined) {
      packages = new Map();
      this.byEcosystem.set(ecosystem, packages);
    }
    const name = this.intern(packageKey(ecosystem, s.package));
    let bucket = packages.get(name);
    if (bucket === undefined) {
      bucket = { vulns: [], fixed: [], tails: [] };
      packages.set(name, bucket);
      this.packageCount++;
    }
    bucket.vulns.push(this.addMeta(s));
    bucket.fixed.push(s.fixed === undefined || s.fixed === '' ? undefined : this.intern(s.fixed));
    bucket.tails.push(this.tail(s));
    this.statementCount++;
  }

  private tail(s: AdvisoryStatement): StatementTail {
    const hasRanges = s.ranges !== undefined && s.ranges.length > 0;
    const hasVersions = s.versions !== undefined && s.versions.length > 0;
    const urgency = s.urgency === undefined || s.urgency === '' ? undefined : s.urgency;
    const note = s.note === undefined || s.note === '' ? undefined : s.note;
    // Ranges and version lists are nearly unique per statement: those tails are not worth a cache entry.
    const key =
      hasRanges || hasVersions ? undefined : `${s.status}\0${s.severity}\0${s.source}\0${urgency ?? ''}\0${note ?? '\u0001'}`;
    if (key !== undefined) {
      const hit = this.tailCache.get(key);
      if (hit !== undefined) return hit;
    }
    const t: StatementTail = {
      status: s.status,
      severity: s.severity,
      source: this.intern(s.source),
      urgency: urgency === undefined ? undefined : this.intern(urgency),
      note: note === undefined ? undefined : this.intern(note),
      ranges: hasRanges
        ? (s.ranges as AffectedRange[]).map((r) => ({
            ...(r.introduced === undefined ? {} : { introduced: this.intern(r.introduced) }),
            ...(r.fixed === undefined ? {} : { fixed: this.intern(r.fixed) }),
            ...(r.lastAffected === undefined ? {} : { lastAffected: this.intern(r.lastAffected) }),
          }))
        : undefined,
      versions: hasVersions ? (s.versions as string[]).map((v) => this.intern(v)) : undefined,
    };
    if (key !== undefined) this.tailCache.set(key, t);
    return t;
  }

  private addMeta(s: AdvisoryStatement): VulnMeta {
    const vuln = s.vuln;
    const hasAliases = s.aliases.length > 0;
    const hasCvss = s.cvss !== undefined && s.cvss.length > 0;
    let m = this.metas.get(vuln);
    if (m === undefined) {
      m = {
        id: vuln,
        aliases: EMPTY as string[],
        cvss: EMPTY as string[],
        published: undefined,
        modified: undefined,
        summary: undefined,
      };
      this.metas.set(vuln, m);
    }
    if (hasAliases) {
      for (const a of s.aliases)
        if (a !== vuln && !m.aliases.includes(a))
          m.aliases = m.aliases === EMPTY ? [this.intern(a)] : [...m.aliases, this.intern(a)];
    }
    if (hasCvss) {
      for (const v of s.cvss as string[])
        if (!m.cvss.includes(v)) m.cvss = m.cvss === EMPTY ? [this.intern(v)] : [...m.cvss, this.intern(v)];
    }
    // The earliest publication wins (feeds disagree by hours); the first summary and latest modification are kept.
    if (s.published && (m.published === undefined || s.published < m.published)) m.published = s.published;
    if (s.modified && (m.modified === undefined || s.modified > m.modified)) m.modified = s.modified;
    if (s.summary && m.summary === undefined) m.summary = s.summary;
    return m;
  }

  private intern(s: string): string {
    const hit = this.strings.get(s);
    if (hit !== undefined) return hit;
    this.strings.set(s, s);
    return s;
  }

  /**
   * The statements about `name` in `ecosystem`, or `undefined`. An ecosystem with a finer release than the feed's
   * (`AlmaLinux:9.3` for `AlmaLinux:9`) or a coarser one (`Ubuntu:22.04` for OSV's `Ubuntu:22.04:LTS`) is resolved
   * to the one the index holds (see `resolveEcosystem`).
   */
  lookup(ecosystem: Ecosystem, name: string): PackageStatements | undefined {
    const eco = this.resolveEcosystem(ecosystem);
    if (eco === undefined) return undefined;
    return this.byEcosystem.get(eco)?.get(packageKey(eco, name));
  }

  /**
   * The ecosystem key statements for `ecosystem` are held under: itself, else its major release (`AlmaLinux:9.3` →
   * `AlmaLinux:9`), else the one key that extends it (`Ubuntu:22.04` → `Ubuntu:22.04:LTS`); `undefined` when the
   * index holds nothing for it.
   */
  resolveEcosystem(ecosystem: Ecosystem): Ecosystem | undefined {
    if (this.byEcosystem.has(ecosystem)) return ecosystem;
    const cached = this.ecosystemAlias.get(ecosystem);
    if (cached !== undefined) return cached ?? undefined;
    let found: Ecosystem | null = null;
    const colon = ecosystem.indexOf(':');
    if (colon > 0) {
      const major = /^([^:]+:\d+)\.\d+(?:\.\d+)*$/.exec(ecosystem)?.[1];
      if (major !== undefined && this.byEcosystem.has(major)) found = major;
      else {
        const longer = [...this.byEcosystem.keys()].filter((k) => k.startsWith(`${ecosystem}:`));
        if (longer.length === 1) found = longer[0] as Ecosystem;
      }
    }
    this.ecosystemAlias.set(ecosystem, found);
    return found ?? undefined;
  }

  /** Whether the index holds any statement for the ecosystem (after `resolveEcosystem`). */
  hasEcosystem(ecosystem: Ecosystem): boolean {
    return this.resolveEcosystem(ecosystem) !== undefined;
  }

  /** The ecosystems the index holds statements for. */
  ecosystems(): Ecosystem[] {
    return [...this.byEcosystem.keys()];
  }

  /** Aliases, CVSS vectors, dates and summary of a vulnerability, merged over every statement that named it. */
  meta(vuln: string): VulnMeta | undefined {
    return this.metas.get(vuln);
  }

  /**
   * A Debian version parsed once and kept (fixed versions repeat across every host's match); `null` when dpkg would
   * refuse it. The cache holds only the fixed versions hosts have been compared with.
   */
  parsedDpkg(version: string): DpkgVersion | null {
    let p = this.dpkgParsed.get(version);
    if (p === undefined) {
      p = parseDpkgVersion(version);
      this.dpkgParsed.set(version, p);
    }
    return p;
  }

  /** Replace the KEV catalog held, with the feed version it came from. */
  setKev(entries: Iterable<KevEntry>, version: string): void {
    const m = new Map<string, KevEntry>();
    for (const e of entries) m.set(e.cve, e);
    this.kevMap = m;
    this.kevVersion = version;
    this.printCache = undefined;
  }

  /** Replace the EPSS scores held (about 250,000 rows, kept as two float arrays), with the feed version (score date). */
  setEpss(rows: Iterable<EpssRow>, version: string): void {
    const index = new Map<string, number>();
    let scores = new Float32Array(1024);
    let percentiles = new Float32Array(1024);
    let n = 0;
    for (const r of rows) {
      let i = index.get(r.cve);
      if (i === undefined) {
        if (n === scores.length) {
          const s2 = new Float32Array(n * 2);
          s2.set(scores);
          scores = s2;
          const p2 = new Float32Array(n * 2);
          p2.set(percentiles);
          percentiles = p2;
        }
        i = n++;
        index.set(r.cve, i);
      }
      scores[i] = r.epss;
      percentiles[i] = r.percentile;
    }
    this.epssIndex = index;
    this.epssScores = scores.slice(0, n);
    this.epssPercentiles = percentiles.slice(0, n);
    this.epssVersion = version;
    this.printCache = undefined;
  }

  kev(cve: string): KevEntry | undefined {
    return this.kevMap.get(cve);
  }

  /** The EPSS row of a CVE; scores come back rounded to float32 precision, then to the feed's 5 decimals. */
  epss(cve: string): EpssRow | undefined {
    const i = this.epssIndex.get(cve);
    if (i === undefined) return undefined;
    const round = (x: number) => Math.round(x * 1e5) / 1e5;
    return { cve, epss: round(this.epssScores[i] as number), percentile: round(this.epssPercentiles[i] as number) };
  }

  /** KEV entry and EPSS row for a vulnerability, looked up by its id and then each alias (KEV and EPSS key by CVE). */
  exploitation(vuln: string, aliases: readonly string[] = EMPTY): Exploitation {
    let kev = this.kevMap.get(vuln);
    let epss = this.epss(vuln);
    for (const a of aliases) {
      if (kev !== undefined && epss !== undefined) break;
      kev ??= this.kevMap.get(a);
      epss ??= this.epss(a);
    }
    return { kev, epss };
  }

  stats(): IndexStats {
    return {
      statements: this.statementCount,
      ecosystems: this.byEcosystem.size,
      packages: this.packageCount,
      vulnerabilities: this.metas.size,
      tails: this.tailCache.size,
      kev: this.kevMap.size,
      epss: this.epssIndex.size,
    };
  }
}
