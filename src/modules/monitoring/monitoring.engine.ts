import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
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
import type { ProbeResultItem } from './probes/probe.schemas.ts';
import { type LocationStateRecord, probesStore } from './probes/probes.store.ts';
import { quorumState } from './quorum.ts';

type LastResult = { at: string; ok: boolean; responseMs: number | null; error: string | null };

/** One location's streak counters for a monitor run from several locations. */
interface LocationRuntime {
  counters: StateCounters;
  last: LastResult | null;
  dirty: boolean;
}

/** The engine's view of one monitor: its definition and its live streak counters. */
interface Runtime {
  id: string;
  name: string;
  def: MonitorDefinition;
  /** The definition as stored (JSON): a reload compares text, not objects. */
  defJson: string;
  counters: StateCounters;
  last: LastResult | null;
  dirty: boolean;
  paused: boolean;
  locations: string[];
  quorum: number;
  /** Per-location streaks when the monitor runs from more than the engine's own location; null: the engine's alone. */
  locs: Map<string, LocationRuntime> | null;
}

interface Transition {
  rt: Runtime;
  from: MonitorState;
  to: MonitorState;
  at: string;
  outcome: CheckOutcome;
  /** Multi-location monitors: the locations down at the transition. */
  failing: string[] | null;
}

/** Most probe batches taken from the inbox per flush. */
const INGEST_BATCHES = 200;
/** Consumed batches are kept this long (a retried batch is recognised as a duplicate), then pruned. */
const BATCH_KEEP_MS = 86_400_000;

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
/** How long a change to or from down waits for others before it is written (ms). */
const SIGNAL_COALESCE_MS = 25;

