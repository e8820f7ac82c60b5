import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';
import QRCode from 'qrcode';

/**
 * TOTP as every authenticator app understands it (RFC 6238: SHA-1, 6 digits, 30-second steps), accepting one
 * step of clock drift either way and never the same time step twice.
 */

export const TOTP_ISSUER = 'Skjold';
const PERIOD = 30;

/** A new 160-bit secret, Base32 (what authenticator apps expect). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://totp/Skjold:<username>?secret=…&issuer=Skjold` URI behind the QR code. */
export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: username, secret, algorithm: 'sha1', digits: 6, period: PERIOD });
}

/** The URI as a QR code, a `data:image/png;base64,…` URL the console shows in an <img> (allowed by the CSP). */
export function totpQrDataUrl(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
}

/** The code an authenticator shows at `at` (tests and the test helpers use it). */
export function totpCode(secret: string, at: Date): string {
  return generateSync({ secret, epoch: Math.floor(at.getTime() / 1000), period: PERIOD, digits: 6, algorithm: 'sha1' });
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'invalid' | 'reused' };

/**
 * Check a 6-digit code at time `now`, ±1 step. `lastStep` is the step of the last accepted code: a code of that
 * step or an earlier one is refused as reused, even inside the window (RFC 6238 §5.2).
 */
export function checkTotp(secret: string, code: string, now: Date, lastStep: number | null): TotpCheck {
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'invalid' };
  const res = verifySync({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: PERIOD,
    period: PERIOD,
    digits: 6,
    algorithm: 'sha1',
  });
  if (!res.valid) return { ok: false, reason: 'invalid' };
  if (!('timeStep' in res)) return { ok: false, reason: 'invalid' };
  if (lastStep !== null && res.timeStep <= lastStep) return { ok: false, reason: 'reused' };
  return { ok: true, step: res.timeStep };
}
