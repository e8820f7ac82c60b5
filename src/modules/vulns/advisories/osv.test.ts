import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { AdvisoryStatement } from '../model.ts';
import { AdvisoryFeedError } from './feed-error.ts';
import { drainFeed } from './feed-stream.ts';
import { normaliseOsvEcosystem, parseOsvRecord, readOsvZip, type OsvZipOptions } from './osv.ts';

const DIR = fileURLToPath(new URL('./fixtures/osv/', import.meta.url));
const record = (name: string): string => readFileSync(join(DIR, `${name}.json`), 'utf8');
const one = (name: string): AdvisoryStatement[] => parseOsvRecord(record(name)).statements;

const work = mkdtempSync(join(tmpdir(), 'skjold-osv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A real zip written by Info-ZIP's `zip` from the given files (name → content), like OSV's `all.zip`. */
function makeZip(name: string, files: Record<string, string | Buffer>): string {
  const src = join(work, `${name}-src`);
  mkdirSync(src, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(src, file, '..'), { recursive: true });
    writeFileSync(join(src, file), content);
  }
  const zip = join(work, `${name}.zip`);
  execFileSync('zip', ['-q', '-r', zip, '.'], { cwd: src });
  return zip;
}

async function readZip(path: string | Buffer, opts?: OsvZipOptions) {
  const statements: AdvisoryStatement[] = [];
  const summary = await drainFeed(readOsvZip(path, opts), (b) => {
    statements.push(...b);
  });
  return { statements, summary };
}

async function zipError(path: string | Buffer, opts?: OsvZipOptions): Promise<AdvisoryFeedError> {
  const err: unknown = await readZip(path, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AdvisoryFeedError)) throw new Error(`expected an AdvisoryFeedError, got ${String(err)}`);
  return err;
}