export class MonitoringEngine {
  readonly scheduler: MonitorScheduler;
  readonly #d: EngineDeps;
  readonly #rt = new Map<string, Runtime>();
  #buffer: CheckRecord[] = [];
  #transitions: Transition[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #soon: NodeJS.Timeout | null = null;
  #flushTimer: NodeJS.Timeout | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;
  readonly #location: string;
  #lastPrune = 0;

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
    let stored: Map<string, Map<string, LocationRuntime>> | undefined;
    let n = 0;
    for (const r of rows) {
      seen.add(r.id);
      const existing = this.#rt.get(r.id);
      // Reload from another process's change: only reschedule what changed.
      if (
        existing &&
        existing.defJson === r.definition &&
        existing.paused === (r.paused === 1) &&
        this.scheduler.has(r.id) === this.#runsHere(existing)
      )
        continue;
      const m = toMonitor(r);
      const multi = !existing && this.#isMulti(m.locations);
      if (multi) stored ??= await this.#storedLocations();
      this.apply(
        { kind: 'upsert', monitor: m },
        { state: r.state, failures: r.consecutive_failures, successes: r.consecutive_successes },
        multi ? stored?.get(r.id) : undefined,
      );
      // Let checks run while 10,000 monitors are (re)loaded: the scheduler must not stall behind this loop.
      if (++n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const id of [...this.#rt.keys()]) if (!seen.has(id)) this.apply({ kind: 'remove', id });
  }

  #isMulti(locations: readonly string[]): boolean {
    return !(locations.length === 1 && locations[0] === this.#location);
  }

  #runsHere(rt: Runtime): boolean {
    return !rt.paused && rt.locations.includes(this.#location);
  }

  async #storedLocations(): Promise<Map<string, Map<string, LocationRuntime>>> {
    const out = new Map<string, Map<string, LocationRuntime>>();
    for (const r of await probesStore.locationStates(this.#d.database.db)) {
      let m = out.get(r.monitor_id);
      if (!m) out.set(r.monitor_id, (m = new Map<string, LocationRuntime>()));
      m.set(r.location, {
        counters: { state: r.state, failures: r.consecutive_failures, successes: r.consecutive_successes },
        last:
          r.last_check_at === null
            ? null
            : { at: r.last_check_at, ok: r.last_ok === 1, responseMs: r.last_response_ms, error: r.last_error },
        dirty: false,
      });
    }
    return out;
  }

  /** Follow a change made through the service (same process). */
  apply(c: MonitorChange, stored?: StateCounters, storedLocs?: Map<string, LocationRuntime>): void {
    if (c.kind === 'remove') {
      this.#rt.delete(c.id);
      this.scheduler.remove(c.id);
      return;
    }
    const m: Monitor = c.monitor;
    const prev = this.#rt.get(m.id);
    const defJson = JSON.stringify(m.definition);
    let locs: Map<string, LocationRuntime> | null = null;
    if (this.#isMulti(m.locations)) {
      locs = new Map();
      const from = prev?.locs ?? storedLocs;
      for (const l of m.locations) {
        const x = from?.get(l);
        if (x) locs.set(l, x);
      }
      // Was run from this engine alone: its streak continues as this location's.
      if (prev && !prev.locs && m.locations.includes(this.#location)) {
        locs.set(this.#location, { counters: prev.counters, last: prev.last, dirty: true });
      }
    }
    const rt: Runtime = {
      id: m.id,
      name: m.name,
      def: m.definition,
      defJson,
      counters: prev?.counters ?? stored ?? { state: m.state, failures: 0, successes: 0 },
      last: prev?.last ?? null,
      dirty: prev?.dirty ?? false,
      paused: m.paused,
      locations: m.locations,
      quorum: m.quorum,
      locs,
    };
    this.#rt.set(m.id, rt);
    if (!this.#runsHere(rt)) this.scheduler.remove(m.id);
    else if (!prev || !this.scheduler.has(m.id) || prev.defJson !== defJson) {
      this.scheduler.upsert({ id: m.id, intervalMs: m.definition.intervalSeconds * 1000 });
    }
  }

  /** Restore streak counters (and each location's) from the database: after a restart the thresholds continue where they were. */
  async restoreCounters(): Promise<void> {
    const rows = await this.#d.database.db
      .selectFrom('monitoring_monitors')
      .select(['id', 'state', 'consecutive_failures', 'consecutive_successes'])
      .execute();
    for (const r of rows) {
      const rt = this.#rt.get(r.id);
      if (rt) rt.counters = { state: r.state, failures: r.consecutive_failures, successes: r.consecutive_successes };
    }
    const stored = await this.#storedLocations();
    for (const rt of this.#rt.values()) {
      if (!rt.locs) continue;
      rt.locs = new Map([...(stored.get(rt.id) ?? [])].filter(([l]) => rt.locations.includes(l)));
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

  /**
   * Record one outcome, from this engine's checks or a remote probe's (`location`). A monitor run from several
   * locations keeps a streak per location (each with the monitor's thresholds) and is down when at least `quorum`
   * locations are down. Results from a location the monitor no longer runs from, or for a paused monitor, are dropped.
   */
  record(monitorId: string, at: string, outcome: CheckOutcome, location = this.#location): void {
    const rt = this.#rt.get(monitorId);
    if (!rt || !rt.locations.includes(location) || (rt.paused && location !== this.#location)) return;
    this.#buffer.push({ monitorId, location, at, ok: outcome.ok, responseMs: outcome.responseMs, error: outcome.error });
    const last = { at, ok: outcome.ok, responseMs: outcome.responseMs, error: outcome.error };
    rt.last = last;
    rt.dirty = true;
    if (!rt.locs) {
      const { next, transition } = applyResult(rt.counters, outcome.ok, rt.def);
      rt.counters = next;
      if (transition) {
        this.#transitions.push({ rt, from: transition.from, to: transition.to, at, outcome, failing: null });
        this.#signalSoon(transition);
      }
      return;
    }
    const locs = rt.locs;
    let lr = locs.get(location);
    if (!lr) locs.set(location, (lr = { counters: { state: 'unknown', failures: 0, successes: 0 }, last: null, dirty: false }));
    lr.counters = applyResult(lr.counters, outcome.ok, rt.def).next;
    lr.last = last;
    lr.dirty = true;
    const from = rt.counters.state;
    const to = quorumState(
      from,
      rt.locations.map((l) => locs.get(l)?.counters.state ?? 'unknown'),
      rt.quorum,
    );
    // The monitor row's streak columns show the reporting location's streak.
    rt.counters = { state: to, failures: lr.counters.failures, successes: lr.counters.successes };
    if (to !== from) {
      const failing = rt.locations.filter((l) => locs.get(l)?.counters.state === 'down');
      this.#transitions.push({ rt, from, to, at, outcome, failing });
      this.#signalSoon({ from, to });
    }
  }

  /**
   * A change to or from down is a signal someone may be paged for: write it now, not at the next periodic flush
   * (results alone wait for the batch). Several in one tick share one flush.
   */
  #signalSoon(t: { from: string; to: string }): void {
    if (t.to !== 'down' && t.from !== 'down') return;
    if (this.#soon) return;
    // A short wait lets an outage's many changes share one flush: a commit (an fsync on SQLite) each would stall.
    this.#soon = setTimeout(() => {
      this.#soon = null;
      void this.flush();
    }, SIGNAL_COALESCE_MS);
  }

  /** Take pending probe batches from the inbox (written by the API, in any process) and record their results. */
  async #ingest(): Promise<void> {
    const db = this.#d.database.db;
    const now = this.#d.clock.now();
    if (now.getTime() - this.#lastPrune > 3_600_000) {
      this.#lastPrune = now.getTime();
      await db
        .deleteFrom('monitoring_probe_batches')
        .where('consumed_at', '<', new Date(now.getTime() - BATCH_KEEP_MS).toISOString())
        .execute();
    }
    const pending = await db
      .selectFrom('monitoring_probe_batches')
      .select(['id', 'location', 'items'])
      .where('consumed_at', 'is', null)
      .orderBy('received_at')
      .orderBy('id')
      .limit(INGEST_BATCHES)
      .execute();
    if (pending.length === 0) return;
    await db
      .updateTable('monitoring_probe_batches')
      .set({ consumed_at: now.toISOString() })
      .where(
        'id',
        'in',
        pending.map((b) => b.id),
      )
      .execute();
    for (const b of pending) {
      for (const r of JSON.parse(b.items) as ProbeResultItem[]) {
        this.record(r.monitorId, r.at, { ok: r.ok, responseMs: r.responseMs, error: r.error }, b.location);
      }
    }
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
    await this.#ingest();
    const rows = this.#buffer;
    const transitions = this.#transitions;
    this.#buffer = [];
    this.#transitions = [];
    const dirty = [...this.#rt.values()].filter((r) => r.dirty);
    if (rows.length === 0 && dirty.length === 0 && transitions.length === 0) return;
    for (const r of dirty) r.dirty = false;
    const dirtyLocs: LocationRuntime[] = [];
    const locRows: LocationStateRecord[] = [];
    for (const r of dirty) {
      for (const [location, l] of r.locs ?? []) {
        if (!l.dirty) continue;
        l.dirty = false;
        dirtyLocs.push(l);
        locRows.push({
          monitorId: r.id,
          location,
          state: l.counters.state,
          failures: l.counters.failures,
          successes: l.counters.successes,
          at: l.last?.at ?? null,
          ok: l.last?.ok ?? null,
          responseMs: l.last?.responseMs ?? null,
          error: l.last?.error ?? null,
        });
      }
    }
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
        await probesStore.upsertLocationStates(trx, locRows);
        for (const t of quiet) await this.#writeTransition(trx, t, this.#summary(t), null);
      });
    } catch (e) {
      // Keep the rows for the next attempt (bounded: a database down for long drops the oldest).
      this.#buffer = [...rows, ...this.#buffer].slice(-200_000);
      for (const r of dirty) r.dirty = true;
      for (const l of dirtyLocs) l.dirty = true;
      this.#transitions = [...transitions, ...this.#transitions];
      throw e;
    }
    await this.#registerAll(signalled);
  }

  /**
   * State changes that raise signals, all in one transaction (one commit, one fsync: a data-centre outage turns a few
   * hundred monitors down at once), each inside its own savepoint so that one that fails does not undo the others.
   */
  async #registerAll(list: Transition[]): Promise<void> {
    if (list.length <= 1) {
      for (const t of list) await this.#transition(t);
      return;
    }
    const failed = new Set<Transition>();
    try {
      await this.#d.database.db.transaction().execute(async (trx) => {
        for (const [i, t] of list.entries()) {
          const sp = sql.raw(`monitor_transition_${i}`);
          await sql`SAVEPOINT ${sp}`.execute(trx);
          try {
            await this.#registerTransition(trx, t);
            await sql`RELEASE SAVEPOINT ${sp}`.execute(trx);
          } catch (e) {
            await sql`ROLLBACK TO SAVEPOINT ${sp}`.execute(trx);
            this.#d.log.error(
              { err: e, monitorId: t.rt.id },
              'monitoring: state change not registered; retrying with the next result',
            );
            failed.add(t);
          }
        }
      });
    } catch (e) {
      this.#d.log.error({ err: e }, 'monitoring: state changes not registered; retrying with the next results');
      for (const t of list) failed.add(t);
    }
    // Undo in memory: the next result meets the threshold again and retries the transition.
    for (const t of failed) if (t.rt.counters.state === t.to) t.rt.counters = { ...t.rt.counters, state: t.from };
  }

