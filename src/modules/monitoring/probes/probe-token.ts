import { createHash, randomBytes } from 'node:crypto';

/** Every probe token starts with this (API tokens use `skj_`), so a leaked one is recognised as a probe's. */
export const PROBE_TOKEN_PREFIX = 'skp_';
const PROBE_TOKEN_RE = /^skp_[A-Za-z0-9_-]{43}$/;

/** The request header a probe sends its token in (`Authorization: Bearer` belongs to API tokens). */
export const PROBE_TOKEN_HEADER = 'x-skjold-probe-token';

/** A new probe token: `skp_` + 256 random bits. Shown once; only its hash is stored. */
export function newProbeToken(): string {
  return `${PROBE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Whether text has the exact shape of a probe token (checked before any database lookup). */
export function isProbeTokenShape(s: string): boolean {
  return PROBE_TOKEN_RE.test(s);
}

/** The stored form of a probe token. */
export function hashProbeToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
