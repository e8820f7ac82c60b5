/**
 * The Debian Security Tracker's JSON (https://security-tracker.debian.org/tracker/data/json), read as a stream: a
 * top-level scanner finds each source package's value and hands only that value to `JSON.parse`, so memory stays at
 * one package (plus one input chunk) however large the document grows (about 60 MB today).
 */
import type { AdvisoryStatement, Ecosystem, VendorStatus } from '../model.ts';
import { AdvisoryFeedError, clip } from './feed-error.ts';
import { severityFromVendor } from './severity.ts';
import { toBuffer, type FeedInput } from './feed-stream.ts';

/**
 * Release codename → the release part of the OSV ecosystem (`bookworm` → `Debian:12`). `sid` (unstable) becomes
 * `Debian:sid`: hosts running unstable exist and the tracker states its status, so the statements are kept; the matcher
 * only uses them for hosts whose os-release says `sid`. Codenames not listed here are counted and skipped.
 */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
  sid: 'sid',
};

/** `bookworm` → `Debian:12`, `sid` → `Debian:sid`; `undefined` for a codename the table does not know. */
export function releaseEcosystem(
  codename: string,
  releases: Readonly<Record<string, string>> = DEBIAN_RELEASES,
): Ecosystem | undefined {
  return Object.hasOwn(releases, codename) ? `Debian:${releases[codename]}` : undefined;
}

/** One package's value may not exceed this many bytes (the largest real one, `linux`, is a few MB). */
export const MAX_TRACKER_PACKAGE_BYTES = 32 * 1024 * 1024;
/** The whole document may not exceed this many bytes. */
export const MAX_TRACKER_DOCUMENT_BYTES = 1024 * 1024 * 1024;
/** Release entries with a shape or status this parser does not understand that are tolerated before giving up. */
export const MAX_TRACKER_SKIPPED = 1000;
const MAX_KEY_BYTES = 1024;
const MAX_SKIP_SAMPLES = 20;
const MAX_UNKNOWN_RELEASES = 100;

export interface DebianTrackerOptions {
  /** Codename → release table; defaults to `DEBIAN_RELEASES`. */
  releases?: Readonly<Record<string, string>>;
  maxPackageBytes?: number;
  maxDocumentBytes?: number;
  /** Fewer packages than this is a broken download, not an empty tracker (default 1). */
  minPackages?: number;
  /** More odd release entries than this means the format changed: fail rather than import a hollow feed. */
  maxSkipped?: number;
}

export interface TrackerSkip {
  package: string;
  vuln: string;
  release?: string | undefined;
  reason: string;
}

/** What a finished parse read; the generator's return value (see `drainAdvisoryBatches`). */
export interface DebianTrackerSummary {
  packages: number;
  /** (package, vulnerability) entries. */
  entries: number;
  statements: number;
  bytes: number;
  /** Codenames not in the release table (e.g. a future one) with how many release entries were skipped. */
  unknownReleases: Record<string, number>;
  /** Release entries whose shape or status was not understood: counted, the first few kept. */
  skipped: number;
  skippedSamples: TrackerSkip[];
}

/** The fields of one release entry that decide the vendor status. */
export interface TrackerReleaseFields {
  status: string;
  fixed_version?: string | undefined;
  urgency?: string | undefined;
  nodsa_reason?: string | undefined;
}

/**
 * The tracker's verdict for one release as a `VendorStatus`, or `null` when it is not one the tracker defines.
 * `resolved` with `fixed_version "0"` is not affected, with a version fixed; `undetermined` stays undetermined; `open`
 * is end of life or unimportant by urgency, ignored or postponed by `nodsa_reason`, and otherwise has no fix yet.
 */
export function debianVendorStatus(r: TrackerReleaseFields): VendorStatus | null {
  if (r.status === 'resolved') {
    if (r.fixed_version === '0') return 'not_affected';
    return r.fixed_version !== undefined && r.fixed_version !== '' ? 'fixed' : null;
  }
  if (r.status === 'undetermined') return 'undetermined';
  if (r.status !== 'open') return null;
  const urgency = r.urgency?.replace(/\*/g, '').trim();
  if (urgency === 'end-of-life') return 'end_of_life';
  if (urgency === 'unimportant') return 'unimportant';
  if (r.nodsa_reason === 'ignored') return 'ignored';
  if (r.nodsa_reason === 'postponed') return 'postponed';
  return 'no_fix';
}

