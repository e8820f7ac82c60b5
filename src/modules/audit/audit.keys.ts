import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../core/errors.ts';

/**
 * The checkpoint signing key. It lives in the data directory, outside the database, so that someone who can
 * only write the database cannot forge checkpoints. Every process that makes checkpoints for one database
 * must hold the same key (copy the file when adding processes).
 */

export const SIGNING_KEY_FILE = 'audit-signing.key';
export const PUBLIC_KEY_FILE = 'audit-signing.pub';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

/** First 16 hex characters of SHA-256 over the public key's DER (SPKI) encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Load `<dataDir>/audit-signing.key`, creating an Ed25519 key (mode 0600) on first start, and (re)write the
 * public key next to it as `audit-signing.pub`.
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyPath = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(keyPath)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    try {
      // 'wx': if another process created it first, use theirs.
      writeFileSync(keyPath, pem, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  // A key readable by others is not a secret any more; tighten it rather than refuse to start.
  if ((statSync(keyPath).mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
  const privateKey = createPrivateKey(readFileSync(keyPath, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new AppError('internal', 'audit_key_invalid', `${keyPath} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const pubPath = join(dataDir, PUBLIC_KEY_FILE);
  if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8') !== publicKeyPem)
    writeFileSync(pubPath, publicKeyPem, { mode: 0o644 });
  return { privateKey, publicKey, publicKeyPem, keyId: keyIdOf(publicKey) };
}

/**
 * The public key for verification: `<dataDir>/audit-signing.pub`, or derived from the private key file.
 * Never creates a key. Throws AppError `audit_key_missing` when there is neither.
 */
export function readPublicKey(dataDir: string): KeyObject {
  const pubPath = join(dataDir, PUBLIC_KEY_FILE);
  if (existsSync(pubPath)) return parsePublicKey(readFileSync(pubPath, 'utf8'));
  const keyPath = join(dataDir, SIGNING_KEY_FILE);
  if (existsSync(keyPath)) return createPublicKey(createPrivateKey(readFileSync(keyPath, 'utf8')));
  throw new AppError('not_found', 'audit_key_missing', `no ${PUBLIC_KEY_FILE} or ${SIGNING_KEY_FILE} in ${dataDir}`);
}

/** Parse a PEM public key; it must be Ed25519. */
export function parsePublicKey(pem: string | KeyObject): KeyObject {
  const key = typeof pem === 'string' ? createPublicKey(pem) : pem;
  if (key.asymmetricKeyType !== 'ed25519')
    throw new AppError('invalid', 'audit_key_invalid', 'the audit public key must be Ed25519');
  return key;
}

/** The exact text a checkpoint signature covers. */
export function checkpointText(treeSize: number, rootHex: string, ts: string): string {
  return `skjold-audit-checkpoint v1\n${treeSize}\n${rootHex}\n${ts}\n`;
}

/** Base64 Ed25519 signature over the checkpoint text. */
export function signCheckpoint(key: SigningKey, treeSize: number, rootHex: string, ts: string): string {
  return sign(null, Buffer.from(checkpointText(treeSize, rootHex, ts), 'utf8'), key.privateKey).toString('base64');
}

/** Whether `signature` (base64) is the key's signature over the checkpoint text. */
export function verifyCheckpointSignature(
  publicKey: KeyObject,
  cp: { treeSize: number; root: string; ts: string; signature: string },
): boolean {
  try {
    const sig = Buffer.from(cp.signature, 'base64');
    if (sig.length !== 64) return false;
    return verify(null, Buffer.from(checkpointText(cp.treeSize, cp.root, cp.ts), 'utf8'), publicKey, sig);
  } catch {
    return false;
  }
}
