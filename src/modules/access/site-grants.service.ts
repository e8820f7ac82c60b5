import { randomUUID } from 'node:crypto';
import type { AuditRecorder, AuditSink } from '../../core/audit.ts';
import type { Actor } from '../../core/auth.ts';
import { actorRef } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { invalid } from '../../core/errors.ts';
import type { SiteGrantBody } from './api/physical.schemas.ts';
import { selfApproval } from './people.errors.ts';
import { personLeft, personNotFound, siteGrantNotFound, siteGrantState, siteNotFound } from './physical.errors.ts';
import type { AccessSiteGrantsTable } from './physical.tables.ts';

/** A person's access to a site (P3): the need, who approved it, and how long it holds. */
export interface SiteGrantView {
  id: string;
  personId: string;
  personName: string;
  personStatus: string;
  siteId: string;
  siteName: string;
  justification: string;
  requestedBy: string;
  approvedBy: string | null;
  approvedAt: string | null;
  state: string;
  startsAt: string;
  expiresAt: string | null;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
  /** Active and ending within `expiringSoonDays`. */
  expiringSoon: boolean;
  createdAt: string;
}

const auditShape = (g: AccessSiteGrantsTable): Record<string, unknown> => ({
  personId: g.person_id,
  siteId: g.site_id,
  justification: g.justification,
  state: g.state,
  approvedBy: g.approved_by,
  startsAt: g.starts_at,
  expiresAt: g.expires_at,
  endedAt: g.ended_at,
  endReason: g.end_reason,
});

export interface SiteGrantsServiceDeps {
  clock: Clock;
  audit: AuditSink;
  expiringSoonDays: number;
}

/**
 * Physical access grants per person per site (issue 6 item 5, P3): requested with the work-related need, approved
 * by one approver who is not the grantee, ended by revocation or, at their expiry, by the sweep.
 */
export class SiteGrantsService {
  constructor(private readonly deps: SiteGrantsServiceDeps) {}

