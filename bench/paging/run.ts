/**
 * Paging benchmark: from a failing check to the page handed to the channel. `node --import tsx bench/paging/run.ts`
 *
 * One Skjold in this process (SQLite, engine role, as `skjold start` runs it) with PAGING_BENCH_MONITORS HTTP monitors
 * (default 300) at a 10 s interval against a local target that answers 503, the default thresholds (2 failures open a
 * deviation), and a default escalation policy whose first level pages a webhook receiver and a person by e-mail (a real
 * SMTP server), all on 127.0.0.1. Each monitor opens one incident and pages once on each channel.
 *
 * Latency per page = when the receiver got it − when the deciding check started (the signal's occurredAt), so it
 * includes the check itself, the result write, the signal, the incident, the escalation, the outbox and the send.
 * Target: p99 under 1 s. There is no offline peer to run beside it (PagerDuty and Opsgenie are services).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, loadSkjoldConfig } from '../../src/app.ts';
import { createLogger } from '../../src/core/logger.ts';
import { seedPaging } from '../../test/paging.ts';
import { startHttpReceiver, startSmtpReceiver } from '../../test/receivers.ts';

const MONITORS = Number(process.env['PAGING_BENCH_MONITORS'] ?? 300);
const INTERVAL = 10;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const target = createServer((_req, res) => {
  res.writeHead(503, { 'content-type': 'text/plain' });
  res.end('down for the benchmark');
});
await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
const targetPort = (target.address() as { port: number }).port;
const hook = await startHttpReceiver();
const smtp = await startSmtpReceiver();

const dataDir = mkdtempSync(join(tmpdir(), 'skjold-bench-paging-'));
const config = loadSkjoldConfig({
  env: { SKJOLD_DATA_DIR: dataDir, DATABASE_URL: '', SKJOLD_HOST: '127.0.0.1', SKJOLD_PORT: '0', SKJOLD_LOG_LEVEL: 'silent' },
});
const app = await createApp({ config, log: createLogger('silent'), tls: false });
const loadAtStart = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
try {
  await seedPaging(app, {
    smtpPort: smtp.port,
    hookUrl: `${hook.url}/page`,
    // PAGING_BENCH_WEBHOOK_ONLY=1: no e-mail (the SMTP receiver parses every message on this same thread).
    levels: [
      {
        targets: process.env['PAGING_BENCH_WEBHOOK_ONLY']
          ? [{ channel: 'ops-hook' }]
          : [{ user: 'ann' }, { channel: 'ops-hook' }],
        escalateAfterSeconds: 3600,
      },
    ],
  });
  const db = app.database.db;
  const started = performance.now();
  process.stderr.write(`paging benchmark: ${MONITORS} failing HTTP monitors at ${INTERVAL} s, webhook + e-mail per incident\n`);
  await app.monitoring.service.apply(
    db,
    Array.from({ length: MONITORS }, (_, i) => ({
      name: `bench-${i}`,
      type: 'http',
      url: `http://127.0.0.1:${targetPort}/m${i}`,
      intervalSeconds: INTERVAL,
      timeoutSeconds: 5,
    })),
    'system:bench',
    { target() {}, change() {} },
  );
  await app.monitoring.engine.load();

  const deadline = Date.now() + (INTERVAL * 3 + 30) * 1000;
  const wantMail = process.env['PAGING_BENCH_WEBHOOK_ONLY'] ? 0 : MONITORS;
  while ((hook.requests.length < MONITORS || smtp.messages.length < wantMail) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    process.stderr.write(
      `\r  pages received: webhook ${hook.requests.length}/${MONITORS}, e-mail ${smtp.messages.length}/${MONITORS}`,
    );
  }
  process.stderr.write('\n');

  const signals = await db
    .selectFrom('incidents_signals')
    .select(['incident_id', 'occurred_at', 'received_at'])
    .where('status', '=', 'firing')
    .where('page', '=', 1)
    .execute();
  const occurred = new Map(signals.map((r) => [r.incident_id, Date.parse(r.occurred_at)]));
  // Where the time goes: from the check's start to the incident's registration (check, result, signal, commit).
  const registered = signals.map((r) => Date.parse(r.received_at) - Date.parse(r.occurred_at));
  const hookLat: number[] = [];
  for (const r of hook.requests) {
    const body = r.json as { incident: { id: string } };
    const at = occurred.get(body.incident.id);
    if (at !== undefined) hookLat.push(r.receivedAt - at);
  }
  const mailLat: number[] = [];
  const byMessageId = new Map(
    (await db.selectFrom('oncall_outbox').select(['id', 'incident_id']).execute()).map((o) => [
      `<${o.id}@skjold>`,
      o.incident_id,
    ]),
  );
  for (const m of smtp.messages) {
    const inc = m.messageId ? byMessageId.get(m.messageId) : undefined;
    const at = inc ? occurred.get(inc) : undefined;
    if (at !== undefined) mailLat.push(m.receivedAt - at);
  }
  const row = (what: string, xs: number[]) =>
    `| ${what.padEnd(30)} | ${String(xs.length).padStart(5)} | ${pct(xs, 50).toFixed(0).padStart(7)} | ${pct(xs, 99)
      .toFixed(0)
      .padStart(7)} | ${Math.max(...xs)
      .toFixed(0)
      .padStart(7)} | < 1000 ms p99 |`;
  process.stdout.write(
    [
      '',
      '| failing check → page handed over | pages | p50 ms | p99 ms | max ms | target        |',
      '|--------------------------------|-------|---------|---------|---------|---------------|',
      row('webhook (HMAC-signed POST)', hookLat),
      row('e-mail (SMTP, nodemailer)', mailLat),
      row('  of which: check → incident', registered),
      '',
      `${MONITORS} monitors, ${((performance.now() - started) / 1000).toFixed(0)} s; load average at start ${loadAtStart}, at end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
      '',
    ].join('\n'),
  );
} finally {
  await app.close();
  await hook.close();
  await smtp.close();
  target.close();
  rmSync(dataDir, { recursive: true, force: true });
}
