/**
 * The scale-out across a NATS server restart: this test starts its own nats-server (Debian's, on a free port with a
 * temporary store), stops it while events are in flight and starts it again on the same store.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/ports.ts';
import type { ThreatEvent } from '../events.ts';
import { createDetectorInput } from './event-consumer.ts';
import { createCollectorOutput } from './event-publisher.ts';

const hasServer = spawnSync('nats-server', ['--version']).status === 0;
if (!hasServer) console.warn('nats-server is not installed: skipping the NATS restart test');

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function until(done: () => boolean | Promise<boolean>, what: () => string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
const event = (ip: string): ThreatEvent => ({
  time: 1_764_200_000_000 + n,
  ip,
  service: 'http',
  kind: 'request',
  parser: 'nginx',
  line: `request ${n++} from ${ip}`,
});

describe.skipIf(!hasServer)('NATS server restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skjold-nats-'));
  let server: ChildProcess | undefined;
  let port = 0;

  async function startServer(): Promise<void> {
    server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
    await until(
      () => answers(port),
      () => `nats-server on ${port}`,
    );
  }

  async function stopServer(): Promise<void> {
    const s = server;
    if (s === undefined || s.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      s.once('exit', () => resolve());
      s.kill('SIGTERM');
    });
  }

  afterAll(async () => {
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no event and counts none twice when the server restarts under load', async () => {
    port = await freePort();
    await startServer();
    const servers = `127.0.0.1:${port}`;
    const got: string[] = [];
    const input = await createDetectorInput({
      servers,
      partitions: 4,
      workerIndex: 0,
      workerCount: 1,
      ackWaitMs: 2000,
      onEvent: (e) => void got.push(e.line),
    });
    const out = await createCollectorOutput({ servers, partitions: 4 });
    const sent: string[] = [];
    const publish = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const e = event(`198.51.${i % 50}.${i % 250}`);
        expect(out.publish(e)).toBe(true);
        sent.push(e.line);
      }
    };
    publish(500);
    await out.flush();
    await until(
      () => got.length === 500,
      () => `${got.length} of 500`,
    );

    await stopServer();
    publish(500); // held and retried while the server is away
    await new Promise((r) => setTimeout(r, 300));
    await startServer();
    await out.flush();
    await until(
      () => got.length >= sent.length,
      () => `${got.length} of ${sent.length}`,
      40_000,
    );

    expect(out.stats()).toMatchObject({ accepted: 1000, published: 1000, failed: 0, pending: 0 });
    expect(new Set(got).size).toBe(sent.length);
    expect(got).toHaveLength(sent.length);
    await out.close();
    await input.close();
  }, 60_000);
});
