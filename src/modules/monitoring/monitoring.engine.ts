import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { MonitorDefinition } from './api/monitor.schemas.ts';
import type { CheckOutcome } from './checks/check.types.ts';
import { runCheck } from './checks/run-check.ts';
import type { MonitoringConfig } from './monitoring.config.ts';
import { targetOf, toMonitor, type Monitor } from './monitoring.model.ts';
import type { MonitorChange } from './monitoring.service.ts';
import { type CheckRecord, type MonitorState, monitoringStore } from './monitoring.store.ts';
import { applyResult, type StateCounters } from './monitor-state.ts';
import { MonitorScheduler, type SchedulerEntry, type SchedulerStats } from './monitor.scheduler.ts';

/** The engine's view of one monitor: its definition and its live streak counters. */
interface Runtime {
  id: string;
  name: string;
  def: MonitorDefinition;
  /** The definition as stored (JSON): a reload compares text, not objects. */
  defJson: string;
  counters: StateCounters;
  last: { at: string; ok: boolean; responseMs: number | null; error: string | null } | null;
  dirty: boolean;
}

interface Transition {
  rt: Runtime;
  from: MonitorState;
  to: MonitorState;
  at: string;
  outcome: CheckOutcome;
}

export interface EngineDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: MonitoringConfig;
  signals: SignalSink;
  /** Location name results are recorded under. */
  location?: string;
}

/**
 * Runs the checks: the scheduler, the check runners, the threshold state machine and the result writer. Results are
 * buffered and written in one transaction per `flushMs` (10,000 monitors at 60 s are ~170 rows/s: one commit a second,
 * not 170). A state change is written in its own transaction together with its signal (P16); if the signal cannot be
 * registered, the change is not recorded and the next result tries again, so no deviation is lost.
 */
export class MonitoringEngine {
  readonly scheduler: MonitorScheduler;
  readonly #d: EngineDeps;
  readonly #rt = new Map<string, Runtime>();
  #buffer: CheckRecord[] = [];
  #transitions: Transition[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #flushTimer: NodeJS.Timeout | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;
  readonly #location: string;

  constructor(d: EngineDeps) {
    this.#d = d;
    this.#location = d.location ?? 'local';
    this.scheduler = new MonitorScheduler({
      clock: d.clock,
      maxInFlight: d.config.maxInFlight,
      run: (e) => this.#check(e),
    });
  }

