import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/app.ts';
import { createUserWithToken } from '../../test/identity.ts';
import { type Closable, httpServer } from '../modules/monitoring/checks/check.test-servers.ts';
import type { ProbeWithToken } from '../modules/monitoring/index.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'skjold.js');

/**
 * A real `skjold start --roles probe` process against a Skjold listening on HTTPS (a generated, self-signed
 * certificate) on 127.0.0.1: it polls its assignment, runs the check, and its results arrive under its location.
 */
describe('skjold start --roles probe', () => {
  let t: TestApp;
  let target: Closable;
  let port: number;
  let admin: { authorization: string };
  beforeAll(async () => {
    t = await createTestApp('sqlite', { tls: true });
    port = await t.listen();
    admin = (await createUserWithToken(t, 'admin')).headers;
    target = await httpServer((_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await t.dispose();
    await target.close();
  });

  const api = async <T>(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> => {
    const res = await t.app.inject({
      method,
      url,
      headers: admin,
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json<T>();
  };

  const run = (args: string[], env: Record<string, string>) => {
    const child = spawn(process.execPath, [BIN, 'start', '--roles', 'probe', ...args], {
      env: { ...process.env, SKJOLD_LOG_LEVEL: 'info', SKJOLD_PROBE_SEND_SECONDS: '0.5', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, output: () => out };
  };

  it('polls its checks over HTTPS, runs them, and its results arrive under its location', async () => {
    const probe = await api<ProbeWithToken>('POST', '/api/v1/probes', { name: 'Copenhagen 2', location: 'cph-2' });
    const monitor = await api<{ id: string }>('POST', '/api/v1/monitors', {
      type: 'http',
      name: 'web from cph-2',
      url: `http://127.0.0.1:${target.port}/`,
      intervalSeconds: 10,
      timeoutSeconds: 2,
      locations: ['cph-2'],
    });
    const caFile = join(mkdtempSync(join(tmpdir(), 'skjold-probe-')), 'server.pem');
    writeFileSync(caFile, t.tls!.cert);
    const p = run(['--server', `https://127.0.0.1:${port}`, '--server-ca', caFile], { SKJOLD_PROBE_TOKEN: probe.token });
    try {
      let rows: { location: string; ok: number }[] = [];
      for (let i = 0; i < 250 && rows.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        rows = await t.database.db
          .selectFrom('monitoring_results')
          .select(['location', 'ok'])
          .where('monitor_id', '=', monitor.id)
          .execute();
      }
      expect(rows[0], p.output()).toEqual({ location: 'cph-2', ok: 1 });
      expect(p.output()).toContain('as location cph-2 (1 monitors)');
      const seen = await t.monitoring.probes.get(t.database.db, probe.id);
      expect(seen).toMatchObject({ lastSeenAt: expect.any(String) as unknown, version: 'skjold-probe/0.1.0' });
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  }, 60_000);

  it('refuses to start without a token or with a certificate that is not the pinned one', async () => {
    const missing = run(['--server', `https://127.0.0.1:${port}`], { SKJOLD_PROBE_TOKEN: '' });
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toContain('SKJOLD_PROBE_TOKEN');

    // A wrong pin: the probe never sends its token, keeps running and says why.
    const probe = await api<ProbeWithToken>('POST', '/api/v1/probes', { name: 'Aarhus 1', location: 'aar-1' });
    const pinned = run(['--server', `https://127.0.0.1:${port}`, '--server-fingerprint', Array(32).fill('AB').join(':')], {
      SKJOLD_PROBE_TOKEN: probe.token,
    });
    for (let i = 0; i < 100 && !pinned.output().includes('not the pinned'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pinned.output()).toContain('not the pinned');
    expect((await t.monitoring.probes.get(t.database.db, probe.id)).lastSeenAt).toBeNull();
    pinned.child.kill('SIGTERM');
    expect(await pinned.exited).toBe(0);

    // The right pin works.
    const good = run(['--server', `https://127.0.0.1:${port}`, '--server-fingerprint', t.tls!.fingerprint], {
      SKJOLD_PROBE_TOKEN: probe.token,
    });
    for (let i = 0; i < 100 && !good.output().includes('as location aar-1'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(good.output()).toContain('as location aar-1');
    good.child.kill('SIGTERM');
    expect(await good.exited).toBe(0);
  }, 60_000);
});
