import { IncidentEvents } from './incidents.events.ts';
import { sql } from 'kysely';
import { actorRef, type Actor } from '../../core/auth.ts';
import { iso, type Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import type { Severity } from '../../core/signals.ts';
import type { IncidentRow, IncidentState } from './incidents.store.ts';
import { appendTimeline, readTimeline, type TimelineEntry } from './incidents.timeline.ts';

/** A postmortem action item. */
export interface PostmortemAction {
  text: string;
  owner?: string | undefined;
  done: boolean;
}

/** An incident as the API shows it. */
export interface Incident {
  id: string;
  dedupKey: string;
  source: string;
  severity: Severity;
  summary: string;
  component: string | null;
  state: IncidentState;
  /** Opened (or last reopened) inside a maintenance window. */
  expected: boolean;
  changeRef: string | null;
  flapping: boolean;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  lastSignalAt: string;
  signalCount: number;
  reopenCount: number;
  postmortem: { summary: string; rootCause: string; actions: PostmortemAction[]; updatedAt: string; updatedBy: string } | null;
}

export interface IncidentDetail extends Incident {
  timeline: TimelineEntry[];
  /** Dedup keys of children recorded on this incident while it was open. */
  childKeys: string[];
}

/** An open incident on a component, reduced to what a public status page may show. */
export interface OpenComponentIncident {
  id: string;
  component: string;
  state: 'triggered' | 'acknowledged';
  severity: Severity;
  openedAt: string;
  acknowledgedAt: string | null;
}

export interface IncidentFilter {
  state?: IncidentState | 'open' | undefined;
  source?: string | undefined;
  severity?: Severity | undefined;
  /** opened_at ≥ from (ISO). */
  from?: string | undefined;
  /** opened_at < to (ISO). */
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** A notification attempt, as the on-call module reports it onto the timeline. */
export interface NotificationRecord {
  incidentId: string;
  channel: string;
  recipient: string;
  outcome: 'sent' | 'delivered' | 'failed';
  /** Provider receipt (message id, HTTP status …). */
  receipt?: string | undefined;
  error?: string | undefined;
  /** Escalation level the page belonged to, if any. */
  level?: number | undefined;
}

export interface CompletenessRow {
  day: string;
  source: string;
  /** Firing signals registered that day. */
  deviations: number;
  /** Of those, signals that sit on an incident's timeline. */
  registered: number;
  /** Monitoring's half (null until a module reports it for that day and source). */
  checksExpected: number | null;
  checksExecuted: number | null;
}

const toIncident = (r: IncidentRow): Incident => ({
  id: r.id,
  dedupKey: r.dedup_key,
  source: r.source,
  severity: r.severity,
  summary: r.summary,
  component: r.component,
  state: r.state,
  expected: Number(r.expected) === 1,
  changeRef: r.change_ref,
  flapping: Number(r.flapping) === 1,
  openedAt: r.opened_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  lastSignalAt: r.last_signal_at,
  signalCount: Number(r.signal_count),
  reopenCount: Number(r.reopen_count),
  postmortem:
    r.postmortem_updated_at !== null
      ? {
          summary: r.postmortem_summary ?? '',
          rootCause: r.postmortem_root_cause ?? '',
          actions: r.postmortem_actions ? (JSON.parse(r.postmortem_actions) as PostmortemAction[]) : [],
          updatedAt: r.postmortem_updated_at,
          updatedBy: r.postmortem_updated_by ?? '',
        }
      : null,
});

const actorName = (a: Actor): string | null =>
  a.type === 'user' || a.type === 'token' ? a.username : a.type === 'system' ? a.name : null;

function encodeCursor(r: IncidentRow): string {
  return Buffer.from(`${r.opened_at}|${r.id}`).toString('base64url');
}

function decodeCursor(c: string): { openedAt: string; id: string } {
  const [openedAt, id, extra] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  if (!openedAt || !id || extra !== undefined || !/^\d{4}-\d{2}-\d{2}T/.test(openedAt))
    throw invalid('cursor_invalid', 'the cursor is not one this API handed out', [
      { path: 'query.cursor', message: 'invalid cursor' },
    ]);
  return { openedAt, id };
}

/** Incidents as people work them: list, read, acknowledge, resolve, note, postmortem; plus the completeness record. */
export class IncidentsService {
  constructor(
    private readonly clock: Clock,
    private readonly events: IncidentEvents = new IncidentEvents(),
  ) {}

  async row(db: Db, id: string): Promise<IncidentRow> {
    const r = await db.selectFrom('incidents_incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('incident_not_found', `no incident ${id}`);
    return r;
  }

  /** Newest first, keyset-paged on (opened_at, id). */
  async list(db: Db, f: IncidentFilter): Promise<{ items: Incident[]; nextCursor: string | null }> {
    let q = db.selectFrom('incidents_incidents').selectAll();
    if (f.state === 'open') q = q.where('state', '<>', 'resolved');
    else if (f.state !== undefined) q = q.where('state', '=', f.state);
    if (f.source !== undefined) q = q.where('source', '=', f.source);
    if (f.severity !== undefined) q = q.where('severity', '=', f.severity);
    if (f.from !== undefined) q = q.where('opened_at', '>=', f.from);
    if (f.to !== undefined) q = q.where('opened_at', '<', f.to);
    if (f.cursor !== undefined) {
      const c = decodeCursor(f.cursor);
      q = q.where((eb) =>
        eb.or([eb('opened_at', '<', c.openedAt), eb.and([eb('opened_at', '=', c.openedAt), eb('id', '<', c.id)])]),
      );
    }
    const rows = await q
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(f.limit + 1)
      .execute();
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { items: page.map(toIncident), nextCursor: rows.length > f.limit && last ? encodeCursor(last) : null };
  }

  /**
   * Open incidents on any of the given components, oldest first, as the public status page may show them: the
   * component, state and times only (no summary, dedup key, details, notes or actors: those carry internal names).
   */
  async openOnComponents(db: Db, components: readonly string[]): Promise<OpenComponentIncident[]> {
    if (components.length === 0) return [];
    const rows = await db
      .selectFrom('incidents_incidents')
      .select(['id', 'component', 'state', 'severity', 'opened_at', 'acknowledged_at'])
      .where('state', '!=', 'resolved')
      .where('component', 'in', [...components])
      .orderBy('opened_at')
      .orderBy('id')
      .limit(200)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      component: r.component ?? '',
      state: r.state === 'acknowledged' ? 'acknowledged' : 'triggered',
      severity: r.severity,
      openedAt: r.opened_at,
      acknowledgedAt: r.acknowledged_at,
    }));
  }

  async get(db: Db, id: string): Promise<IncidentDetail> {
    const r = await this.row(db, id);
    const children = await db
      .selectFrom('incidents_signals')
      .select('dedup_key')
      .distinct()
      .where('incident_id', '=', id)
      .where('via_parent', '=', 1)
      .orderBy('dedup_key')
      .execute();
    return { ...toIncident(r), timeline: await readTimeline(db, id), childKeys: children.map((c) => c.dedup_key) };
  }

  async ack(db: Db, id: string, actor: Actor): Promise<{ before: Incident; after: Incident }> {
    const r = await this.row(db, id);
    if (r.state === 'resolved') throw conflict('incident_resolved', 'a resolved incident cannot be acknowledged');
    if (r.state === 'acknowledged')
      throw conflict('incident_already_acknowledged', `already acknowledged by ${r.acknowledged_by ?? 'someone'}`);
    const now = iso(this.clock.now());
    const after = await db
      .updateTable('incidents_incidents')
      .set({ state: 'acknowledged', acknowledged_at: now, acknowledged_by: actorRef(actor), updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'triggered')
      .returningAll()
      .executeTakeFirst();
    if (!after) throw conflict('incident_already_acknowledged', 'the incident changed meanwhile');
    await appendTimeline(db, id, {
      kind: 'ack',
      at: now,
      actor: actorRef(actor),
      actorName: actorName(actor),
      body: { from: r.state, to: 'acknowledged' },
    });
    await this.events.settled(db, { incidentId: id, state: 'acknowledged', by: actorRef(actor) });
    return { before: toIncident(r), after: toIncident(after) };
  }

  async resolve(db: Db, id: string, actor: Actor, note: string | undefined): Promise<{ before: Incident; after: Incident }> {
    const r = await this.row(db, id);
    if (r.state === 'resolved') throw conflict('incident_already_resolved', 'the incident is already resolved');
    const now = iso(this.clock.now());
    const after = await db
      .updateTable('incidents_incidents')
      .set({ state: 'resolved', resolved_at: now, resolved_by: actorRef(actor), updated_at: now })
      .where('id', '=', id)
      .where('state', '<>', 'resolved')
      .returningAll()
      .executeTakeFirst();
    if (!after) throw conflict('incident_already_resolved', 'the incident changed meanwhile');
    await appendTimeline(db, id, {
      kind: 'resolution',
      at: now,
      actor: actorRef(actor),
      actorName: actorName(actor),
      body: { from: r.state, to: 'resolved', by: 'user', ...(note ? { note } : {}) },
    });
    await this.events.settled(db, { incidentId: id, state: 'resolved', by: actorRef(actor) });
    return { before: toIncident(r), after: toIncident(after) };
  }

  async note(db: Db, id: string, actor: Actor, text: string): Promise<number> {
    await this.row(db, id);
    return appendTimeline(db, id, {
      kind: 'note',
      at: iso(this.clock.now()),
      actor: actorRef(actor),
      actorName: actorName(actor),
      body: { text },
    });
  }

  /** Write the postmortem; only a resolved incident has one (its facts are settled). */
  async postmortem(
    db: Db,
    id: string,
    actor: Actor,
    pm: { summary: string; rootCause: string; actions: PostmortemAction[] },
  ): Promise<{ before: Incident; after: Incident }> {
    const r = await this.row(db, id);
    if (r.state !== 'resolved') throw conflict('incident_not_resolved', 'a postmortem is written once the incident is resolved');
    const now = iso(this.clock.now());
    const after = await db
      .updateTable('incidents_incidents')
      .set({
        postmortem_summary: pm.summary,
        postmortem_root_cause: pm.rootCause,
        postmortem_actions: JSON.stringify(pm.actions),
        postmortem_updated_at: now,
        postmortem_updated_by: actorRef(actor),
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // The timeline keeps every version: the incident row holds only the latest.
    await appendTimeline(db, id, {
      kind: 'postmortem',
      at: now,
      actor: actorRef(actor),
      actorName: actorName(actor),
      body: { ...pm },
    });
    return { before: toIncident(r), after: toIncident(after) };
  }

  /** Put a notification attempt (page, e-mail, webhook …) on the incident's timeline. For the on-call module. */
  async recordNotification(db: Db, n: NotificationRecord): Promise<number> {
    return appendTimeline(db, n.incidentId, {
      kind: 'notification',
      at: iso(this.clock.now()),
      actor: 'system:oncall',
      body: {
        channel: n.channel,
        recipient: n.recipient,
        outcome: n.outcome,
        ...(n.receipt !== undefined ? { receipt: n.receipt } : {}),
        ...(n.error !== undefined ? { error: n.error } : {}),
        ...(n.level !== undefined ? { level: n.level } : {}),
      },
    });
  }

  /** Put an escalation step on the incident's timeline. For the on-call module. */
  async recordEscalation(
    db: Db,
    e: { incidentId: string; level: number; target: string; reason?: string | undefined },
  ): Promise<number> {
    return appendTimeline(db, e.incidentId, {
      kind: 'escalation',
      at: iso(this.clock.now()),
      actor: 'system:oncall',
      body: { level: e.level, target: e.target, ...(e.reason !== undefined ? { reason: e.reason } : {}) },
    });
  }

  /**
   * The daily completeness record between two UTC days (inclusive): per day (of registration, UTC) and source,
   * firing signals vs those on an incident's timeline, beside monitoring's checks expected vs executed.
   */
  async completeness(
    db: Db,
    fromDay: string,
    toDay: string,
  ): Promise<{ from: string; to: string; rows: CompletenessRow[]; totals: { deviations: number; registered: number } }> {
    const end = new Date(`${toDay}T00:00:00.000Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    const dayExpr = sql<string>`substr(s.received_at, 1, 10)`;
    const dev = await db
      .selectFrom('incidents_signals as s')
      .leftJoin('incidents_timeline as t', 't.signal_id', 's.id')
      .select([
        dayExpr.as('day'),
        's.source',
        (eb) => eb.fn.count<number>('s.id').as('deviations'),
        (eb) => eb.fn.count<number>('t.signal_id').as('registered'),
      ])
      .where('s.status', '=', 'firing')
      .where('s.received_at', '>=', `${fromDay}T00:00:00.000Z`)
      .where('s.received_at', '<', iso(end))
      .groupBy([dayExpr, 's.source'])
      .execute();
    const checks = await db
      .selectFrom('incidents_completeness_checks')
      .select([
        'day',
        'source',
        (eb) => eb.fn.sum<number>('checks_expected').as('expected'),
        (eb) => eb.fn.sum<number>('checks_executed').as('executed'),
      ])
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .groupBy(['day', 'source'])
      .execute();
    const rows = new Map<string, CompletenessRow>();
    const at = (day: string, source: string): CompletenessRow => {
      const k = `${day}|${source}`;
      let r = rows.get(k);
      if (!r) rows.set(k, (r = { day, source, deviations: 0, registered: 0, checksExpected: null, checksExecuted: null }));
      return r;
    };
    for (const d of dev)
      Object.assign(at(d.day, d.source), { deviations: Number(d.deviations), registered: Number(d.registered) });
    for (const c of checks)
      Object.assign(at(c.day, c.source), { checksExpected: Number(c.expected), checksExecuted: Number(c.executed) });
    const list = [...rows.values()].sort((a, b) => (a.day === b.day ? a.source.localeCompare(b.source) : a.day < b.day ? 1 : -1));
    return {
      from: fromDay,
      to: toDay,
      rows: list,
      totals: { deviations: list.reduce((n, r) => n + r.deviations, 0), registered: list.reduce((n, r) => n + r.registered, 0) },
    };
  }

  /**
   * Record monitoring's half of the completeness record for one subject (a monitor) and UTC day: checks expected vs
   * executed. Idempotent: the latest report for (day, source, subject) wins.
   */
  async recordChecks(
    db: Db,
    r: { day: string; source: string; subject: string; expected: number; executed: number },
  ): Promise<void> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(r.day)) throw invalid('day_invalid', 'day is YYYY-MM-DD (UTC)');
    const now = iso(this.clock.now());
    await db
      .insertInto('incidents_completeness_checks')
      .values({
        day: r.day,
        source: r.source,
        subject: r.subject,
        checks_expected: r.expected,
        checks_executed: r.executed,
        recorded_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['day', 'source', 'subject'])
          .doUpdateSet({ checks_expected: r.expected, checks_executed: r.executed, recorded_at: now }),
      )
      .execute();
  }
}
