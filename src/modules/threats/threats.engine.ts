import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { AlertWriter } from './alerts.writer.ts';
import { createDetector, type Detector } from './detect/detector.ts';
import { builtinScenarios, loadScenarios } from './detect/scenarios.loader.ts';
import { LOG_TYPES, type LogType } from './events.ts';
import { FileTailer } from './ingest/file-tailer.ts';
import { newCounters, SampleRing, type TransportCounters } from './ingest/ingest-stats.ts';
import { type HttpIngestResult, ingestHttpBody } from './ingest/http-body.ts';
import { BoundedLineQueue, type LineOrigin, type LineSink } from './ingest/line-sink.ts';
import { startSyslogServer, type SyslogServer } from './ingest/syslog-server.ts';
import { buildIpIndex, type IpIndex, IpIndexHolder } from './intel/ip-index.ts';
import { ThreatPipeline } from './pipeline.ts';
import type { CollectorOutput } from './scale/event-publisher.ts';
import type { DetectorInput } from './scale/event-consumer.ts';
import type { ScaleNames } from './scale/event-stream.ts';
import type { ThreatsConfig } from './threats.config.ts';

export interface ThreatsEngineDeps {
  clock: Clock;
  log: Logger;
  config: ThreatsConfig;
  dataDir: string;
  timeZone: string;
  writer: AlertWriter;
  /** Receive and parse logs here (syslog, files, HTTP bulk). */
  ingest: boolean;
  /** Run the scenarios here: on this process's own lines, or on events consumed from NATS (scale-out), or not at all. */
  detect: 'local' | 'nats' | 'none';
  /** Certificate and key for syslog over TLS (the server's own). */
  tls?: { cert: string; key: string } | undefined;
}

/** Stream, subject and consumer names from the configured stream name (the defaults for `SKJOLD_THREATS`). */
function scaleNames(stream: string): ScaleNames {
  const base = stream.toLowerCase().replaceAll('_', '-');
  return { stream, subjectPrefix: `${base.replaceAll('-', '.')}.events`, durablePrefix: base };
}

const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

