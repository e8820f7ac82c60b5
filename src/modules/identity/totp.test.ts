import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.ts';
import { checkTotp, newTotpSecret, totpCode, totpQrDataUrl, totpUri } from './totp.ts';

describe('TOTP', () => {
  // RFC 6238 appendix B, SHA-1: the ASCII seed "12345678901234567890" gives 94287082 at T=59 s (last 6 digits here).
  const RFC_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('computes RFC 6238 SHA-1 codes (what authenticator apps compute)', () => {
    expect(totpCode(RFC_SEED, new Date(59_000))).toBe('287082');
    expect(totpCode(RFC_SEED, new Date(1_111_111_109_000))).toBe('081804');
  });

  it('accepts one step of drift either way, and no more', () => {
    const secret = newTotpSecret();
    const now = new Date('2026-03-01T12:00:10Z');
    const at = (s: number) => totpCode(secret, new Date(now.getTime() + s * 30_000));
    expect(checkTotp(secret, at(0), now, null)).toMatchObject({ ok: true });
    expect(checkTotp(secret, at(-1), now, null)).toMatchObject({ ok: true });
    expect(checkTotp(secret, at(1), now, null)).toMatchObject({ ok: true });
    expect(checkTotp(secret, at(-2), now, null)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkTotp(secret, at(2), now, null)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkTotp(secret, '12345', now, null)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkTotp(secret, 'abcdef', now, null)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses the code of the last used step, or of an earlier one, as reused', () => {
    const secret = newTotpSecret();
    const now = new Date('2026-03-01T12:00:10Z');
    const first = checkTotp(secret, totpCode(secret, now), now, null);
    if (!first.ok) throw new Error('expected ok');
    expect(checkTotp(secret, totpCode(secret, now), now, first.step)).toEqual({ ok: false, reason: 'reused' });
    expect(checkTotp(secret, totpCode(secret, new Date(now.getTime() - 30_000)), now, first.step)).toEqual({
      ok: false,
      reason: 'reused',
    });
    expect(checkTotp(secret, totpCode(secret, new Date(now.getTime() + 30_000)), now, first.step)).toEqual({
      ok: true,
      step: first.step + 1,
    });
  });

  it('makes a 160-bit Base32 secret, an otpauth URI for "Skjold" and a PNG QR code', async () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = totpUri(secret, 'alice');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Skjold:alice\?/);
    const q = new URL(uri).searchParams;
    expect(q.get('secret')).toBe(secret);
    expect(q.get('issuer')).toBe('Skjold');
    expect(q.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(q.get('digits') ?? '6').toBe('6');
    expect(q.get('period') ?? '30').toBe('30');
    const png = await totpQrDataUrl(uri);
    expect(png).toMatch(/^data:image\/png;base64,/);
    expect(
      Buffer.from(png.split(',')[1] ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });
});

describe('recovery codes', () => {
  it('makes ten distinct 80-bit codes and recognises them however they are typed', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    const c = codes[0] ?? '';
    expect(looksLikeRecoveryCode(c.toUpperCase().replace(/-/g, ' '))).toBe(true);
    expect(looksLikeRecoveryCode('123456')).toBe(false);
    expect(normaliseRecoveryCode(` ${c.toUpperCase()} `)).toBe(c.replace(/-/g, ''));
    expect(hashRecoveryCode(c.toUpperCase())).toBe(hashRecoveryCode(c));
    expect(hashRecoveryCode(c)).not.toContain(c.replace(/-/g, ''));
  });
});
