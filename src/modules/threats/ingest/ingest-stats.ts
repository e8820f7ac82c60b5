/**
 * Counters and debugging samples shared by the ingestion transports. Plain mutable objects on purpose: the hot paths
 * bump a field, and the lead's Prometheus collectors read them on scrape.
 */

/** Why a line (or datagram) was lost. `queue_full`: UDP while the sink is full; `incomplete`: an octet-counted frame
 * cut short by the end of its connection; `overflow`: a producer ignored back-pressure and hit the queue's hard limit. */
export const DROP_REASONS = ['queue_full', 'incomplete', 'overflow'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Transport = 'udp' | 'tcp' | 'tls' | 'file' | 'http';

export interface TransportCounters {
  /** Messages framed and decoded (handed to the sink or dropped afterwards). */
  linesRead: number;
  bytesRead: number;
  dropped: Record<DropReason, number>;
  /** Messages cut at the maximum message size (the rest discarded until the next frame). */
  truncated: number;
  /** Invalid UTF-8 sequences replaced by U+FFFD. */
  invalidUtf8: number;
  /** Connections open now (TCP/TLS), files open now (file). */
  connections: number;
  connectionsTotal: number;
  /** Refused at the connection limit, failed the TLS handshake, or (HTTP) answered busy. */
  connectionsRejected: number;
  /** Socket or read errors (resets, EIO…), each logged at debug level. */
  errors: number;
}

export function newCounters(): TransportCounters {
  return {
    linesRead: 0,
    bytesRead: 0,
    dropped: { queue_full: 0, incomplete: 0, overflow: 0 },
    truncated: 0,
    invalidUtf8: 0,
    connections: 0,
    connectionsTotal: 0,
    connectionsRejected: 0,
    errors: 0,
  };
}

export interface IngestSample {
  at: number;
  transport: Transport;
  reason: 'truncated' | 'invalid_utf8' | 'incomplete' | 'bad_json';
  peer?: string | undefined;
  /** The first 200 bytes: printable ASCII as is, everything else (and `\`) as `\xNN`. */
  preview: string;
  /** Full size of the offending input in bytes, when known. */
  size: number;
}

const PREVIEW_BYTES = 200;

/** `\xNN` for anything outside printable ASCII, so a sample is safe to log, store and show in a browser. */
export function hexSafePreview(buf: Uint8Array, start = 0, end = buf.length): string {
  const stop = Math.min(end, start + PREVIEW_BYTES);
  let out = '';
  for (let i = start; i < stop; i++) {
    const b = buf[i]!;
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : '\\x' + (b < 16 ? '0' : '') + b.toString(16);
  }
  return out;
}

/**
 * A small ring of rejected or damaged inputs for debugging. Sampling is thinned so a flood of garbage costs almost
 * nothing: the first 16 of each reason, then one in 1024.
 */
export class SampleRing {
  readonly #items: IngestSample[] = [];
  readonly #seen = new Map<string, number>();
  #next = 0;

  constructor(
    readonly capacity = 32,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the next sample of this reason would be kept: callers skip building the preview otherwise. */
  wants(reason: IngestSample['reason']): boolean {
    const n = (this.#seen.get(reason) ?? 0) + 1;
    this.#seen.set(reason, n);
    return n <= 16 || n % 1024 === 0;
  }

  add(sample: Omit<IngestSample, 'at'>): void {
    const item: IngestSample = { at: this.now(), ...sample };
    if (this.#items.length < this.capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Oldest first. */
  list(): IngestSample[] {
    if (this.#items.length < this.capacity) return [...this.#items];
    return [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }
}
