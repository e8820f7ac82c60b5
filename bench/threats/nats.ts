/**
 * Scale-out over NATS JetStream: `node --import tsx bench/threats/nats.ts` (NATS on 127.0.0.1:4222, or
 * SKJOLD_BENCH_NATS). Prints:
 *   1. the codec alone: events/s encoded and decoded, bytes per event, against plain JSON objects for reference;
 *   2. publish only: N events (default 1,000,000, SKJOLD_BENCH_NATS_EVENTS) into the stream with acks, no worker
 *      (the publisher's CPU includes building each event, as a parser would; the user lane is off so that every
 *      event crosses once: with it on, auth events — two thirds here — cross twice);
 *   3. drain: two detector workers (child processes, 2 of 2) consuming that backlog;
 *   4. pipeline: publisher and both workers running at once, from first publish to last event handled.
 * The bench stream is unique per run and deleted afterwards. Everything shares this machine's cores with the NATS
 * server, so the figures are a floor for a real deployment where collectors, engines and NATS are apart.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { ThreatEvent } from '../../src/modules/threats/events.ts';
import { decodeBatch, encodeBatch, eventToTuple, type WireTuple } from '../../src/modules/threats/scale/event-codec.ts';
import { createDetectorInput } from '../../src/modules/threats/scale/event-consumer.ts';
import { createCollectorOutput } from '../../src/modules/threats/scale/event-publisher.ts';
import type { ScaleNames } from '../../src/modules/threats/scale/event-stream.ts';

const NATS = process.env['SKJOLD_BENCH_NATS'] ?? '127.0.0.1:4222';
const EVENTS = Number(process.env['SKJOLD_BENCH_NATS_EVENTS'] ?? 1_000_000);
const PARTITIONS = 16;

const USERS = ['root', 'admin', 'oracle', 'postgres', 'ubuntu', 'test', 'git', 'deploy'];

/** Event i of a realistic mix: two thirds sshd failures (with a user), one third nginx requests, 50,000 sources. */
function makeEvent(i: number): ThreatEvent {
  const s = i % 50_000;
  const ip =
    s % 5 === 0
      ? `2001:db8:${(s >> 8).toString(16)}:${(s & 255).toString(16)}::${i % 7}`
      : `${(s >> 16) + 1}.${(s >> 8) & 255}.${s & 255}.${i % 250}`;
  if (i % 3 !== 2) {
    const user = USERS[i % USERS.length] as string;
    return {
      time: 1_764_200_000_000 + i,
      ip,
      service: 'ssh',
      kind: 'auth_failed',
      parser: 'sshd',
      host: `web-${i % 40}`,
      user,
      line: `Nov 27 16:00:00 web-${i % 40} sshd[${1000 + (i % 9000)}]: Failed password for ${user} from ${ip} port ${40000 + (i % 20000)} ssh2`,
    };
  }
  return {
    time: 1_764_200_000_000 + i,
    ip,
    service: 'http',
    kind: 'request',
    parser: 'nginx',
    host: 'shop.example',
    method: 'GET',
    path: `/wp-login.php?id=${i}`,
    status: 404,
    userAgent: 'Mozilla/5.0 (compatible; scanner/1.0)',
    line: `${ip} - - [27/Nov/2026:16:00:00 +0000] "GET /wp-login.php?id=${i} HTTP/1.1" 404 153 "-" "Mozilla/5.0 (compatible; scanner/1.0)"`,
  };
}

const makeEvents = (n: number): ThreatEvent[] => Array.from({ length: n }, (_, i) => makeEvent(i));

/** CPU seconds (user + system) of this process. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU seconds used so far by the local nats-server (read from /proc), or NaN when it is not found. */
function serverCpuSeconds(): number {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      if (!stat.includes('(nats-server)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    }
  } catch {
    // not Linux
  }
  return Number.NaN;
}

const perCore = (n: number, cpu: number): string => `${Math.round(n / cpu).toLocaleString('en')} events per CPU-second`;

const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en')} events/s`;

function codecBench(): void {
  const events = makeEvents(200_000);
  const batches: ThreatEvent[][] = [];
  for (let i = 0; i < events.length; i += 500) batches.push(events.slice(i, i + 500));
  for (let round = 0; round < 2; round++) {
    let c = cpuSeconds();
    let t = performance.now();
    let bytes = 0;
    const encoded: Uint8Array[] = [];
    for (const b of batches) {
      const tuples: WireTuple[] = [];
      for (const e of b) tuples.push(eventToTuple(e) as WireTuple);
      const m = encodeBatch(tuples);
      bytes += m.length;
      encoded.push(m);
    }
    const encMs = performance.now() - t;
    const encCpu = cpuSeconds() - c;
    c = cpuSeconds();
    t = performance.now();
    let n = 0;
    for (const m of encoded) {
      const d = decodeBatch(m);
      if (d.ok) n += d.events.length;
    }
    const decMs = performance.now() - t;
    const decCpu = cpuSeconds() - c;
    c = cpuSeconds();
    t = performance.now();
    const te = new TextEncoder();
    const td = new TextDecoder();
    let objBytes = 0;
    for (const b of batches) {
      const m = te.encode(JSON.stringify(b));
      objBytes += m.length;
      JSON.parse(td.decode(m));
    }
    const objMs = performance.now() - t;
    const objCpu = cpuSeconds() - c;
    if (round === 1) {
      console.log(
        `codec: encode ${rate(events.length, encMs)} (${perCore(events.length, encCpu)}), ` +
          `decode+validate ${rate(n, decMs)} (${perCore(n, decCpu)})`,
      );
      console.log(
        `codec: ${(bytes / events.length).toFixed(0)} bytes/event; JSON objects for reference: ` +
          `${(objBytes / events.length).toFixed(0)} bytes/event, encode+decode without validation ` +
          `${rate(events.length, objMs)} (${perCore(events.length, objCpu)})`,
      );
    }
  }
}

/** Child process: one detector worker; reports its event count to the parent every 100 ms and when told to stop. */
async function runWorker(names: ScaleNames, index: number): Promise<void> {
  let events = 0;
  const input = await createDetectorInput({
    servers: NATS,
    names,
    partitions: PARTITIONS,
    workerIndex: index,
    workerCount: 2,
    userLane: false,
    prefetch: 32,
    onEvent: () => {
      events++;
    },
  });
  process.send?.({ ready: true });
  const timer = setInterval(() => process.send?.({ events, cpu: cpuSeconds() }), 50);
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop !== true) return;
    clearInterval(timer);
    void input.close().then(() => {
      process.send?.({ events, cpu: cpuSeconds(), stats: input.stats() }, () => process.exit(0));
    });
  });
}

