import { describe, expect, it } from 'vitest';
import { GeoLookup } from './geo.ts';

describe('GeoLookup (offline country and AS databases)', () => {
  const geo = new GeoLookup();

  it('finds the country and AS of well-known public addresses, IPv4 and IPv6', async () => {
    const cf = await geo.lookup('1.1.1.1');
    expect(cf?.asn).toBe(13335);
    expect(cf?.asName).toMatch(/cloudflare/i);
    const he = await geo.lookup('2001:470::1');
    expect(he?.asn).toBe(6939);
    expect((await geo.lookup('8.8.8.8'))?.country).toBe('US');
  });

  it('answers null for private addresses and garbage, never throws', async () => {
    expect(await geo.lookup('10.1.2.3')).toBeNull();
    expect(await geo.lookup('203.0.113.7')).toBeNull();
    expect(await geo.lookup('2001:db8::1')).toBeNull();
    expect(await geo.lookup('not an ip')).toBeNull();
    expect(await geo.lookup('')).toBeNull();
  });
});
