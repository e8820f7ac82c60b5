import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type BanTarget, canonicalTarget, cidrsOverlap } from './cidr.ts';
import type { Decision } from './events.ts';
import type { ThreatsDecisionsTable } from './threats.tables.ts';

export interface BanRequest {
  /** IP or CIDR as given (canonicalised here). */
  target: string;
  /** Explicit duration; absent: the escalating duration for this offence (4 h, 24 h, 7 d by default). */
  durationSeconds?: number | undefined;
  reason: string;
  /** Scenario behind it, or `manual`. */
  scenario: string;
  origin: Decision['origin'];
  alertId?: string | undefined;
  simulated?: boolean | undefined;
  /** Audit actor (`user:<id>`, `system:threats`). */
  actor: string;
  actorName?: string | undefined;
  /** Evidence for the audit record (a few sample lines, counts); bounded by the caller. */
  evidence?: Record<string, unknown> | undefined;
}

export type BanResult =
  | { ok: true; decision: Decision; offence: number }
  | { ok: false; reason: 'allowlisted'; allowedBy: string }
  | { ok: false; reason: 'already_banned'; decision: Decision };

export interface DecisionListQuery {
  state: 'active' | 'expired' | 'removed' | 'all';
  /** Substring of the value, scenario or reason. */
  q?: string | undefined;
  limit: number;
  /** Page backwards from this seq (exclusive). */
  beforeSeq?: number | undefined;
}

export interface DecisionView extends Decision {
  seq: number;
  reason: string;
  offence: number;
  alertId: string | null;
  deletedBy: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toDecision(r: ThreatsDecisionsTable): DecisionView {
  return {
    id: r.id,
    seq: Number(r.seq),
    value: r.value,
    scope: r.scope === 'range' ? 'range' : 'ip',
    type: 'ban',
    origin: r.origin as Decision['origin'],
    scenario: r.scenario,
    reason: r.reason,
    offence: Number(r.offence),
    alertId: r.alert_id,
    createdAt: Date.parse(r.created_at),
    until: Date.parse(r.until),
    deletedAt: r.deleted_at ? Date.parse(r.deleted_at) : undefined,
    deletedBy: r.deleted_by,
    simulated: Number(r.simulated) === 1,
  };
}

/**
 * Bans: escalating durations for repeat offenders, IPv6 on /64 by the scenarios' scope, an allowlist that always
 * wins, simulation, and manual ban/unban. Every decision and every removal is written with its audit record in the
 * caller's transaction, and bumps the change number bouncers pull deltas by.
 */
export class DecisionsService {
  constructor(
    private readonly deps: {
      clock: Clock;
      audit: AuditSink;
      banDurations: readonly number[];
      offenceMemoryDays: number;
      /** Networks from the configuration that are never banned (the allowlist table is read as well). */
      configAllowlist: readonly string[];
    },
  ) {}

  /** The next change number (row-locked on PostgreSQL, serialised by BEGIN IMMEDIATE on SQLite). */
  async nextSeq(db: Db): Promise<number> {
    const r = await db
      .updateTable('threats_counters')
      .set({ value: sql`value + 1` })
      .where('name', '=', 'decisions')
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(r.value);
  }

  /** Every allowlisted network: the configuration's and the table's. */
  async allowlist(db: Db): Promise<string[]> {
    const rows = await db.selectFrom('threats_allowlist').select('cidr').execute();
    return [...this.deps.configAllowlist, ...rows.map((r) => r.cidr)];
  }

  /** The allowlisted network that covers or overlaps `target`, if any. */
  allowedBy(target: string, allowlist: readonly string[]): string | undefined {
    return allowlist.find((a) => cidrsOverlap(a, target));
  }

