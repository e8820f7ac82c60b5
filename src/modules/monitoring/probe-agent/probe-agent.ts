import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../../../core/clock.ts';
import type { Logger } from '../../../core/logger.ts';
import { type MonitorDefinition, monitorDefinition } from '../api/monitor.schemas.ts';
import { runCheck } from '../checks/run-check.ts';
import type { MonitoringConfig } from '../monitoring.config.ts';
import { MonitorScheduler, type SchedulerStats } from '../monitor.scheduler.ts';
import type { ProbeResultItem } from '../probes/probe.schemas.ts';
import type { Assignments } from '../probes/probes.service.ts';
import type { ProbeAgentConfig } from './probe-agent.config.ts';
import { ProbeClient } from './probe-client.ts';

export interface ProbeAgentOptions {
  config: ProbeAgentConfig;
  monitoring: Pick<MonitoringConfig, 'maxInFlight' | 'maxBodyBytes'>;
  log: Logger;
  clock: Clock;
  /** Sent as the User-Agent (`skjold-probe/0.1.0`). */
  userAgent: string;
}

export interface ProbeAgentStats {
  location: string | null;
  monitors: number;
  buffered: number;
  dropped: number;
  sent: number;
  lastPollOk: boolean;
  scheduler: SchedulerStats;
}

export interface ProbeAgentHandle {
  stats(): ProbeAgentStats;
  /** Stop checking, try once more to deliver what is buffered, close connections. */
  stop(): Promise<void>;
}

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/** Exponential backoff with jitter: 1 s, 2 s, 4 s … up to a minute. */
const backoff = (failures: number) =>
  Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.min(failures, 10)) * (0.75 + Math.random() * 0.5);

/**
 * The probe role: polls its assignments from the Skjold API, runs them with the engine's own scheduler and check
 * implementations, and posts the results in batches. It survives the server being away: results wait in a bounded
 * buffer (the oldest are dropped beyond `bufferMax`, and counted), and polls and posts retry with backoff. A batch
 * keeps its id across retries, so a batch the server took but whose answer was lost is not counted twice.
 */
