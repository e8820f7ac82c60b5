import { Readable } from 'node:stream';
import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AdvisoryStatement } from '../model.ts';
import { debianVendorStatus, parseDebianTracker, releaseEcosystem, type DebianTrackerOptions } from './debian-tracker.ts';
import { AdvisoryFeedError } from './feed-error.ts';
import { drainFeed } from './feed-stream.ts';

const FIXTURE = new URL('./fixtures/debian-tracker.json', import.meta.url);
const fixture = readFileSync(FIXTURE);

async function parse(parts: (Buffer | string)[], opts?: DebianTrackerOptions): Promise<AdvisoryStatement[]> {
  const out: AdvisoryStatement[] = [];
  await drainFeed(parseDebianTracker(Readable.from(parts), opts), (b) => {
    out.push(...b);
  });
  return out;
}

async function parseError(parts: (Buffer | string)[], opts?: DebianTrackerOptions): Promise<AdvisoryFeedError> {
  try {
    await parse(parts, opts);
  } catch (err) {
    if (err instanceof AdvisoryFeedError) return err;
    throw err;
  }
  throw new Error('expected the parse to fail');
}

const find = (all: AdvisoryStatement[], pkg: string, vuln: string, ecosystem: string): AdvisoryStatement | undefined =>
  all.find((s) => s.package === pkg && s.vuln === vuln && s.ecosystem === ecosystem);

describe('releaseEcosystem', () => {
  it('maps codenames to OSV ecosystems, sid to Debian:sid, and nothing else', () => {
    expect(releaseEcosystem('buster')).toBe('Debian:10');
    expect(releaseEcosystem('bullseye')).toBe('Debian:11');
    expect(releaseEcosystem('bookworm')).toBe('Debian:12');
    expect(releaseEcosystem('trixie')).toBe('Debian:13');
    expect(releaseEcosystem('forky')).toBe('Debian:14');
    expect(releaseEcosystem('sid')).toBe('Debian:sid');
    expect(releaseEcosystem('bookworm-security')).toBeUndefined();
    expect(releaseEcosystem('constructor')).toBeUndefined();
    expect(releaseEcosystem('toString')).toBeUndefined();
  });
});

describe('debianVendorStatus', () => {
  it.each([
    [{ status: 'resolved', fixed_version: '0' }, 'not_affected'],
    [{ status: 'resolved', fixed_version: '1.2-1' }, 'fixed'],
    [{ status: 'resolved' }, null],
    [{ status: 'open', urgency: 'low', nodsa_reason: 'postponed' }, 'postponed'],
    [{ status: 'open', urgency: 'low', nodsa_reason: 'ignored' }, 'ignored'],
    [{ status: 'open', urgency: 'unimportant' }, 'unimportant'],
    [{ status: 'open', urgency: 'end-of-life' }, 'end_of_life'],
    [{ status: 'undetermined', urgency: 'not yet assigned' }, 'undetermined'],
    [{ status: 'open', urgency: 'high**', nodsa_reason: '' }, 'no_fix'],
    [{ status: 'open', urgency: 'not yet assigned' }, 'no_fix'],
    [{ status: 'fixed-ish' }, null],
  ] as const)('%o → %s', (fields, expected) => {
    expect(debianVendorStatus(fields)).toBe(expected);
  });
});

