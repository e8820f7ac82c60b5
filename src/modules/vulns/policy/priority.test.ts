import { describe, expect, it } from 'vitest';

import type { AssetContext } from '../model.ts';
import { comparePriority, computePriority, type PriorityInput } from './priority.ts';

const CVSS_CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const CVSS_HIGH = 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N'; // 8.1
const CVSS_MEDIUM = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N'; // 5.5
const CVSS_LOW = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N'; // 3.1

const internal: AssetContext = { exposure: 'internal', criticality: 'medium', operatedBy: 'provider' };
const internet: AssetContext = { exposure: 'internet', criticality: 'medium', operatedBy: 'provider' };
const unknownExposure: AssetContext = { exposure: 'unknown', criticality: 'medium', operatedBy: 'provider' };
const kev = { dateAdded: '2024-03-01', dueDate: '2024-03-22', ransomware: false, feedVersion: 'kev-2024-03-01' };

function input(over: Partial<PriorityInput> = {}): PriorityInput {
  return { vendorSeverity: 'medium', asset: internal, vendorStatus: 'fixed', inForce: 'vulnerable', ...over };
}

describe('base severity', () => {
  it('takes the higher of vendor severity and CVSS band', () => {
    expect(computePriority(input({ vendorSeverity: 'low', cvssVectors: [CVSS_MEDIUM] })).priority).toBe('medium');
    expect(computePriority(input({ vendorSeverity: 'high', cvssVectors: [CVSS_MEDIUM] })).priority).toBe('high');
    expect(computePriority(input({ vendorSeverity: 'unknown', cvssVectors: [CVSS_LOW] })).priority).toBe('low');
  });

  it('treats a finding with neither vendor severity nor CVSS as medium, and says so', () => {
    const r = computePriority(input({ vendorSeverity: 'unknown' }));
    expect(r.priority).toBe('medium');
    expect(r.reasons).toContain('no vendor severity or CVSS score: treated as medium');
  });

  it.each([
    ['vendor status unimportant', { vendorStatus: 'unimportant' as const, vendorSeverity: 'low' as const }],
    ['vendor severity negligible', { vendorSeverity: 'negligible' as const }],
  ])('%s makes it info, whatever CVSS says', (_, over) => {
    const r = computePriority(input({ ...over, cvssVectors: [CVSS_CRITICAL], asset: internet }));
    expect(r.priority).toBe('info');
    expect(r.reasons[0]).toMatch(/vendor rates it (unimportant|negligible)/);
  });

  it('ignores invalid CVSS vectors and names them as a reason', () => {
    const r = computePriority(input({ vendorSeverity: 'low', cvssVectors: ['CVSS:3.1/AV:N', CVSS_MEDIUM] }));
    expect(r.priority).toBe('medium');
    expect(r.inputs.cvss).toMatchObject({ score: 5.5, version: '3.1' });
    expect(r.reasons.at(-1)).toBe('1 invalid CVSS vector ignored (mandatory base metric AC is missing)');
  });
});

describe('KEV overrides', () => {
  it('makes a low finding critical on an internet-facing asset', () => {
    const r = computePriority(input({ vendorSeverity: 'low', kev, asset: internet }));
    expect(r.priority).toBe('critical');
    expect(r.reasons[0]).toBe('in CISA KEV since 2024-03-01 on an internet-facing asset');
  });

  it('makes it at least high on an internal asset', () => {
    expect(computePriority(input({ vendorSeverity: 'low', kev })).priority).toBe('high');
  });

  it('counts exposure unknown as internet-facing (the safe side)', () => {
    expect(computePriority(input({ vendorSeverity: 'low', kev, asset: unknownExposure })).priority).toBe('critical');
    const noKev = computePriority(input({ vendorSeverity: 'high', asset: unknownExposure }));
    expect(noKev.priority).toBe('critical');
    expect(noKev.reasons).toContain('exposure unknown, treated as internet-facing');
  });

  it('overrides even a vendor "unimportant"', () => {
    expect(computePriority(input({ vendorStatus: 'unimportant', kev })).priority).toBe('high');
  });

  it('raises one more level for known ransomware use', () => {
    const withRansomware = { ...kev, ransomware: true };
    const r = computePriority(input({ vendorSeverity: 'low', kev: withRansomware }));
    expect(r.priority).toBe('critical');
    expect(r.reasons.slice(0, 2)).toEqual(['in CISA KEV since 2024-03-01', 'known ransomware use']);
  });

  it('ranks ransomware above plain KEV when both are already critical', () => {
    const plain = computePriority(input({ kev, asset: internet, cvssVectors: [CVSS_CRITICAL] }));
    const ransom = computePriority(input({ kev: { ...kev, ransomware: true }, asset: internet, cvssVectors: [CVSS_CRITICAL] }));
    expect(plain.priority).toBe('critical');
    expect(ransom.priority).toBe('critical');
    expect(ransom.score).toBeGreaterThan(plain.score);
  });
});