  #summary(t: Transition): string {
    const target = targetOf(t.rt.def);
    const name = t.rt.name;
    const where = t.failing ? ` from ${t.failing.length} of ${t.rt.locations.length} locations (${t.failing.join(', ')})` : '';
    const text =
      t.to === 'down'
        ? `${name} is down${where}: ${t.outcome.error ?? 'check failed'} (${target})`
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
    try {
      await this.#d.database.db.transaction().execute((trx) => this.#registerTransition(trx, t));
    } catch (e) {
      this.#d.log.error({ err: e, monitorId: t.rt.id }, 'monitoring: state change not registered; retrying with the next result');
      // Undo in memory: the next result meets the threshold again and retries the transition.
      if (t.rt.counters.state === t.to) t.rt.counters = { ...t.rt.counters, state: t.from };
    }
  }

  /** Register one state change: its signal (to or from down) and the transition row, in the caller's transaction. */
  async #registerTransition(trx: Db, t: Transition): Promise<void> {
    const { rt } = t;
    const target = targetOf(rt.def);
    const summary = this.#summary(t);
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
          ...(t.failing
            ? { locations: rt.locations, quorum: rt.quorum, failingLocations: t.failing }
            : { location: this.#location }),
        },
        occurredAt: new Date(t.at),
        component: rt.def.component ?? rt.def.publicComponent ?? undefined,
      });
    }
    await this.#writeTransition(trx, t, summary, raised);
  }
}