describe('parseDebianTracker', () => {
  it('turns every release entry of the sample into a statement with the vendor status kept', async () => {
    const all = await parse([fixture]);
    expect(all).toHaveLength(28);
    expect(find(all, 'bind9', 'CVE-2023-50387', 'Debian:12')).toEqual({
      source: 'debian-tracker',
      vuln: 'CVE-2023-50387',
      aliases: [],
      ecosystem: 'Debian:12',
      package: 'bind9',
      status: 'fixed',
      fixed: '1:9.18.24-1',
      severity: 'unknown',
      urgency: 'not yet assigned',
      summary: expect.stringContaining('aka the "KeyTrap" issue.') as string,
    });
    expect(find(all, 'bind9', 'CVE-2023-50387', 'Debian:sid')?.status).toBe('fixed');
    // fixed_version "0": the release never had the vulnerable code.
    const notAffected = find(all, 'curl', 'CVE-2023-38545', 'Debian:11');
    expect(notAffected?.status).toBe('not_affected');
    expect(notAffected?.fixed).toBeUndefined();
    expect(find(all, 'curl', 'CVE-2023-38545', 'Debian:10')?.status).toBe('not_affected');
    // no-dsa without a reason: affected, no fix yet, with Debian's note and urgency.
    expect(find(all, 'curl', 'CVE-2023-28320', 'Debian:11')).toMatchObject({
      status: 'no_fix',
      severity: 'low',
      urgency: 'low',
      note: 'Minor issue',
    });
    const temp = find(all, 'curl', 'TEMP-0000000-1E0E4F', 'Debian:12');
    expect(temp).toMatchObject({
      status: 'unimportant',
      severity: 'negligible',
      summary: 'curl: --remove-on-error leaks file names',
    });
    expect(find(all, 'glibc', 'CVE-2010-4756', 'Debian:13')?.status).toBe('unimportant');
    expect(find(all, 'glibc', 'CVE-2024-2961', 'Debian:12')).toMatchObject({
      status: 'fixed',
      severity: 'high',
      urgency: 'high**',
    });
    // Open in testing, fixed in unstable: the version that fixes it is kept.
    expect(find(all, 'glibc', 'CVE-2024-2961', 'Debian:13')).toMatchObject({ status: 'no_fix', fixed: '2.37-18' });
    expect(find(all, 'imagemagick', 'CVE-2023-34151', 'Debian:12')).toMatchObject({ status: 'postponed', note: 'Minor issue' });
    expect(find(all, 'imagemagick', 'CVE-2023-34151', 'Debian:sid')?.status).toBe('no_fix');
    expect(find(all, 'linux', 'CVE-2024-26581', 'Debian:10')).toMatchObject({ status: 'end_of_life', severity: 'unknown' });
    expect(find(all, 'linux', 'CVE-2024-26581', 'Debian:10')?.note).toBeUndefined();
    expect(find(all, 'linux', 'CVE-2024-26640', 'Debian:12')?.status).toBe('undetermined');
    expect(find(all, 'openssl', 'CVE-2023-5678', 'Debian:11')).toMatchObject({ status: 'ignored', note: 'Minor issue' });
    expect(find(all, 'rsyslog', 'CVE-2022-24903', 'Debian:11')?.severity).toBe('medium');
    expect(find(all, 'rsyslog', 'CVE-2022-24903', 'Debian:12')?.summary).toContain('Über-long “frames” are the trigger 🚀.');
    expect(find(all, 'xz-utils', 'CVE-2024-3094', 'Debian:12')?.status).toBe('not_affected');
    expect(find(all, 'xz-utils', 'CVE-2024-3094', 'Debian:12')?.summary).toContain('Ünïcödé «test» — 日本語.');
    const statuses = new Set(all.map((s) => s.status));
    expect([...statuses].sort()).toEqual(
      ['end_of_life', 'fixed', 'ignored', 'no_fix', 'not_affected', 'postponed', 'undetermined', 'unimportant'].sort(),
    );
  });

  it('yields one batch per package and returns a summary', async () => {
    const batches: string[][] = [];
    const summary = await drainFeed(parseDebianTracker(Readable.from([fixture])), (b) => {
      batches.push([...new Set(b.map((s) => s.package))]);
    });
    expect(batches).toEqual([['bind9'], ['curl'], ['glibc'], ['imagemagick'], ['linux'], ['openssl'], ['rsyslog'], ['xz-utils']]);
    expect(summary).toMatchObject({ packages: 8, entries: 12, statements: 28, bytes: fixture.length, skipped: 0 });
  });

  it('gives the same result wherever the chunks split the document, inside strings, escapes and UTF-8 too', async () => {
    const whole = await parse([fixture]);
    for (let cut = 1; cut < fixture.length; cut++) {
      const split = await parse([fixture.subarray(0, cut), fixture.subarray(cut)]);
      if (split.length !== whole.length) throw new Error(`cut at ${cut}: ${split.length} statements`);
      expect(split, `cut at ${cut}`).toEqual(whole);
    }
    const bytes = [...fixture].map((b) => Buffer.from([b]));
    expect(await parse(bytes)).toEqual(whole);
  });

  it('decodes escaped keys and values whatever the chunking', async () => {
    const doc =
      '{"pkg\\u002dname": {"CVE-2024-0001": {"description": "ends with a backslash \\\\", "releases": ' +
      '{"bookworm": {"status": "resolved", "fixed_version": "1.0-1", "urgency": "low"}}}}, ' +
      '"other": {"CVE-2024-0002": {"description": "quote \\" brace } bracket ] é", "releases": {}}, ' +
      '"CVE-2024-0003": {"description": "x", "releases": {"trixie": {"status": "open", "urgency": "medium"}}}}}';
    const buf = Buffer.from(doc);
    const expected = [
      expect.objectContaining({
        package: 'pkg-name',
        vuln: 'CVE-2024-0001',
        summary: 'ends with a backslash \\',
        status: 'fixed',
      }),
      expect.objectContaining({ package: 'other', vuln: 'CVE-2024-0003', ecosystem: 'Debian:13', status: 'no_fix' }),
    ];
    for (let cut = 1; cut < buf.length; cut++) {
      expect(await parse([buf.subarray(0, cut), buf.subarray(cut)])).toEqual(expected);
    }
    expect(await parse([doc])).toEqual(expected);
  });

  it('reads the compact form the tracker serves and notes a fix planned for the next point release', async () => {
    const doc =
      '{"zlib":{"CVE-2023-45853":{"description":"MiniZip in zlib through 1.3 has an integer overflow","scope":"remote",' +
      '"releases":{"bookworm":{"status":"open","repositories":{"bookworm":"1:1.2.13.dfsg-1"},"urgency":"not yet assigned",' +
      '"next_point_update":true},"sid":{"status":"resolved","repositories":{"sid":"1:1.3.dfsg-3.1"},' +
      '"fixed_version":"1:1.3.dfsg-3.1","urgency":"not yet assigned"}}}}}';
    const [bookworm, sid] = await parse([doc]);
    expect(bookworm).toMatchObject({ status: 'no_fix', note: 'to be fixed in the next point release', ecosystem: 'Debian:12' });
    expect(sid).toMatchObject({ status: 'fixed', fixed: '1:1.3.dfsg-3.1', ecosystem: 'Debian:sid' });
  });

  it('reads a file stream in small chunks', async () => {
    const out: AdvisoryStatement[] = [];
    for await (const b of parseDebianTracker(createReadStream(FIXTURE, { highWaterMark: 7 }))) out.push(...b);
    expect(out).toEqual(await parse([fixture]));
  });

  it('rejects every truncation of the document', async () => {
    const end = fixture.lastIndexOf('}') + 1;
    for (let len = 0; len < end; len++) {
      const err = await parseError([fixture.subarray(0, len)]);
      expect(err.message, `length ${len}`).toMatch(/truncated|empty/);
      expect(err.location.offset).toBe(len);
    }
  });

  it('names the offset and package of a value that is not an object', async () => {
    const doc = '{"ok": {"CVE-2024-1": {"releases": {}}}, "bad": ["CVE-2024-2"]}';
    const err = await parseError([doc]);
    expect(err.code).toBe('advisory_feed_malformed');
    expect(err.location).toEqual({ offset: doc.indexOf('['), package: 'bad' });
    expect(err.message).toBe(
      `debian-tracker: byte ${doc.indexOf('[')}, package "bad": the package's value is not an object (it starts with "[")`,
    );
    expect((await parseError(['{"x": "text"}'])).location.package).toBe('x');
    expect((await parseError(['{"x": null}'])).location.package).toBe('x');
  });

  it('rejects trailing data, a top level that is not an object, invalid JSON inside a value and duplicates', async () => {
    const good = '{"a": {"CVE-2024-1": {"releases": {"bookworm": {"status": "open"}}}}}';
    const trailing = await parseError([good + '\n  x']);
    expect(trailing.message).toContain('unexpected data after the end of the document');
    expect(trailing.location.offset).toBe(good.length + 3);
    expect((await parseError([good + '{}'])).location.offset).toBe(good.length);
    expect((await parseError(['[{"a": 1}]'])).message).toContain('does not start with "{"');
    const broken = '{"a": {"CVE-2024-1": {releases: 1}}}';
    const err = await parseError([broken]);
    expect(err.location).toEqual({ offset: 6, package: 'a' });
    expect(err.message).toContain('not valid JSON');
    expect((await parseError(['{"a": {} "b": {}}'])).message).toContain('expected "," or "}"');
    expect((await parseError(['{"a" {}}'])).message).toContain('expected ":"');
    expect((await parseError(['{"a": {}, }'])).message).toContain('expected a package name');
    expect((await parseError(['{"a": {"x": 1]}'])).message).toContain('not valid JSON');
    const dup = await parseError(['{"a": {}, "a": {}}']);
    expect(dup.location).toEqual({ offset: 10, package: 'a' });
    expect(dup.message).toContain('listed twice');
  });

  it('bounds the size of one package and of a package name', async () => {
    const big = `{"a": {"CVE-2024-1": {"description": "${'x'.repeat(5000)}", "releases": {}}}}`;
    const err = await parseError([big.slice(0, 1000), big.slice(1000)], { maxPackageBytes: 4096 });
    expect(err.message).toContain('larger than 4096 bytes');
    expect(err.location.package).toBe('a');
    expect(await parse([big], { maxPackageBytes: 8192 })).toEqual([]);
    expect((await parseError([`{"${'p'.repeat(2000)}": {}}`])).message).toContain('longer than 1024 bytes');
    expect((await parseError([big], { maxDocumentBytes: 100 })).message).toContain('larger than 100 bytes');
  });

  it('rejects an empty tracker unless told otherwise', async () => {
    expect((await parseError(['{}'])).message).toContain('lists 0 packages');
    expect((await parseError([''])).message).toContain('empty');
    expect(await parse([' {} '], { minPackages: 0 })).toEqual([]);
  });

  it('counts unknown releases and odd entries, and fails when there are too many odd ones', async () => {
    const doc = Buffer.from(
      '{"a": {"CVE-2024-1": {"releases": {"bookworm": {"status": "frozen"}, "sid": {"status": "open"}, ' +
        '"bullseye": {"status": "resolved"}, "trixie": "open", "forky": {"status": "open", "urgency": 3}}}, ' +
        '"CVE-2024-2": ["bad"], "CVE-2024-3": {"releases": 7}}}',
    );
    const gen = parseDebianTracker(Readable.from([doc]), {
      releases: { bookworm: '12', bullseye: '11', trixie: '13', forky: '14' },
    });
    const summary = await drainFeed(gen, () => undefined);
    expect(summary.unknownReleases).toEqual({ sid: 1 });
    expect(summary.skipped).toBe(6);
    expect(summary.skippedSamples.map((s) => [s.vuln, s.release])).toEqual([
      ['CVE-2024-1', 'bookworm'],
      ['CVE-2024-1', 'bullseye'],
      ['CVE-2024-1', 'trixie'],
      ['CVE-2024-1', 'forky'],
      ['CVE-2024-2', undefined],
      ['CVE-2024-3', undefined],
    ]);
    const err = await parseError([doc], { maxSkipped: 3 });
    expect(err.message).toContain('more than 3 release entries could not be read');
    expect(err.location.package).toBe('a');
  });

  it('lets the caller roll back: batches written before a late error are discarded with the transaction', async () => {
    const doc = fixture.toString('utf8').replace(/\}\s*$/, ', "zz": 1}');
    const committed: AdvisoryStatement[] = [];
    const pending: AdvisoryStatement[] = [];
    await expect(
      drainFeed(parseDebianTracker(Readable.from([doc])), (b) => {
        pending.push(...b);
      }).then(() => committed.push(...pending)),
    ).rejects.toThrow(/package "zz": the package's value is not an object/);
    expect(pending).toHaveLength(28);
    expect(committed).toEqual([]);
  });

  it('streams a generated 50 MB document package by package', async () => {
    const releases = ['buster', 'bullseye', 'bookworm', 'trixie', 'sid'];
    const value = (p: number): string => {
      const entries: Record<string, unknown> = {};
      for (let c = 0; c < 5; c++) {
        const rel: Record<string, unknown> = {};
        for (const r of releases)
          rel[r] = { status: 'resolved', repositories: { [r]: `1.${p}-1` }, fixed_version: `1.${p}-${c}`, urgency: 'low' };
        entries[`CVE-2024-${p * 5 + c}`] = {
          description: 'Remote attackers can do something via crafted input. '.repeat(3),
          releases: rel,
        };
      }
      return JSON.stringify(entries);
    };
    async function* generate(): AsyncGenerator<string> {
      let size = 0;
      let p = 0;
      let out = '{';
      while (size < 50_000_000) {
        out += `${p === 0 ? '' : ', '}"pkg${p}": ${value(p)}`;
        p++;
        if (out.length > 65_536) {
          size += out.length;
          yield await Promise.resolve(out);
          out = '';
        }
      }
      yield `${out}}`;
    }
    let statements = 0;
    let last: AdvisoryStatement | undefined;
    const summary = await drainFeed(parseDebianTracker(generate()), (b) => {
      statements += b.length;
      last = b.at(-1);
    });
    expect(summary.bytes).toBeGreaterThan(50_000_000);
    expect(statements).toBe(summary.packages * 25);
    expect(last).toMatchObject({
      package: `pkg${summary.packages - 1}`,
      vuln: `CVE-2024-${summary.packages * 5 - 1}`,
      ecosystem: 'Debian:sid',
      fixed: `1.${summary.packages - 1}-4`,
    });
  });
});
