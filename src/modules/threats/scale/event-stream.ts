/**
 * The JetStream stream that carries parsed events from collectors to detector workers, and the names derived from
 * it. Both sides call `ensureStream` so either can start first. Subjects:
 * - `<prefix>.<p>`: every event whose source network hashes to partition p (the IP lane);
 * - `<prefix>.u<p>`: authentication events with a user name hashing to p (the user lane, for user-keyed scenarios).
 *
 * Retention is WorkQueue: each subject has exactly one durable consumer (its partition's), and an acked batch is
 * deleted at once, so the stream holds only what workers have not yet processed. Max age, max bytes and discard-old
 * bound it when workers fall behind or are down: the oldest events are dropped, the collectors never block on disk.
 */
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DEFAULT_MAX_MESSAGE_BYTES } from './event-codec.ts';

/** Names of the stream, its subjects and the durable consumers; tests use unique ones per run. */
export interface ScaleNames {
  /** Stream name. */
  stream: string;
  /** Subject prefix: the stream listens on `<prefix>.*`. */
  subjectPrefix: string;
  /** Durable consumer names are `<durablePrefix>-p<n>` (IP lane) and `<durablePrefix>-u<n>` (user lane). */
  durablePrefix: string;
}

export const DEFAULT_SCALE_NAMES: ScaleNames = {
  stream: 'SKJOLD_THREATS',
  subjectPrefix: 'skjold.threats.events',
  durablePrefix: 'skjold-threats',
};

/** Bounds of the stream: how long and how much it keeps when workers lag. */
export interface StreamLimits {
  /** Oldest event kept, ms (default 1 h: older events are stale for minute-scale scenario windows). */
  maxAgeMs: number;
  /** Bytes kept on disk (default 1 GiB); past it the oldest messages go. */
  maxBytes: number;
  /** Largest message accepted by the stream (default 1 MiB, NATS's default max_payload). */
  maxMessageBytes: number;
  /** Window in which a republished batch (same message id, after a lost ack) is dropped as a duplicate, ms. */
  duplicateWindowMs: number;
  /** Replicas (1 on a single server; 3 on a cluster). */
  replicas: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxAgeMs: 60 * 60 * 1000,
  maxBytes: 1024 * 1024 * 1024,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  duplicateWindowMs: 2 * 60 * 1000,
  replicas: 1,
};

/** Thrown when the stream exists with another partition count: collectors and workers would not meet. */
export class PartitionMismatchError extends Error {
  readonly code = 'threats_partition_mismatch';
  constructor(stream: string, existing: string, wanted: number) {
    super(`stream ${stream} was created for ${existing} partitions, this process is configured for ${wanted}`);
  }
}

export function ipSubject(names: ScaleNames, partition: number): string {
  return `${names.subjectPrefix}.${partition}`;
}

export function userSubject(names: ScaleNames, partition: number): string {
  return `${names.subjectPrefix}.u${partition}`;
}

const PARTITIONS_TAG = 'partitions=';

/**
 * Create the stream, or bring an existing one's limits up to date. The partition count is recorded in the stream's
 * description and checked: a collector and a worker configured with different counts fail loudly at start rather
 * than leaving partitions nobody consumes.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  names: ScaleNames,
  partitions: number,
  limits: StreamLimits = DEFAULT_STREAM_LIMITS,
): Promise<void> {
  const cfg: Partial<StreamConfig> = {
    subjects: [`${names.subjectPrefix}.*`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    max_msg_size: limits.maxMessageBytes,
    duplicate_window: nanos(limits.duplicateWindowMs),
    num_replicas: limits.replicas,
    description: `Skjold threat events, ${PARTITIONS_TAG}${partitions}`,
  };
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(names.stream)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing === undefined) {
    try {
      await jsm.streams.add({ name: names.stream, ...cfg });
      return;
    } catch (err) {
      // Another process created it in between: fall through to the check.
      existing = (await jsm.streams.info(names.stream)).config;
      if (existing === undefined) throw err;
    }
  }
  const at = existing.description?.indexOf(PARTITIONS_TAG) ?? -1;
  const recorded = at >= 0 ? (existing.description ?? '').slice(at + PARTITIONS_TAG.length) : '';
  if (recorded !== '' && recorded !== String(partitions)) throw new PartitionMismatchError(names.stream, recorded, partitions);
  if (
    existing.max_age !== cfg.max_age ||
    existing.max_bytes !== cfg.max_bytes ||
    existing.max_msg_size !== cfg.max_msg_size ||
    existing.duplicate_window !== cfg.duplicate_window ||
    existing.description !== cfg.description
  ) {
    const { subjects, max_age, max_bytes, max_msg_size, duplicate_window, discard, description } = cfg;
    await jsm.streams.update(names.stream, {
      subjects,
      max_age,
      max_bytes,
      max_msg_size,
      duplicate_window,
      discard,
      description,
    });
  }
}

/** JetStream's "stream not found" or "consumer not found" API errors (codes 10059, 10014). */
export function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}