  async row(db: Db, id: string): Promise<AccessSiteGrantsTable> {
    const g = await db.selectFrom('access_site_grants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!g) throw siteGrantNotFound(id);
    return g;
  }

  async list(
    db: Db,
    q: { id?: string; siteId?: string | undefined; personId?: string | undefined; state?: string | undefined } = {},
  ): Promise<SiteGrantView[]> {
    let query = db
      .selectFrom('access_site_grants as g')
      .innerJoin('access_people as p', 'p.id', 'g.person_id')
      .innerJoin('access_sites as s', 's.id', 'g.site_id')
      .selectAll('g')
      .select(['p.name as person_name', 'p.status as person_status', 's.name as site_name']);
    if (q.id) query = query.where('g.id', '=', q.id);
    if (q.siteId) query = query.where('g.site_id', '=', q.siteId);
    if (q.personId) query = query.where('g.person_id', '=', q.personId);
    if (q.state) query = query.where('g.state', '=', q.state);
    const rows = await query.orderBy('g.created_at', 'desc').limit(5000).execute();
    const soon = this.deps.clock.now().getTime() + this.deps.expiringSoonDays * 86_400_000;
    return rows.map((r) => ({
      id: r.id,
      personId: r.person_id,
      personName: r.person_name,
      personStatus: r.person_status,
      siteId: r.site_id,
      siteName: r.site_name,
      justification: r.justification,
      requestedBy: r.requested_by,
      approvedBy: r.approved_by,
      approvedAt: r.approved_at,
      state: r.state,
      startsAt: r.starts_at,
      expiresAt: r.expires_at,
      endedAt: r.ended_at,
      endedBy: r.ended_by,
      endReason: r.end_reason,
      expiringSoon: r.state === 'active' && r.expires_at !== null && Date.parse(r.expires_at) <= soon,
      createdAt: r.created_at,
    }));
  }

  async get(db: Db, id: string): Promise<SiteGrantView> {
    const [v] = await this.list(db, { id });
    if (!v) throw siteGrantNotFound(id);
    return v;
  }

  /** Ask for access to a site; it is pending until approved. */
  async request(db: Db, input: SiteGrantBody, actor: Actor, audit: AuditRecorder): Promise<SiteGrantView> {
    const person = await db
      .selectFrom('access_people')
      .select(['id', 'name', 'status'])
      .where('id', '=', input.personId)
      .executeTakeFirst();
    if (!person) throw personNotFound(input.personId);
    if (person.status === 'left') throw personLeft(person.name);
    const site = await db.selectFrom('access_sites').select('id').where('id', '=', input.siteId).executeTakeFirst();
    if (!site) throw siteNotFound(input.siteId);
    const now = this.deps.clock.now().toISOString();
    const startsAt = input.startsAt ? new Date(input.startsAt).toISOString() : now;
    const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : null;
    if (expiresAt && Date.parse(expiresAt) <= Date.parse(startsAt))
      throw invalid('access_site_grant_dates', 'the grant must end after it starts', [
        { path: 'body.expiresAt', message: 'after startsAt (and after now)' },
      ]);
    if (expiresAt && Date.parse(expiresAt) <= Date.parse(now))
      throw invalid('access_site_grant_dates', 'the grant would have ended already', [
        { path: 'body.expiresAt', message: 'in the future' },
      ]);
    const row: AccessSiteGrantsTable = {
      id: randomUUID(),
      person_id: person.id,
      site_id: site.id,
      justification: input.justification,
      requested_by: actorRef(actor),
      approved_by: null,
      approved_at: null,
      state: 'pending',
      starts_at: startsAt,
      expires_at: expiresAt,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('access_site_grants').values(row).execute();
    audit.target(`access_site_grant:${row.id}`);
    audit.change({ type: 'access_site_grant', id: row.id, after: auditShape(row) });
    return this.get(db, row.id);
  }

  /** Approve a pending grant: one approver, never the grantee. */
  async approve(db: Db, id: string, actor: Actor, audit: AuditRecorder): Promise<SiteGrantView> {
    const g = await this.row(db, id);
    if (g.state !== 'pending') throw siteGrantState(g.state, 'pending');
    const person = await db
      .selectFrom('access_people')
      .select(['name', 'status', 'user_id'])
      .where('id', '=', g.person_id)
      .executeTakeFirst();
    if (person?.status === 'left') throw personLeft(person.name);
    if (actor.type !== 'anonymous' && 'userId' in actor && person?.user_id && person.user_id === actor.userId)
      throw selfApproval(person.name, `site grant ${id} (${(await this.get(db, id)).siteName})`);
    const now = this.deps.clock.now().toISOString();
    const expired = g.expires_at !== null && Date.parse(g.expires_at) <= Date.parse(now);
    if (expired) throw siteGrantState('past its expiry', 'unexpired');
    const changes = { state: 'active', approved_by: actorRef(actor), approved_at: now, updated_at: now };
    await db.updateTable('access_site_grants').set(changes).where('id', '=', id).execute();
    audit.target(`access_site_grant:${id}`);
    audit.change({ type: 'access_site_grant', id, before: auditShape(g), after: auditShape({ ...g, ...changes }) });
    return this.get(db, id);
  }

  /** Reject a pending grant (never active) or revoke an active one; the reason is kept. */
  async end(
    db: Db,
    id: string,
    how: 'reject' | 'revoke',
    reason: string,
    actor: Actor,
    audit: AuditRecorder,
  ): Promise<SiteGrantView> {
    const g = await this.row(db, id);
    const from = how === 'reject' ? 'pending' : 'active';
    if (g.state !== from) throw siteGrantState(g.state, from);
    const now = this.deps.clock.now().toISOString();
    const changes = {
      state: how === 'reject' ? 'rejected' : 'revoked',
      ended_at: now,
      ended_by: actorRef(actor),
      end_reason: reason,
      updated_at: now,
    };
    await db.updateTable('access_site_grants').set(changes).where('id', '=', id).execute();
    audit.target(`access_site_grant:${id}`);
    audit.change({ type: 'access_site_grant', id, before: auditShape(g), after: auditShape({ ...g, ...changes }) });
    return this.get(db, id);
  }

  /** The sweep: active grants past their expiry end as expired, each audited in its own transaction. */
  async expireDue(db: Db): Promise<{ expired: number }> {
    const now = this.deps.clock.now().toISOString();
    const due = await db
      .selectFrom('access_site_grants')
      .selectAll()
      .where('state', 'in', ['active', 'pending'])
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .execute();
    let expired = 0;
    for (const g of due) {
      await db.transaction().execute(async (tx) => {
        const changes = {
          state: g.state === 'active' ? 'expired' : 'rejected',
          ended_at: g.expires_at,
          ended_by: 'system:access',
          end_reason: g.state === 'active' ? 'expired' : 'not approved before its expiry',
          updated_at: now,
        };
        const r = await tx
          .updateTable('access_site_grants')
          .set(changes)
          .where('id', '=', g.id)
          .where('state', '=', g.state)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return;
        await this.deps.audit.appendInTx(tx, {
          actor: 'system:access',
          actorName: 'access sweep',
          action: 'access.site-grant.expire',
          target: `access_site_grant:${g.id}`,
          outcome: 'allowed',
          changes: [{ type: 'access_site_grant', id: g.id, before: auditShape(g), after: auditShape({ ...g, ...changes }) }],
        });
        expired++;
      });
    }
    return { expired };
  }
}
