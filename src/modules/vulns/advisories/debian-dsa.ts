/**
 * The DSA and DLA lists of the security tracker repository (`data/DSA/list`, `data/DLA/list`): when each Debian
 * advisory was published, which CVEs it fixed and in which source version per release.
 */
import type { DebianAdvisory } from '../model.ts';
import { AdvisoryFeedError, clip } from './feed-error.ts';
import { readLineBatches, type FeedInput } from './feed-stream.ts';

/** One advisory as the list states it, with what `DebianAdvisory` has no room for. */
export interface DebianAdvisoryEntry extends DebianAdvisory {
  /** `DSA`, `DLA` (or `DTSA` in old testing lists): the id's prefix. */
  kind: string;
  /** The header's text after the package (`security update`, `regression update`, `buffer overflow`). */
  title: string;
  /** Every fixed source package named in the body: package → release → version. Usually only `package` itself, but
   * old advisories name the real source (`DSA-692-1 kppp` fixed `kdenetwork`). */
  packages: Record<string, Record<string, string>>;
  /** Release → reason, from `[bullseye] - foo <not-affected> (reason)`. */
  notAffected: Record<string, string>;
  /** `NOTE:` lines, without the prefix. */
  notes: string[];
  /** 1-based line of the header, for messages. */
  line: number;
}

export interface DebianAdvisoryListSummary {
  advisories: number;
  lines: number;
}

export interface DebianAdvisoryListOptions {
  maxBytes?: number;
  maxLineChars?: number;
  /** Fewer advisories than this is a broken download (default 1). */
  minAdvisories?: number;
}

/** The DSA list is under 1 MB today; this leaves room and still bounds memory. */
export const MAX_DSA_LIST_BYTES = 64 * 1024 * 1024;
const MAX_LINE_CHARS = 8192;
const MAX_NOTES = 50;

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};
const HEADER = /^\[(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})\] ((D[SL]A|DTSA)-\d+(?:-\d+)?) ([a-z0-9][a-z0-9+.-]*)(\s.*)?$/;
const RELEASE = /^\[([a-z][a-z0-9-]*)\] - ([a-z0-9][a-z0-9+.-]*)(?: +(.*))?$/;
const TAG = /^<([a-z-]+)>(?: +\((.*)\))?\s*$/;
const VERSION = /^[A-Za-z0-9.+~:-]+$/;
const CVE = /^CVE-\d{4}-\d{4,}$/;

/**
 * Parse a DSA or DLA list line by line, yielding completed advisories in batches. The first line that is neither a
 * header (`[12 Feb 2024] DSA-5620-1 unbound - security update`) nor an indented body line (`{CVE …}`,
 * `[bookworm] - unbound 1.17.1-2+deb12u2`, `[bullseye] - foo <not-affected> (reason)`, `NOTE: …`) throws an
 * `AdvisoryFeedError` with its line number. Returns a summary.
 */
export async function* parseDebianAdvisoryList(
  input: FeedInput,
  opts: DebianAdvisoryListOptions = {},
): AsyncGenerator<DebianAdvisoryEntry[], DebianAdvisoryListSummary> {
  let current: DebianAdvisoryEntry | undefined;
  let lineNo = 0;
  let advisories = 0;
  const batches = readLineBatches(input, 'debian-dsa', {
    maxBytes: opts.maxBytes ?? MAX_DSA_LIST_BYTES,
    maxLineChars: opts.maxLineChars ?? MAX_LINE_CHARS,
  });
  for await (const lines of batches) {
    const done: DebianAdvisoryEntry[] = [];
    for (const raw of lines) {
      lineNo++;
      const fail = (reason: string): AdvisoryFeedError =>
        new AdvisoryFeedError('debian-dsa', `${reason}: "${clip(raw)}"`, { line: lineNo, id: current?.id });
      if (raw.trim() === '') continue;
      if (raw.startsWith('[')) {
        const m = HEADER.exec(raw);
        if (!m) throw fail('not an advisory header ("[DD Mon YYYY] DSA-NNNN-N package - title")');
        const [, day, month, year, id, kind, pkg, rest = ''] = m as unknown as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
          string | undefined,
        ];
        const mm = MONTHS[month];
        if (mm === undefined || Number(day) < 1 || Number(day) > 31) throw fail(`"${day} ${month} ${year}" is not a date`);
        if (current) done.push(current);
        advisories++;
        current = {
          id,
          kind,
          date: `${year}-${mm}-${day.padStart(2, '0')}`,
          package: pkg,
          title: rest.replace(/^\s*-*\s*/, '').trim(),
          cves: [],
          fixed: {},
          packages: {},
          notAffected: {},
          notes: [],
          line: lineNo,
        };
        continue;
      }
      // Body lines are indented with a tab (a few old ones with spaces).
      if (raw[0] !== '\t' && raw[0] !== ' ') throw fail('not an advisory header or an indented line');
      if (!current) throw fail('a body line before the first advisory header');
      const body = raw.trim();
      if (body.startsWith('{')) {
        if (!body.endsWith('}')) throw fail('an id list without its closing "}"');
        for (const token of body.slice(1, -1).split(/\s+/))
          if (CVE.test(token) && !current.cves.includes(token)) current.cves.push(token);
      } else if (body.startsWith('[')) {
        const m = RELEASE.exec(body);
        if (!m) throw fail('not a release line ("[release] - package version")');
        const [, release, pkg, rest] = m as unknown as [string, string, string, string | undefined];
        if (rest === undefined) throw fail('the release line has no version');
        if (rest.startsWith('<')) {
          const tag = TAG.exec(rest);
          if (!tag) throw fail('not a release state ("<not-affected> (reason)")');
          if (tag[1] === 'not-affected') current.notAffected[release] = tag[2] ?? '';
          continue;
        }
        // The version may be followed by a note in parentheses: `1.6.6-1.3woody1 (medium)`, `(bug #304793)`.
        const version = rest.split(' ', 1)[0] as string;
        if (!VERSION.test(version)) throw fail(`"${clip(version, 60)}" is not a Debian version`);
        (current.packages[pkg] ??= {})[release] = version;
        if (pkg === current.package) current.fixed[release] = version;
      } else if (body.startsWith('NOTE:')) {
        if (current.notes.length < MAX_NOTES) current.notes.push(body.slice(5).trim());
      } else throw fail('not an id list, release line or NOTE');
    }
    if (done.length > 0) yield done;
  }
  if (current) yield [current];
  if (advisories < (opts.minAdvisories ?? 1))
    throw new AdvisoryFeedError('debian-dsa', `the list has ${advisories} advisories, fewer than expected`, { line: lineNo });
  return { advisories, lines: lineNo };
}
