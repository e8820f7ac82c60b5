/**
 * Ingestion benchmarks: `node --import tsx src/modules/threats/ingest/ingest.bench.ts` (belongs in bench/threats/,
 * kept here until the lead moves it: the ingest folder is what this work owns).
 *
 *   1. framer alone: newline-framed and octet-counted sshd-like lines (~110 bytes) in 64 KiB chunks, lines/s and MB/s;
 *   2. the same with 1 % of lines carrying invalid UTF-8 (the slow path);
 *   3. queue push + take in batches;
 *   4. syslog over TCP on 127.0.0.1, sender and consumer in this process: lines/s end to end into the queue;
 *   5. file tailer reading a file of lines into the queue.
 *
 * Size: INGEST_BENCH_LINES (default 1,000,000). Target: the framing share of the pipeline's 200,000 lines/s on one core
 * must be small (≥ 2,000,000 lines/s for the framer alone).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../core/logger.ts';
import { FileTailer } from './file-tailer.ts';
import { SyslogFramer } from './framing.ts';
import { BoundedLineQueue } from './line-sink.ts';
import { startSyslogServer } from './syslog-server.ts';

const LINES = Number(process.env['INGEST_BENCH_LINES'] ?? 1_000_000);
const log = createLogger('silent');

function line(i: number): string {
  return `<38>Nov 27 10:00:${String(i % 60).padStart(2, '0')} web01 sshd[${1000 + (i % 5000)}]: Failed password for invalid user admin from 203.0.113.${i % 250} port ${40000 + (i % 20000)} ssh2`;
}

function chunks(buf: Buffer, size = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

function report(name: string, lines: number, bytes: number, ms: number): void {
  const s = ms / 1000;
  console.log(
    `${name.padEnd(44)} ${Math.round(lines / s)
      .toLocaleString('en')
      .padStart(12)} lines/s ${(bytes / 1048576 / s).toFixed(1).padStart(8)} MB/s`,
  );
}

function benchFramer(name: string, data: Buffer, octetCounting: boolean): void {
  const parts = chunks(data);
  for (let round = 0; round < 3; round++) {
    const framer = new SyslogFramer({ octetCounting });
    let n = 0;
    const out: string[] = [];
    const t0 = performance.now();
    for (const p of parts) {
      out.length = 0;
      framer.push(p, out);
      n += out.length;
    }
    const ms = performance.now() - t0;
    if (round === 2) report(name, n, data.length, ms);
  }
}

async function benchTcp(data: Buffer): Promise<void> {
  const queue = new BoundedLineQueue({ maxLines: 100_000 });
  const server = await startSyslogServer({ tcp: { host: '127.0.0.1', port: 0 }, sink: queue, log });
  const port = server.addresses.tcp!.port;
  const t0 = performance.now();
  const client = connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const sender = (async () => {
    for (const p of chunks(data)) if (!client.write(p)) await new Promise((r) => client.once('drain', r));
    client.end();
  })();
  let got = 0;
  while (got < LINES) {
    got += queue.take(4096).lines.length;
    if (queue.depth === 0) await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  await sender;
  report('tcp 127.0.0.1 → queue (same process)', got, data.length, ms);
  await server.close();
}

async function benchFile(data: Buffer): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const file = join(dir, 'auth.log');
  writeFileSync(file, data);
  const queue = new BoundedLineQueue({ maxLines: 100_000 });
  const tailer = new FileTailer({ paths: [file], sink: queue, statePath: join(dir, 'offsets.json'), log });
  const t0 = performance.now();
  const started = tailer.start();
  let got = 0;
  while (got < LINES) {
    got += queue.take(4096).lines.length;
    if (queue.depth === 0) await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  await started;
  await tailer.stop();
  report('file tailer → queue', got, data.length, ms);
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(`ingest bench: ${LINES.toLocaleString('en')} lines, node ${process.version}`);
  const texts = Array.from({ length: LINES }, (_, i) => line(i));
  const newline = Buffer.from(texts.join('\n') + '\n');
  const octet = Buffer.from(texts.map((t) => `${Buffer.byteLength(t)} ${t}`).join(''));
  benchFramer('framer, newline framing', newline, true);
  benchFramer('framer, octet counting', octet, true);
  const dirty = Buffer.from(newline);
  for (let i = 0, at = 0; i < LINES; i++) {
    const len = Buffer.byteLength(texts[i]!) + 1;
    if (i % 100 === 0) dirty[at + 30] = 0xff;
    at += len;
  }
  benchFramer('framer, 1 % invalid UTF-8', dirty, true);

  const queue = new BoundedLineQueue({ maxLines: 1_000_000 });
  const origin = { transport: 'tcp' as const, receivedAt: 0 };
  const t0 = performance.now();
  for (let i = 0; i < LINES; i += 500) {
    queue.push(texts.slice(i, i + 500), origin);
    queue.take(500);
  }
  report('queue push + take (batches of 500)', LINES, newline.length, performance.now() - t0);

  await benchTcp(newline);
  await benchFile(newline);
}

await main();
