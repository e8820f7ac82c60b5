import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { MinHeap } from './min-heap.ts';

/** What the scheduler needs to know of a monitor. */
export interface SchedulerEntry {
  id: string;
  intervalMs: number;
}

interface Slot {
  entry: SchedulerEntry;
  due: number;
  /** False once the monitor was removed or replaced: the heap entry is dropped when it surfaces. */
  live: boolean;
}

export interface SchedulerOptions {
  clock: Clock;
  /** Most checks in flight at once, across all monitors. */
  maxInFlight: number;
  /** Run one check; must not throw (the scheduler logs nothing itself). */
  run(entry: SchedulerEntry, due: number): Promise<void>;
}

/** Lag and throughput figures since start (or the last reset). */
export interface SchedulerStats {
  monitors: number;
  started: number;
  /** Due while the previous check of the same monitor was still running. */
  skippedOverlap: number;
  /** Slots passed over entirely because the scheduler was more than an interval behind (e.g. a stopped process). */
  missedSlots: number;
  inFlight: number;
  queued: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/** Deterministic phase of a monitor in its interval: the same after every restart, spread evenly by the hash. */
export function phaseOf(id: string, intervalMs: number): number {
  const h = createHash('sha1').update(id).digest();
  return h.readUInt32BE(0) % intervalMs;
}

/** First slot at or after `now` for a monitor: `phase + k·interval`. */
export function firstDue(id: string, intervalMs: number, now: number): number {
  const phase = phaseOf(id, intervalMs);
  const off = (((phase - now) % intervalMs) + intervalMs) % intervalMs;
  return now + off;
}

const LAG_SAMPLES = 65_536;
/** Longest sleep: the clock is re-read at least this often (a moved system clock is noticed). */
const MAX_SLEEP_MS = 1000;

/**
 * The check scheduler: one min-heap of next-due times and one timer (not a timer per monitor). Each monitor runs at
 * `phase + k·interval` with its phase hashed from its id, so checks are spread evenly over the interval and a restart
 * puts every monitor back on its own slot within one interval, all at once (no serial start-up). A global in-flight
 * cap bounds concurrency; checks due beyond it wait in a FIFO and their lag is measured. Lag = start − due.
 */
export class MonitorScheduler {
  readonly #o: SchedulerOptions;
  readonly #heap = new MinHeap();
  readonly #slots: (Slot | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #byId = new Map<string, number>();
  readonly #running = new Set<string>();
  readonly #waiting: { slot: Slot; due: number }[] = [];
  #waitHead = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #active = false;
  readonly #pending = new Set<Promise<void>>();
  readonly #lag = new Float64Array(LAG_SAMPLES);
  #lagCount = 0;
  #lagMax = 0;
  #started = 0;
  #skipped = 0;
  #missed = 0;

  constructor(o: SchedulerOptions) {
    this.#o = o;
  }

  /** Add or replace a monitor; it is placed on its next phase slot. */
  upsert(entry: SchedulerEntry): void {
    this.remove(entry.id);
    const now = this.#o.clock.now().getTime();
    const slot: Slot = { entry, due: firstDue(entry.id, entry.intervalMs, now), live: true };
    const i = this.#free.pop() ?? this.#slots.length;
    this.#slots[i] = slot;
    this.#byId.set(entry.id, i);
    this.#heap.push(slot.due, i);
    if (this.#active && this.#heap.peekDue() === slot.due) this.#arm();
  }

  remove(id: string): void {
    const i = this.#byId.get(id);
    if (i === undefined) return;
    const s = this.#slots[i];
    if (s) s.live = false;
    this.#byId.delete(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Start the timer loop. */
  start(): void {
    this.#active = true;
    this.#arm();
  }

  /** Stop scheduling and wait for checks in flight. */
  async stop(): Promise<void> {
    this.#active = false;
    clearTimeout(this.#timer);
    this.#waiting.length = 0;
    this.#waitHead = 0;
    await Promise.all([...this.#pending]);
  }

  /**
   * Start every check due at or before `now` (default: the clock) and resolve when they (and any they queued behind
   * the in-flight cap) have finished. Tests call this directly with a ManualClock.
   */
  async runDue(now = this.#o.clock.now().getTime()): Promise<void> {
    this.#dispatch(now);
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  stats(): SchedulerStats {
    const n = Math.min(this.#lagCount, LAG_SAMPLES);
    const sorted = this.#lag.slice(0, n).sort();
    const q = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(p * n))]!);
    return {
      monitors: this.#byId.size,
      started: this.#started,
      skippedOverlap: this.#skipped,
      missedSlots: this.#missed,
      inFlight: this.#inFlight,
      queued: this.#waiting.length - this.#waitHead,
      lagP50Ms: q(0.5),
      lagP99Ms: q(0.99),
      lagMaxMs: this.#lagMax,
    };
  }

  /** Forget lag samples and counters (benchmarks: measure after warm-up). */
  resetStats(): void {
    this.#lagCount = 0;
    this.#lagMax = 0;
    this.#started = 0;
    this.#skipped = 0;
    this.#missed = 0;
  }

  #arm(): void {
    if (!this.#active) return;
    clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(MAX_SLEEP_MS, this.#heap.peekDue() - this.#o.clock.now().getTime()));
    this.#timer = setTimeout(() => {
      this.#dispatch(this.#o.clock.now().getTime());
      this.#arm();
    }, wait);
    this.#timer.unref?.();
  }

  #dispatch(now: number): void {
    const heap = this.#heap;
    while (heap.size > 0 && heap.peekDue() <= now) {
      const due = heap.peekDue();
      const i = heap.pop();
      const s = this.#slots[i]!;
      if (!s.live) {
        this.#slots[i] = undefined;
        this.#free.push(i);
        continue;
      }
      // Next slot on the same phase grid; a scheduler more than an interval behind skips to the next future slot.
      let next = due + s.entry.intervalMs;
      if (next <= now) {
        const behind = Math.floor((now - due) / s.entry.intervalMs);
        this.#missed += behind;
        next = due + (behind + 1) * s.entry.intervalMs;
      }
      s.due = next;
      heap.push(next, i);
      if (this.#running.has(s.entry.id)) {
        this.#skipped++;
        continue;
      }
      if (this.#inFlight >= this.#o.maxInFlight) this.#waiting.push({ slot: s, due });
      else this.#launch(s, due, now);
    }
  }

  #launch(s: Slot, due: number, now: number): void {
    const lag = Math.max(0, now - due);
    this.#lag[this.#lagCount++ % LAG_SAMPLES] = lag;
    if (lag > this.#lagMax) this.#lagMax = lag;
    this.#started++;
    this.#inFlight++;
    this.#running.add(s.entry.id);
    const p: Promise<void> = this.#o
      .run(s.entry, due)
      .catch(() => undefined)
      .finally(() => {
        this.#inFlight--;
        this.#running.delete(s.entry.id);
        this.#pending.delete(p);
        this.#drain();
      });
    this.#pending.add(p);
  }

  #drain(): void {
    while (this.#inFlight < this.#o.maxInFlight && this.#waitHead < this.#waiting.length) {
      const w = this.#waiting[this.#waitHead++]!;
      if (!w.slot.live || this.#running.has(w.slot.entry.id)) continue;
      this.#launch(w.slot, w.due, this.#o.clock.now().getTime());
    }
    if (this.#waitHead === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#waitHead = 0;
    }
  }
}
