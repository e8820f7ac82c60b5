import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { OWASP_ARGON2_MEMORY_KIB } from './identity.config.ts';
import { checkPasswordPolicy, PasswordHasher } from './passwords.ts';

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError';
  }
};

describe('passwords', () => {
  it('hashes with argon2id at OWASP parameters by default and verifies', async () => {
    const h = new PasswordHasher({ memoryKib: OWASP_ARGON2_MEMORY_KIB, timeCost: 2 });
    const stored = await h.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored).not.toContain('correct horse');
    expect(await h.hash('correct horse battery staple')).not.toBe(stored);
    expect(await h.verify(stored, 'correct horse battery staple')).toBe(true);
    expect(await h.verify(stored, 'correct horse battery stapl')).toBe(false);
    expect(await h.verify('not a hash', 'x')).toBe(false);
    expect(h.needsRehash(stored)).toBe(false);
    expect(new PasswordHasher({ memoryKib: 32_768, timeCost: 2 }).needsRehash(stored)).toBe(true);
  });

  it('matches the same passphrase typed in another Unicode normal form', async () => {
    const h = new PasswordHasher({ memoryKib: 1024, timeCost: 1 });
    const stored = await h.hash('blåbærgrød på tirsdag'.normalize('NFC'));
    expect(await h.verify(stored, 'blåbærgrød på tirsdag'.normalize('NFD'))).toBe(true);
  });

  it('enforces 12 to 1024 characters, counted as characters rather than bytes', () => {
    expect(codeOf(() => checkPasswordPolicy('a'.repeat(11)))).toBe('password_too_short');
    expect(codeOf(() => checkPasswordPolicy('a'.repeat(12)))).toBeUndefined();
    expect(codeOf(() => checkPasswordPolicy('🔑'.repeat(12)))).toBeUndefined();
    expect(codeOf(() => checkPasswordPolicy('a'.repeat(1024)))).toBeUndefined();
    expect(codeOf(() => checkPasswordPolicy('a'.repeat(1025)))).toBe('password_too_long');
  });
});
