import { randomBytes } from 'node:crypto';
import { sha256Hex } from './identity.crypto.ts';

/** How many recovery codes a user gets at enrolment. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford-style alphabet without look-alikes (no i, l, o, u).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A recovery code: 16 characters of a 32-letter alphabet (80 bits) in groups of four, `abcd-efgh-jkmn-pqrs`.
 * 80 bits is beyond offline guessing, so a plain SHA-256 at rest is enough.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 31];
  return s.match(/.{4}/g)!.join('-');
}

/** Ten fresh codes. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
}

/** Accept what people type: any case, with or without dashes and spaces. */
export function normaliseRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, '');
}

/** Whether input looks like a recovery code (rather than a TOTP code). */
export function looksLikeRecoveryCode(input: string): boolean {
  return /^[0-9a-z]{16}$/.test(normaliseRecoveryCode(input));
}

/** The stored form. */
export function hashRecoveryCode(input: string): string {
  return sha256Hex(`skjold-recovery:${normaliseRecoveryCode(input)}`);
}
