import { readNdjson, splitLines, type NdjsonError } from './framing.ts';
import { newCounters, type SampleRing, type TransportCounters } from './ingest-stats.ts';
import type { LineSink } from './line-sink.ts';

export interface HttpIngestOptions {
  /** `lines`: raw log lines (text/plain); `ndjson`: one JSON object per line with a `line` or `message` string. */
  format: 'lines' | 'ndjson';
  /** The caller's address, for the origin and samples. */
  peer?: string | undefined;
  /** Shared `http` counters (the lead's metrics); private ones when absent. */
  counters?: TransportCounters | undefined;
  samples?: SampleRing | undefined;
  /** How long to wait for room while the sink is full before answering busy. Default 2000 ms. */
  waitMs?: number | undefined;
  maxMessageBytes?: number | undefined;
  now?: (() => number) | undefined;
}

export type HttpIngestResult =
  | {
      status: 'accepted';
      accepted: number;
      /** NDJSON rows refused (bad JSON, not an object, no line); `errors` lists the first 100 with line numbers. */
      rejected: number;
      errors: NdjsonError[];
      truncated: number;
      invalidUtf8: number;
    }
  /** The pipeline is saturated: nothing was taken; answer 503 with Retry-After and let the client send again. */
  | { status: 'busy'; retryAfterSeconds: number };

/**
 * The transport half of the HTTP bulk endpoint: waits (bounded) for room in the sink, frames the body as raw lines or
 * NDJSON with the same limits as the syslog framer, and pushes it as one batch. Back-pressure for HTTP is an honest
 * "busy" rather than a silent drop: the body is either taken whole or not at all. The route authenticates, applies
 * its body size limit (which bounds what one request can add above the queue's soft limit) and maps the result.
 */
export async function ingestHttpBody(sink: LineSink, body: Buffer | string, opts: HttpIngestOptions): Promise<HttpIngestResult> {
  const now = opts.now ?? Date.now;
  const counters = opts.counters ?? newCounters();
  const deadline = now() + (opts.waitMs ?? 2000);
  // Re-checked after every wake-up: other requests waiting on the same drain may have filled the sink again.
  while (sink.isFull()) {
    const left = deadline - now();
    if (left <= 0 || !(await drainedWithin(sink, left))) {
      if (!sink.isFull()) break;
      counters.connectionsRejected++;
      return { status: 'busy', retryAfterSeconds: 1 };
    }
  }
  const common = { maxMessageBytes: opts.maxMessageBytes, counters, samples: opts.samples, peer: opts.peer };
  const framed =
    opts.format === 'ndjson'
      ? readNdjson(body, common)
      : { ...splitLines(body, common), errors: [] as NdjsonError[], rejected: 0 };
  if (framed.lines.length > 0) sink.push(framed.lines, { transport: 'http', peer: opts.peer, receivedAt: now() });
  return {
    status: 'accepted',
    accepted: framed.lines.length,
    rejected: framed.rejected,
    errors: framed.errors,
    truncated: framed.truncated,
    invalidUtf8: framed.invalidUtf8,
  };
}

function drainedWithin(sink: LineSink, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, ms);
    const off = sink.onDrain(() => {
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}
