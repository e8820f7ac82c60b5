import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import type { AlertView } from './alerts.service.ts';

const NATS = process.env['SKJOLD_TEST_NATS'] ?? '127.0.0.1:4222';
const natsUp = await new Promise<boolean>((resolve) => {
  const [host, port] = NATS.split(':');
  const s = createConnection({ host, port: Number(port) });
  s.setTimeout(1000);
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
  s.once('timeout', () => (s.destroy(), resolve(false)));
});
if (!natsUp) {
  if (process.env['SKJOLD_REQUIRE_NATS'] === '1') throw new Error(`NATS is not reachable on ${NATS}, but SKJOLD_REQUIRE_NATS=1`);
  console.warn(`NATS is not reachable on ${NATS}: skipping the collector/engine role tests`);
}

const sshd = (secondsAgo: number, msg: string, host = 'web1') =>
  `<38>1 ${new Date(Date.now() - secondsAgo * 1000).toISOString()} ${host} sshd 4242 - - ${msg}`;

/**
 * The roles as a provider runs them when one machine is not enough: a collector receives and parses logs and publishes
 * events to NATS JetStream; an engine consumes its partitions and detects. Real NATS, real databases (SQLite here:
 * the storage paths are the single-process ones, tested on both databases in threats.test.ts).
 */
describe.skipIf(!natsUp)('threats collector and engine roles over NATS', () => {
  const stream = `SKJOLD_TEST_ROLES_${randomBytes(4).toString('hex')}`;
  const env = {
    SKJOLD_THREATS_NATS_SERVERS: `nats://${NATS}`,
    SKJOLD_THREATS_NATS_STREAM: stream,
    SKJOLD_THREATS_PARTITIONS: '4',
  };
  let collector: TestApp;
  let engine: TestApp;
  let headers: Record<string, string>;

  beforeAll(async () => {
    // The engine first: it creates the stream the collector then finds.
    engine = await createTestApp('sqlite', { env: { ...env, SKJOLD_ROLES: 'api,engine' } });
    collector = await createTestApp('sqlite', { env: { ...env, SKJOLD_ROLES: 'api,collector' } });
    headers = (await createUserWithToken(collector, 'admin')).headers;
  }, 60_000);
  afterAll(async () => {
    await collector?.dispose();
    await engine?.dispose();
    const nc = await connect({ servers: NATS });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  async function alertsOnEngine(want: (a: AlertView[]) => boolean): Promise<AlertView[]> {
    const viewer = (await createUserWithToken(engine, 'viewer')).headers;
    for (let i = 0; i < 200; i++) {
      await engine.threats.writer.flush();
      const r = await engine.app.inject({ method: 'GET', url: '/api/v1/threats/alerts', headers: viewer });
      const items = r.json<{ items: AlertView[] }>().items;
      if (want(items)) return items;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error('the engine never made the expected alerts');
  }

  it('parses on the collector, detects on the engine: a brute force and a password spray across partitions', async () => {
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => sshd(200 - i, `Failed password for root from 203.0.113.7 port ${40000 + i} ssh2`)),
      // Twelve addresses in different networks (so different partitions), two tries each at one user.
      ...Array.from({ length: 12 }, (_, i) => [
        sshd(150 - i, `Failed password for backup from 198.51.${i}.10 port 1 ssh2`),
        sshd(140 - i, `Failed password for backup from 198.51.${i}.10 port 2 ssh2`),
      ]).flat(),
    ];
    const r = await collector.app.inject({
      method: 'POST',
      url: '/api/v1/threats/ingest',
      headers: { ...headers, 'content-type': 'text/plain' },
      payload: lines.join('\n'),
    });
    expect(r.statusCode, r.body).toBe(202);
    const alerts = await alertsOnEngine(
      (a) => a.some((x) => x.scenario === 'password-spraying') && a.some((x) => x.scenario === 'ssh-bf'),
    );
    expect(alerts.find((a) => a.scenario === 'ssh-bf')?.ip).toBe('203.0.113.7');
    const spray = alerts.find((a) => a.scenario === 'password-spraying');
    expect(spray?.key).toBe('backup');
    // Addresses that joined after the alert are folded into it: all twelve are named.
    await engine.threats.writer.flush();
    const full = await engine.threats.alerts.get(engine.database.db, spray?.id ?? '');
    expect(full.ips).toHaveLength(12);
    // The collector parsed but detected nothing itself; the engine received nothing over HTTP.
    expect(collector.threats.engine?.pipeline.counts.lines).toBe(lines.length);
    expect(collector.threats.engine?.detector.stats().events).toBe(0);
    expect(engine.threats.engine?.pipeline.counts.lines).toBe(0);
    expect(engine.threats.engine?.pipeline.counts.events).toBe(lines.length);
    const noIngest = await engine.app.inject({
      method: 'POST',
      url: '/api/v1/threats/ingest',
      headers: { ...(await createUserWithToken(engine, 'admin')).headers, 'content-type': 'text/plain' },
      payload: lines[0],
    });
    expect(noIngest.statusCode).toBe(503);
    expect(noIngest.json<{ code: string }>().code).toBe('ingest_not_here');
  });
});
