import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { registerRoutes, defineRoute } from './routes.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

function get(
  port: number,
  path: string,
  ca?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, rejectUnauthorized: !!ca, ...(ca ? { ca, servername: 'localhost' } : {}) },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function tlsHandshake(port: number, maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', ciphers?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(
      { host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion, ...(ciphers ? { ciphers } : {}) },
      () => {
        resolve(`ok ${s.getProtocol() ?? ''}`);
        s.end();
      },
    );
    s.on('error', (e: Error) => resolve(`error ${e.message}`));
  });
}

describe('HTTPS server', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('generates a certificate on first start, keeps it, and serves TLS 1.2+ only with security headers', async () => {
    t = await createTestApp('sqlite', { tls: true });
    const cert = readFileSync(join(t.testDb.dataDir, 'tls-cert.pem'), 'utf8');
    expect(t.tls?.generated).toBe(true);
    expect(t.tls?.fingerprint).toBe(new X509Certificate(cert).fingerprint256);
    const port = await t.listen();
    const res = await get(port, '/healthz', cert);
    expect(res.status).toBe(200);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers[k.toLowerCase()]).toBe(v);
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(await tlsHandshake(port, 'TLSv1.3')).toBe('ok TLSv1.3');
    expect(await tlsHandshake(port, 'TLSv1.2')).toBe('ok TLSv1.2');
    expect(await tlsHandshake(port, 'TLSv1.1')).toMatch(/^error/);
    // No CBC or RSA-key-exchange suites.
    expect(await tlsHandshake(port, 'TLSv1.2', 'AES128-SHA:ECDHE-RSA-AES128-SHA')).toMatch(/^error/);
  });

  it('serves a user-supplied certificate and key instead of generating one', async () => {
    const pems = await generate([{ name: 'commonName', value: 'skjold.example' }], { keyType: 'ec', algorithm: 'sha256' });
    const dir = mkdtempSync(join(tmpdir(), 'skjold-own-cert-'));
    writeFileSync(join(dir, 'own-cert.pem'), pems.cert);
    writeFileSync(join(dir, 'own-key.pem'), pems.private);
    t = await createTestApp('sqlite', {
      tls: true,
      env: { SKJOLD_TLS_CERT: join(dir, 'own-cert.pem'), SKJOLD_TLS_KEY: join(dir, 'own-key.pem') },
    });
    expect(t.tls?.generated).toBe(false);
    expect(t.tls?.fingerprint).toBe(new X509Certificate(pems.cert).fingerprint256);
    const port = await t.listen();
    const peer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
        s.end();
      });
      s.on('error', reject);
    });
    expect(peer).toBe(new X509Certificate(pems.cert).fingerprint256);
  });

  it('answers health and readiness, and refuses metrics without a token', async () => {
    t = await createTestApp('sqlite');
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', database: 'sqlite' });
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(401);
    expect(metrics.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses to register a route that declares no permission', async () => {
    t = await createTestApp('sqlite');
    const app = t.app;
    expect(() =>
      registerRoutes(
        app,
        {
          database: t!.database,
          policy: t!.policy,
          audit: t!.audit.sink,
          authenticator: t!.identity.authenticator,
          clock: t!.clock,
          log: t!.log,
        },
        [
          { method: 'GET', url: '/api/v1/nothing', summary: 'x', handler: () => Promise.resolve({}) } as unknown as Parameters<
            typeof registerRoutes
          >[2][number],
        ],
        [],
      ),
    ).toThrow(/declares no permission/);
    expect(() => app.get('/api/v1/raw', () => ({}))).toThrow(/declares no permission/);
    expect(() =>
      registerRoutes(
        app,
        {
          database: t!.database,
          policy: t!.policy,
          audit: t!.audit.sink,
          authenticator: t!.identity.authenticator,
          clock: t!.clock,
          log: t!.log,
        },
        [
          defineRoute({
            method: 'GET',
            url: '/api/v1/undeclared',
            permission: 'nothing.read',
            summary: 'x',
            handler: () => Promise.resolve({}),
          }),
        ],
        [],
      ),
    ).toThrow(/undeclared permission/);
  });

  it('finishes in-flight requests on shutdown and flushes their audit records', async () => {
    t = await createTestApp('sqlite');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    registerRoutes(
      t.app,
      {
        database: t.database,
        policy: t.policy,
        audit: t.audit.sink,
        authenticator: t.identity.authenticator,
        clock: t.clock,
        log: t.log,
      },
      [
        defineRoute({
          method: 'GET',
          url: '/api/v1/slow',
          permission: 'public',
          summary: 'slow',
          handler: async () => {
            await gate;
            return { done: true };
          },
        }),
      ],
      [],
    );
    const inflight = t.app.inject({ url: '/api/v1/slow' });
    await new Promise((r) => setTimeout(r, 50));
    const closing = t.app.close();
    release();
    const res = await inflight;
    expect(res.statusCode).toBe(200);
    await closing;
    await t.audit.stop?.();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select(['action', 'outcome'])
      .where('target', 'is', null)
      .execute();
    expect(rows.some((r) => r.action === 'GET /api/v1/slow' && r.outcome === 'allowed')).toBe(true);
  });
});
