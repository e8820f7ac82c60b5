import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdvisoryFeedError } from './feed-error.ts';
import { parseKev } from './kev.ts';

const text = readFileSync(new URL('./fixtures/kev.json', import.meta.url), 'utf8');
const catalog = (): { count: number; vulnerabilities: Record<string, unknown>[] } & Record<string, unknown> =>
  JSON.parse(text) as { count: number; vulnerabilities: Record<string, unknown>[] } & Record<string, unknown>;

function kevError(input: unknown): AdvisoryFeedError {
  try {
    parseKev(input);
  } catch (err) {
    if (err instanceof AdvisoryFeedError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('parseKev', () => {
  it('reads the catalog version, release time and every entry', () => {
    const kev = parseKev(text);
    expect(kev.version).toBe('2024.04.03');
    expect(kev.released).toBe('2024-04-03T17:00:47.0000Z');
    expect(kev.title).toBe('CISA Catalog of Known Exploited Vulnerabilities');
    expect(kev.entries.map((e) => [e.cve, e.ransomware])).toEqual([
      ['CVE-2024-3094', false],
      ['CVE-2023-50387', false],
      ['CVE-2021-44228', true],
      ['CVE-2014-0160', true],
      ['CVE-2024-21762', false],
    ]);
    expect(kev.entries[2]).toEqual({
      cve: 'CVE-2021-44228',
      vendor: 'Apache',
      product: 'Log4j2',
      name: 'Apache Log4j2 Remote Code Execution Vulnerability',
      dateAdded: '2021-12-10',
      dueDate: '2021-12-24',
      ransomware: true,
      requiredAction: expect.stringMatching(/^For all affected software assets/) as string,
    });
    expect(parseKev(Buffer.from(text))).toEqual(kev);
    expect(parseKev(catalog())).toEqual(kev);
  });

  it('rejects a count that disagrees with the entries', () => {
    const c = catalog();
    c.count = 6;
    expect(kevError(c).message).toBe('kev: "count" says 6 but the catalog lists 5 vulnerabilities');
  });

  it('names the index and CVE of a bad entry', () => {
    const c = catalog();
    (c.vulnerabilities[3] as Record<string, unknown>).dueDate = '2022-02-30';
    let err = kevError(c);
    expect(err.location).toEqual({ index: 3, id: 'CVE-2014-0160' });
    expect(err.message).toBe('kev: index 3, CVE-2014-0160: bad entry: dueDate: not a calendar date');
    const d = catalog();
    (d.vulnerabilities[1] as Record<string, unknown>).cveID = 'CVE-24-1';
    err = kevError(d);
    expect(err.message).toContain('index 1, CVE-24-1: bad entry: cveID: not a CVE id');
    const e = catalog();
    delete (e.vulnerabilities[4] as Record<string, unknown>).requiredAction;
    expect(kevError(e).message).toContain('index 4, CVE-2024-21762: bad entry: requiredAction');
    const f = catalog();
    f.vulnerabilities[0] = 'CVE-2024-3094' as unknown as Record<string, unknown>;
    expect(kevError(f).location).toEqual({ index: 0, id: undefined });
  });

  it('rejects duplicates, a missing version, and what is not a catalog', () => {
    const c = catalog();
    c.vulnerabilities.push({ ...(c.vulnerabilities[0] as Record<string, unknown>) });
    c.count = 6;
    expect(kevError(c).message).toBe('kev: index 5, CVE-2024-3094: listed twice (first at index 0)');
    const d = catalog();
    delete d.catalogVersion;
    expect(kevError(d).message).toContain('not a KEV catalog: catalogVersion');
    expect(kevError('<html>Service unavailable</html>').message).toContain('not valid JSON');
    expect(kevError(text.slice(0, 500)).message).toContain('not valid JSON');
    expect(kevError([]).message).toContain('not a KEV catalog');
  });
});
