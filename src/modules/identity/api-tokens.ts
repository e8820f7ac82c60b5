import { randomSecret, sha256Hex } from './identity.crypto.ts';

/** Every API token starts with this, so secret scanners (and people) recognise a leaked one. */
export const TOKEN_PREFIX = 'skj_';
const TOKEN_RE = /^skj_[A-Za-z0-9_-]{43}$/;

/** A new API token: `skj_` + 256 random bits. Shown once; only its hash is stored. */
export function newApiToken(): string {
  return `${TOKEN_PREFIX}${randomSecret()}`;
}

/** Whether text has the exact shape of an API token (checked before any database lookup). */
export function isApiTokenShape(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** The stored form of an API token. */
export function hashApiToken(token: string): string {
  return sha256Hex(token);
}
