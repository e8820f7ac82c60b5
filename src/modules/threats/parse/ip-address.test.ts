import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpLiteral, readIp } from './ip-address.ts';

describe('readIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['255.255.255.255', '255.255.255.255'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8::A', '2001:db8::a'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1::8', '1::8'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::192.0.2.1'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:1.2.3.4'],
  ])('%s → %s', (text, canonical) => {
    expect(readIp(text, 0, text.length)).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.04',
    '1..2.3',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '999.1.2.3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':1:2',
    '1:2:',
    '12345::1',
    'fe80::1%eth0',
    'g::1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3',
    'unknown',
    '-',
  ])('rejects %j', (text) => {
    expect(readIp(text, 0, text.length)).toBeUndefined();
    expect(isIpLiteral(text)).toBe(false);
  });

  it('reads a slice of a longer line without touching its neighbours', () => {
    const line = 'from 203.0.113.7 port 22';
    expect(readIp(line, 5, 16)).toBe('203.0.113.7');
    expect(readIp(line, 5, 17)).toBeUndefined();
  });

  it('agrees with node:net isIP on every literal except zone ids, which we reject', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 50 })), (text) => {
        const ours = isIpLiteral(text);
        const node = isIP(text) !== 0 && !text.includes('%');
        expect(ours).toBe(node);
      }),
      { numRuns: 3000 },
    );
  });
});
