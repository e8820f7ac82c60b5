import type { IncidentEvents } from './incidents.events.ts';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { iso, type Clock } from '../../core/clock.ts';
import type { DialectName, Db } from '../../core/db/database.ts';
import { invalid } from '../../core/errors.ts';
import type { RaisedSignal, Severity, SignalInput, SignalSink } from '../../core/signals.ts';
import type { IncidentsConfig } from './incidents.config.ts';
import type { IncidentRow, SignalsTable } from './incidents.store.ts';
import { appendTimeline } from './incidents.timeline.ts';
import type { MaintenanceService } from './maintenance.service.ts';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, minor: 1, major: 2, critical: 3 };
const MAX_SUMMARY = 1000;
const MAX_DETAILS_BYTES = 16 * 1024;
/** Attempts at finding-or-opening an incident when a concurrent raise got there first. */
const ATTEMPTS = 5;

export interface SinkDeps {
  clock: Clock;
  config: IncidentsConfig;
  maintenance: MaintenanceService;
  dialect: DialectName;
  events: IncidentEvents;
}

interface Classified {
  expected: boolean;
  changeRef: string | null;
  windowId: string | null;
}

/**
 * The incidents module's SignalSink: registers every signal (P16) and attaches it to exactly one incident.
 *
 * One open incident per dedup key is guarded by a partial unique index; the open path is INSERT … ON CONFLICT DO
 * NOTHING followed by a read of the winner, so concurrent raises of one key converge on one incident on both
 * databases without failing a transaction (a unique violation would abort a PostgreSQL transaction).
 */
export class IncidentsSink implements SignalSink {
  readonly #autoResolve: Set<string>;

  constructor(private readonly d: SinkDeps) {
    this.#autoResolve = new Set(
      d.config.autoResolveSources
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }

  /** Register a signal; runs in the caller's transaction when given one, else in its own. */
  raise(db: Db, input: SignalInput): Promise<RaisedSignal> {
    if (db.isTransaction) return this.#raise(db, input);
    return db.transaction().execute((trx) => this.#raise(trx, input));
  }

  async #raise(db: Db, input: SignalInput): Promise<RaisedSignal> {
    const source = input.source.trim();
    const key = input.dedupKey.trim();
    if (!source || !key || source.length > 128 || key.length > 512)
      throw invalid('signal_invalid', 'a signal needs a source (≤ 128 characters) and a dedup key (≤ 512 characters)');
    const now = this.d.clock.now();
    const occurred = input.occurredAt ?? now;
    const window = await this.d.maintenance.covering(db, key, input.component, occurred);
    const cls: Classified = { expected: window !== null, changeRef: window?.change_ref ?? null, windowId: window?.id ?? null };
    const nowIso = iso(now);
    // PostgreSQL: raises of one key queue behind each other for the rest of the transaction (SQLite has one writer
    // anyway), so find-or-open/reopen never races; the partial unique index stays as the last guard.
    if (this.d.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);

    const own = await this.#openIncident(db, key);
    if (!own && input.parentKey && input.parentKey !== key) {
      const parent = await this.#openIncident(db, input.parentKey);
      // Under a down parent: recorded on the parent's incident, never paged separately.
      if (parent) return this.#record(db, input, cls, parent, nowIso, 'recorded', false, true);
    }

    if (input.status === 'resolved') {
      if (own) {
        if (input.autoResolve ?? this.#autoResolve.has(source)) {
          await this.#resolve(db, own, nowIso);
          return this.#record(db, input, cls, own, nowIso, 'resolved', false, false);
        }
        return this.#record(db, input, cls, own, nowIso, 'recorded', false, false);
      }
      // A recovery without an open incident is still registered: on the key's latest incident, or a closed one.
      const last = await db
        .selectFrom('incidents_incidents')
        .selectAll()
        .where('dedup_key', '=', key)
        .orderBy('opened_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      const target = last ?? (await this.#insert(db, input, cls, nowIso, 'resolved'));
      if (!target) throw new Error('could not register a resolved signal');
      return this.#record(db, input, cls, target, nowIso, 'recorded', false, false);
    }

    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const open = attempt === 0 ? own : await this.#openIncident(db, key);
      if (open) {
        return this.#record(db, input, cls, open, nowIso, 'joined', false, false);
      }
      const reopened = await this.#reopen(db, key, cls, now);
      if (reopened) {
        const flapping = await this.#flapCheck(db, reopened, nowIso);
        return this.#record(db, input, cls, reopened, nowIso, 'reopened', !cls.expected && !flapping, false);
      }
      const opened = await this.#insert(db, input, cls, nowIso, 'triggered');
      if (opened) {
        await appendTimeline(db, opened.id, {
          kind: 'state',
          at: nowIso,
          actor: 'signal',
          body: { from: null, to: 'triggered' },
        });
        const flapping = await this.#flapCheck(db, opened, nowIso);
        return this.#record(db, input, cls, opened, nowIso, 'opened', !cls.expected && !flapping, false);
      }
      // Lost the race to a concurrent raise of the same key: its incident is committed now; join it.
    }
    throw new Error(`could not settle an incident for ${key}`);
  }

