import { Readable } from 'node:stream';
import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDebianAdvisoryList, type DebianAdvisoryEntry, type DebianAdvisoryListOptions } from './debian-dsa.ts';
import { AdvisoryFeedError } from './feed-error.ts';
import { drainFeed } from './feed-stream.ts';

const DSA = new URL('./fixtures/dsa-list', import.meta.url);
const DLA = new URL('./fixtures/dla-list', import.meta.url);

async function parse(parts: (Buffer | string)[], opts?: DebianAdvisoryListOptions): Promise<DebianAdvisoryEntry[]> {
  const out: DebianAdvisoryEntry[] = [];
  await drainFeed(parseDebianAdvisoryList(Readable.from(parts), opts), (b) => {
    out.push(...b);
  });
  return out;
}

async function parseError(text: string): Promise<AdvisoryFeedError> {
  const err: unknown = await parse([text]).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AdvisoryFeedError)) throw new Error(`expected an AdvisoryFeedError, got ${String(err)}`);
  return err;
}

describe('parseDebianAdvisoryList', () => {
  it('reads the DSA list excerpt: dates, CVEs, fixed versions per release, not-affected releases and notes', async () => {
    const out: DebianAdvisoryEntry[] = [];
    const summary = await drainFeed(parseDebianAdvisoryList(createReadStream(DSA, { highWaterMark: 64 })), (b) => {
      out.push(...b);
    });
    expect(summary).toEqual({ advisories: 13, lines: 47 });
    expect(out.map((a) => a.id)).toEqual([
      'DSA-5621-1',
      'DSA-5620-1',
      'DSA-5619-1',
      'DSA-5615-1',
      'DSA-5614-1',
      'DSA-5612-1',
      'DSA-5608-1',
      'DSA-5607-1',
      'DSA-5601-1',
      'DSA-5594-1',
      'DSA-5579-2',
      'DSA-2896-1',
      'DSA-001-1',
    ]);
    expect(out[1]).toEqual({
      id: 'DSA-5620-1',
      kind: 'DSA',
      date: '2024-02-12',
      package: 'unbound',
      title: 'security update',
      cves: ['CVE-2023-50387', 'CVE-2023-50868'],
      fixed: { bookworm: '1.17.1-2+deb12u2', bullseye: '1.13.1-1+deb11u2' },
      packages: { unbound: { bookworm: '1.17.1-2+deb12u2', bullseye: '1.13.1-1+deb11u2' } },
      notAffected: {},
      notes: [],
      line: 5,
    });
    const libgit2 = out.find((a) => a.id === 'DSA-5619-1');
    expect(libgit2).toMatchObject({
      fixed: { bookworm: '1.5.1+ds-1+deb12u1' },
      notAffected: { bullseye: 'Vulnerable code introduced later' },
      notes: ['CVE-2024-24577 affects bullseye, fixed via DLA'],
    });
    expect(out.find((a) => a.id === 'DSA-5621-1')?.fixed.bookworm).toBe('1:9.18.24-1');
    const regression = out.find((a) => a.id === 'DSA-5579-2');
    expect(regression).toMatchObject({ title: 'regression update', cves: [], fixed: { bookworm: '3.18.0+ds2-9+deb12u2' } });
    expect(out.find((a) => a.id === 'DSA-001-1')).toMatchObject({ date: '2000-12-21', fixed: { potato: '0.8.13-2' } });
  });

  it('reads the DLA list excerpt', async () => {
    const out = await parse([readFileSync(DLA)]);
    expect(out.map((a) => [a.id, a.kind, a.date, a.package])).toEqual([
      ['DLA-3726-1', 'DLA', '2024-01-31', 'gsoap'],
      ['DLA-3725-1', 'DLA', '2024-01-29', 'squid'],
      ['DLA-3721-1', 'DLA', '2024-01-26', 'xorg-server'],
      ['DLA-3718-2', 'DLA', '2024-01-24', 'php-phpseclib'],
      ['DLA-3715-1', 'DLA', '2024-01-23', 'bind9'],
    ]);
    expect(out[2]?.fixed).toEqual({ buster: '2:1.20.4-1+deb10u13' });
    expect(out[4]?.cves).toEqual(['CVE-2023-3341']);
  });

  it('accepts the older forms: space indentation, notes after versions, other source packages, no title', async () => {
    const text = [
      '[21 Jan 2005] DSA-652-1 unarj',
      '\t{CVE-2004-0947 CVE-2004-1027}',
      '\t[woody] - unarj 2.43-3woody1',
      '[08 Jul 2005] DSA-735-2 sudo - pathname validation race',
      '        {CVE-2005-1993}',
      '\t[woody] - sudo 1.6.6-1.3woody1 (medium)',
      '\t[sarge] - sudo 1.6.8p7-1.1sarge1 (bug #304793)',
      '\tNOTE: Some architectures were not ready, that is why another DSA was',
      '[8 Mar 2005] DSA-692-1 kppp - design flaw',
      '\t{CVE-2005-0205}',
      '\t[woody] - kdenetwork 4:2.2.2-14.7',
      '[17 Oct 2002] DSA-177 pam - serious security violation',
      '\t{CVE-2002-1227}',
      '\t[woody] - pam <not-affected>',
      '[02 Jul 2002] DSA-135 libapache-mod-ssl -- buffer overflow / DoS',
      '\t[woody] - libapache-mod-ssl 2.8.9-2',
      '',
    ].join('\r\n');
    const out = await parse([text]);
    expect(out[0]).toMatchObject({ id: 'DSA-652-1', title: '', fixed: { woody: '2.43-3woody1' } });
    expect(out[1]).toMatchObject({ cves: ['CVE-2005-1993'], fixed: { woody: '1.6.6-1.3woody1', sarge: '1.6.8p7-1.1sarge1' } });
    expect(out[2]).toMatchObject({ date: '2005-03-08', fixed: {}, packages: { kdenetwork: { woody: '4:2.2.2-14.7' } } });
    expect(out[3]).toMatchObject({ id: 'DSA-177', fixed: {}, notAffected: { woody: '' } });
    expect(out[4]).toMatchObject({ id: 'DSA-135', title: 'buffer overflow / DoS', fixed: { woody: '2.8.9-2' } });
  });

  it('gives the same result however the stream is cut', async () => {
    const buf = readFileSync(DSA);
    const whole = await parse([buf]);
    for (let cut = 1; cut < buf.length; cut += 7) expect(await parse([buf.subarray(0, cut), buf.subarray(cut)])).toEqual(whole);
  });

  it('rejects a bad line with its number', async () => {
    const good = readFileSync(DSA, 'utf8');
    const lines = good.split('\n');
    const bad = (i: number, text: string): string => [...lines.slice(0, i), text, ...lines.slice(i + 1)].join('\n');
    let err = await parseError(bad(6, '\t[bookworm] unbound 1.17.1-2+deb12u2'));
    expect(err.location).toMatchObject({ line: 7, id: 'DSA-5620-1' });
    expect(err.message).toContain('debian-dsa: line 7, DSA-5620-1: not a release line');
    err = await parseError(bad(4, '[31 Feb 2024 DSA-5620-1 unbound - security update'));
    expect(err.location.line).toBe(5);
    expect((await parseError(bad(4, '[12 Foo 2024] DSA-5620-1 unbound - security update'))).message).toContain('is not a date');
    expect((await parseError(bad(5, '\t{CVE-2023-50387'))).location.line).toBe(6);
    expect((await parseError(bad(5, 'CVE-2023-50387'))).message).toContain('not an advisory header or an indented line');
    expect((await parseError(bad(6, '\t[bookworm] - unbound'))).message).toContain('has no version');
    expect((await parseError(bad(6, '\t[bookworm] - unbound 1.17;rm -rf'))).message).toContain('is not a Debian version');
    expect((await parseError(bad(6, '\t[bookworm] - unbound <not-affected'))).message).toContain('not a release state');
    expect((await parseError(bad(6, '\tSomething else'))).message).toContain('not an id list, release line or NOTE');
    expect((await parseError('\t{CVE-2024-1234}\n')).message).toContain('before the first advisory header');
    expect((await parseError('')).message).toContain('0 advisories');
    expect((await parseError(`[12 Feb 2024] DSA-1-1 x - y\n\tNOTE: ${'x'.repeat(9000)}\n`)).location.line).toBe(2);
  });
});