describe('normaliseOsvEcosystem', () => {
  it('drops the LTS tier from Ubuntu releases and leaves everything else alone', () => {
    expect(normaliseOsvEcosystem('Ubuntu:22.04:LTS')).toBe('Ubuntu:22.04');
    expect(normaliseOsvEcosystem('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu:Pro:18.04');
    expect(normaliseOsvEcosystem('Ubuntu:23.10')).toBe('Ubuntu:23.10');
    expect(normaliseOsvEcosystem('Rocky Linux:9')).toBe('Rocky Linux:9');
    expect(normaliseOsvEcosystem('Debian:12')).toBe('Debian:12');
    expect(normaliseOsvEcosystem('crates.io')).toBe('crates.io');
  });
});

describe('parseOsvRecord', () => {
  it('Debian: one statement per release, CVE from upstream, urgency from ecosystem_specific', () => {
    const s = one('DEBIAN-CVE-2023-50387');
    expect(s).toHaveLength(2);
    expect(s[1]).toEqual({
      source: 'osv',
      vuln: 'CVE-2023-50387',
      aliases: ['DEBIAN-CVE-2023-50387'],
      ecosystem: 'Debian:12',
      package: 'bind9',
      status: 'fixed',
      fixed: '1:9.18.24-1',
      ranges: [{ fixed: '1:9.18.24-1' }],
      versions: ['1:9.18.19-1~deb12u1'],
      severity: 'unknown',
      urgency: 'not yet assigned',
      published: '2024-02-14T16:15:45Z',
      modified: '2024-09-18T03:23:48.584063Z',
      summary: expect.stringContaining('aka the "KeyTrap" issue.') as string,
    });
    expect(s[0]?.ecosystem).toBe('Debian:11');
  });

  it('Ubuntu: priority as severity, CVSS kept, LTS tier dropped, unfixed Pro release has no fix', () => {
    const s = one('UBUNTU-CVE-2023-50387');
    expect(s.map((x) => [x.ecosystem, x.status, x.fixed])).toEqual([
      ['Ubuntu:22.04', 'fixed', '1:9.18.18-0ubuntu0.22.04.2'],
      ['Ubuntu:Pro:18.04', 'no_fix', undefined],
      ['Ubuntu:23.10', 'fixed', '1:9.18.18-0ubuntu2.1'],
    ]);
    expect(s[0]).toMatchObject({
      vuln: 'CVE-2023-50387',
      aliases: ['UBUNTU-CVE-2023-50387'],
      severity: 'high',
      urgency: 'high',
      cvss: ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'],
    });
    expect(s[1]).toMatchObject({ ranges: [{}], versions: ['1:9.11.3+dfsg-1ubuntu1', '1:9.11.3+dfsg-1ubuntu1.19'] });
  });

  it('AlmaLinux and Rocky: the related CVEs are the advisory’s own, Red Hat severity words mapped', () => {
    const alma = one('ALSA-2024-1334');
    expect(alma.map((x) => [x.vuln, x.ecosystem, x.package, x.fixed])).toEqual([
      ['ALSA-2024:1334', 'AlmaLinux:9', 'unbound', '1.16.2-3.el9_3.5'],
      ['ALSA-2024:1334', 'AlmaLinux:9', 'python3-unbound', '1.16.2-3.el9_3.5'],
    ]);
    expect(alma[0]).toMatchObject({
      aliases: ['CVE-2023-50387', 'CVE-2023-50868'],
      severity: 'high',
      urgency: 'Important',
      summary: 'Important: unbound security update',
    });
    const rocky = one('RLSA-2024-1334');
    expect(rocky[0]).toMatchObject({
      vuln: 'RLSA-2024:1334',
      ecosystem: 'Rocky Linux:9',
      aliases: ['CVE-2023-50387', 'CVE-2023-50868'],
    });
  });

  it('npm GHSA: CVE as primary id, CVSS v3.1 and v4.0 vectors, GHSA severity, last_affected ranges', () => {
    const s = one('GHSA-35jh-r3h4-6jhm');
    expect(s.map((x) => [x.package, x.status, x.ranges])).toEqual([
      ['lodash', 'fixed', [{ fixed: '4.17.21' }]],
      ['lodash-es', 'fixed', [{ fixed: '4.17.21' }]],
      ['lodash.template', 'no_fix', [{ lastAffected: '4.5.0' }]],
    ]);
    expect(s[0]).toMatchObject({
      vuln: 'CVE-2021-23337',
      aliases: ['GHSA-35jh-r3h4-6jhm'],
      ecosystem: 'npm',
      severity: 'high',
      urgency: 'HIGH',
      cvss: ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N'],
      summary: 'Command Injection in lodash',
    });
    const minimist = one('GHSA-vh95-rmgr-6w4m')[0];
    expect(minimist).toMatchObject({ severity: 'medium', urgency: 'MODERATE' });
    expect(minimist?.ranges).toEqual([{ fixed: '0.2.1' }, { introduced: '1.0.0', fixed: '1.2.3' }]);
    expect(minimist?.fixed).toBeUndefined();
  });

  it('PyPI PYSEC: GIT ranges ignored, versions kept, no severity word', () => {
    const [s, ...rest] = one('PYSEC-2023-62');
    expect(rest).toEqual([]);
    expect(s).toMatchObject({
      vuln: 'CVE-2023-32681',
      aliases: ['PYSEC-2023-62', 'GHSA-j8r2-6x86-q33q'],
      ecosystem: 'PyPI',
      package: 'requests',
      status: 'fixed',
      ranges: [{ introduced: '2.3.0', fixed: '2.31.0' }],
      versions: ['2.3.0', '2.4.0', '2.28.2', '2.29.0', '2.30.0'],
      severity: 'unknown',
    });
    expect(s?.urgency).toBeUndefined();
    expect(s?.summary).toMatch(/^Requests is a HTTP library/);
  });

  it('Go, crates.io and Maven: multiple introduced/fixed pairs; related CVEs of a library advisory stay out', () => {
    const go = one('GO-2024-2687');
    expect(go[0]).toMatchObject({
      vuln: 'CVE-2023-45288',
      aliases: ['GO-2024-2687', 'GHSA-4v7x-pqxf-cx7m'],
      ecosystem: 'Go',
      package: 'stdlib',
      ranges: [{ fixed: '1.21.9' }, { introduced: '1.22.0-0', fixed: '1.22.2' }],
    });
    expect(go[1]).toMatchObject({ package: 'golang.org/x/net', fixed: '0.23.0' });
    const rust = one('RUSTSEC-2024-0332')[0];
    expect(rust).toMatchObject({
      vuln: 'RUSTSEC-2024-0332',
      aliases: ['GHSA-q6cp-qfwq-4gcv'],
      ecosystem: 'crates.io',
      ranges: [
        { introduced: '0.0.0-0', fixed: '0.3.26' },
        { introduced: '0.4.0', fixed: '0.4.4' },
      ],
    });
    const log4j = one('GHSA-jfh8-c2jp-5v3q')[0];
    expect(log4j).toMatchObject({ vuln: 'CVE-2021-44228', ecosystem: 'Maven', severity: 'critical', status: 'fixed' });
    expect(log4j?.package).toBe('org.apache.logging.log4j:log4j-core');
  });

  it('skips withdrawn records and affected entries with nothing to match on', () => {
    expect(parseOsvRecord(record('GHSA-9vvw-cc9w-f27h'))).toEqual({
      id: 'GHSA-9vvw-cc9w-f27h',
      withdrawn: true,
      statements: [],
      skippedAffected: 0,
    });
    const r = parseOsvRecord({
      id: 'OSV-2024-1',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        { ranges: [{ type: 'GIT', repo: 'https://example.org/x', events: [{ introduced: '0' }] }] },
        {
          package: { ecosystem: 'PyPI', name: 'x' },
          ranges: [{ type: 'GIT', repo: 'https://x', events: [{ introduced: 'abc' }, { fixed: 'def' }] }],
        },
        { package: { ecosystem: 'PyPI', name: 'y' }, versions: ['1.0'] },
      ],
    });
    expect(r.skippedAffected).toBe(2);
    expect(r.statements).toEqual([
      {
        source: 'osv',
        vuln: 'OSV-2024-1',
        aliases: [],
        ecosystem: 'PyPI',
        package: 'y',
        status: 'no_fix',
        versions: ['1.0'],
        severity: 'unknown',
        modified: '2024-01-01T00:00:00Z',
      },
    ]);
  });

  it('rejects what is not OSV with the field that is wrong', () => {
    const bad = (json: unknown): AdvisoryFeedError => {
      try {
        parseOsvRecord(json, { entry: 'x.json' });
      } catch (err) {
        if (err instanceof AdvisoryFeedError) return err;
        throw err;
      }
      throw new Error('expected an error');
    };
    expect(bad('{"id": ').message).toMatch(/^osv: entry "x.json": not valid JSON/);
    expect(bad({ summary: 'no id' }).message).toContain('not a valid OSV record: id:');
    const e = bad({
      id: 'GHSA-x',
      affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [{ fixed: 7 }] }] }],
    });
    expect(e.message).toContain('affected.0.ranges.0.events.0.fixed');
    expect(e.location).toEqual({ entry: 'x.json', id: 'GHSA-x' });
    expect(bad({ id: 'GHSA-x', aliases: Array.from({ length: 3000 }, (_, i) => `CVE-2024-${i}`) }).message).toContain('aliases');
    expect(bad({ id: 'GHSA-x', summary: 'x'.repeat(20_000) }).message).toContain('summary');
    expect(bad(null).code).toBe('advisory_feed_malformed');
  });
});