  async #openIncident(db: Db, key: string): Promise<IncidentRow | undefined> {
    let q = db.selectFrom('incidents_incidents').selectAll().where('dedup_key', '=', key).where('state', '<>', 'resolved');
    if (this.d.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  async #insert(
    db: Db,
    input: SignalInput,
    cls: Classified,
    nowIso: string,
    state: 'triggered' | 'resolved',
  ): Promise<IncidentRow | undefined> {
    const row: IncidentRow = {
      id: randomUUID(),
      dedup_key: input.dedupKey.trim(),
      source: input.source.trim(),
      severity: input.severity,
      summary: input.summary.slice(0, MAX_SUMMARY),
      component: input.component ?? null,
      state,
      expected: cls.expected ? 1 : 0,
      change_ref: cls.changeRef,
      flapping: 0,
      opened_at: nowIso,
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: state === 'resolved' ? nowIso : null,
      resolved_by: state === 'resolved' ? 'signal' : null,
      last_signal_at: nowIso,
      signal_count: 0,
      reopen_count: 0,
      timeline_count: 0,
      postmortem_summary: null,
      postmortem_root_cause: null,
      postmortem_actions: null,
      postmortem_updated_at: null,
      postmortem_updated_by: null,
      updated_at: nowIso,
    };
    const inserted = await db
      .insertInto('incidents_incidents')
      .values(row)
      // The partial index's predicate, spelled literally so PostgreSQL can infer the index.
      .onConflict((oc) =>
        oc
          .column('dedup_key')
          .where(sql<boolean>`state <> 'resolved'`)
          .doNothing(),
      )
      .returning('id')
      .executeTakeFirst();
    return inserted ? row : undefined;
  }

  /** Reopen the key's incident resolved within the reopen window, if any (only one caller wins the update). */
  async #reopen(db: Db, key: string, cls: Classified, now: Date): Promise<IncidentRow | undefined> {
    const since = iso(new Date(now.getTime() - this.d.config.reopenWindowMinutes * 60_000));
    const last = await db
      .selectFrom('incidents_incidents')
      .selectAll()
      .where('dedup_key', '=', key)
      .where('state', '=', 'resolved')
      .where('resolved_at', '>=', since)
      .orderBy('resolved_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!last) return undefined;
    const nowIso = iso(now);
    const updated = await db
      .updateTable('incidents_incidents')
      .set((eb) => ({
        state: 'triggered',
        resolved_at: null,
        resolved_by: null,
        acknowledged_at: null,
        acknowledged_by: null,
        expected: cls.expected ? 1 : 0,
        change_ref: cls.changeRef,
        reopen_count: eb('reopen_count', '+', 1),
        last_signal_at: nowIso,
        updated_at: nowIso,
      }))
      .where('id', '=', last.id)
      .where('state', '=', 'resolved')
      .returningAll()
      .executeTakeFirst();
    if (!updated) return undefined;
    await appendTimeline(db, updated.id, {
      kind: 'state',
      at: nowIso,
      actor: 'signal',
      body: { from: 'resolved', to: 'triggered', reopened: true },
    });
    return updated;
  }

