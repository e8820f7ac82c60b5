import type { Transport } from './ingest-stats.ts';

export type { Transport };

/** Where a batch of lines came from. One object per batch (per socket read, datagram or file read), shared by its lines. */
export interface LineOrigin {
  transport: Transport;
  /** Remote address (TCP/TLS/UDP/HTTP). */
  peer?: string | undefined;
  /** The followed path (file). */
  file?: string | undefined;
  /** Epoch ms when the bytes were read: ingest lag is measured from here. */
  receivedAt: number;
}

/**
 * What the transports deliver to. `push` takes the whole batch (see BoundedLineQueue for the hard limit) and returns
 * false when the sink is full: a producer that can stop (TCP, TLS, files, HTTP) stops reading until `onDrain` fires;
 * UDP counts what arrives meanwhile as dropped. `isFull` lets a producer check before it reads (the sink is shared:
 * another producer may have filled it). `onDrain` returns an unsubscribe function so a closed server lets go.
 */
export interface LineSink {
  push(lines: readonly string[], origin: LineOrigin): boolean;
  isFull(): boolean;
  onDrain(cb: () => void): () => void;
}

export interface LineBatch {
  lines: string[];
  /** `origins[i]` is where `lines[i]` came from. */
  origins: LineOrigin[];
}

export interface BoundedLineQueueOptions {
  /** Depth at which `push` returns false. Default 100,000 lines. */
  maxLines?: number;
  /** Queued size (UTF-16 code units, = bytes for ASCII) at which `push` returns false. Default 64 MiB. */
  maxBytes?: number;
  /** `drain` fires once the queue is back at or below this fraction of both limits. Default 0.5. */
  lowWater?: number;
}

export interface QueueStats {
  depth: number;
  bytes: number;
  enqueued: number;
  /** Lines refused at the hard limit (twice the soft limits), only reached by batches pushed while already full. */
  dropped: number;
  droppedByTransport: Partial<Record<Transport, number>>;
  /** Deepest the queue has been. */
  highWater: number;
  /** `push` has returned false and `drain` has not fired yet. */
  full: boolean;
}

/**
 * The queue between the transports and the pipeline: a ring buffer bounded in lines and bytes. A producer that stops
 * on `false` never loses a line: a socket read or file read yields a whole batch at once and pausing only stops the
 * next one, so a batch pushed while the queue was not yet full is accepted in full, whatever its size (transports
 * keep batches to one read, ≤ 64 KiB). Batches pushed while it is already full (producers that have not heard yet, or
 * ignore it) are held to a hard limit of twice the soft one; what exceeds it is dropped and counted per transport.
 */
export class BoundedLineQueue implements LineSink, AsyncIterable<LineBatch> {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #lowLines: number;
  readonly #lowBytes: number;
  #lines: (string | undefined)[] = new Array<string | undefined>(1024);
  #origins: (LineOrigin | undefined)[] = new Array<LineOrigin | undefined>(1024);
  #mask = 1023;
  #head = 0;
  #size = 0;
  #bytes = 0;
  #enqueued = 0;
  #dropped = 0;
  readonly #droppedBy: Partial<Record<Transport, number>> = {};
  #highWater = 0;
  #full = false;
  #closed = false;
  #drainScheduled = false;
  readonly #drainListeners = new Set<() => void>();
  #waiter: (() => void) | undefined;

  constructor(opts: BoundedLineQueueOptions = {}) {
    this.#maxLines = Math.max(1, opts.maxLines ?? 100_000);
    this.#maxBytes = Math.max(1, opts.maxBytes ?? 64 * 1024 * 1024);
    const low = opts.lowWater ?? 0.5;
    this.#lowLines = Math.floor(this.#maxLines * low);
    this.#lowBytes = Math.floor(this.#maxBytes * low);
  }

  push(lines: readonly string[], origin: LineOrigin): boolean {
    const wasFull = this.#full;
    const hardLines = wasFull ? this.#maxLines * 2 : Infinity;
    const hardBytes = wasFull ? this.#maxBytes * 2 : Infinity;
    let accepted = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (this.#closed || this.#size >= hardLines || this.#bytes + line.length > hardBytes) {
        this.#dropped++;
        this.#droppedBy[origin.transport] = (this.#droppedBy[origin.transport] ?? 0) + 1;
        continue;
      }
      if (this.#size > this.#mask) this.#grow();
      const at = (this.#head + this.#size) & this.#mask;
      this.#lines[at] = line;
      this.#origins[at] = origin;
      this.#size++;
      this.#bytes += line.length;
      accepted++;
    }
    this.#enqueued += accepted;
    if (this.#size > this.#highWater) this.#highWater = this.#size;
    if (accepted > 0 && this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w();
    }
    if (this.#size >= this.#maxLines || this.#bytes >= this.#maxBytes) {
      this.#full = true;
      return false;
    }
    return !this.#full;
  }

  isFull(): boolean {
    return this.#full;
  }

  onDrain(cb: () => void): () => void {
    this.#drainListeners.add(cb);
    return () => this.#drainListeners.delete(cb);
  }

  /** Removes and returns up to `max` lines, oldest first (empty when the queue is). */
  take(max = 1024): LineBatch {
    const n = Math.min(max, this.#size);
    const lines = new Array<string>(n);
    const origins = new Array<LineOrigin>(n);
    for (let i = 0; i < n; i++) {
      const at = (this.#head + i) & this.#mask;
      const line = this.#lines[at]!;
      lines[i] = line;
      origins[i] = this.#origins[at]!;
      this.#bytes -= line.length;
      // Let go of the strings now: a ring slot may not be overwritten for a long time.
      this.#lines[at] = undefined;
      this.#origins[at] = undefined;
    }
    this.#head = (this.#head + n) & this.#mask;
    this.#size -= n;
    if (this.#full && this.#size <= this.#lowLines && this.#bytes <= this.#lowBytes) {
      this.#full = false;
      this.#scheduleDrain();
    }
    return { lines, origins };
  }

  /** Epoch ms when the oldest queued line was read (ingest lag = now − this); undefined when empty. */
  oldestReceivedAt(): number | undefined {
    return this.#size > 0 ? this.#origins[this.#head]!.receivedAt : undefined;
  }

  get depth(): number {
    return this.#size;
  }

  stats(): QueueStats {
    return {
      depth: this.#size,
      bytes: this.#bytes,
      enqueued: this.#enqueued,
      dropped: this.#dropped,
      droppedByTransport: { ...this.#droppedBy },
      highWater: this.#highWater,
      full: this.#full,
    };
  }

  /** Stops accepting lines; the consumer still receives what is queued, then its iteration ends. */
  close(): void {
    this.#closed = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** Batches of up to `max` lines as they arrive; ends after `close()` once the queue is empty. */
  async *batches(max = 1024): AsyncGenerator<LineBatch, void, undefined> {
    for (;;) {
      if (this.#size > 0) {
        yield this.take(max);
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<LineBatch> {
    return this.batches();
  }

  #grow(): void {
    const cap = (this.#mask + 1) * 2;
    const lines = new Array<string | undefined>(cap);
    const origins = new Array<LineOrigin | undefined>(cap);
    for (let i = 0; i < this.#size; i++) {
      const at = (this.#head + i) & this.#mask;
      lines[i] = this.#lines[at];
      origins[i] = this.#origins[at];
    }
    this.#lines = lines;
    this.#origins = origins;
    this.#head = 0;
    this.#mask = cap - 1;
  }

  // Deferred so a producer's resume never runs inside the consumer's take().
  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      if (this.#full) return;
      for (const cb of [...this.#drainListeners]) cb();
    });
  }
}