// Scanner states (top level of the document only; package values are skipped over and parsed whole).
const BEFORE_DOC = 0;
const FIRST_KEY = 1;
const NEXT_KEY = 2;
const IN_KEY = 3;
const IN_KEY_ESCAPE = 4;
const COLON = 5;
const VALUE_START = 6;
const IN_VALUE = 7;
const IN_VALUE_STRING = 8;
const IN_VALUE_ESCAPE = 9;
const AFTER_VALUE = 10;
const AFTER_DOC = 11;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON_CHAR = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Parse the tracker JSON from a stream of chunks (a `Readable`, a fetch body, a file stream), yielding the statements
 * of one source package at a time: one per (package, CVE or TEMP id, known release). Chunks may split the document
 * anywhere, including inside strings, escapes and multi-byte UTF-8 characters.
 *
 * All or nothing for the caller: a malformed document (not an object, truncated, trailing data, a package value that
 * is not an object or not valid JSON, a package listed twice, a package over `maxPackageBytes`) throws an
 * `AdvisoryFeedError` naming the byte offset and package, after earlier packages were already yielded. Write the
 * batches inside one transaction and roll it back when the loop throws, so the last good data stays. The generator
 * returns a `DebianTrackerSummary`.
 */
export async function* parseDebianTracker(
  input: FeedInput,
  opts: DebianTrackerOptions = {},
): AsyncGenerator<AdvisoryStatement[], DebianTrackerSummary> {
  const maxPackageBytes = opts.maxPackageBytes ?? MAX_TRACKER_PACKAGE_BYTES;
  const maxDocumentBytes = opts.maxDocumentBytes ?? MAX_TRACKER_DOCUMENT_BYTES;
  const minPackages = opts.minPackages ?? 1;
  const summary: DebianTrackerSummary = {
    packages: 0,
    entries: 0,
    statements: 0,
    bytes: 0,
    unknownReleases: {},
    skipped: 0,
    skippedSamples: [],
  };
  const converter = new PackageConverter(opts.releases ?? DEBIAN_RELEASES, opts.maxSkipped ?? MAX_TRACKER_SKIPPED, summary);
  const seen = new Set<string>();

  let state = BEFORE_DOC;
  let base = 0; // absolute offset of the current chunk's first byte
  let depth = 0;
  let parts: Buffer[] = []; // earlier chunks' pieces of the key or value being collected
  let partBytes = 0;
  let tokenOffset = 0; // absolute offset where the key or value being collected starts
  let pkg = '';

  const fail = (reason: string, at: number, withPackage = true): AdvisoryFeedError =>
    new AdvisoryFeedError('debian-tracker', reason, { offset: at, package: withPackage && pkg !== '' ? pkg : undefined });
  const take = (buf: Buffer, start: number, end: number): Buffer => {
    if (parts.length === 0) return buf.subarray(start, end);
    parts.push(buf.subarray(start, end));
    const all = Buffer.concat(parts, partBytes + end - start);
    parts = [];
    partBytes = 0;
    return all;
  };

  for await (const chunk of input) {
    const buf = toBuffer(chunk);
    const n = buf.length;
    if (base + n > maxDocumentBytes) throw fail(`the document is larger than ${maxDocumentBytes} bytes`, base, false);
    let i = 0;
    let start = 0; // where the key or value being collected starts in this chunk
    while (i < n) {
      if (state === IN_VALUE || state === IN_VALUE_STRING || state === IN_VALUE_ESCAPE) {
        // The hot loop: skip over one package's value, tracking strings and nesting.
        let s = state;
        let d = depth;
        let done = false;
        for (; i < n; i++) {
          const c = buf[i] as number;
          if (s === IN_VALUE_STRING) {
            if (c === QUOTE) s = IN_VALUE;
            else if (c === BACKSLASH) s = IN_VALUE_ESCAPE;
          } else if (s === IN_VALUE) {
            if (c === QUOTE) s = IN_VALUE_STRING;
            else if (c === OPEN_BRACE || c === OPEN_BRACKET) d++;
            else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --d === 0) {
              done = true;
              i++;
              break;
            }
          } else s = IN_VALUE_STRING;
        }
        state = s;
        depth = d;
        if (!done) break;
        const size = partBytes + i - start;
        if (size > maxPackageBytes) throw fail(`the package's value is larger than ${maxPackageBytes} bytes`, tokenOffset);
        const bytes = take(buf, start, i);
        let value: unknown;
        try {
          value = JSON.parse(bytes.toString('utf8'));
        } catch (err) {
          throw fail(`the package's value is not valid JSON (${(err as Error).message})`, tokenOffset);
        }
        summary.packages++;
        const statements = converter.convert(pkg, value as Record<string, unknown>);
        state = AFTER_VALUE;
        if (statements.length > 0) {
          summary.statements += statements.length;
          yield statements;
        }
        continue;
      }
      const c = buf[i] as number;
      if (state === IN_KEY) {
        if (c === QUOTE) {
          const size = partBytes + i + 1 - start;
          if (size > MAX_KEY_BYTES) throw fail(`a package name is longer than ${MAX_KEY_BYTES} bytes`, tokenOffset, false);
          let name: unknown;
          try {
            name = JSON.parse(take(buf, start, i + 1).toString('utf8'));
          } catch (err) {
            throw fail(`the package name is not a valid JSON string (${(err as Error).message})`, tokenOffset, false);
          }
          pkg = name as string;
          if (!/^[^\s/]{1,200}$/.test(pkg)) throw fail(`"${clip(pkg)}" is not a source package name`, tokenOffset, false);
          if (seen.has(pkg)) throw fail('the package is listed twice', tokenOffset);
          seen.add(pkg);
          state = COLON;
        } else if (c === BACKSLASH) state = IN_KEY_ESCAPE;
        i++;
        continue;
      }
      if (state === IN_KEY_ESCAPE) {
        state = IN_KEY;
        i++;
        continue;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      const at = base + i;
      switch (state) {
        case BEFORE_DOC:
          if (c === OPEN_BRACE) state = FIRST_KEY;
          else if (!(at < 3 && (c === 0xef || c === 0xbb || c === 0xbf))) {
            throw fail('the document does not start with "{" (expected the tracker\'s JSON object)', at, false);
          }
          break;
        case FIRST_KEY:
        case NEXT_KEY:
          if (c === QUOTE) {
            state = IN_KEY;
            start = i;
            tokenOffset = at;
            pkg = '';
          } else if (c === CLOSE_BRACE && state === FIRST_KEY) state = AFTER_DOC;
          else throw fail(`expected a package name in quotes, found ${describeByte(c)}`, at);
          break;
        case COLON:
          if (c !== COLON_CHAR) throw fail(`expected ":" after the package name, found ${describeByte(c)}`, at);
          state = VALUE_START;
          break;
        case VALUE_START:
          if (c !== OPEN_BRACE) throw fail(`the package's value is not an object (it starts with ${describeByte(c)})`, at);
          state = IN_VALUE;
          depth = 1;
          start = i;
          tokenOffset = at;
          break;
        case AFTER_VALUE:
          if (c === COMMA) state = NEXT_KEY;
          else if (c === CLOSE_BRACE) state = AFTER_DOC;
          else throw fail(`expected "," or "}" after the package, found ${describeByte(c)}`, at);
          break;
        default:
          throw fail(`unexpected data after the end of the document (${describeByte(c)})`, at, false);
      }
      i++;
    }
    if (
      state === IN_KEY ||
      state === IN_KEY_ESCAPE ||
      state === IN_VALUE ||
      state === IN_VALUE_STRING ||
      state === IN_VALUE_ESCAPE
    ) {
      // The token continues in the next chunk: keep this chunk's piece of it, within bounds.
      const limit = state === IN_KEY || state === IN_KEY_ESCAPE ? MAX_KEY_BYTES : maxPackageBytes;
      partBytes += n - start;
      if (partBytes > limit)
        throw state === IN_KEY || state === IN_KEY_ESCAPE
          ? fail(`a package name is longer than ${MAX_KEY_BYTES} bytes`, tokenOffset, false)
          : fail(`the package's value is larger than ${maxPackageBytes} bytes`, tokenOffset);
      parts.push(buf.subarray(start, n));
    }
    base += n;
  }
  summary.bytes = base;
  if (state !== AFTER_DOC) {
    const where =
      state === BEFORE_DOC
        ? 'the document is empty'
        : state === IN_VALUE || state === IN_VALUE_STRING || state === IN_VALUE_ESCAPE
          ? `the document ends inside the package's value (started at byte ${tokenOffset})`
          : 'the document ends before its closing "}"';
    throw fail(`truncated: ${where}`, base);
  }
  if (summary.packages < minPackages)
    throw fail(`the document lists ${summary.packages} packages, fewer than the ${minPackages} expected`, base, false);
  return summary;
}

function describeByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : null;
}

/** Turns one package's parsed value into statements, counting what it cannot use. */
class PackageConverter {
  constructor(
    private readonly releases: Readonly<Record<string, string>>,
    private readonly maxSkipped: number,
    private readonly summary: DebianTrackerSummary,
  ) {}

  convert(pkg: string, value: Record<string, unknown>): AdvisoryStatement[] {
    const out: AdvisoryStatement[] = [];
    for (const vuln in value) {
      const entry = value[vuln];
      this.summary.entries++;
      if (!isObject(entry)) {
        this.skip(pkg, vuln, undefined, 'the entry is not an object');
        continue;
      }
      const releases = entry.releases;
      if (releases === undefined) continue;
      if (!isObject(releases)) {
        this.skip(pkg, vuln, undefined, '"releases" is not an object');
        continue;
      }
      const description = optionalString(entry.description);
      for (const codename in releases) {
        const ecosystem = releaseEcosystem(codename, this.releases);
        if (ecosystem === undefined) {
          this.unknownRelease(codename);
          continue;
        }
        const rel = releases[codename];
        if (!isObject(rel)) {
          this.skip(pkg, vuln, codename, 'the release entry is not an object');
          continue;
        }
        const fixed = optionalString(rel.fixed_version);
        const urgency = optionalString(rel.urgency);
        const nodsa = optionalString(rel.nodsa);
        const reason = optionalString(rel.nodsa_reason);
        if (typeof rel.status !== 'string' || fixed === null || urgency === null || nodsa === null || reason === null) {
          this.skip(pkg, vuln, codename, 'status, fixed_version, urgency, nodsa or nodsa_reason is not a string');
          continue;
        }
        const status = debianVendorStatus({ status: rel.status, fixed_version: fixed, urgency, nodsa_reason: reason });
        if (status === null) {
          this.skip(pkg, vuln, codename, `status "${clip(rel.status, 40)}" with fixed_version "${clip(fixed ?? '', 40)}"`);
          continue;
        }
        const s: AdvisoryStatement = {
          source: 'debian-tracker',
          vuln,
          aliases: [],
          ecosystem,
          package: pkg,
          status,
          severity: status === 'unimportant' ? 'negligible' : severityFromVendor(urgency),
        };
        // An open entry can carry the version that fixed it in unstable: kept, since having it installed is a fix.
        if (fixed !== undefined && fixed !== '' && fixed !== '0') s.fixed = fixed;
        if (urgency !== undefined && urgency !== '') s.urgency = urgency;
        if (nodsa !== undefined && nodsa !== '') s.note = nodsa;
        else if (rel.next_point_update === true) s.note = 'to be fixed in the next point release';
        if (description !== undefined && description !== null && description !== '') s.summary = description;
        out.push(s);
      }
    }
    return out;
  }

  private unknownRelease(codename: string): void {
    const u = this.summary.unknownReleases;
    if (Object.hasOwn(u, codename)) u[codename] = (u[codename] as number) + 1;
    else if (Object.keys(u).length < MAX_UNKNOWN_RELEASES) u[clip(codename, 40)] = 1;
  }

  private skip(pkg: string, vuln: string, release: string | undefined, reason: string): void {
    this.summary.skipped++;
    if (this.summary.skippedSamples.length < MAX_SKIP_SAMPLES)
      this.summary.skippedSamples.push({ package: pkg, vuln: clip(vuln, 80), release, reason });
    if (this.summary.skipped > this.maxSkipped)
      throw new AdvisoryFeedError(
        'debian-tracker',
        `more than ${this.maxSkipped} release entries could not be read (the format may have changed); last: ${clip(vuln, 80)}${release === undefined ? '' : ` in ${release}`}: ${reason}`,
        { package: pkg },
      );
  }
}