describe('readOsvZip', () => {
  const files: Record<string, string> = {};
  for (const f of readdirSync(DIR)) files[f] = readFileSync(join(DIR, f), 'utf8');

  it('streams every record of an archive and skips what is not a record', async () => {
    const zip = makeZip('all', {
      ...files,
      'README.md': 'not a record',
      'nested/GO-2024-2687.json': files['GO-2024-2687.json'] as string,
    });
    const { statements, summary } = await readZip(zip);
    const direct = Object.keys(files)
      .sort()
      .flatMap((f) => parseOsvRecord(files[f]).statements);
    expect(summary).toMatchObject({ records: 12, withdrawn: ['GHSA-9vvw-cc9w-f27h'], skippedAffected: 0 });
    expect(summary.skippedEntries).toBeGreaterThanOrEqual(2); // README and the directory entry
    expect(summary.statements).toBe(statements.length);
    expect(statements.length).toBe(direct.length + 2);
    const key = (s: AdvisoryStatement): string => `${s.vuln} ${s.ecosystem} ${s.package}`;
    expect(new Set(statements.map(key))).toEqual(new Set(direct.map(key)));
    // The same archive from memory.
    expect((await readZip(readFileSync(zip))).summary).toEqual(summary);
  });

  it('fails the import on a bad entry and names it', async () => {
    const zip = makeZip('bad-json', { ...files, 'PYSEC-2024-1.json': '{"id": "PYSEC-2024-1", "affected": [' });
    const err = await zipError(zip);
    expect(err.location.entry).toBe('PYSEC-2024-1.json');
    expect(err.message).toContain('osv: entry "PYSEC-2024-1.json": not valid JSON');
    const notOsv = makeZip('not-osv', { 'a.json': '{"id": "X-1", "affected": {"package": 1}}' });
    expect((await zipError(notOsv)).message).toBe(
      'osv: entry "a.json", X-1: not a valid OSV record: affected: Invalid input: expected array, received object',
    );
  });

  it('bounds the size of one entry', async () => {
    const zip = makeZip('big', { 'GHSA-big.json': JSON.stringify({ id: 'GHSA-big', details: 'x'.repeat(50_000) }) });
    const err = await zipError(zip, { maxEntryBytes: 10_000 });
    expect(err.message).toContain('entry "GHSA-big.json": the entry is larger than 10000 bytes');
    expect((await readZip(zip)).summary.records).toBe(1);
    expect((await zipError(zip, { maxEntries: 0 })).message).toContain('more than 0 entries');
  });

  it('rejects a file that is not a zip and a zip whose data is corrupt', async () => {
    const notZip = join(work, 'not.zip');
    writeFileSync(notZip, 'PK this is not a zip archive at all');
    expect((await zipError(notZip)).message).toContain('not a readable zip archive');
    expect((await zipError(join(work, 'missing.zip'))).message).toContain('not a readable zip archive');
    const good = readFileSync(makeZip('one', { 'GHSA-35jh-r3h4-6jhm.json': files['GHSA-35jh-r3h4-6jhm.json'] as string }));
    const corrupt = Buffer.from(good);
    // Overwrite the middle of the compressed data (after the 30-byte local header and the file name).
    for (let i = 80; i < 200; i++) corrupt[i] = (corrupt[i] as number) ^ 0x5a;
    const err = await zipError(corrupt);
    expect(err.location.entry).toBe('GHSA-35jh-r3h4-6jhm.json');
    const truncated = good.subarray(0, good.length - 30);
    expect((await zipError(truncated)).message).toContain('not a readable zip archive');
  });

  it('closes the archive when the caller stops early', async () => {
    const zip = makeZip('early', files);
    const copy = join(work, 'early-copy.zip');
    copyFileSync(zip, copy);
    const gen = readOsvZip(copy);
    const first = await gen.next();
    expect(first.done).toBe(false);
    await gen.return(undefined as never);
    rmSync(copy);
  });
});
