/**
 * Engine side of the scale-out: a detector worker owns some partitions and reads them from durable JetStream pull
 * consumers, one per owned subject (the server here is 2.9, which has no multi-subject `filter_subjects`; one
 * consumer per subject also lets a partition move between workers alone). The durable is named after the
 * *partition*, not the worker: when workers are re-sized or restarted, the new owner resumes exactly where the old
 * one stopped.
 *
 * Delivery is at-least-once: a batch is acked after every event in it went through `onEvent`. A worker that dies
 * between processing and ack sees the batch again after `ackWaitMs`; since its buckets died with it, the restarted
 * worker counts those events once in fresh buckets. A *live* worker that gets a batch redelivered (ack lost, or
 * processing slower than `ackWaitMs`) skips it when its stream sequence is among the last `dedupeWindow` it processed,
 * so buckets are not double-counted; beyond that window a redelivered batch is counted again (buckets may overflow a
 * little early: a few events, never a missed event).
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { ThreatEvent } from '../events.ts';
import { decodeBatch, type BatchRejection } from './event-codec.ts';
import {
  DEFAULT_SCALE_NAMES,
  DEFAULT_STREAM_LIMITS,
  ensureStream,
  ipSubject,
  isNotFound,
  userSubject,
  type ScaleNames,
  type StreamLimits,
} from './event-stream.ts';
import { partitionsOfWorker } from './partition.ts';

/**
 * Which lane an event came from: `ip` carries every event of the worker's source networks (run IP-, /24- and
 * /64-keyed scenarios on it); `user` carries authentication events of the worker's user-name partitions (run only
 * user-keyed scenarios on it). An auth event naming a user arrives once on each lane, possibly at two workers.
 */
export type EventLane = 'ip' | 'user';

export type EventHandler = (event: ThreatEvent, lane: EventLane, partition: number) => void | Promise<void>;

/** Partitions given explicitly, or derived round-robin from the worker's index (`p % workerCount === workerIndex`). */
export type Ownership = { partitions: readonly number[] } | { workerIndex: number; workerCount: number };

export interface PartitionWorkerOptions {
  nc: NatsConnection;
  /** Total partition count (same as the collectors'). */
  partitionCount: number;
  ownership: Ownership;
  onEvent: EventHandler;
  names?: ScaleNames | undefined;
  limits?: Partial<StreamLimits> | undefined;
  /** Consume the user lane of the owned partitions too (default true). */
  userLane?: boolean | undefined;
  /** Messages (batches) pulled ahead per consumer (default 16, i.e. up to 8,000 events). */
  prefetch?: number | undefined;
  /** How long the server waits for an ack before redelivering, ms (default 30 s). */
  ackWaitMs?: number | undefined;
  /** Stream sequences remembered per consumer to skip redeliveries of processed batches (default 16,384). */
  dedupeWindow?: number | undefined;
}

export interface WorkerStats {
  /** Messages (batches) processed and acked. */
  messages: number;
  /** Events handed to `onEvent`. */
  events: number;
  /** Messages refused whole (garbage, oversize, unknown version), acked so they do not come back. */
  badMessages: number;
  badMessagesByReason: Partial<Record<BatchRejection, number>>;
  /** Malformed events dropped from otherwise good batches. */
  badEvents: number;
  /** Messages the server delivered again. */
  redelivered: number;
  /** Redelivered messages skipped because this worker had already processed them. */
  duplicatesSkipped: number;
  /** `onEvent` calls that threw or rejected (the event is skipped, the batch still acked). */
  handlerErrors: number;
  /** Consumers that stopped on an unrecoverable error (see `lastError`); the worker needs a restart. */
  stoppedLanes: number;
  lastError?: string | undefined;
}

/** A bounded set of recent stream sequences (ring buffer + set): the redelivery dedupe of one consumer. */
class RecentSequences {
  readonly #ring: Float64Array;
  readonly #set = new Set<number>();
  #next = 0;
  constructor(size: number) {
    this.#ring = new Float64Array(Math.max(1, size));
  }
  has(seq: number): boolean {
    return this.#set.has(seq);
  }
  add(seq: number): void {
    const old = this.#ring[this.#next] as number;
    if (old !== 0) this.#set.delete(old);
    this.#ring[this.#next] = seq;
    this.#set.add(seq);
    this.#next = (this.#next + 1) % this.#ring.length;
  }
}

