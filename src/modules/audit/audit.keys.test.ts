import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkpointText,
  loadOrCreateSigningKey,
  readPublicKey,
  signCheckpoint,
  verifyCheckpointSignature,
} from './audit.keys.ts';

describe('audit signing key', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'skjold-keys-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is created once, mode 0600, outside the database, with its public key exported next to it', () => {
    const d = dir();
    const k = loadOrCreateSigningKey(d);
    expect(statSync(join(d, 'audit-signing.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d, 'audit-signing.pub'), 'utf8')).toBe(k.publicKeyPem);
    expect(k.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(loadOrCreateSigningKey(d).keyId).toBe(k.keyId);
    expect(readPublicKey(d).export({ type: 'spki', format: 'pem' })).toBe(k.publicKeyPem);
  });

  it('tightens a key file that others can read', () => {
    const d = dir();
    loadOrCreateSigningKey(d);
    chmodSync(join(d, 'audit-signing.key'), 0o644);
    loadOrCreateSigningKey(d);
    expect(statSync(join(d, 'audit-signing.key')).mode & 0o777).toBe(0o600);
  });

  it('signs the fixed checkpoint text, and any change to size, root or time breaks the signature', () => {
    const k = loadOrCreateSigningKey(dir());
    const root = 'ab'.repeat(32);
    const ts = '2026-01-01T00:00:00.000Z';
    expect(checkpointText(7, root, ts)).toBe(`skjold-audit-checkpoint v1\n7\n${root}\n${ts}\n`);
    const signature = signCheckpoint(k, 7, root, ts);
    expect(verifyCheckpointSignature(k.publicKey, { treeSize: 7, root, ts, signature })).toBe(true);
    expect(verifyCheckpointSignature(k.publicKey, { treeSize: 8, root, ts, signature })).toBe(false);
    expect(verifyCheckpointSignature(k.publicKey, { treeSize: 7, root: 'cd'.repeat(32), ts, signature })).toBe(false);
    expect(verifyCheckpointSignature(k.publicKey, { treeSize: 7, root, ts: '2026-01-01T00:00:00.001Z', signature })).toBe(false);
    expect(verifyCheckpointSignature(k.publicKey, { treeSize: 7, root, ts, signature: 'not base64!' })).toBe(false);
    expect(() => readPublicKey(dir())).toThrow(expect.objectContaining({ code: 'audit_key_missing' }));
  });
});