interface Child {
  events: number;
  cpu: number;
  stop(): Promise<void>;
}

function startWorker(names: ScaleNames, index: number): Promise<Child> {
  const child = fork(fileURLToPath(import.meta.url), ['--worker', String(index), JSON.stringify(names)], {
    execArgv: ['--import', 'tsx'],
  });
  const c: Child = {
    events: 0,
    cpu: 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send({ stop: true });
      }),
  };
  return new Promise((resolve, reject) => {
    child.on('message', (m: { ready?: boolean; events?: number; cpu?: number }) => {
      if (m.events !== undefined) c.events = m.events;
      if (m.cpu !== undefined) c.cpu = m.cpu;
      if (m.ready === true) resolve(c);
    });
    child.once('error', reject);
  });
}

async function waitFor(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}

async function main(): Promise<void> {
  codecBench();
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const names: ScaleNames = { stream: `SKJOLD_BENCH_${id}`, subjectPrefix: `skjoldbench.${id}.events`, durablePrefix: `b-${id}` };
  const nc = await connect({ servers: NATS });
  const jsm = await jetstreamManager(nc);
  try {
    const out = await createCollectorOutput({
      servers: NATS,
      names,
      partitions: PARTITIONS,
      userLane: false,
      limits: { maxBytes: 4 * 1024 ** 3 },
    });
    const publishAll = async (): Promise<void> => {
      // Events are built one at a time, as a parser hands them over (short-lived, young-generation garbage).
      for (let i = 0; i < EVENTS; i++) {
        const e = makeEvent(i);
        if (!out.publish(e)) {
          await out.waitForCapacity();
          out.publish(e);
        }
      }
      await out.flush();
    };
    console.log(
      `load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores: wall-clock rates are shared, CPU rates are not`,
    );
    let t = performance.now();
    let c = cpuSeconds();
    let sc = serverCpuSeconds();
    await publishAll();
    const pubMs = performance.now() - t;
    const st = out.stats();
    console.log(
      `publish only: ${rate(st.published, pubMs)} (${st.batches} batches, ${st.failed} failed, ${st.retries} retries); ` +
        `publisher ${perCore(EVENTS, cpuSeconds() - c)}, nats-server ${perCore(EVENTS, serverCpuSeconds() - sc)}`,
    );

    t = performance.now();
    sc = serverCpuSeconds();
    const workers = await Promise.all([startWorker(names, 0), startWorker(names, 1)]);
    const workerCpu = (): number => workers[0].cpu + workers[1].cpu;
    const startCpu = workerCpu();
    await waitFor(() => workers[0].events + workers[1].events >= EVENTS);
    const drainMs = performance.now() - t;
    console.log(
      `drain backlog with 2 workers: ${rate(EVENTS, drainMs)} incl. worker start; ` +
        `workers ${perCore(EVENTS, workerCpu() - startCpu)} (split ${workers[0].events} / ${workers[1].events}), ` +
        `nats-server ${perCore(EVENTS, serverCpuSeconds() - sc)}`,
    );

    t = performance.now();
    c = cpuSeconds();
    sc = serverCpuSeconds();
    const wc = workerCpu();
    await publishAll();
    await waitFor(() => workers[0].events + workers[1].events >= 2 * EVENTS);
    const pipeMs = performance.now() - t;
    console.log(
      `pipeline publish → 2 workers: ${rate(EVENTS, pipeMs)}; publisher ${perCore(EVENTS, cpuSeconds() - c)}, ` +
        `workers ${perCore(EVENTS, workerCpu() - wc)}, nats-server ${perCore(EVENTS, serverCpuSeconds() - sc)}`,
    );
    await Promise.all(workers.map((w) => w.stop()));
    await out.close();
  } finally {
    await jsm.streams.delete(names.stream).catch(() => false);
    await nc.close();
  }
}

const at = process.argv.indexOf('--worker');
if (at >= 0) await runWorker(JSON.parse(process.argv[at + 2] as string) as ScaleNames, Number(process.argv[at + 1]));
else await main();
