import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { GrantActor, GrantsService } from './grants.service.ts';
import { alreadyPrivileged, notPrivilegedListed, personLeft, personNotFound } from './people.errors.ts';

/** One entry of the privileged list, with who put the person there and when. */
export interface PrivilegedEntry {
  personId: string;
  personName: string;
  personEmail: string | null;
  team: string;
  reason: string;
  addedBy: string;
  addedAt: string;
  /** Active privileged grants the person holds now. */
  privilegedGrants: number;
}

/**
 * The privileged list (P6: only specially selected people get privileged access). Putting someone on it needs
 * `access.privileged` and a reason; taking them off ends their privileged grants at once (audited). A leaver is never
 * on it.
 */
export class PrivilegedService {
  constructor(private readonly deps: { clock: Clock; grants: GrantsService }) {}

  /** Whether the person is on the list now. */
  async isListed(db: Db, personId: string): Promise<boolean> {
    const r = await db.selectFrom('access_privileged').select('person_id').where('person_id', '=', personId).executeTakeFirst();
    return r !== undefined;
  }

  /** The list, by name. */
  async list(db: Db): Promise<PrivilegedEntry[]> {
    const rows = await db
      .selectFrom('access_privileged as l')
      .innerJoin('access_people as p', 'p.id', 'l.person_id')
      .select(['l.person_id', 'l.reason', 'l.added_by', 'l.added_at', 'p.name', 'p.email', 'p.team'])
      .orderBy('p.name')
      .execute();
    const counts = new Map<string, number>();
    if (rows.length) {
      const grants = await db
        .selectFrom('access_grants')
        .select(['person_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('state', '=', 'active')
        .where('privileged', '=', 1)
        .groupBy('person_id')
        .execute();
      for (const g of grants) counts.set(g.person_id, Number(g.n));
    }
    return rows.map((r) => ({
      personId: r.person_id,
      personName: r.name,
      personEmail: r.email,
      team: r.team,
      reason: r.reason,
      addedBy: r.added_by,
      addedAt: r.added_at,
      privilegedGrants: counts.get(r.person_id) ?? 0,
    }));
  }

  /** Put an active person on the list. */
  async add(db: Db, personId: string, reason: string, actor: GrantActor, audit: AuditRecorder): Promise<PrivilegedEntry> {
    const person = await db.selectFrom('access_people').selectAll().where('id', '=', personId).executeTakeFirst();
    if (!person) throw personNotFound(personId);
    if (person.status === 'left') throw personLeft(person.name);
    if (await this.isListed(db, personId)) throw alreadyPrivileged(person.name);
    const row = { person_id: personId, reason, added_by: actor.ref, added_at: this.deps.clock.now().toISOString() };
    await db.insertInto('access_privileged').values(row).execute();
    audit.target(`access_person:${personId}`);
    audit.change({ type: 'access_privileged', id: personId, before: null, after: { reason, addedBy: actor.ref } });
    const entry = (await this.list(db)).find((e) => e.personId === personId);
    if (!entry) throw personNotFound(personId);
    return entry;
  }

  /**
   * Take a person off the list: their active privileged grants are revoked and pending ones rejected, with the reason.
   * Returns how many grants ended.
   */
  async remove(
    db: Db,
    personId: string,
    reason: string,
    actor: GrantActor,
    audit: AuditRecorder,
  ): Promise<{ endedGrants: number }> {
    const entry = await db.selectFrom('access_privileged').selectAll().where('person_id', '=', personId).executeTakeFirst();
    if (!entry) {
      const person = await db.selectFrom('access_people').select('name').where('id', '=', personId).executeTakeFirst();
      if (!person) throw personNotFound(personId);
      throw notPrivilegedListed(person.name);
    }
    await db.deleteFrom('access_privileged').where('person_id', '=', personId).execute();
    const endedGrants = await this.deps.grants.endForPerson(
      db,
      personId,
      actor,
      `removed from the privileged list: ${reason}`,
      audit,
      { privilegedOnly: true },
    );
    audit.target(`access_person:${personId}`);
    audit.change({
      type: 'access_privileged',
      id: personId,
      before: { reason: entry.reason, addedBy: entry.added_by, addedAt: entry.added_at },
      after: null,
    });
    return { endedGrants };
  }
}
