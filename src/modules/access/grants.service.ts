import { randomUUID } from 'node:crypto';
import type { AuditRecorder, AuditSink } from '../../core/audit.ts';
import type { Actor } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { AccessConfig } from './access.config.ts';
import type { AccessGrantsTable, AccessPeopleTable, AccessSystemsTable } from './access.tables.ts';
import type { GrantRequestBody, GrantsQuery } from './api/people.schemas.ts';
import type { AccessLevel, GrantState, SystemClassification } from './model.ts';
import {
  approverNotHuman,
  grantExists,
  grantNeedsPrivilegedList,
  grantNotFound,
  grantState,
  grantWindowInvalid,
  jitTooLong,
  levelUnknown,
  personLeft,
  personNotFound,
  reduceInvalid,
  sameApprover,
  selfApproval,
  systemNotFound,
} from './people.errors.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Who does something to a grant: the actor reference written to the record (`user:<id>`, `token:<id>`,
 * `system:<name>`), a name people read, and the human behind it (null for the system).
 */
export interface GrantActor {
  ref: string;
  name: string | null;
  userId: string | null;
}

/** The grant actor of a request's caller (a token counts as its owner for the four-eyes rule). */
export function grantActor(a: Actor): GrantActor {
  if (a.type === 'user' || a.type === 'token') return { ref: a.id, name: a.username, userId: a.userId };
  if (a.type === 'system') return { ref: a.id, name: a.name, userId: null };
  return { ref: 'anonymous', name: null, userId: null };
}

/** The actor the sweep writes (expiry). */
export const SYSTEM_ACCESS: GrantActor = { ref: 'system:access', name: 'access', userId: null };

