import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox, SECRETS_KEY_FILE } from './secrets.ts';

describe('secret box', () => {
  const dirs: string[] = [];
  const freshDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'skjold-secrets-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates a 32-byte key file with mode 0600 on first use and keeps it', () => {
    const dir = freshDir();
    const box = createSecretBox(join(dir, 'nested'));
    const file = join(dir, 'nested', SECRETS_KEY_FILE);
    const key = readFileSync(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = createSecretBox(join(dir, 'nested'));
    expect(again.keyId).toBe(box.keyId);
    expect(readFileSync(file).equals(key)).toBe(true);
  });

  it('round-trips, hides the plaintext, and refuses another context, a tampered value or another key', () => {
    const box = createSecretBox(freshDir());
    const sealed = box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'identity.mfa:u1');
    expect(sealed).not.toContain('JBSWY3DP');
    expect(box.seal('same', 'c')).not.toBe(box.seal('same', 'c'));
    expect(box.open(sealed, 'identity.mfa:u1')).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'identity.mfa:u2')).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[14] = (body[14] ?? 0) ^ 1;
    expect(() => box.open(`${parts[0]}.${parts[1]}.${body.toString('base64url')}`, 'identity.mfa:u1')).toThrow();
    const other = createSecretBox(freshDir());
    expect(() => other.open(sealed, 'identity.mfa:u1')).toThrow(/another secrets.key/);
    expect(() => box.open('garbage', 'x')).toThrow(/not a sealed secret/);
  });

  it('refuses a key file others can read, or one of the wrong size', () => {
    const dir = freshDir();
    createSecretBox(dir);
    chmodSync(join(dir, SECRETS_KEY_FILE), 0o644);
    expect(() => createSecretBox(dir)).toThrow(/chmod 600/);
    const dir2 = freshDir();
    writeFileSync(join(dir2, SECRETS_KEY_FILE), Buffer.alloc(16), { mode: 0o600 });
    expect(() => createSecretBox(dir2)).toThrow(/exactly 32 bytes/);
  });
});
