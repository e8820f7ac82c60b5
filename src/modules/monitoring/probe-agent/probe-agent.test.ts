import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { systemClock } from '../../../core/clock.ts';
import { createLogger } from '../../../core/logger.ts';
import { type Closable, httpServer } from '../checks/check.test-servers.ts';
import { runProbeAgent } from './probe-agent.ts';

/** A TCP relay in front of the server that can be taken down and brought back on the same port (TLS passes through). */
async function relay(to: number): Promise<{ port: number; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((s) => {
        const u = connect(to, '127.0.0.1');
        for (const x of [s, u]) {
          sockets.add(x);
          x.on('close', () => sockets.delete(x));
          x.on('error', () => undefined);
        }
        s.pipe(u).pipe(s);
      });
      server.listen(port, '127.0.0.1', () => {
        const a = server!.address();
        port = typeof a === 'object' && a ? a.port : 0;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await up();
  return { port, up, down, close: down };
}

const until = async (what: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('probe agent', () => {
  let t: TestApp;
  let target: Closable;
  let server: Awaited<ReturnType<typeof relay>>;
  beforeAll(async () => {
    t = await createTestApp('sqlite', { tls: true });
    server = await relay(await t.listen());
    target = await httpServer((_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
    await target.close();
  });

  it('keeps a bounded buffer while the server is away and delivers it with backoff when it is back', async () => {
    const noAudit = { target: () => undefined, change: () => undefined };
    const db = t.database.db;
    const probe = await t.monitoring.probes.create(db, { name: 'cph', location: 'cph-2' }, 'system:test', noAudit);
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) {
      const def = { type: 'tcp', name: `m${i}`, host: '127.0.0.1', port: target.port, intervalSeconds: 10, timeoutSeconds: 2 };
      ids.push((await t.monitoring.service.create(db, { ...def, locations: ['cph-2'] }, 'system:test', noAudit)).id);
    }
    const caFile = join(mkdtempSync(join(tmpdir(), 'skjold-probe-')), 'server.pem');
    writeFileSync(caFile, t.tls!.cert);
    const agent = await runProbeAgent({
      config: {
        server: `https://127.0.0.1:${server.port}`,
        token: probe.token,
        serverCa: caFile,
        serverFingerprint: undefined,
        sendSeconds: 0.2,
        bufferMax: 100,
        batchMax: 40,
      },
      monitoring: t.config.monitoring,
      log: createLogger('silent'),
      clock: systemClock,
      userAgent: 'skjold-probe/test',
    });
    try {
      expect(agent.stats()).toMatchObject({ location: 'cph-2', monitors: 150, lastPollOk: true });
      await server.down();
      // Every monitor runs once within its 10 s interval: 150 results for a buffer of 100.
      await until(() => agent.stats().scheduler.started >= 150, 15_000);
      await until(() => agent.stats().scheduler.inFlight === 0, 5_000);
      // The oldest beyond the buffer are dropped, and counted (on a slow machine a monitor may have run twice by now).
      const held = agent.stats();
      expect(held).toMatchObject({ buffered: 100, sent: 0 });
      expect(held.dropped).toBe(held.scheduler.started - 100);
      expect(await db.selectFrom('monitoring_probe_batches').selectAll().execute()).toEqual([]);

      await server.up();
      await until(() => agent.stats().buffered === 0, 15_000);
      expect(agent.stats().sent).toBeGreaterThanOrEqual(100);
      await t.monitoring.engine.flush();
      const rows = await db.selectFrom('monitoring_results').select(['location']).where('location', '=', 'cph-2').execute();
      expect(rows.length).toBeGreaterThanOrEqual(100);
      const batches = await db.selectFrom('monitoring_probe_batches').select(['count']).execute();
      expect(batches.every((b) => b.count <= 40)).toBe(true);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