/** A grant as the API shows it, with its person and system by name and whether it gives access now. */
export interface GrantView {
  id: string;
  personId: string;
  personName: string;
  personEmail: string | null;
  personStatus: string;
  /** The grantee's Skjold user: they can never approve this grant. */
  granteeUserId: string | null;
  systemId: string;
  systemName: string;
  systemClassification: SystemClassification;
  level: string;
  privileged: boolean;
  /** Just-in-time length in hours, or null for standing access. */
  jitHours: number | null;
  justification: string;
  state: GrantState;
  /** Active and inside its window now: the person may use the access at this moment. */
  effective: boolean;
  /** Active and ending within access.expiringSoonDays. */
  expiringSoon: boolean;
  startsAt: string;
  expiresAt: string | null;
  /** 1, or 2 for a privileged level (four eyes). */
  approvalsNeeded: number;
  approvalsGiven: number;
  requestedBy: string;
  requestedByName: string | null;
  approvedBy: string | null;
  approvedByName: string | null;
  approvedAt: string | null;
  secondApprovedBy: string | null;
  secondApprovedByName: string | null;
  secondApprovedAt: string | null;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One step of a grant's life, as its history shows it. */
export interface GrantEvent {
  at: string;
  event: 'requested' | 'approved' | 'second-approved' | 'activated' | 'amended' | 'rejected' | 'revoked' | 'expired' | 'reduced';
  actor: string;
  actorName: string | null;
  reason: string;
}

type Joined = AccessGrantsTable & {
  person_name: string | null;
  person_email: string | null;
  person_status: string | null;
  person_user_id: string | null;
  system_name: string | null;
  system_classification: string | null;
};

/** The levels a system offers (stored as JSON). */
export function systemLevels(s: Pick<AccessSystemsTable, 'levels'>): AccessLevel[] {
  return JSON.parse(s.levels) as AccessLevel[];
}

/** The audit record's picture of a grant. */
export function grantAuditShape(g: AccessGrantsTable): Record<string, unknown> {
  return {
    personId: g.person_id,
    systemId: g.system_id,
    level: g.level,
    privileged: g.privileged === 1,
    jitHours: Number(g.jit) || null,
    justification: g.justification,
    state: g.state,
    startsAt: g.starts_at,
    expiresAt: g.expires_at,
    approvedBy: g.approved_by,
    secondApprovedBy: g.second_approved_by,
    endedBy: g.ended_by,
    endReason: g.end_reason,
  };
}

/**
 * Called when a person's access ends outside a review (a grant revoked by hand or expired, the person left), in the
 * same transaction and audit record: the accounts part opens removal tasks for accounts of theirs that still exist
 * (on `systemId`, or on every system when it is omitted).
 */
export type AccessEndedHook = (
  db: Db,
  e: { personId: string; systemId?: string | undefined; grantId?: string | undefined; actor: string; reason: string },
  audit: AuditRecorder,
) => Promise<unknown>;

export interface GrantsServiceDeps {
  clock: Clock;
  accessEnded?: AccessEndedHook | undefined;
  config: Pick<AccessConfig, 'maxJitHours' | 'expiringSoonDays'>;
  /** For the sweep, which writes its own audit records (actor `system:access`). */
  database: Database;
  audit: AuditSink;
}

/**
 * Logical grants (issue 6 item 2, P6): person × system × level with the work-related need, one approver other than
 * the grantee, and for a privileged level a person on the privileged list and two different approvers (four eyes,
 * re-checked at every approval). Just-in-time grants last hours and expire by themselves; every grant with an end
 * expires through the sweep. Every change is written to the caller's audit recorder (same transaction) and to the
 * grant's own history. Other parts of the module use `activeFor`, `activeOnSystem`, `revoke`, `reduce` and
 * `endForPerson`; all take the caller's `db` (a transaction when they write).
 */
export class GrantsService {
  constructor(private readonly deps: GrantsServiceDeps) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  /** The stored row; throws access_grant_not_found. */
  async row(db: Db, id: string): Promise<AccessGrantsTable> {
    const r = await db.selectFrom('access_grants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw grantNotFound(id);
    return r;
  }

  private joined(db: Db) {
    return db
      .selectFrom('access_grants as g')
      .leftJoin('access_people as p', 'p.id', 'g.person_id')
      .leftJoin('access_systems as s', 's.id', 'g.system_id')
      .selectAll('g')
      .select([
        'p.name as person_name',
        'p.email as person_email',
        'p.status as person_status',
        'p.user_id as person_user_id',
        's.name as system_name',
        's.classification as system_classification',
      ]);
  }

  private view(r: Joined, now: number): GrantView {
    const privileged = Number(r.privileged) === 1;
    const start = Date.parse(r.starts_at);
    const end = r.expires_at ? Date.parse(r.expires_at) : Infinity;
    const active = r.state === 'active';
    return {
      id: r.id,
      personId: r.person_id,
      personName: r.person_name ?? r.person_id,
      personEmail: r.person_email,
      personStatus: r.person_status ?? 'unknown',
      granteeUserId: r.person_user_id,
      systemId: r.system_id,
      systemName: r.system_name ?? r.system_id,
      systemClassification: (r.system_classification ?? 'other') as SystemClassification,
      level: r.level,
      privileged,
      jitHours: Number(r.jit) > 0 ? Number(r.jit) : null,
      justification: r.justification,
      state: r.state as GrantState,
      effective: active && start <= now && now < end,
      expiringSoon: active && end !== Infinity && end - now <= this.deps.config.expiringSoonDays * DAY,
      startsAt: r.starts_at,
      expiresAt: r.expires_at,
      approvalsNeeded: privileged ? 2 : 1,
      approvalsGiven: (r.approved_by ? 1 : 0) + (r.second_approved_by ? 1 : 0),
      requestedBy: r.requested_by,
      requestedByName: r.requested_by_name,
      approvedBy: r.approved_by,
      approvedByName: r.approved_by_name,
      approvedAt: r.approved_at,
      secondApprovedBy: r.second_approved_by,
      secondApprovedByName: r.second_approved_by_name,
      secondApprovedAt: r.second_approved_at,
      endedAt: r.ended_at,
      endedBy: r.ended_by,
      endReason: r.end_reason,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  /** One grant as the API shows it. */
  async get(db: Db, id: string): Promise<GrantView> {
    const r = await this.joined(db).where('g.id', '=', id).executeTakeFirst();
    if (!r) throw grantNotFound(id);
    return this.view(r, this.now().getTime());
  }

  /**
   * Grants by filter, newest first. The default view is the current grants (active and pending);
   * `expiringWithinDays` keeps active grants whose end is that close.
   */
  async list(db: Db, q: Partial<GrantsQuery> = {}): Promise<GrantView[]> {
    const now = this.now();
    let query = this.joined(db);
    const state = q.state ?? 'current';
    if (state === 'current') query = query.where('g.state', 'in', ['active', 'pending']);
    else if (state !== 'all') query = query.where('g.state', '=', state);
    if (q.personId) query = query.where('g.person_id', '=', q.personId);
    if (q.systemId) query = query.where('g.system_id', '=', q.systemId);
    if (q.privileged) query = query.where('g.privileged', '=', q.privileged === 'true' ? 1 : 0);
    if (q.expiringWithinDays !== undefined) {
      query = query
        .where('g.state', '=', 'active')
        .where('g.expires_at', 'is not', null)
        .where('g.expires_at', '<=', new Date(now.getTime() + q.expiringWithinDays * DAY).toISOString());
    }
    const rows = await query
      .orderBy('g.created_at', 'desc')
      .orderBy('g.id')
      .limit(q.limit ?? 1000)
      .execute();
    return rows.map((r) => this.view(r, now.getTime()));
  }

  /** A grant's history, oldest first. */
  async history(db: Db, id: string): Promise<GrantEvent[]> {
    await this.row(db, id);
    const rows = await db.selectFrom('access_grant_events').selectAll().where('grant_id', '=', id).orderBy('seq').execute();
    return rows.map((r) => ({
      at: r.at,
      event: r.event as GrantEvent['event'],
      actor: r.actor,
      actorName: r.actor_name,
      reason: r.reason,
    }));
  }

  /** Grants of a person on a system that give access at `at` (default now): active and inside their window. */
  async activeFor(db: Db, personId: string, systemId: string, at: Date = this.now()): Promise<AccessGrantsTable[]> {
    return this.effectiveAt(db, at).where('person_id', '=', personId).where('system_id', '=', systemId).execute();
  }

  /** Every grant on a system that gives access at `at` (default now), e.g. to compare with an imported account list. */
  async activeOnSystem(db: Db, systemId: string, at: Date = this.now()): Promise<AccessGrantsTable[]> {
    return this.effectiveAt(db, at).where('system_id', '=', systemId).execute();
  }

  private effectiveAt(db: Db, at: Date) {
    const t = at.toISOString();
    return db
      .selectFrom('access_grants')
      .selectAll()
      .where('state', '=', 'active')
      .where('starts_at', '<=', t)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', t)]));
  }

  private async person(db: Db, id: string): Promise<AccessPeopleTable> {
    const p = await db.selectFrom('access_people').selectAll().where('id', '=', id).executeTakeFirst();
    if (!p) throw personNotFound(id);
    return p;
  }

  private async system(db: Db, id: string): Promise<AccessSystemsTable> {
    const s = await db.selectFrom('access_systems').selectAll().where('id', '=', id).executeTakeFirst();
    if (!s) throw systemNotFound(id);
    return s;
  }

  private async listed(db: Db, personId: string): Promise<boolean> {
    return (
      (await db.selectFrom('access_privileged').select('person_id').where('person_id', '=', personId).executeTakeFirst()) !==
      undefined
    );
  }

  private async event(db: Db, grantId: string, event: GrantEvent['event'], actor: GrantActor, reason = '', at?: string) {
    const last = await db
      .selectFrom('access_grant_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('grant_id', '=', grantId)
      .executeTakeFirst();
    await db
      .insertInto('access_grant_events')
      .values({
        id: randomUUID(),
        grant_id: grantId,
        seq: Number(last?.seq ?? 0) + 1,
        at: at ?? this.now().toISOString(),
        event,
        actor: actor.ref,
        actor_name: actor.name,
        reason,
      })
      .execute();
  }

  private record(audit: AuditRecorder, before: AccessGrantsTable | null, after: AccessGrantsTable): void {
    audit.target(`access_grant:${after.id}`);
    audit.change({
      type: 'access_grant',
      id: after.id,
      before: before ? grantAuditShape(before) : null,
      after: grantAuditShape(after),
    });
  }

  /**
   * Ask for access. The person must not have left and must not hold the same level already (active or pending); a
   * privileged level needs the person on the privileged list. `jitHours` makes it just-in-time (at most
   * access.maxJitHours). The grant waits for its approvals (`approve`).
   */
  async request(db: Db, input: GrantRequestBody, actor: GrantActor, audit: AuditRecorder): Promise<GrantView> {
    const person = await this.person(db, input.personId);
    const system = await this.system(db, input.systemId);
    if (person.status === 'left') throw personLeft(person.name);
    const level = systemLevels(system).find((l) => l.name === input.level);
    if (!level) throw levelUnknown(input.level, system.name);
    if (level.privileged && !(await this.listed(db, person.id))) throw grantNeedsPrivilegedList(person.name, level.name);
    const dup = await db
      .selectFrom('access_grants')
      .select('id')
      .where('person_id', '=', person.id)
      .where('system_id', '=', system.id)
      .where('level', '=', level.name)
      .where('state', 'in', ['active', 'pending'])
      .executeTakeFirst();
    if (dup) throw grantExists(dup.id);

    const now = this.now();
    const start = input.startsAt ? new Date(input.startsAt) : now;
    let expires: Date | null = input.expiresAt ? new Date(input.expiresAt) : null;
    const jit = input.jitHours ?? 0;
    if (jit > this.deps.config.maxJitHours) throw jitTooLong(this.deps.config.maxJitHours);
    if (jit) expires = new Date(Math.max(start.getTime(), now.getTime()) + jit * HOUR);
    if (expires && expires.getTime() <= start.getTime())
      throw grantWindowInvalid('the grant must end after it starts', 'body.expiresAt');
    if (expires && expires.getTime() <= now.getTime())
      throw grantWindowInvalid('the grant would have ended already', 'body.expiresAt');

    const at = now.toISOString();
    const row: AccessGrantsTable = {
      id: randomUUID(),
      person_id: person.id,
      system_id: system.id,
      level: level.name,
      privileged: level.privileged ? 1 : 0,
      jit,
      justification: input.justification,
      requested_by: actor.ref,
      requested_by_name: actor.name,
      approved_by: null,
      approved_by_name: null,
      approved_at: null,
      second_approved_by: null,
      second_approved_by_name: null,
      second_approved_at: null,
      state: 'pending',
      starts_at: start.toISOString(),
      expires_at: expires ? expires.toISOString() : null,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      created_at: at,
      updated_at: at,
    };
    await db.insertInto('access_grants').values(row).execute();
    await this.event(db, row.id, 'requested', actor, input.justification, at);
    this.record(audit, null, row);
    return this.get(db, row.id);
  }

  /**
   * Approve a pending grant. The approver is a user (or their token), never the grantee's own user; a leaver's grant
   * is not approved. A non-privileged grant becomes active at its one approval; a privileged one needs the person
   * still on the privileged list at each approval and a second approval by a different user (four eyes). The
   * requester may give one of the approvals. A just-in-time window begins no earlier than the final approval.
   */
  async approve(db: Db, id: string, actor: GrantActor, note: string, audit: AuditRecorder): Promise<GrantView> {
    const before = await this.row(db, id);
    if (before.state !== 'pending') throw grantState(before.state, 'pending');
    if (!actor.userId) throw approverNotHuman();
    const person = await this.person(db, before.person_id);
    if (person.user_id !== null && person.user_id === actor.userId)
      throw selfApproval(person.name, `grant ${id} (${before.level} on ${(await this.system(db, before.system_id)).name})`);
    if (person.status === 'left') throw personLeft(person.name);
    const privileged = Number(before.privileged) === 1;
    if (privileged && !(await this.listed(db, person.id))) throw grantNeedsPrivilegedList(person.name, before.level);
    const now = this.now();
    if (before.expires_at && Date.parse(before.expires_at) <= now.getTime() && Number(before.jit) === 0)
      throw grantWindowInvalid('the grant’s end has passed while it waited: request it again', 'params.id');

    const me = `user:${actor.userId}`;
    const at = now.toISOString();
    const changes: Partial<AccessGrantsTable> = { updated_at: at };
    let second = false;
    if (before.approved_by === null) {
      Object.assign(changes, { approved_by: me, approved_by_name: actor.name, approved_at: at });
    } else {
      if (before.approved_by === me) throw sameApprover();
      second = true;
      Object.assign(changes, { second_approved_by: me, second_approved_by_name: actor.name, second_approved_at: at });
    }
    const complete = !privileged || second;
    if (complete) {
      changes.state = 'active';
      const jit = Number(before.jit);
      if (jit > 0 && Date.parse(before.starts_at) < now.getTime()) {
        changes.starts_at = at;
        changes.expires_at = new Date(now.getTime() + jit * HOUR).toISOString();
      }
    }
    // Guarded on the state seen: two approvals racing cannot both count as the first.
    const guard = second ? 'second_approved_by' : 'approved_by';
    const res = await db
      .updateTable('access_grants')
      .set(changes)
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .where(guard, 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw grantState('changed meanwhile', 'pending');
    await this.event(db, id, second ? 'second-approved' : 'approved', actor, note, at);
    if (complete) await this.event(db, id, 'activated', actor, '', at);
    this.record(audit, before, { ...before, ...changes });
    return this.get(db, id);
  }

  /**
   * Change a current grant's need or end (`skjold apply` with an approver's token). The new end must lie ahead; the
   * change is recorded in the grant's history with the old values.
   */
  async amend(
    db: Db,
    id: string,
    input: { justification: string; expiresAt: string | null },
    actor: GrantActor,
    audit: AuditRecorder,
  ): Promise<GrantView> {
    const before = await this.row(db, id);
    if (before.state !== 'active' && before.state !== 'pending') throw grantState(before.state, 'active or pending');
    const now = this.now();
    if (input.expiresAt && Date.parse(input.expiresAt) <= Math.max(now.getTime(), Date.parse(before.starts_at)))
      throw grantWindowInvalid('the new end must lie ahead', 'body.expiresAt');
    const changes = { justification: input.justification, expires_at: input.expiresAt, updated_at: now.toISOString() };
    await db.updateTable('access_grants').set(changes).where('id', '=', id).execute();
    const was = `was: ${before.justification}; ends ${before.expires_at ?? 'never'}`;
    await this.event(db, id, 'amended', actor, was);
    this.record(audit, before, { ...before, ...changes });
    return this.get(db, id);
  }

  /** Turn a pending grant down (it never becomes active). */
  async reject(db: Db, id: string, actor: GrantActor, reason: string, audit: AuditRecorder): Promise<GrantView> {
    const before = await this.row(db, id);
    if (before.state !== 'pending') throw grantState(before.state, 'pending');
    await this.end(db, before, 'rejected', actor, reason, audit);
    return this.get(db, id);
  }

  /**
   * End an active grant now, with the reason (a person's decision, or a review's `revoke`). With `removeAccounts` (a
   * revoke by hand; a review opens its own task) and no other active grant of the person left on the system, a removal
   * task opens for each of their accounts still there.
   */
  async revoke(
    db: Db,
    id: string,
    actor: GrantActor,
    reason: string,
    audit: AuditRecorder,
    opts: { removeAccounts?: boolean } = {},
  ): Promise<GrantView> {
    const before = await this.row(db, id);
    if (before.state !== 'active') throw grantState(before.state, 'active');
    await this.end(db, before, 'revoked', actor, reason, audit);
    if (opts.removeAccounts) await this.accessEnded(db, before, actor, reason, audit);
    return this.get(db, id);
  }

  /** After an active grant ended: unless another active grant on the system remains, its accounts there are to go. */
  private async accessEnded(db: Db, g: AccessGrantsTable, actor: GrantActor, reason: string, audit: AuditRecorder) {
    if (!this.deps.accessEnded) return;
    const other = await db
      .selectFrom('access_grants')
      .select('id')
      .where('person_id', '=', g.person_id)
      .where('system_id', '=', g.system_id)
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (other) return;
    await this.deps.accessEnded(
      db,
      {
        personId: g.person_id,
        systemId: g.system_id,
        grantId: g.id,
        actor: actor.ref,
        reason: `grant ${g.level} ended: ${reason}`,
      },
      audit,
    );
  }

  /**
   * A review's `reduce`: the active grant ends (revoked, "reduced to <level>: <reason>") and a grant at `level` on the
   * same system takes its place at once, with the same need and end. The new level must exist and differ; it may be
   * privileged only if the old one was (then the old approvals carry over and the person must still be listed);
   * otherwise the reducing actor counts as its approver.
   */
  async reduce(
    db: Db,
    id: string,
    level: string,
    actor: GrantActor,
    reason: string,
    audit: AuditRecorder,
  ): Promise<{ ended: GrantView; replacement: GrantView }> {
    const before = await this.row(db, id);
    if (before.state !== 'active') throw grantState(before.state, 'active');
    const system = await this.system(db, before.system_id);
    const target = systemLevels(system).find((l) => l.name === level);
    if (!target) throw levelUnknown(level, system.name);
    if (target.name === before.level) throw reduceInvalid(`the grant is at ${level} already`);
    const wasPrivileged = Number(before.privileged) === 1;
    if (target.privileged && !wasPrivileged) throw reduceInvalid(`${level} is privileged: reducing never adds privilege`);
    if (target.privileged && !(await this.listed(db, before.person_id))) {
      const person = await this.person(db, before.person_id);
      throw grantNeedsPrivilegedList(person.name, level);
    }
    const clash = await db
      .selectFrom('access_grants')
      .select('id')
      .where('person_id', '=', before.person_id)
      .where('system_id', '=', before.system_id)
      .where('level', '=', target.name)
      .where('state', 'in', ['active', 'pending'])
      .executeTakeFirst();
    await this.end(db, before, 'revoked', actor, `reduced to ${target.name}: ${reason}`, audit, 'reduced');
    if (clash) {
      // The person holds the lesser level already: reducing just ends the greater one.
      return { ended: await this.get(db, id), replacement: await this.get(db, clash.id) };
    }
    const at = this.now().toISOString();
    const approver = actor.userId ? `user:${actor.userId}` : actor.ref;
    const row: AccessGrantsTable = {
      ...before,
      id: randomUUID(),
      level: target.name,
      privileged: target.privileged ? 1 : 0,
      requested_by: actor.ref,
      requested_by_name: actor.name,
      ...(target.privileged
        ? {}
        : {
            approved_by: approver,
            approved_by_name: actor.name,
            approved_at: at,
            second_approved_by: null,
            second_approved_by_name: null,
            second_approved_at: null,
          }),
      state: 'active',
      starts_at: at,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      created_at: at,
      updated_at: at,
    };
    await db.insertInto('access_grants').values(row).execute();
    await this.event(db, row.id, 'requested', actor, `reduced from ${before.level} (grant ${before.id}): ${reason}`, at);
    await this.event(db, row.id, 'activated', actor, '', at);
    audit.change({ type: 'access_grant', id: row.id, before: null, after: grantAuditShape(row) });
    return { ended: await this.get(db, id), replacement: await this.get(db, row.id) };
  }

  /**
   * End a person's grants (they left, or left the privileged list): active ones are revoked, pending ones rejected,
   * each with `reason`. `privilegedOnly` limits it to privileged grants. Returns how many ended.
   */
  async endForPerson(
    db: Db,
    personId: string,
    actor: GrantActor,
    reason: string,
    audit: AuditRecorder,
    opts: { privilegedOnly?: boolean } = {},
  ): Promise<number> {
    let q = db
      .selectFrom('access_grants')
      .selectAll()
      .where('person_id', '=', personId)
      .where('state', 'in', ['active', 'pending']);
    if (opts.privilegedOnly) q = q.where('privileged', '=', 1);
    const rows = await q.orderBy('created_at').execute();
    for (const g of rows) await this.end(db, g, g.state === 'active' ? 'revoked' : 'rejected', actor, reason, audit);
    return rows.length;
  }

  private async end(
    db: Db,
    before: AccessGrantsTable,
    state: 'revoked' | 'rejected' | 'expired',
    actor: GrantActor,
    reason: string,
    audit: AuditRecorder,
    event: GrantEvent['event'] = state,
  ): Promise<void> {
    const at = this.now().toISOString();
    const changes = { state, ended_at: at, ended_by: actor.ref, end_reason: reason, updated_at: at };
    const res = await db
      .updateTable('access_grants')
      .set(changes)
      .where('id', '=', before.id)
      .where('state', '=', before.state)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw grantState('changed meanwhile', before.state);
    await this.event(db, before.id, event, actor, reason, at);
    this.record(audit, before, { ...before, ...changes });
  }

  /**
   * The expiry sweep: every active or pending grant whose end has passed becomes `expired` (actor `system:access`),
   * each in its own transaction with its audit record (`access.grant.expire`). Returns how many expired.
   */
  async sweep(): Promise<{ expired: number }> {
    const { database, audit } = this.deps;
    const now = this.now().toISOString();
    const due = await database.db
      .selectFrom('access_grants')
      .selectAll()
      .where('state', 'in', ['active', 'pending'])
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(5000)
      .execute();
    let expired = 0;
    for (const g of due) {
      await database.db.transaction().execute(async (trx) => {
        const current = await trx.selectFrom('access_grants').selectAll().where('id', '=', g.id).executeTakeFirst();
        if (!current || (current.state !== 'active' && current.state !== 'pending')) return;
        if (!current.expires_at || current.expires_at > now) return;
        const changes: AuditChangeLike[] = [];
        const recorder: AuditRecorder = { target: () => undefined, change: (c) => void changes.push(c) };
        const reason = current.state === 'pending' ? 'its end passed before it was approved' : 'its end passed';
        await this.end(trx, current, 'expired', SYSTEM_ACCESS, reason, recorder);
        if (current.state === 'active') await this.accessEnded(trx, current, SYSTEM_ACCESS, reason, recorder);
        await audit.appendInTx(trx, {
          actor: SYSTEM_ACCESS.ref,
          actorName: SYSTEM_ACCESS.name ?? undefined,
          action: 'access.grant.expire',
          target: `access_grant:${current.id}`,
          outcome: 'allowed',
          changes,
          detail: { expiresAt: current.expires_at, jitHours: Number(current.jit) || null },
        });
        expired++;
      });
    }
    return { expired };
  }
}

type AuditChangeLike = Parameters<AuditRecorder['change']>[0];