function listen(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/**
 * The detection engine of one process: the bounded line queue every transport feeds (syslog UDP/TCP/TLS, followed
 * files, the HTTP bulk endpoint), the consumer that runs each line through the pipeline in batches while yielding to
 * I/O, the scenarios, and the IP index it looks sources up in. Alerts go to the writer, which never blocks parsing.
 */
export class ThreatsEngine {
  readonly queue: BoundedLineQueue;
  readonly pipeline: ThreatPipeline;
  readonly detector: Detector;
  /** Scale-out only: the user-keyed scenarios, fed from the user lane. */
  readonly userDetector: Detector | undefined;
  private output: CollectorOutput | undefined;
  private input: DetectorInput | undefined;
  readonly index = new IpIndexHolder();
  readonly scenarioErrors: string[] = [];
  private customers: IpIndex | null;
  private syslog: SyslogServer | undefined;
  private tailer: FileTailer | undefined;
  private consuming: Promise<void> | undefined;
  private expireTimer: NodeJS.Timeout | undefined;
  private readonly fileTypes = new Map<string, LogType>();
  private readonly httpTypes = new WeakMap<LineOrigin, LogType>();
  readonly http: TransportCounters = newCounters();
  readonly httpSamples = new SampleRing();
  private processed = 0;

  constructor(private readonly deps: ThreatsEngineDeps) {
    const c = deps.config;
    this.queue = new BoundedLineQueue({ maxLines: c.queueLines });
    this.customers = c.customerNetworks.length
      ? buildIpIndex([{ id: 1, name: 'customer', kind: 'feed', cidrs: c.customerNetworks }])
      : null;
    this.pipeline = new ThreatPipeline({
      timeZone: deps.timeZone,
      now: () => deps.clock.now().getTime(),
      index: () => this.index.current,
      customerNetworks: () => this.customers,
      customerHosts: new Set(c.customerHosts),
      writer: deps.writer,
      multiTargetThreshold: c.multiTargetThreshold,
    });
    const extra = c.scenariosDir ? loadScenarios(c.scenariosDir) : { scenarios: [], errors: [] };
    for (const e of extra.errors) this.scenarioErrors.push(`${e.file}: ${e.path} ${e.message}`);
    for (const e of this.scenarioErrors) deps.log.error({ problem: e }, 'threats: a scenario file was not loaded');
    const scenarios = [...builtinScenarios(), ...extra.scenarios];
    if (deps.detect === 'nats') {
      // Scale-out: IP-keyed scenarios see the partitions this worker owns by source network; user-keyed ones (password
      // spraying) see the user lane, partitioned by target user, so all of one user's attempts meet on one worker.
      const byUser = scenarios.filter((s) => s.spec.groupBy === 'user');
      this.detector = createDetector({
        scenarios: scenarios.filter((s) => s.spec.groupBy !== 'user'),
        maxBuckets: c.maxBuckets,
        onOverflow: this.pipeline.onOverflow,
        onBlackholed: this.pipeline.onBlackholed,
      });
      this.userDetector = createDetector({
        scenarios: byUser,
        maxBuckets: c.maxBuckets,
        onOverflow: this.pipeline.onOverflow,
        onBlackholed: this.pipeline.onBlackholed,
      });
      this.pipeline.attach(this.detector, this.userDetector);
    } else {
      this.detector = createDetector({
        scenarios,
        maxBuckets: c.maxBuckets,
        onOverflow: this.pipeline.onOverflow,
        onBlackholed: this.pipeline.onBlackholed,
      });
      this.pipeline.attach(this.detector);
    }
    for (const f of c.files) {
      const eq = f.indexOf('=');
      const type = eq > 0 ? f.slice(0, eq) : 'auto';
      const path = eq > 0 ? f.slice(eq + 1) : f;
      this.fileTypes.set(path, (LOG_TYPES as readonly string[]).includes(type) ? (type as LogType) : 'auto');
    }
  }

  /** Start listeners, file tailing and the consumer. */
  async start(): Promise<void> {
    const c = this.deps.config;
    if (this.deps.detect === 'nats') {
      // Loaded only when scale-out is configured: the single-process default never loads the NATS client.
      const { createDetectorInput } = await import('./scale/event-consumer.ts');
      this.input = await createDetectorInput({
        servers: c.natsServers,
        partitions: c.partitions,
        workerIndex: c.workerIndex,
        workerCount: c.workerCount,
        names: scaleNames(c.natsStream),
        onEvent: (e, lane) => this.pipeline.handle(e, lane),
      });
      for (const w of this.input.warnings) this.deps.log.warn({ warning: w }, 'threats: event stream');
    }
    if (!this.deps.ingest) return this.startTimers();
    if (this.deps.detect !== 'local') {
      const { createCollectorOutput } = await import('./scale/event-publisher.ts');
      this.output = await createCollectorOutput({
        servers: c.natsServers,
        partitions: c.partitions,
        names: scaleNames(c.natsStream),
      });
    }
    if (c.syslogUdp || c.syslogTcp || c.syslogTls)
      this.syslog = await startSyslogServer({
        udp: c.syslogUdp ? listen(c.syslogUdp) : undefined,
        tcp: c.syslogTcp ? listen(c.syslogTcp) : undefined,
        tls: c.syslogTls && this.deps.tls ? { ...listen(c.syslogTls), ...this.deps.tls } : undefined,
        sink: this.queue,
        log: this.deps.log,
      });
    if (this.fileTypes.size > 0) {
      this.tailer = new FileTailer({
        paths: [...this.fileTypes.keys()],
        sink: this.queue,
        statePath: join(this.deps.dataDir, 'threats', 'offsets.json'),
        log: this.deps.log,
      });
      await this.tailer.start();
    }
    this.consuming = this.consume();
    this.startTimers();
  }

  private startTimers(): void {
    this.expireTimer = setInterval(() => {
      const t = this.pipeline.counts.lastEventAt;
      if (t > 0) {
        this.detector.expire(t);
        this.userDetector?.expire(t);
      }
    }, 10_000);
    this.expireTimer.unref();
  }

  private async consume(): Promise<void> {
    for await (const batch of this.queue.batches(2048)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const origin = batch.origins[i] as LineOrigin;
        const type =
          origin.transport === 'file'
            ? (this.fileTypes.get(origin.file ?? '') ?? 'auto')
            : origin.transport === 'http'
              ? (this.httpTypes.get(origin) ?? 'auto')
              : 'auto';
        try {
          if (this.output) {
            const e = this.pipeline.parse(batch.lines[i] as string, type);
            // Back-pressure from NATS: wait for acks before taking more lines (the queue then slows the senders).
            if (e && !this.output.publish(e)) await this.output.waitForCapacity();
          } else this.pipeline.process(batch.lines[i] as string, type);
        } catch (err) {
          // A parser or scenario bug must cost one line, never the engine.
          this.deps.log.error({ err }, 'threats: a line failed in the pipeline');
        }
      }
      this.processed += batch.lines.length;
      await yieldToIo();
    }
  }

  /**
   * A body from the HTTP bulk endpoint, framed with the syslog limits and queued whole, or not at all: while the queue
   * is full it waits up to 2 s for room, then answers busy (the client sends again; nothing is lost or half-taken).
   */
  ingestHttp(body: string, format: 'lines' | 'ndjson', type: LogType, peer: string): Promise<HttpIngestResult> {
    const queue = this.queue;
    const types = this.httpTypes;
    const tagged: LineSink = {
      push(lines, origin) {
        if (type !== 'auto') types.set(origin, type);
        return queue.push(lines, origin);
      },
      isFull: () => queue.isFull(),
      onDrain: (cb) => queue.onDrain(cb),
    };
    return ingestHttpBody(tagged, body, {
      format,
      peer,
      counters: this.http,
      samples: this.httpSamples,
      now: () => this.deps.clock.now().getTime(),
    });
  }

  /** Wait until every queued line has been through the pipeline (tests, the CLI). */
  async idle(): Promise<void> {
    while (this.queue.depth > 0) await new Promise((r) => setTimeout(r, 5));
    await yieldToIo();
  }

  /** Counters of every transport this process receives on (read at each Prometheus scrape: cheap). */
  transportCounters(): Record<string, TransportCounters> {
    const sys = this.syslog?.stats();
    return {
      ...(sys ? { udp: sys.udp, tcp: sys.tcp, tls: sys.tls } : {}),
      ...(this.tailer ? { file: this.tailer.stats().counters } : {}),
      http: this.http,
    };
  }

  stats(): Record<string, unknown> {
    const q = this.queue.stats();
    const oldest = this.queue.oldestReceivedAt();
    return {
      queue: q,
      ingestLagSeconds: oldest === undefined ? 0 : Math.max(0, (this.deps.clock.now().getTime() - oldest) / 1000),
      processed: this.processed,
      pipeline: this.pipeline.counts,
      detector: this.detector.stats(),
      userDetector: this.userDetector?.stats() ?? null,
      nats: this.output || this.input ? { published: this.output?.stats() ?? null, consumed: this.input?.stats() ?? null } : null,
      writer: this.deps.writer.stats(),
      index: this.index.current.stats(),
      syslog: this.syslog ? this.syslog.stats() : null,
      files: this.tailer ? this.tailer.stats() : null,
      http: this.http,
      scenarioErrors: this.scenarioErrors,
    };
  }

  async stop(): Promise<void> {
    if (this.expireTimer) clearInterval(this.expireTimer);
    await this.syslog?.close();
    await this.tailer?.stop();
    this.queue.close();
    await this.consuming;
    await this.output?.close();
    await this.input?.close();
  }
}
