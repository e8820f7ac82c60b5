/**
 * Collector side of the scale-out: parsed events → per-partition batches → JetStream, with acknowledged publishes and
 * bounded memory. `publish()` never blocks and never throws: it returns false when the publisher already holds its
 * maximum of unacknowledged events, and the caller waits on `waitForCapacity()` (or drops and counts).
 *
 * Batching: one message per subject per `lingerMs` (50 ms) or `maxBatchEvents` (500) or the message-size bound,
 * whichever comes first. Each batch gets a message id (`<publisher id>.<sequence>`), so a publish retried after a lost
 * ack is dropped by the stream's duplicate window instead of being counted twice by the detectors.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ThreatEvent, ThreatKind } from '../events.ts';
import { encodeBatch, eventToTuple, tupleByteBound, type WireTuple } from './event-codec.ts';
import {
  DEFAULT_SCALE_NAMES,
  DEFAULT_STREAM_LIMITS,
  ensureStream,
  ipSubject,
  userSubject,
  type ScaleNames,
  type StreamLimits,
} from './event-stream.ts';
import { partitionOf, userPartitionOf } from './partition.ts';

/** Kinds whose events also go to the user lane when they name a user (user-keyed scenarios such as spraying). */
export const USER_LANE_KINDS: ReadonlySet<ThreatKind> = new Set<ThreatKind>(['auth_failed', 'invalid_user', 'auth_success']);

export interface EventPublisherOptions {
  /** An open connection; the publisher does not close it (see `createCollectorOutput` for one that does). */
  nc: NatsConnection;
  /** Partition count: must equal the detector workers' (checked against the stream). */
  partitions: number;
  names?: ScaleNames | undefined;
  limits?: Partial<StreamLimits> | undefined;
  /** Events per message at most (default 500). */
  maxBatchEvents?: number | undefined;
  /** Longest an event waits in a partition buffer before its batch is sent, ms (default 50). */
  lingerMs?: number | undefined;
  /** Batches published and not yet acknowledged at once (default 32). */
  maxInFlight?: number | undefined;
  /** Events held (buffered, queued or awaiting ack) before `publish` returns false (default 100,000). */
  maxPendingEvents?: number | undefined;
  /** Also publish authentication events that name a user on the user lane (default true). */
  userLane?: boolean | undefined;
  /**
   * How long a batch is retried (backoff 100 ms doubling to 2 s) before its events count as failed, ms (default 60 s:
   * rides out a NATS restart or failover; kept under the stream's 2-minute duplicate window so a retry of a batch
   * whose ack was lost is still recognised).
   */
  retryForMs?: number | undefined;
  /** Wait for one JetStream ack, ms (default 5000). */
  ackTimeoutMs?: number | undefined;
}

export interface PublisherStats {
  /** Events taken by `publish` (invalid ones excluded). */
  accepted: number;
  /** Event copies acknowledged by the stream (an event on both lanes counts twice). */
  published: number;
  /** Event copies given up on after every attempt failed. */
  failed: number;
  /** `publish` calls refused because the publisher was full. */
  refused: number;
  /** Events that could not be encoded (non-finite time, unknown kind…), dropped. */
  invalid: number;
  /** Messages acknowledged. */
  batches: number;
  /** Publish attempts that failed and were retried (NATS down, ack timeouts). */
  retries: number;
  /** Event copies buffered, queued or awaiting an ack now. */
  pending: number;
}

interface Batch {
  subject: string;
  tuples: WireTuple[];
}

/** Header room kept below the payload limit for the JSON envelope. */
const ENVELOPE_BYTES = 16;

