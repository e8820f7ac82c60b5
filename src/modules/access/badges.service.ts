import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { BadgeBody } from './api/physical.schemas.ts';
import { badgeExists, badgeNotFound, badgeRevoked, personLeft, personNotFound } from './physical.errors.ts';
import type { AccessBadgesTable } from './physical.tables.ts';

/** A badge (access card) and who holds it. */
export interface BadgeView {
  id: string;
  number: string;
  personId: string;
  personName: string;
  personStatus: string;
  issuedAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
}

/** Access cards (issue 6 item 5, P4): issued to one person, revoked when lost or when the person leaves. */
export class BadgesService {
  constructor(private readonly deps: { clock: Clock }) {}

  async list(db: Db, q: { personId?: string | undefined; all?: boolean } = {}): Promise<BadgeView[]> {
    let query = db
      .selectFrom('access_badges as b')
      .innerJoin('access_people as p', 'p.id', 'b.person_id')
      .selectAll('b')
      .select(['p.name as person_name', 'p.status as person_status']);
    if (q.personId) query = query.where('b.person_id', '=', q.personId);
    if (!q.all) query = query.where('b.revoked_at', 'is', null);
    const rows = await query.orderBy('b.number').execute();
    return rows.map((r) => ({
      id: r.id,
      number: r.number,
      personId: r.person_id,
      personName: r.person_name,
      personStatus: r.person_status,
      issuedAt: r.issued_at,
      revokedAt: r.revoked_at,
      revokeReason: r.revoke_reason,
    }));
  }

  async issue(db: Db, input: BadgeBody, audit: AuditRecorder): Promise<BadgeView> {
    const person = await db
      .selectFrom('access_people')
      .select(['id', 'name', 'status'])
      .where('id', '=', input.personId)
      .executeTakeFirst();
    if (!person) throw personNotFound(input.personId);
    if (person.status === 'left') throw personLeft(person.name);
    if (await db.selectFrom('access_badges').select('id').where('number', '=', input.number).executeTakeFirst())
      throw badgeExists(input.number);
    const now = this.deps.clock.now().toISOString();
    const row: AccessBadgesTable = {
      id: randomUUID(),
      number: input.number,
      person_id: person.id,
      issued_at: input.issuedAt ? new Date(input.issuedAt).toISOString() : now,
      revoked_at: null,
      revoke_reason: null,
      created_at: now,
    };
    await db.insertInto('access_badges').values(row).execute();
    audit.target(`access_badge:${row.id}`);
    audit.change({
      type: 'access_badge',
      id: row.id,
      after: { number: row.number, personId: row.person_id, issuedAt: row.issued_at },
    });
    return {
      id: row.id,
      number: row.number,
      personId: person.id,
      personName: person.name,
      personStatus: person.status,
      issuedAt: row.issued_at,
      revokedAt: null,
      revokeReason: null,
    };
  }

  async revoke(db: Db, id: string, reason: string, audit: AuditRecorder): Promise<void> {
    const b = await db.selectFrom('access_badges').selectAll().where('id', '=', id).executeTakeFirst();
    if (!b) throw badgeNotFound(id);
    if (b.revoked_at) throw badgeRevoked(b.number);
    const now = this.deps.clock.now().toISOString();
    await db.updateTable('access_badges').set({ revoked_at: now, revoke_reason: reason }).where('id', '=', id).execute();
    audit.target(`access_badge:${id}`);
    audit.change({
      type: 'access_badge',
      id,
      before: { number: b.number, revokedAt: null },
      after: { number: b.number, revokedAt: now, reason },
    });
  }
}