  /** Prior automatic bans of the same value within the offence memory, plus one. */
  async offenceOf(db: Db, value: string): Promise<number> {
    const since = iso(this.deps.clock.now().getTime() - this.deps.offenceMemoryDays * 86_400_000);
    const r = await db
      .selectFrom('threats_decisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('value', '=', value)
      .where('origin', '!=', 'manual')
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return Number(r?.n ?? 0) + 1;
  }

  /** The active (not expired, not removed) decision on exactly this value, if any. */
  async activeOn(db: Db, value: string): Promise<DecisionView | undefined> {
    const now = iso(this.deps.clock.now().getTime());
    const r = await db
      .selectFrom('threats_decisions')
      .selectAll()
      .where('value', '=', value)
      .where('until', '>', now)
      .where('deleted_at', 'is', null)
      .orderBy('seq', 'desc')
      .executeTakeFirst();
    return r ? toDecision(r) : undefined;
  }

  /**
   * Ban a target inside the caller's transaction. Refused (not thrown) when the allowlist covers it or an active
   * decision already holds it; `allowlist` may be passed in by batch callers that loaded it once.
   */
  async ban(db: Db, req: BanRequest, allowlist?: readonly string[]): Promise<BanResult> {
    const target = canonicalTarget(req.target);
    if (!target) throw invalid('invalid_target', `not an IP address or CIDR network: ${req.target.slice(0, 100)}`);
    rejectTooBroad(target);
    const allowedBy = this.allowedBy(target.value, allowlist ?? (await this.allowlist(db)));
    if (allowedBy !== undefined) {
      await this.deps.audit.appendInTx(db, {
        actor: req.actor,
        actorName: req.actorName,
        action: 'threats.decision.refused',
        target: target.value,
        outcome: 'denied',
        detail: { reason: 'allowlisted', allowedBy, scenario: req.scenario, alertId: req.alertId },
      });
      return { ok: false, reason: 'allowlisted', allowedBy };
    }
    const existing = await this.activeOn(db, target.value);
    if (existing && existing.simulated === (req.simulated ?? false))
      return { ok: false, reason: 'already_banned', decision: existing };
    const offence = req.origin === 'manual' ? 1 : await this.offenceOf(db, target.value);
    const durations = this.deps.banDurations;
    const seconds = req.durationSeconds ?? durations[Math.min(offence, durations.length) - 1] ?? 14_400;
    const now = this.deps.clock.now().getTime();
    const seq = await this.nextSeq(db);
    const row: ThreatsDecisionsTable = {
      id: randomUUID(),
      value: target.value,
      scope: target.scope,
      type: 'ban',
      origin: req.origin,
      scenario: req.scenario,
      reason: req.reason.slice(0, 500),
      alert_id: req.alertId ?? null,
      offence,
      simulated: req.simulated ? 1 : 0,
      created_at: iso(now),
      until: iso(now + seconds * 1000),
      deleted_at: null,
      deleted_by: null,
      seq,
    };
    await db.insertInto('threats_decisions').values(row).execute();
    await this.deps.audit.appendInTx(db, {
      actor: req.actor,
      actorName: req.actorName,
      action: req.simulated ? 'threats.decision.simulated' : 'threats.decision.create',
      target: target.value,
      outcome: 'allowed',
      changes: [{ type: 'threat_decision', id: row.id, after: { ...row } }],
      detail: { scenario: req.scenario, offence, durationSeconds: seconds, alertId: req.alertId, ...req.evidence },
    });
    return { ok: true, decision: toDecision(row), offence };
  }

  /** Remove a decision before its end (unban). Already removed or expired: a conflict, so the caller knows. */
  async unban(db: Db, id: string, actor: string, actorName?: string): Promise<DecisionView> {
    const r = await db.selectFrom('threats_decisions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('decision_not_found', `no decision ${id}`);
    const now = this.deps.clock.now().getTime();
    if (r.deleted_at !== null) throw conflict('decision_removed', `decision ${id} was already removed`);
    if (Date.parse(r.until) <= now) throw conflict('decision_expired', `decision ${id} has already expired`);
    const seq = await this.nextSeq(db);
    await db
      .updateTable('threats_decisions')
      .set({ deleted_at: iso(now), deleted_by: actor, seq })
      .where('id', '=', id)
      .execute();
    await this.deps.audit.appendInTx(db, {
      actor,
      actorName,
      action: 'threats.decision.delete',
      target: r.value,
      outcome: 'allowed',
      changes: [{ type: 'threat_decision', id, before: { ...r }, after: { ...r, deleted_at: iso(now), deleted_by: actor, seq } }],
    });
    return toDecision({ ...r, deleted_at: iso(now), deleted_by: actor, seq });
  }

  /** Remove every active decision on a value (the CLI's `unban IP`); returns the removed ones. */
  async unbanValue(db: Db, target: string, actor: string, actorName?: string): Promise<DecisionView[]> {
    const t = canonicalTarget(target);
    if (!t) throw invalid('invalid_target', `not an IP address or CIDR network: ${target.slice(0, 100)}`);
    const now = iso(this.deps.clock.now().getTime());
    const rows = await db
      .selectFrom('threats_decisions')
      .select('id')
      .where('value', '=', t.value)
      .where('until', '>', now)
      .where('deleted_at', 'is', null)
      .execute();
    const out: DecisionView[] = [];
    for (const r of rows) out.push(await this.unban(db, r.id, actor, actorName));
    return out;
  }

  async get(db: Db, id: string): Promise<DecisionView> {
    const r = await db.selectFrom('threats_decisions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('decision_not_found', `no decision ${id}`);
    return toDecision(r);
  }

  /** Newest first, paged by seq. */
  async list(db: Db, q: DecisionListQuery): Promise<{ items: DecisionView[]; nextBeforeSeq: number | null }> {
    const now = iso(this.deps.clock.now().getTime());
    let s = db.selectFrom('threats_decisions').selectAll();
    if (q.state === 'active') s = s.where('until', '>', now).where('deleted_at', 'is', null);
    else if (q.state === 'expired') s = s.where('until', '<=', now).where('deleted_at', 'is', null);
    else if (q.state === 'removed') s = s.where('deleted_at', 'is not', null);
    if (q.q) {
      const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      s = s.where((eb) =>
        eb.or([
          eb('value', 'like', sql<string>`${like} escape '\\'`),
          eb('scenario', 'like', sql<string>`${like} escape '\\'`),
          eb('reason', 'like', sql<string>`${like} escape '\\'`),
        ]),
      );
    }
    if (q.beforeSeq !== undefined) s = s.where('seq', '<', q.beforeSeq);
    const rows = await s
      .orderBy('seq', 'desc')
      .limit(q.limit + 1)
      .execute();
    const items = rows.slice(0, q.limit).map(toDecision);
    return { items, nextBeforeSeq: rows.length > q.limit ? (items.at(-1)?.seq ?? null) : null };
  }

  /** Active, enforced decisions (not simulated): what firewalls should block now. */
  async enforced(db: Db): Promise<Array<Pick<Decision, 'value' | 'scope' | 'until'>>> {
    const now = iso(this.deps.clock.now().getTime());
    const rows = await db
      .selectFrom('threats_decisions')
      .select(['value', 'scope', 'until'])
      .where('until', '>', now)
      .where('deleted_at', 'is', null)
      .where('simulated', '=', 0)
      .execute();
    return rows.map((r) => ({ value: r.value, scope: r.scope === 'range' ? 'range' : 'ip', until: Date.parse(r.until) }));
  }
}

/** Networks so broad that a ban would cut off a large part of the Internet are refused outright (/8 v4, /32 v6). */
function rejectTooBroad(t: BanTarget): void {
  if (t.scope !== 'range') return;
  const prefix = Number(t.value.split('/')[1]);
  if ((t.family === 4 && prefix < 8) || (t.family === 6 && prefix < 32))
    throw invalid('target_too_broad', `refusing to ban ${t.value}: broader than /${t.family === 4 ? 8 : 32}`);
}