interface Lane {
  lane: EventLane;
  partition: number;
  durable: string;
  subject: string;
  recent: RecentSequences;
  messages?: ConsumerMessages | undefined;
  done?: Promise<void> | undefined;
}

export class PartitionWorker {
  readonly #opts: PartitionWorkerOptions;
  readonly #names: ScaleNames;
  readonly #owned: readonly number[];
  readonly #lanes: Lane[] = [];
  readonly #stats: WorkerStats = {
    messages: 0,
    events: 0,
    badMessages: 0,
    badMessagesByReason: {},
    badEvents: 0,
    redelivered: 0,
    duplicatesSkipped: 0,
    handlerErrors: 0,
    stoppedLanes: 0,
  };
  #lastError: string | undefined;
  readonly #warnings: string[] = [];
  #js: JetStreamClient | undefined;
  #closing = false;

  private constructor(opts: PartitionWorkerOptions) {
    this.#opts = opts;
    this.#names = opts.names ?? DEFAULT_SCALE_NAMES;
    const o = opts.ownership;
    this.#owned =
      'partitions' in o ? [...new Set(o.partitions)] : partitionsOfWorker(opts.partitionCount, o.workerIndex, o.workerCount);
    for (const p of this.#owned)
      if (!Number.isInteger(p) || p < 0 || p >= opts.partitionCount)
        throw new RangeError(`partition ${p} is outside 0…${opts.partitionCount - 1}`);
  }

  /**
   * Ensure the stream and this worker's durable consumers, then start consuming. Resolves once every consumer is
   * pulling; throws `PartitionMismatchError` when the stream was made for another partition count.
   */
  static async start(opts: PartitionWorkerOptions): Promise<PartitionWorker> {
    const w = new PartitionWorker(opts);
    try {
      await w.#start();
    } catch (err) {
      await w.close(); // stop the consumers already pulling
      throw err;
    }
    return w;
  }

  /** Problems seen at start that do not stop the worker (log them): e.g. another worker pulling its partitions. */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** The partitions this worker owns. */
  get partitions(): readonly number[] {
    return this.#owned;
  }

  /** A snapshot of the counters. */
  stats(): WorkerStats {
    return { ...this.#stats, badMessagesByReason: { ...this.#stats.badMessagesByReason }, lastError: this.#lastError };
  }

  /**
   * Stop pulling, finish and ack the messages already received, and flush the acks to the server. The durable
   * consumers stay: the next owner of these partitions resumes from them. The connection stays open.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await Promise.all(this.#lanes.map((l) => l.messages?.close() ?? Promise.resolve()));
    await Promise.all(this.#lanes.map((l) => l.done ?? Promise.resolve()));
    if (!this.#opts.nc.isClosed()) await this.#opts.nc.flush();
  }

  async #start(): Promise<void> {
    const { nc, partitionCount } = this.#opts;
    const limits = { ...DEFAULT_STREAM_LIMITS, ...this.#opts.limits };
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, this.#names, partitionCount, limits);
    this.#js = jetstream(nc);
    const dedupe = this.#opts.dedupeWindow ?? 16_384;
    for (const p of this.#owned) {
      this.#lanes.push({
        lane: 'ip',
        partition: p,
        durable: `${this.#names.durablePrefix}-p${p}`,
        subject: ipSubject(this.#names, p),
        recent: new RecentSequences(dedupe),
      });
      if (this.#opts.userLane ?? true)
        this.#lanes.push({
          lane: 'user',
          partition: p,
          durable: `${this.#names.durablePrefix}-u${p}`,
          subject: userSubject(this.#names, p),
          recent: new RecentSequences(dedupe),
        });
    }
    for (const lane of this.#lanes) await this.#ensureConsumer(jsm, lane);
    for (const lane of this.#lanes) {
      const consumer = await this.#js.consumers.get(this.#names.stream, lane.durable);
      lane.messages = await consumer.consume({ max_messages: this.#opts.prefetch ?? 16 });
      lane.done = this.#run(lane, lane.messages);
    }
  }

  async #ensureConsumer(jsm: JetStreamManager, lane: Lane): Promise<void> {
    const want: Partial<ConsumerConfig> = {
      durable_name: lane.durable,
      filter_subject: lane.subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.#opts.ackWaitMs ?? 30_000),
      // Enough for the prefetch of a few restarts; more would only let one slow worker hoard a partition.
      max_ack_pending: 1000,
    };
    try {
      const info = await jsm.consumers.info(this.#names.stream, lane.durable);
      // Someone is already pulling this partition: two engines with the same index, or a crashed worker whose pull
      // request has not expired yet (≤ 30 s). The first splits per-IP state, so it is worth a warning at boot.
      if (info.num_waiting > 0)
        this.#warnings.push(`partition ${lane.partition} (${lane.lane} lane) already has a puller: duplicate workerIndex?`);
      if (info.config.ack_wait !== want.ack_wait)
        await jsm.consumers.update(this.#names.stream, lane.durable, { ack_wait: want.ack_wait });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.consumers.add(this.#names.stream, want);
    }
  }

  async #run(lane: Lane, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) await this.#handle(lane, m);
    } catch (err) {
      // The client gives up only on unrecoverable states (stream or consumer deleted): report, never crash.
      this.#stats.stoppedLanes++;
      this.#lastError = err instanceof Error ? err.message : String(err);
    }
  }

  async #handle(lane: Lane, m: JsMsg): Promise<void> {
    const stats = this.#stats;
    if (m.redelivered) {
      stats.redelivered++;
      if (lane.recent.has(m.seq)) {
        stats.duplicatesSkipped++;
        m.ack();
        return;
      }
    }
    const decoded = decodeBatch(m.data);
    if (!decoded.ok) {
      stats.badMessages++;
      stats.badMessagesByReason[decoded.reason] = (stats.badMessagesByReason[decoded.reason] ?? 0) + 1;
      m.ack();
      return;
    }
    stats.badEvents += decoded.badEvents;
    const onEvent = this.#opts.onEvent;
    for (const e of decoded.events) {
      try {
        const r = onEvent(e, lane.lane, lane.partition);
        if (r !== undefined) await r;
      } catch {
        stats.handlerErrors++;
      }
    }
    stats.events += decoded.events.length;
    stats.messages++;
    lane.recent.add(m.seq);
    m.ack();
  }
}

export interface DetectorInputOptions extends Omit<PartitionWorkerOptions, 'nc' | 'ownership' | 'partitionCount'> {
  servers: string | string[];
  /** Total partition count (same as the collectors'). */
  partitions: number;
  /** This engine's index among `workerCount` engines; or give `ownedPartitions` instead. */
  workerIndex?: number | undefined;
  workerCount?: number | undefined;
  ownedPartitions?: readonly number[] | undefined;
  /** Connection name (default `skjold-engine-<workerIndex>`). */
  name?: string | undefined;
}

/** An engine's event input: a partition worker on its own connection; `close()` drains it and closes the connection. */
export interface DetectorInput {
  worker: PartitionWorker;
  partitions: readonly number[];
  /** See `PartitionWorker.warnings`. */
  warnings: readonly string[];
  stats(): WorkerStats;
  close(): Promise<void>;
}

/**
 * Connect to NATS and start consuming this engine's partitions (by `workerIndex`/`workerCount`, default 0 of 1, or
 * by `ownedPartitions`), calling `onEvent` for each event. This is what the `engine` role wires in front of its
 * detectors.
 */
export async function createDetectorInput(opts: DetectorInputOptions): Promise<DetectorInput> {
  const { servers, partitions, workerIndex, workerCount, ownedPartitions, name, ...rest } = opts;
  const ownership: Ownership =
    ownedPartitions !== undefined
      ? { partitions: ownedPartitions }
      : { workerIndex: workerIndex ?? 0, workerCount: workerCount ?? 1 };
  const nc = await connect({
    servers,
    name: name ?? `skjold-engine-${workerIndex ?? 0}`,
    maxReconnectAttempts: -1,
  });
  let worker: PartitionWorker;
  try {
    worker = await PartitionWorker.start({ ...rest, nc, partitionCount: partitions, ownership });
  } catch (err) {
    await nc.close();
    throw err;
  }
  return {
    worker,
    partitions: worker.partitions,
    warnings: worker.warnings,
    stats: () => worker.stats(),
    close: async () => {
      await worker.close();
      await nc.drain();
    },
  };
}