describe('EPSS', () => {
  const epss = (score: number, percentile: number) => ({ score, percentile, feedVersion: 'epss-2024-03-02' });

  it('raises one level at a probability of 0.5 or more', () => {
    const r = computePriority(input({ vendorSeverity: 'medium', epss: epss(0.5, 0.9) }));
    expect(r.priority).toBe('high');
    expect(r.reasons[0]).toBe('EPSS 0.5 (percentile 0.9): likely exploited');
  });

  it('raises one level at a percentile of 0.95 or more', () => {
    expect(computePriority(input({ vendorSeverity: 'low', epss: epss(0.2, 0.95) })).priority).toBe('medium');
    expect(computePriority(input({ vendorSeverity: 'low', epss: epss(0.49, 0.94) })).priority).toBe('low');
  });

  it('lowers a CVSS-only high on an internal asset when EPSS is below 0.01', () => {
    const r = computePriority(input({ vendorSeverity: 'low', cvssVectors: [CVSS_HIGH], epss: epss(0.004, 0.3) }));
    expect(r.priority).toBe('medium');
    expect(r.reasons).toContain('EPSS 0.004: exploitation unlikely, CVSS-only high on an internal asset lowered to medium');
  });

  it('never lowers a vendor high', () => {
    const r = computePriority(input({ vendorSeverity: 'high', cvssVectors: [CVSS_HIGH], epss: epss(0.001, 0.1) }));
    expect(r.priority).toBe('high');
  });

  it('never lowers a CVSS critical, a KEV finding, or anything on an internet-facing asset', () => {
    expect(computePriority(input({ vendorSeverity: 'low', cvssVectors: [CVSS_CRITICAL], epss: epss(0.001, 0.1) })).priority).toBe(
      'critical',
    );
    expect(
      computePriority(input({ vendorSeverity: 'low', cvssVectors: [CVSS_HIGH], epss: epss(0.001, 0.1), kev })).priority,
    ).toBe('high');
    expect(
      computePriority(input({ vendorSeverity: 'low', cvssVectors: [CVSS_HIGH], epss: epss(0.001, 0.1), asset: unknownExposure }))
        .priority,
    ).toBe('critical');
  });

  it('ignores an EPSS value outside 0..1 and says so', () => {
    const r = computePriority(input({ epss: epss(7, 0.99) }));
    expect(r.priority).toBe('medium');
    expect(r.inputs.epss).toBeUndefined();
    expect(r.reasons).toContain('EPSS value out of range ignored');
  });
});

describe('asset context', () => {
  it('raises medium to high on a critical asset', () => {
    const r = computePriority(input({ asset: { ...internal, criticality: 'critical' } }));
    expect(r.priority).toBe('high');
    expect(r.reasons[0]).toBe('critical asset');
  });

  it('raises high to critical when internet-facing, but not medium', () => {
    expect(computePriority(input({ vendorSeverity: 'high', asset: internet })).priority).toBe('critical');
    expect(computePriority(input({ vendorSeverity: 'medium', asset: internet })).priority).toBe('medium');
  });
});

describe('not running', () => {
  it('lowers to low when only a non-booted kernel is affected, KEV included', () => {
    const r = computePriority(
      input({ vendorSeverity: 'critical', kev: { ...kev, ransomware: true }, asset: internet, inForce: 'not_running' }),
    );
    expect(r.priority).toBe('low');
    expect(r.reasons[0]).toBe('only an installed kernel that is not running is affected');
  });

  it('leaves info as info', () => {
    expect(computePriority(input({ vendorSeverity: 'negligible', inForce: 'not_running' })).priority).toBe('info');
  });
});

describe('vendor status', () => {
  it('keeps the priority without a fix and explains the SLA waits', () => {
    const r = computePriority(input({ vendorSeverity: 'high', vendorStatus: 'postponed' }));
    expect(r.priority).toBe('high');
    expect(r.reasons).toContain('fix postponed (vendor): the SLA starts when a fix is published');
  });
});

describe('result', () => {
  it('records every input with its feed version', () => {
    const r = computePriority(
      input({
        vendorSeverity: 'high',
        cvssVectors: [CVSS_CRITICAL],
        epss: { score: 0.94, percentile: 0.99, feedVersion: 'epss-2024-03-02' },
        kev,
        asset: internet,
        advisoryFeedVersion: 'debian-tracker@sha256:abc',
      }),
    );
    expect(r.inputs).toEqual({
      vendorSeverity: 'high',
      cvss: { score: 9.8, vector: CVSS_CRITICAL, version: '3.1' },
      epss: { score: 0.94, percentile: 0.99, feedVersion: 'epss-2024-03-02' },
      kev: { dateAdded: '2024-03-01', dueDate: '2024-03-22', ransomware: false, feedVersion: 'kev-2024-03-01' },
      exposure: 'internet',
      criticality: 'medium',
      advisoryFeedVersion: 'debian-tracker@sha256:abc',
    });
    expect(r.reasons[0]).toMatch(/^in CISA KEV/);
  });

  it('scores inside the level band, so sorting by score sorts by level first', () => {
    const levels = [
      computePriority(input({ vendorSeverity: 'negligible', cvssVectors: [CVSS_CRITICAL] })),
      computePriority(input({ vendorSeverity: 'low', cvssVectors: [CVSS_LOW] })),
      computePriority(input({ vendorSeverity: 'medium', cvssVectors: [CVSS_MEDIUM] })),
      computePriority(input({ vendorSeverity: 'high', cvssVectors: [CVSS_HIGH] })),
      computePriority(
        input({
          vendorSeverity: 'critical',
          cvssVectors: ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'],
          epss: { score: 1, percentile: 1, feedVersion: 'e' },
          kev: { ...kev, ransomware: true },
        }),
      ),
    ];
    expect(levels.map((r) => r.priority)).toEqual(['info', 'low', 'medium', 'high', 'critical']);
    levels.forEach((r, i) => {
      expect(r.score).toBeGreaterThanOrEqual(i * 20);
      expect(r.score).toBeLessThanOrEqual(i === 4 ? 100 : i * 20 + 19);
    });
    expect(levels[4]?.score).toBe(100);
  });

  it('orders priorities highest first', () => {
    expect(['low', 'critical', 'info', 'high'].sort(comparePriority as (a: string, b: string) => number)).toEqual([
      'critical',
      'high',
      'low',
      'info',
    ]);
  });
});
