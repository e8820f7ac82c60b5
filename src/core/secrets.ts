import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encryption at rest for secrets Skjold must keep (TOTP seeds, SMTP passwords, webhook keys, backup repository
 * passwords). The key lives in `<dataDir>/secrets.key`, outside the database, so a database dump or a stolen
 * PostgreSQL backup alone does not reveal them. Every node of a multi-node deployment needs the same key file.
 */

export const SECRETS_KEY_FILE = 'secrets.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

export interface SecretBox {
  /** Short fingerprint of the key (hex), stored in every sealed value to detect a wrong key file. */
  readonly keyId: string;
  /**
   * Encrypt `plaintext` with AES-256-GCM. `context` (e.g. `identity.mfa:<userId>`) is authenticated but not
   * stored: a sealed value opens only under the same context, so it cannot be copied to another row.
   */
  seal(plaintext: string, context: string): string;
  /** Decrypt a value made by `seal` with the same context; throws if it was altered, moved or sealed with another key. */
  open(sealed: string, context: string): string;
}

/** Read `<dataDir>/secrets.key`, creating it (32 random bytes, mode 0600) on first use. */
export function loadSecretsKey(dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SECRETS_KEY_FILE);
  try {
    // 'wx': create only if absent, so two processes starting at once cannot overwrite each other's key.
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = statSync(file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new Error(`${file} must hold exactly ${KEY_BYTES} bytes, found ${key.length}`);
  return key;
}

/** A SecretBox over the key in `<dataDir>/secrets.key` (created on first start). */
export function createSecretBox(dataDir: string): SecretBox {
  return secretBoxFromKey(loadSecretsKey(dataDir));
}

/** A SecretBox over a given 32-byte key (tests, key rotation tools). */
export function secretBoxFromKey(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new Error(`a secrets key must be ${KEY_BYTES} bytes`);
  const keyId = createHash('sha256').update('skjold-secrets-key-id').update(key).digest('hex').slice(0, 16);
  return {
    keyId,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(`${FORMAT}.${keyId}.${context}`, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const body = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
      return `${FORMAT}.${keyId}.${body}`;
    },
    open(sealed, context) {
      const [format, id, body, ...rest] = sealed.split('.');
      if (format !== FORMAT || !id || body === undefined || rest.length > 0) throw new Error('not a sealed secret');
      if (id !== keyId) throw new Error(`secret was sealed with another secrets.key (key id ${id}, this key ${keyId})`);
      const raw = Buffer.from(body, 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`${FORMAT}.${keyId}.${context}`, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}
