import { describe, expect, it } from 'vitest';

import { bestCvss, cvssSeverity, parseCvss, scoreCvssVectors, type CvssProblem } from './cvss.ts';

const CRIT_31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const CRIT_30 = 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H';
const MED_31 = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

describe('parseCvss', () => {
  it('scores v3.0, v3.1 and v4.0 vectors as FIRST does', () => {
    expect(parseCvss(CRIT_31)).toEqual({ ok: true, value: { score: 9.8, vector: CRIT_31, version: '3.1' } });
    expect(parseCvss(CRIT_30)).toEqual({ ok: true, value: { score: 10, vector: CRIT_30, version: '3.0' } });
    expect(parseCvss(MED_31)).toMatchObject({ ok: true, value: { score: 5.5 } });
    expect(parseCvss(V40)).toEqual({ ok: true, value: { score: 9.3, vector: V40, version: '4.0' } });
  });

  it('scores v4.0 as CVSS-B: threat metrics the vendor added do not change the base score', () => {
    const withThreat = `${V40}/E:U`;
    expect(parseCvss(withThreat)).toEqual({ ok: true, value: { score: 9.3, vector: withThreat, version: '4.0' } });
  });

  it('keeps the vector as written, trimmed', () => {
    expect(parseCvss(`  ${CRIT_31}\n`)).toMatchObject({ ok: true, value: { vector: CRIT_31 } });
  });

  it.each([
    ['', 'does not start with'],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 'does not start with'],
    ['CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 'unsupported CVSS version 2.0'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', 'mandatory base metric A is missing'],
    ['CVSS:3.1/AV:N', 'mandatory base metric AC is missing'],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'invalid CVSS v3.1 value X for metric AV'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L', 'metric A already defined'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/', 'invalid vector'],
    ['CVSS:4.0/AV:N/AC:L', 'invalid CVSS v4.0 vector'],
    [`CVSS:3.1/${'AV:N/'.repeat(200)}`, 'longer than 512 characters'],
  ])('rejects %j with a reason', (vector, reason) => {
    const parsed = parseCvss(vector);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('rejects a non-string without throwing', () => {
    expect(parseCvss(42 as unknown as string)).toEqual({ ok: false, reason: 'not a string' });
  });
});

describe('bestCvss', () => {
  it('picks the highest base score across versions', () => {
    expect(bestCvss([MED_31, V40, CRIT_31])).toEqual({ score: 9.8, vector: CRIT_31, version: '3.1' });
    expect(bestCvss([MED_31])).toMatchObject({ score: 5.5, version: '3.1' });
  });

  it('keeps the first of equal scores', () => {
    const same = 'CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H';
    expect(bestCvss([same, CRIT_31])?.vector).toBe(same);
  });

  it('skips invalid vectors, reports each, and never throws', () => {
    const problems: CvssProblem[] = [];
    const best = bestCvss(['garbage', MED_31, 'CVSS:3.1/AV:N'], (p) => problems.push(p));
    expect(best).toMatchObject({ score: 5.5 });
    expect(problems).toEqual([
      { vector: 'garbage', reason: expect.stringContaining('does not start with') as string },
      { vector: 'CVSS:3.1/AV:N', reason: 'mandatory base metric AC is missing' },
    ]);
  });

  it('is undefined when nothing valid is given', () => {
    expect(bestCvss([])).toBeUndefined();
    expect(scoreCvssVectors(['nope'])).toEqual({
      best: undefined,
      invalid: [{ vector: 'nope', reason: expect.any(String) as string }],
    });
  });
});

describe('cvssSeverity', () => {
  it.each([
    [0, 'none'],
    [0.1, 'low'],
    [3.9, 'low'],
    [4, 'medium'],
    [6.9, 'medium'],
    [7, 'high'],
    [8.9, 'high'],
    [9, 'critical'],
    [10, 'critical'],
  ] as const)('rates %d as %s', (score, band) => {
    expect(cvssSeverity(score)).toBe(band);
  });

  it('throws on a score outside 0..10', () => {
    expect(() => cvssSeverity(10.1)).toThrow(RangeError);
    expect(() => cvssSeverity(-1)).toThrow(RangeError);
    expect(() => cvssSeverity(Number.NaN)).toThrow(RangeError);
  });
});
