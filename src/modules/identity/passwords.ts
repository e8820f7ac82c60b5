import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { AppError } from '../../core/errors.ts';

/** Shortest password accepted (NIST SP 800-63B allows any characters; length is what counts). */
export const PASSWORD_MIN = 12;
/** Longest password accepted, in characters. */
export const PASSWORD_MAX = 1024;

// `Algorithm` is an ambient const enum, which isolatedModules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

export interface PasswordParams {
  memoryKib: number;
  timeCost: number;
}

/** Passwords compare after Unicode normalisation, so the same passphrase typed on another keyboard still matches. */
const normalise = (p: string): string => p.normalize('NFC');

/** Throw `password_too_short` / `password_too_long` unless the password fits the policy. */
export function checkPasswordPolicy(password: string, field = 'password'): void {
  const length = [...normalise(password)].length;
  if (length < PASSWORD_MIN) {
    throw new AppError('invalid', 'password_too_short', `a password needs at least ${PASSWORD_MIN} characters`, {
      errors: [{ path: field, message: `at least ${PASSWORD_MIN} characters` }],
    });
  }
  if (length > PASSWORD_MAX) {
    throw new AppError('invalid', 'password_too_long', `a password may have at most ${PASSWORD_MAX} characters`, {
      errors: [{ path: field, message: `at most ${PASSWORD_MAX} characters` }],
    });
  }
}

/** argon2id hashing with configurable cost; verification reads the cost from the stored hash. */
export class PasswordHasher {
  readonly #options: Options;
  #dummy: Promise<string> | undefined;

  constructor(params: PasswordParams) {
    this.#options = { algorithm: ARGON2ID, memoryCost: params.memoryKib, timeCost: params.timeCost, parallelism: 1 };
  }

  /** PHC-format argon2id hash with a random salt. */
  hash(password: string): Promise<string> {
    return hash(normalise(password), this.#options);
  }

  /** Whether `password` matches `stored`. A malformed stored hash is a mismatch, never an exception. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, normalise(password));
    } catch {
      return false;
    }
  }

  /**
   * Spend the same time as a real verification, for unknown usernames: the response time must not tell an
   * attacker which usernames exist.
   */
  async verifyDummy(password: string): Promise<void> {
    await this.verify(await this.#dummyHash(), password);
  }

  /** Make the dummy hash ahead of time (at start), so the first unknown username costs no more than later ones. */
  async warm(): Promise<void> {
    await this.#dummyHash();
  }

  #dummyHash(): Promise<string> {
    this.#dummy ??= this.hash('skjold dummy password for timing');
    return this.#dummy;
  }

  /** Whether a stored hash was made with other parameters than today's (rehash it at the next sign-in). */
  needsRehash(stored: string): boolean {
    try {
      const p = parseOptions(stored);
      return p.algorithm !== ARGON2ID || p.memoryCost !== this.#options.memoryCost || p.timeCost !== this.#options.timeCost;
    } catch {
      return true;
    }
  }
}
