import type { AuditChange } from '../../core/audit.ts';
import type { AccessPolicy } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { IdentityConfig } from './identity.config.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { PasswordHasher } from './passwords.ts';
import type { Sessions } from './sessions.ts';

/** What the identity services share: built once by createIdentityModule. */
export interface IdentityContext {
  clock: Clock;
  config: IdentityConfig;
  policy: AccessPolicy;
  secrets: SecretBox;
  passwords: PasswordHasher;
  sessions: Sessions;
  throttle: LoginThrottle;
  log: Logger;
}

/**
 * Where a service describes its write for the audit record. A route passes `ctx.audit` (same shape); the
 * CLI-facing helpers collect the notes and append the record themselves, in the same transaction.
 */
export interface AuditNotes {
  target(t: string): void;
  change(c: AuditChange): void;
  detail(d: Record<string, unknown>): void;
}

/**
 * A refusal whose side effects must still commit (a failed-login counter): the route turns `ok: false` into a
 * CommittedFailure. Thrown AppErrors roll the transaction back instead.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: AppError };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const refuse = <T>(error: AppError): Outcome<T> => ({ ok: false, error });

/** The secret-box context of a user's TOTP seed: a sealed seed opens only for the user it was sealed for. */
export const mfaSecretContext = (userId: string): string => `identity.mfa:${userId}`;
