import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { applyResult, type StateCounters } from './monitor-state.ts';
import { MonitorScheduler, firstDue, phaseOf, type SchedulerEntry } from './monitor.scheduler.ts';
import { MinHeap } from './min-heap.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

function recorder(clock: ManualClock, maxInFlight = 10_000) {
  const runs: { id: string; due: number; at: number }[] = [];
  const s = new MonitorScheduler({
    clock,
    maxInFlight,
    run: (e: SchedulerEntry, due: number) => {
      runs.push({ id: e.id, due, at: clock.now().getTime() });
      return Promise.resolve();
    },
  });
  return { s, runs };
}

describe('min-heap', () => {
  it('pops in due order', () => {
    const h = new MinHeap();
    const dues = Array.from({ length: 5000 }, () => Math.floor(Math.random() * 1e6));
    dues.forEach((d, i) => h.push(d, i));
    const out: number[] = [];
    while (h.size) {
      out.push(h.peekDue());
      h.pop();
    }
    expect(out).toEqual([...dues].sort((a, b) => a - b));
  });
});

describe('scheduler', () => {
  it('spreads 6,000 monitors evenly over a 60 s interval by a phase hashed from the id', () => {
    const bins = new Array<number>(60).fill(0);
    for (const id of ids(6000)) bins[Math.floor(phaseOf(id, 60_000) / 1000)]!++;
    // 100 per second on average; a hash spread stays well inside ±40 %.
    expect(Math.min(...bins)).toBeGreaterThan(60);
    expect(Math.max(...bins)).toBeLessThan(140);
    expect(phaseOf(ids(1)[0]!, 60_000)).toBe(phaseOf(ids(1)[0]!, 60_000));
  });

  it('runs every monitor exactly once per interval, on its own slot, with no drift', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z');
    const { s, runs } = recorder(clock);
    for (const id of ids(500)) s.upsert({ id, intervalMs: 60_000 });
    for (let t = 0; t < 180; t++) {
      clock.advance(1000);
      await s.runDue();
    }
    expect(runs.length).toBe(1500);
    const per = new Map<string, number[]>();
    for (const r of runs) per.set(r.id, [...(per.get(r.id) ?? []), r.due]);
    for (const [, dues] of per) {
      expect(dues.length).toBe(3);
      expect(dues[1]! - dues[0]!).toBe(60_000);
      expect(dues[2]! - dues[1]!).toBe(60_000);
    }
    expect(s.stats()).toMatchObject({ started: 1500, skippedOverlap: 0, missedSlots: 0 });
  });

  it('after a restart every monitor is back within one interval, on the same phase (no serial start-up)', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z');
    const first = recorder(clock);
    for (const id of ids(1000)) first.s.upsert({ id, intervalMs: 60_000 });
    clock.advance(60_000);
    await first.s.runDue();
    await first.s.stop();
    // Down for 10 minutes and 7 seconds; the new process knows nothing but the monitors.
    clock.advance(607_000);
    const restarted = recorder(clock);
    const t0 = clock.now().getTime();
    for (const id of ids(1000)) restarted.s.upsert({ id, intervalMs: 60_000 });
    clock.advance(60_000);
    await restarted.s.runDue();
    expect(new Set(restarted.runs.map((r) => r.id)).size).toBe(1000);
    for (const r of restarted.runs) {
      expect(r.due).toBeGreaterThanOrEqual(t0);
      expect(r.due).toBeLessThan(t0 + 60_000);
      expect(r.due).toBe(firstDue(r.id, 60_000, t0));
      expect((r.due - phaseOf(r.id, 60_000)) % 60_000).toBe(0);
    }
  });

  it('a scheduler far behind skips to the next slot instead of firing a burst, and counts the missed slots', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z');
    const { s, runs } = recorder(clock);
    s.upsert({ id: 'a', intervalMs: 10_000 });
    clock.advance(10_000);
    await s.runDue();
    clock.advance(55_000);
    await s.runDue();
    expect(runs.length).toBe(2);
    expect(s.stats().missedSlots).toBe(5);
    expect(s.stats().lagMaxMs).toBeGreaterThanOrEqual(5000);
  });

  it('caps checks in flight; the rest wait in order and their lag is measured; a running monitor is not doubled', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z');
    let inFlight = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const s = new MonitorScheduler({
      clock,
      maxInFlight: 3,
      run: () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        return new Promise<void>((r) => gates.push(() => (inFlight--, r())));
      },
    });
    for (const id of ids(10)) s.upsert({ id, intervalMs: 60_000 });
    clock.advance(60_000);
    const done = s.runDue();
    expect(s.stats()).toMatchObject({ inFlight: 3, queued: 7 });
    // A whole interval later the first three still hang: their next slot is skipped, not doubled.
    clock.advance(60_000);
    await Promise.resolve();
    while (gates.length) {
      clock.advance(100);
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(peak).toBe(3);
    expect(s.stats().started).toBe(10);
    expect(s.stats().lagP99Ms).toBeGreaterThan(60_000);
  });

  it('removing or replacing a monitor drops its old slot', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z');
    const { s, runs } = recorder(clock);
    s.upsert({ id: 'a', intervalMs: 60_000 });
    s.upsert({ id: 'b', intervalMs: 60_000 });
    s.upsert({ id: 'b', intervalMs: 10_000 });
    s.remove('a');
    clock.advance(60_000);
    await s.runDue();
    expect(runs.map((r) => r.id)).toEqual(['b']);
  });
});

describe('thresholds', () => {
  const t = { failureThreshold: 2, successThreshold: 2 };
  const run = (start: StateCounters, oks: boolean[]) => {
    let c = start;
    const changes: string[] = [];
    for (const ok of oks) {
      const r = applyResult(c, ok, t);
      c = r.next;
      if (r.transition) changes.push(`${r.transition.from}→${r.transition.to}`);
    }
    return { c, changes };
  };

  it('one lost packet pages nobody; two failures go down; recovery needs two successes', () => {
    const fresh: StateCounters = { state: 'unknown', failures: 0, successes: 0 };
    expect(run(fresh, [true]).changes).toEqual(['unknown→up']);
    expect(run(fresh, [true, false, true, false, true]).changes).toEqual(['unknown→up']);
    expect(run(fresh, [true, false, false]).changes).toEqual(['unknown→up', 'up→down']);
    expect(run(fresh, [false, false, true, false, true, true]).changes).toEqual(['unknown→down', 'down→up']);
    expect(run(fresh, [false]).c).toEqual({ state: 'unknown', failures: 1, successes: 0 });
  });
});
