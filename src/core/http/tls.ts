import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, colon-separated hex, as browsers show it. */
  fingerprint: string;
  generated: boolean;
  /** True when the certificate was created just now. */
  createdNow: boolean;
}

/**
 * The certificate the server presents: the configured PEM files, or one generated in dataDir
 * on first start (ECDSA P-256, valid two years, SANs for localhost and this host name).
 */
export async function loadTls(opts: { dataDir: string; certFile: string; keyFile: string }): Promise<TlsMaterial> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) throw new Error('set both tlsCert and tlsKey, or neither');
    const cert = readFileSync(opts.certFile, 'utf8');
    const key = readFileSync(opts.keyFile, 'utf8');
    return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, generated: false, createdNow: false };
  }
  const certPath = join(opts.dataDir, 'tls-cert.pem');
  const keyPath = join(opts.dataDir, 'tls-key.pem');
  let createdNow = false;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const notBefore = new Date();
    const notAfter = new Date(notBefore.getTime() + 730 * 86400_000);
    const host = hostname();
    const pems = await generate([{ name: 'commonName', value: host }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: notBefore,
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 2, value: host },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert, { mode: 0o644 });
    createdNow = true;
  }
  const cert = readFileSync(certPath, 'utf8');
  const key = readFileSync(keyPath, 'utf8');
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, generated: true, createdNow };
}

/** TLS 1.2+ with forward-secret AEAD suites only (Mozilla "intermediate" minus CBC). */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
