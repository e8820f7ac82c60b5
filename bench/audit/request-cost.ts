import { Agent, request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, loadSkjoldConfig, type SkjoldApp } from '../../src/app.ts';
import type { AuditSink } from '../../src/core/audit.ts';
import { createLogger } from '../../src/core/logger.ts';

/**
 * What auditing adds to an authenticated API request: the same authenticated GET (an API token of an
 * auditor, `GET /api/v1/audit/public-key`) over HTTPS on 127.0.0.1 against two Skjolds on SQLite, one with
 * the real group-commit sink and one whose sink does nothing, in alternating blocks; latency p50/p99 over
 * AUDIT_BENCH_REQUESTS requests each. Target: < 10 %.
 */
export async function requestCost(): Promise<
  { what: string; db: string; n: number; seconds: number; rate: string; target: string }[]
> {
  const n = Number(process.env['AUDIT_BENCH_REQUESTS'] ?? 10000);
  const real = await start(false);
  const none = await start(true);
  try {
    const lat: Record<'real' | 'none', number[]> = { real: [], none: [] };
    const BLOCK = 250;
    // Blocks of requests, alternating between the two apps (both live in this process): a block never shares
    // the event loop with the other app's audit work, and drift in machine load hits both alike. The first
    // round warms up TLS sessions, JIT and caches.
    for (let round = 0; round <= Math.ceil(n / BLOCK); round++) {
      for (const [name, s] of [
        ['none', none],
        ['real', real],
      ] as const) {
        for (let i = 0; i < BLOCK; i++) {
          const t0 = performance.now();
          await get(s);
          if (round > 0) lat[name].push(performance.now() - t0);
        }
        await s.app.audit.sink.flush();
      }
    }
    await real.app.audit.sink.flush();
    const pct = (xs: number[], p: number): number =>
      [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] as number;
    const out = [];
    for (const p of [50, 99]) {
      const [r, z] = [pct(lat.real, p), pct(lat.none, p)];
      const cost = ((r - z) / z) * 100;
      out.push({
        what: `authenticated GET p${p}: audited ${r.toFixed(3)} ms vs not ${z.toFixed(3)} ms`,
        db: 'sqlite',
        n,
        seconds: 0,
        rate: `${cost >= 0 ? '+' : ''}${cost.toFixed(1)} %`,
        target: '< 10 %',
      });
      process.stderr.write(
        `  request p${p}: audited ${r.toFixed(3)} ms, not audited ${z.toFixed(3)} ms (${cost.toFixed(1)} %)\n`,
      );
    }
    return out;
  } finally {
    await real.close();
    await none.close();
  }
}

interface Running {
  app: SkjoldApp;
  port: number;
  agent: Agent;
  headers: Record<string, string>;
  close(): Promise<void>;
}

async function start(noAudit: boolean): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skjold-bench-http-'));
  const config = loadSkjoldConfig({
    env: { SKJOLD_DATA_DIR: dataDir, DATABASE_URL: '', SKJOLD_HOST: '127.0.0.1', SKJOLD_PORT: '0', SKJOLD_LOG_LEVEL: 'silent' },
  });
  const app = await createApp({ config, log: createLogger('silent') });
  const system = { type: 'system' as const, id: 'system:bench', name: 'bench' };
  await app.identity.service.createUser(
    { username: 'bench-auditor', password: 'correct horse battery staple', role: 'auditor' },
    system,
  );
  const token = await app.identity.service.createToken({ username: 'bench-auditor', name: 'bench' }, system);
  if (noAudit) {
    // The same app with a sink that records nothing (the routes hold this very object).
    const sink: AuditSink = app.audit.sink;
    sink.append = () => Promise.resolve(0);
    sink.appendInTx = () => Promise.resolve(0);
  }
  const port = await app.listen();
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: app.tls?.cert });
  return {
    app,
    port,
    agent,
    headers: { authorization: `Bearer ${token.token}` },
    async close() {
      agent.destroy();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function get(s: Running): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: s.port,
        path: '/api/v1/audit/public-key',
        method: 'GET',
        agent: s.agent,
        headers: s.headers,
        servername: 'localhost',
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