  async #resolve(db: Db, inc: IncidentRow, nowIso: string): Promise<void> {
    await db
      .updateTable('incidents_incidents')
      .set({ state: 'resolved', resolved_at: nowIso, resolved_by: 'signal', updated_at: nowIso })
      .where('id', '=', inc.id)
      .execute();
    await appendTimeline(db, inc.id, {
      kind: 'resolution',
      at: nowIso,
      actor: 'signal',
      body: { from: inc.state, to: 'resolved', by: 'signal' },
    });
    await this.#flapCheck(db, inc, nowIso);
    await this.d.events.settled(db, { incidentId: inc.id, state: 'resolved', by: 'signal' });
  }

  /** Mark or clear flapping from the number of state changes in the flap window; returns the new flag. */
  async #flapCheck(db: Db, inc: IncidentRow, nowIso: string): Promise<boolean> {
    const { flapThreshold, flapWindowMinutes } = this.d.config;
    const since = iso(new Date(Date.parse(nowIso) - flapWindowMinutes * 60_000));
    const r = await db
      .selectFrom('incidents_timeline')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_id', '=', inc.id)
      .where('kind', 'in', ['state', 'resolution'])
      .where('at', '>=', since)
      .executeTakeFirstOrThrow();
    const changes = Number(r.n);
    const flapping = changes >= flapThreshold;
    const current = await db
      .selectFrom('incidents_incidents')
      .select('flapping')
      .where('id', '=', inc.id)
      .executeTakeFirstOrThrow();
    if (flapping !== (Number(current.flapping) === 1)) {
      await db
        .updateTable('incidents_incidents')
        .set({ flapping: flapping ? 1 : 0 })
        .where('id', '=', inc.id)
        .execute();
      await appendTimeline(db, inc.id, {
        kind: 'flapping',
        at: nowIso,
        actor: 'signal',
        body: { flapping, changes, windowMinutes: flapWindowMinutes },
      });
    }
    return flapping;
  }

  /** Store the signal row and its timeline entry; flapping incidents never ask for a page. */
  async #record(
    db: Db,
    input: SignalInput,
    cls: Classified,
    inc: IncidentRow,
    nowIso: string,
    effect: SignalsTable['effect'],
    page: boolean,
    viaParent: boolean,
  ): Promise<RaisedSignal> {
    const id = randomUUID();
    let details: string | null = null;
    if (input.details !== undefined) {
      details = JSON.stringify(input.details);
      if (Buffer.byteLength(details) > MAX_DETAILS_BYTES)
        details = JSON.stringify({ truncated: true, bytes: Buffer.byteLength(details) });
    }
    // A firing signal of the incident's own key raises its severity (a child's does not change its parent's).
    const worse = input.status === 'firing' && !viaParent && SEVERITY_RANK[input.severity] > SEVERITY_RANK[inc.severity];
    const signal: SignalsTable = {
      id,
      incident_id: inc.id,
      source: input.source.trim(),
      dedup_key: input.dedupKey.trim(),
      status: input.status,
      severity: input.severity,
      summary: input.summary.slice(0, MAX_SUMMARY),
      details,
      occurred_at: iso(input.occurredAt ?? new Date(nowIso)),
      received_at: nowIso,
      parent_key: input.parentKey ?? null,
      component: input.component ?? null,
      effect,
      expected: cls.expected ? 1 : 0,
      change_ref: cls.changeRef,
      window_id: cls.windowId,
      page: page ? 1 : 0,
      via_parent: viaParent ? 1 : 0,
    };
    await db.insertInto('incidents_signals').values(signal).execute();
    await appendTimeline(
      db,
      inc.id,
      {
        kind: viaParent ? 'child' : 'signal',
        at: nowIso,
        actor: `signal:${signal.source}`,
        signalId: id,
        body: {
          status: signal.status,
          severity: signal.severity,
          summary: signal.summary,
          dedupKey: signal.dedup_key,
          effect,
          page,
          ...(cls.expected ? { expected: true, changeRef: cls.changeRef, windowId: cls.windowId } : {}),
          ...(viaParent ? { childKey: signal.dedup_key, parentKey: input.parentKey } : {}),
        },
      },
      { at: nowIso, severity: worse ? input.severity : undefined },
    );
    if (page && (effect === 'opened' || effect === 'reopened'))
      await this.d.events.page(db, {
        incidentId: inc.id,
        dedupKey: signal.dedup_key,
        source: signal.source,
        severity: SEVERITY_RANK[input.severity] > SEVERITY_RANK[inc.severity] ? input.severity : inc.severity,
        summary: signal.summary,
        effect,
      });
    return { signalId: id, incidentId: inc.id, effect, expected: cls.expected, page };
  }
}