export async function runProbeAgent(o: ProbeAgentOptions): Promise<ProbeAgentHandle> {
  const { config, log, clock } = o;
  const client = new ProbeClient({
    server: config.server,
    token: config.token,
    ca: config.serverCa ? readFileSync(config.serverCa, 'utf8') : undefined,
    fingerprint: config.serverFingerprint,
    userAgent: o.userAgent,
  });
  const defs = new Map<string, { def: MonitorDefinition; json: string }>();
  let buffer: ProbeResultItem[] = [];
  let pending: { batchId: string; results: ProbeResultItem[] } | null = null;
  let etag: string | undefined;
  let location: string | null = null;
  let pollSeconds = 30;
  let offsetMs = 0;
  let dropped = 0;
  let sent = 0;
  let pollFailures = 0;
  let sendFailures = 0;
  let lastPollOk = false;
  let stopped = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let sendTimer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();

  const scheduler = new MonitorScheduler({
    clock,
    maxInFlight: o.monitoring.maxInFlight,
    async run(e) {
      const entry = defs.get(e.id);
      if (!entry) return;
      const at = new Date(clock.now().getTime() + offsetMs).toISOString();
      const outcome = await runCheck(e.id, entry.def, {
        maxBodyBytes: o.monitoring.maxBodyBytes,
        now: () => clock.now(),
        lastHeartbeat: () => Promise.resolve(null),
      });
      if (defs.get(e.id) !== entry) return;
      buffer.push({ monitorId: e.id, at, ok: outcome.ok, responseMs: outcome.responseMs, error: outcome.error });
      const over = buffer.length + (pending?.results.length ?? 0) - config.bufferMax;
      if (over > 0) {
        buffer.splice(0, over);
        dropped += over;
        if (dropped === over || dropped % 1000 < over) log.warn({ dropped }, 'probe: result buffer full; dropping the oldest');
      }
    },
  });

  /** Server time − local time, from a Date-like header or the body, halved over the round trip. */
  const noteServerTime = (serverTime: string | undefined, sentAt: number) => {
    const t = serverTime ? Date.parse(serverTime) : NaN;
    if (Number.isNaN(t)) return;
    const now = clock.now().getTime();
    offsetMs = Math.round(t - (sentAt + now) / 2);
  };

  const applyAssignments = (a: Assignments) => {
    location = a.location;
    pollSeconds = Math.max(5, Math.min(3600, Number(a.pollSeconds) || 30));
    const seen = new Set<string>();
    for (const m of a.monitors) {
      const parsed = monitorDefinition.safeParse(m.definition);
      if (!parsed.success || parsed.data.type === 'heartbeat') {
        log.warn({ monitorId: m.id }, 'probe: an assignment this build cannot run was skipped');
        continue;
      }
      seen.add(m.id);
      const json = JSON.stringify(parsed.data);
      const prev = defs.get(m.id);
      if (prev?.json === json) continue;
      defs.set(m.id, { def: parsed.data, json });
      scheduler.upsert({ id: m.id, intervalMs: parsed.data.intervalSeconds * 1000 });
    }
    for (const id of [...defs.keys()]) {
      if (!seen.has(id)) {
        defs.delete(id);
        scheduler.remove(id);
      }
    }
    log.info({ location, monitors: defs.size, version: a.version }, 'probe: assignments loaded');
  };

  const poll = async (): Promise<void> => {
    const sentAt = clock.now().getTime();
    try {
      const res = await client.request('GET', '/api/v1/probe/assignments', undefined, etag ? { 'if-none-match': etag } : {});
      if (res.status === 304) {
        noteServerTime(res.headers['x-skjold-server-time'] as string | undefined, sentAt);
      } else if (res.status === 200) {
        const a = res.body as Assignments;
        noteServerTime(a.serverTime, sentAt);
        applyAssignments(a);
        etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
      } else {
        throw new Error(`the server answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      }
      if (!lastPollOk) log.info({ server: config.server }, 'probe: connected');
      lastPollOk = true;
      pollFailures = 0;
    } catch (e) {
      lastPollOk = false;
      pollFailures++;
      log.warn({ err: (e as Error).message, retryInMs: Math.round(backoff(pollFailures)) }, 'probe: polling assignments failed');
    }
  };

  const schedulePoll = (ms: number) => {
    if (stopped) return;
    pollTimer = setTimeout(() => {
      void poll().then(() => schedulePoll(pollFailures > 0 ? backoff(pollFailures) : pollSeconds * 1000));
    }, ms);
  };

  /** Post one batch (the pending one first); true when the server took it (or refused it for good). */
  const sendOne = async (): Promise<boolean> => {
    if (!pending) {
      if (buffer.length === 0) return false;
      pending = { batchId: randomUUID(), results: buffer.slice(0, config.batchMax) };
      buffer = buffer.slice(pending.results.length);
    }
    const res = await client.request('POST', '/api/v1/probe/results', {
      batchId: pending.batchId,
      version: o.userAgent.slice(0, 50),
      results: pending.results,
    });
    if (res.status === 200) {
      sent += pending.results.length;
      pending = null;
      return true;
    }
    if (res.status === 400 || res.status === 422) {
      // Refused for good: retrying the same batch cannot succeed. Say what was wrong and move on.
      log.error({ body: res.body, count: pending.results.length }, 'probe: the server refused a batch of results; dropped');
      dropped += pending.results.length;
      pending = null;
      return true;
    }
    throw new Error(`the server answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  };

  const flush = async (): Promise<void> => {
    try {
      while (await sendOne()) sendFailures = 0;
    } catch (e) {
      sendFailures++;
      log.warn(
        { err: (e as Error).message, buffered: buffer.length + (pending?.results.length ?? 0) },
        'probe: posting results failed',
      );
    }
  };

  const scheduleSend = (ms: number) => {
    if (stopped) return;
    sendTimer = setTimeout(() => {
      sending = flush().then(() => scheduleSend(sendFailures > 0 ? backoff(sendFailures) : config.sendSeconds * 1000));
    }, ms);
  };

  scheduler.start();
  await poll();
  schedulePoll(pollFailures > 0 ? backoff(pollFailures) : pollSeconds * 1000);
  scheduleSend(config.sendSeconds * 1000);

  return {
    stats: () => ({
      location,
      monitors: defs.size,
      buffered: buffer.length + (pending?.results.length ?? 0),
      dropped,
      sent,
      lastPollOk,
      scheduler: scheduler.stats(),
    }),
    async stop() {
      stopped = true;
      clearTimeout(pollTimer);
      clearTimeout(sendTimer);
      await scheduler.stop();
      await sending;
      // One last attempt, bounded: a server that is away does not hold the shutdown.
      await Promise.race([flush(), new Promise((r) => setTimeout(r, 3000).unref())]);
      client.close();
    },
  };
}