export class EventPublisher {
  readonly #js: JetStreamClient;
  readonly #partitions: number;
  readonly #subjects: string[];
  readonly #bufs: WireTuple[][];
  readonly #bufBytes: Float64Array;
  /** Slots with buffered events since the last linger flush (`#isDirty` avoids listing one twice). */
  readonly #dirty: number[] = [];
  readonly #isDirty: Uint8Array;
  readonly #queue: Batch[] = [];
  readonly #maxBatchEvents: number;
  readonly #maxBatchBytes: number;
  readonly #lingerMs: number;
  readonly #maxInFlight: number;
  readonly #maxPending: number;
  readonly #lowWater: number;
  readonly #userLane: boolean;
  readonly #retryForMs: number;
  readonly #ackTimeoutMs: number;
  readonly #id = randomUUID();
  #seq = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  #capacityWaiters: (() => void)[] = [];
  #closed = false;
  readonly #stats: PublisherStats = {
    accepted: 0,
    published: 0,
    failed: 0,
    refused: 0,
    invalid: 0,
    batches: 0,
    retries: 0,
    pending: 0,
  };

  private constructor(opts: EventPublisherOptions, maxMessageBytes: number) {
    const names = opts.names ?? DEFAULT_SCALE_NAMES;
    this.#js = jetstream(opts.nc);
    this.#partitions = opts.partitions;
    this.#subjects = [];
    for (let p = 0; p < opts.partitions; p++) this.#subjects.push(ipSubject(names, p));
    for (let p = 0; p < opts.partitions; p++) this.#subjects.push(userSubject(names, p));
    this.#bufs = this.#subjects.map(() => []);
    this.#bufBytes = new Float64Array(this.#subjects.length);
    this.#isDirty = new Uint8Array(this.#subjects.length);
    this.#maxBatchEvents = opts.maxBatchEvents ?? 500;
    this.#maxBatchBytes = maxMessageBytes - ENVELOPE_BYTES;
    this.#lingerMs = opts.lingerMs ?? 50;
    this.#maxInFlight = opts.maxInFlight ?? 32;
    this.#maxPending = opts.maxPendingEvents ?? 100_000;
    this.#lowWater = Math.floor(this.#maxPending / 2);
    this.#userLane = opts.userLane ?? true;
    this.#retryForMs = opts.retryForMs ?? 60_000;
    this.#ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
  }

  /**
   * A publisher on an open connection, after making sure the stream exists with this partition count (throws
   * `PartitionMismatchError` when it was created with another).
   */
  static async create(opts: EventPublisherOptions): Promise<EventPublisher> {
    const limits = { ...DEFAULT_STREAM_LIMITS, ...opts.limits };
    await ensureStream(await jetstreamManager(opts.nc), opts.names ?? DEFAULT_SCALE_NAMES, opts.partitions, limits);
    const serverMax = opts.nc.info?.max_payload ?? limits.maxMessageBytes;
    return new EventPublisher(opts, Math.min(serverMax, limits.maxMessageBytes));
  }

  /**
   * Take an event for publishing. Returns false, without taking it, when the publisher holds `maxPendingEvents`
   * (the stream or the network is behind): wait on `waitForCapacity()` and retry, or drop it. Invalid events are
   * counted and dropped (true: retrying them would not help).
   */
  publish(event: ThreatEvent): boolean {
    if (this.#closed || this.#stats.pending >= this.#maxPending) {
      this.#stats.refused++;
      return false;
    }
    const t = eventToTuple(event);
    if (t === null) {
      this.#stats.invalid++;
      return true;
    }
    this.#stats.accepted++;
    const bound = tupleByteBound(t);
    this.#add(partitionOf(event.ip, this.#partitions), t, bound);
    const user = event.user;
    if (this.#userLane && user !== undefined && user !== '' && USER_LANE_KINDS.has(event.kind))
      this.#add(this.#partitions + userPartitionOf(user, this.#partitions), t, bound);
    return true;
  }

  /** Send every buffered event now and wait until all held events are acknowledged or failed. */
  flush(): Promise<void> {
    this.#cutAll();
    if (this.#stats.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves when `publish` accepts again (pending below half the maximum). Buffered events are sent at once. */
  waitForCapacity(): Promise<void> {
    if (this.#stats.pending < this.#maxPending) return Promise.resolve();
    this.#cutAll();
    return new Promise((resolve) => this.#capacityWaiters.push(resolve));
  }

  /** A snapshot of the counters. */
  stats(): PublisherStats {
    return { ...this.#stats };
  }

  /** Flush and stop taking events. The connection stays open (it is the caller's). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #add(slot: number, t: WireTuple, bound: number): void {
    let buf = this.#bufs[slot] as WireTuple[];
    if (buf.length > 0 && (this.#bufBytes[slot] as number) + bound > this.#maxBatchBytes) {
      this.#cut(slot);
      buf = this.#bufs[slot] as WireTuple[];
    }
    if (this.#isDirty[slot] === 0) {
      this.#isDirty[slot] = 1;
      this.#dirty.push(slot);
    }
    buf.push(t);
    this.#bufBytes[slot] = (this.#bufBytes[slot] as number) + bound;
    this.#stats.pending++;
    if (buf.length >= this.#maxBatchEvents) this.#cut(slot);
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#cutAll();
      }, this.#lingerMs);
      this.#timer.unref();
    }
  }

  #cut(slot: number): void {
    const tuples = this.#bufs[slot] as WireTuple[];
    if (tuples.length === 0) return;
    this.#bufs[slot] = [];
    this.#bufBytes[slot] = 0;
    this.#queue.push({ subject: this.#subjects[slot] as string, tuples });
    this.#pump();
  }

  #cutAll(): void {
    const dirty = this.#dirty.splice(0);
    for (const slot of dirty) {
      this.#isDirty[slot] = 0;
      this.#cut(slot);
    }
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.shift() as Batch;
      this.#inFlight++;
      void this.#send(batch);
    }
  }

  async #send(batch: Batch): Promise<void> {
    const payload = encodeBatch(batch.tuples);
    const msgID = `${this.#id}.${++this.#seq}`;
    const n = batch.tuples.length;
    let ok = false;
    const giveUpAt = Date.now() + this.#retryForMs;
    for (let backoff = 100; !ok; backoff = Math.min(backoff * 2, 2000)) {
      try {
        const ack = await this.#js.publish(batch.subject, payload, { msgID, timeout: this.#ackTimeoutMs });
        ok = ack.seq > 0;
      } catch {
        if (Date.now() + backoff > giveUpAt) break;
        this.#stats.retries++;
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
    if (ok) {
      this.#stats.published += n;
      this.#stats.batches++;
    } else this.#stats.failed += n;
    this.#stats.pending -= n;
    this.#inFlight--;
    this.#pump();
    this.#wake();
  }

  #wake(): void {
    if (this.#capacityWaiters.length > 0 && this.#stats.pending <= this.#lowWater)
      for (const w of this.#capacityWaiters.splice(0)) w();
    if (this.#stats.pending === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
      for (const w of this.#capacityWaiters.splice(0)) w();
    }
  }
}

export interface CollectorOutputOptions extends Omit<EventPublisherOptions, 'nc'> {
  /** NATS servers, e.g. `nats://10.0.0.5:4222` or a list. */
  servers: string | string[];
  /** Connection name shown by the server's monitoring (default `skjold-collector`). */
  name?: string | undefined;
}

/** A collector's event output: a publisher on its own connection; `close()` flushes it and closes the connection. */
export interface CollectorOutput {
  publisher: EventPublisher;
  publish(event: ThreatEvent): boolean;
  waitForCapacity(): Promise<void>;
  flush(): Promise<void>;
  stats(): PublisherStats;
  close(): Promise<void>;
}

/**
 * Connect to NATS and return the collector's event output (stream ensured, partition count checked). This is what the
 * `collector` role wires behind its parsers.
 */
export async function createCollectorOutput(opts: CollectorOutputOptions): Promise<CollectorOutput> {
  const { servers, name, ...rest } = opts;
  const nc = await connect({ servers, name: name ?? 'skjold-collector', maxReconnectAttempts: -1 });
  let publisher: EventPublisher;
  try {
    publisher = await EventPublisher.create({ ...rest, nc });
  } catch (err) {
    await nc.close();
    throw err;
  }
  return {
    publisher,
    publish: (e) => publisher.publish(e),
    waitForCapacity: () => publisher.waitForCapacity(),
    flush: () => publisher.flush(),
    stats: () => publisher.stats(),
    close: async () => {
      await publisher.close();
      await nc.drain();
    },
  };
}