  /** Load every active monitor and schedule it on its own phase slot (all at once: no serial start-up). */
  async load(): Promise<void> {
    const rows = await monitoringStore.list(this.#d.database.db);
    const seen = new Set<string>();
    let n = 0;
    for (const r of rows) {
      seen.add(r.id);
      const existing = this.#rt.get(r.id);
      // Reload from another process's change: only reschedule what changed.
      if (existing && r.paused === 0 && existing.defJson === r.definition && this.scheduler.has(r.id)) continue;
      this.apply(
        { kind: 'upsert', monitor: toMonitor(r) },
        { state: r.state, failures: r.consecutive_failures, successes: r.consecutive_successes },
      );
      // Let checks run while 10,000 monitors are (re)loaded: the scheduler must not stall behind this loop.
      if (++n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const id of [...this.#rt.keys()]) if (!seen.has(id)) this.apply({ kind: 'remove', id });
  }

  /** Follow a change made through the service (same process). */
  apply(c: MonitorChange, stored?: StateCounters): void {
    if (c.kind === 'remove') {
      this.#rt.delete(c.id);
      this.scheduler.remove(c.id);
      return;
    }
    const m: Monitor = c.monitor;
    const prev = this.#rt.get(m.id);
    const defJson = JSON.stringify(m.definition);
    this.#rt.set(m.id, {
      id: m.id,
      name: m.name,
      def: m.definition,
      defJson,
      counters: prev?.counters ?? stored ?? { state: m.state, failures: 0, successes: 0 },
      last: prev?.last ?? null,
      dirty: prev?.dirty ?? false,
    });
    if (m.paused) this.scheduler.remove(m.id);
    else if (!prev || !this.scheduler.has(m.id) || prev.defJson !== defJson) {
      this.scheduler.upsert({ id: m.id, intervalMs: m.definition.intervalSeconds * 1000 });
    }
  }

  /** Restore streak counters from the database (after a restart the thresholds continue where they were). */
  async restoreCounters(): Promise<void> {
    const rows = await this.#d.database.db
      .selectFrom('monitoring_monitors')
      .select(['id', 'state', 'consecutive_failures', 'consecutive_successes'])
      .execute();
    for (const r of rows) {
      const rt = this.#rt.get(r.id);
      if (rt) rt.counters = { state: r.state, failures: r.consecutive_failures, successes: r.consecutive_successes };
    }
  }

  /** Start timers: the scheduler, the result writer and the reload of changes made elsewhere. */
  async start(): Promise<void> {
    // The timer runs while monitors load (the load yields every 500 rows), so the first slots are not missed.
    this.scheduler.start();
    await this.load();
    this.#flushTimer = setInterval(() => void this.flush(), this.#d.config.flushMs);
    this.#flushTimer.unref?.();
    this.#reloadTimer = setInterval(() => {
      this.load().catch((e: unknown) => this.#d.log.error({ err: e }, 'monitoring: reloading monitors failed'));
    }, this.#d.config.reloadSeconds * 1000);
    this.#reloadTimer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    clearInterval(this.#reloadTimer);
    await this.scheduler.stop();
    await this.flush();
  }

  stats(): SchedulerStats {
    return this.scheduler.stats();
  }

  /** Run every due check now (tests, with a ManualClock) and write the results. */
  async runDue(): Promise<void> {
    await this.scheduler.runDue();
    await this.flush();
  }

  async #check(e: SchedulerEntry): Promise<void> {
    const rt = this.#rt.get(e.id);
    if (!rt) return;
    const at = this.#d.clock.now().toISOString();
    const outcome = await runCheck(rt.id, rt.def, {
      maxBodyBytes: this.#d.config.maxBodyBytes,
      now: () => this.#d.clock.now(),
      lastHeartbeat: (id) => this.#lastHeartbeat(id),
    });
    // Removed or replaced while the check ran: its result belongs to nobody.
    if (this.#rt.get(e.id) !== rt) return;
    this.record(rt.id, at, outcome);
  }

  /** Record one outcome (also the entry point for results reported by remote probes, later). */
  record(monitorId: string, at: string, outcome: CheckOutcome, location = this.#location): void {
    const rt = this.#rt.get(monitorId);
    if (!rt) return;
    this.#buffer.push({ monitorId, location, at, ok: outcome.ok, responseMs: outcome.responseMs, error: outcome.error });
    const { next, transition } = applyResult(rt.counters, outcome.ok, rt.def);
    rt.counters = next;
    rt.last = { at, ok: outcome.ok, responseMs: outcome.responseMs, error: outcome.error };
    rt.dirty = true;
    if (transition) this.#transitions.push({ rt, from: transition.from, to: transition.to, at, outcome });
  }

  async #lastHeartbeat(id: string): Promise<Date | null> {
    const r = await this.#d.database.db
      .selectFrom('monitoring_monitors')
      .select(['last_heartbeat_at', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    const t = r?.last_heartbeat_at ?? r?.created_at;
    return t ? new Date(t) : null;
  }

  /** Write buffered results and counters (one transaction), then each state change with its signal. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#flushNow())
      .catch((e: unknown) => this.#d.log.error({ err: e }, 'monitoring: writing results failed'));
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    const rows = this.#buffer;
    const transitions = this.#transitions;
    this.#buffer = [];
    this.#transitions = [];
    const dirty = [...this.#rt.values()].filter((r) => r.dirty);
    if (rows.length === 0 && dirty.length === 0 && transitions.length === 0) return;
    for (const r of dirty) r.dirty = false;
    const db = this.#d.database.db;
    // A first verdict of up (unknown → up) raises no signal: it is written with the batch, not in a transaction of
    // its own (after a fresh start of 10,000 monitors that is 10,000 commits saved in the first minute).
    const quiet = transitions.filter((t) => t.from === 'unknown' && t.to === 'up');
    const signalled = transitions.filter((t) => !(t.from === 'unknown' && t.to === 'up'));
    try {
      await db.transaction().execute(async (trx) => {
        await monitoringStore.insertResults(trx, rows);
        await monitoringStore.updateLastChecks(
          trx,
          dirty.flatMap((r) =>
            r.last
              ? [
                  {
                    id: r.id,
                    failures: r.counters.failures,
                    successes: r.counters.successes,
                    at: r.last.at,
                    ok: r.last.ok,
                    responseMs: r.last.responseMs,
                    error: r.last.error,
                  },
                ]
              : [],
          ),
        );
        for (const t of quiet) await this.#writeTransition(trx, t, this.#summary(t), null);
      });
    } catch (e) {
      // Keep the rows for the next attempt (bounded: a database down for long drops the oldest).
      this.#buffer = [...rows, ...this.#buffer].slice(-200_000);
      for (const r of dirty) r.dirty = true;
      this.#transitions = [...transitions, ...this.#transitions];
      throw e;
    }
    for (const t of signalled) await this.#transition(t);
  }

  #summary(t: Transition): string {
    const target = targetOf(t.rt.def);
    const name = t.rt.name;
    const text =
      t.to === 'down'
        ? `${name} is down: ${t.outcome.error ?? 'check failed'} (${target})`
        : t.from === 'down'
          ? `${name} is up again (${target})`
          : `${name} is up (${target})`;
    return text.slice(0, 300);
  }

  async #writeTransition(
    trx: Db,
    t: Transition,
    summary: string,
    raised: { signalId: string; incidentId: string } | null,
  ): Promise<void> {
    await trx.updateTable('monitoring_monitors').set({ state: t.to, state_changed_at: t.at }).where('id', '=', t.rt.id).execute();
    await trx
      .insertInto('monitoring_events')
      .values({
        id: randomUUID(),
        monitor_id: t.rt.id,
        at: t.at,
        from_state: t.from,
        to_state: t.to,
        summary,
        signal_id: raised?.signalId ?? null,
        incident_id: raised?.incidentId ?? null,
      })
      .execute();
  }

  async #transition(t: Transition): Promise<void> {
    const { rt } = t;
    const target = targetOf(rt.def);
    const summary = this.#summary(t);
    try {
      await this.#d.database.db.transaction().execute(async (trx) => {
        let raised: { signalId: string; incidentId: string } | null = null;
        if (t.to === 'down' || t.from === 'down') {
          raised = await this.#d.signals.raise(trx, {
            source: 'monitoring',
            dedupKey: `monitor:${rt.id}`,
            status: t.to === 'down' ? 'firing' : 'resolved',
            severity: rt.def.severity,
            summary,
            details: {
              monitorId: rt.id,
              type: rt.def.type,
              target,
              error: t.outcome.error,
              responseMs: t.outcome.responseMs,
              location: this.#location,
            },
            occurredAt: new Date(t.at),
            component: rt.def.component ?? rt.def.publicComponent ?? undefined,
          });
        }
        await this.#writeTransition(trx, t, summary, raised);
      });
    } catch (e) {
      this.#d.log.error({ err: e, monitorId: rt.id }, 'monitoring: state change not registered; retrying with the next result');
      // Undo in memory: the next result meets the threshold again and retries the transition.
      if (rt.counters.state === t.to) rt.counters = { ...rt.counters, state: t.from };
    }
  }
}
