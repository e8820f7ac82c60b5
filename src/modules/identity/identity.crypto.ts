import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits as base64url (43 characters): session ids, CSRF tokens, API token bodies. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 hex. Enough for high-entropy secrets (sessions, tokens, recovery codes): they cannot be guessed, so a
 * slow hash would only cost time on every request.
 */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Compare two strings without leaking where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
