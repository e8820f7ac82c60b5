import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { AccessPeopleTable } from './access.tables.ts';
import type { LeaveBody, PeopleQuery, PersonBody, PersonPatch } from './api/people.schemas.ts';
import type { AccessEndedHook, GrantActor, GrantsService } from './grants.service.ts';
import type { PersonKind, PersonStatus } from './model.ts';
import {
  identifierTaken,
  managerInvalid,
  personAlreadyLeft,
  personEmailTaken,
  personHasHistory,
  personNotFound,
  personUserTaken,
} from './people.errors.ts';

/** A person as the API shows it. */
export interface PersonView {
  id: string;
  name: string;
  email: string | null;
  kind: PersonKind;
  team: string;
  managerId: string | null;
  managerName: string | null;
  status: PersonStatus;
  leftAt: string | null;
  userId: string | null;
  identifiers: string[];
  /** On the privileged list now. */
  privileged: boolean;
  /** Active grants now. */
  activeGrants: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Something elsewhere in the module that keeps a person's history (site grants, badges, review entries): returns what
 * it holds (e.g. "2 site grants") or null. A person with history is never deleted; they are marked as left.
 */
export type HistoryCheck = (db: Db, personId: string) => Promise<string | null>;

const identifiersOf = (p: Pick<AccessPeopleTable, 'identifiers'>): string[] => JSON.parse(p.identifiers) as string[];

function auditShape(p: AccessPeopleTable): Record<string, unknown> {
  return {
    name: p.name,
    email: p.email,
    kind: p.kind,
    team: p.team,
    managerId: p.manager_id,
    status: p.status,
    leftAt: p.left_at,
    userId: p.user_id,
    identifiers: identifiersOf(p),
  };
}

/**
 * People (issue 6 item 1): employees and contractors with manager, team, e-mail, an optional Skjold user, and the
 * account names they use on systems. They may differ from Skjold's own users. Marking someone as left ends their
 * grants and takes them off the privileged list; a person with history is never deleted.
 *
 * For the other parts of the module: `findByIdentifier` and `matcher` recognise an imported account name or e-mail,
 * `row` reads one person, and `historyChecks` takes more reasons not to delete someone.
 */
export class PeopleService {
  /** Pushed to by other parts of the module (physical, reviews): each names history it keeps for a person. */
  readonly historyChecks: HistoryCheck[] = [];

  constructor(
    private readonly deps: {
      clock: Clock;
      grants: GrantsService;
      /** Take a person off the privileged list (ending their privileged grants) when they leave. */
      unlist: (db: Db, personId: string, reason: string, actor: GrantActor, audit: AuditRecorder) => Promise<unknown>;
      isListed: (db: Db, personId: string) => Promise<boolean>;
      /** Open removal tasks for the accounts a leaver still has (the accounts part). */
      accessEnded?: AccessEndedHook | undefined;
    },
  ) {}

  /** The stored row; throws access_person_not_found. */
  async row(db: Db, id: string): Promise<AccessPeopleTable> {
    const r = await db.selectFrom('access_people').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw personNotFound(id);
    return r;
  }

  async byEmail(db: Db, email: string): Promise<AccessPeopleTable | undefined> {
    return db.selectFrom('access_people').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
  }

  /**
   * The person an account name or e-mail belongs to (case-insensitive): an exact identifier, then the e-mail, then
   * the e-mail's local part. Undefined when nobody matches. For many lookups at once use `matcher`.
   */
  async findByIdentifier(db: Db, name: string): Promise<AccessPeopleTable | undefined> {
    return (await this.matcher(db))(name);
  }

  /**
   * A lookup over everyone, for matching a whole import in one read: account name or e-mail → person (see
   * `findByIdentifier` for the order). Leavers are included: their accounts are exactly what imports must find.
   */
  async matcher(db: Db): Promise<(name: string) => AccessPeopleTable | undefined> {
    const rows = await db.selectFrom('access_people').selectAll().execute();
    const byId = new Map<string, AccessPeopleTable>();
    const byEmail = new Map<string, AccessPeopleTable>();
    const byLocal = new Map<string, AccessPeopleTable | null>();
    for (const r of rows) {
      for (const i of identifiersOf(r)) byId.set(i, r);
      if (r.email) {
        byEmail.set(r.email, r);
        const local = r.email.split('@')[0]!;
        // A local part two people share matches nobody (null), never the wrong one.
        byLocal.set(local, byLocal.has(local) ? null : r);
      }
    }
    return (name) => {
      const k = name.trim().toLowerCase();
      return byId.get(k) ?? byEmail.get(k) ?? byLocal.get(k) ?? undefined;
    };
  }

  /** People by filter, by name. */
  async list(db: Db, q: Partial<PeopleQuery> = {}): Promise<PersonView[]> {
    let query = db.selectFrom('access_people').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.team !== undefined) query = query.where('team', '=', q.team);
    if (q.managerId) query = query.where('manager_id', '=', q.managerId);
    let rows = await query.orderBy('name').orderBy('id').execute();
    if (q.q) {
      const needle = q.q.toLowerCase();
      rows = rows.filter(
        (r) =>
          r.name.toLowerCase().includes(needle) ||
          (r.email ?? '').includes(needle) ||
          identifiersOf(r).some((i) => i.includes(needle)),
      );
    }
    return this.views(db, rows.slice(0, q.limit ?? 1000));
  }

  async get(db: Db, id: string): Promise<PersonView> {
    const [v] = await this.views(db, [await this.row(db, id)]);
    return v!;
  }

  private async views(db: Db, rows: AccessPeopleTable[]): Promise<PersonView[]> {
    if (rows.length === 0) return [];
    const names = new Map((await db.selectFrom('access_people').select(['id', 'name']).execute()).map((r) => [r.id, r.name]));
    const listed = new Set((await db.selectFrom('access_privileged').select('person_id').execute()).map((r) => r.person_id));
    const counts = new Map(
      (
        await db
          .selectFrom('access_grants')
          .select(['person_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('state', '=', 'active')
          .groupBy('person_id')
          .execute()
      ).map((r) => [r.person_id, Number(r.n)]),
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      kind: r.kind as PersonKind,
      team: r.team,
      managerId: r.manager_id,
      managerName: r.manager_id ? (names.get(r.manager_id) ?? null) : null,
      status: r.status as PersonStatus,
      leftAt: r.left_at,
      userId: r.user_id,
      identifiers: identifiersOf(r),
      privileged: listed.has(r.id),
      activeGrants: counts.get(r.id) ?? 0,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** The checks a person's fields must pass: unique e-mail, user and account names; a manager that exists, no loop. */
  private async check(
    db: Db,
    id: string,
    p: { email: string | null; userId: string | null; managerId: string | null; identifiers: string[] },
    paths: { email: string; userId: string; managerId: string; identifiers: string } = {
      email: 'body.email',
      userId: 'body.userId',
      managerId: 'body.managerId',
      identifiers: 'body.identifiers',
    },
  ): Promise<void> {
    if (p.email) {
      const other = await this.byEmail(db, p.email);
      if (other && other.id !== id) throw personEmailTaken(p.email, paths.email);
    }
    if (p.userId) {
      const other = await db.selectFrom('access_people').select('id').where('user_id', '=', p.userId).executeTakeFirst();
      if (other && other.id !== id) throw personUserTaken(paths.userId);
    }
    if (p.identifiers.length) {
      const others = await db.selectFrom('access_people').select(['id', 'name', 'identifiers']).where('id', '<>', id).execute();
      for (const [i, ident] of p.identifiers.entries()) {
        const owner = others.find((o) => identifiersOf(o).includes(ident));
        if (owner) throw identifierTaken(ident, owner.name, `${paths.identifiers}.${i}`);
      }
    }
    if (p.managerId) {
      if (p.managerId === id) throw managerInvalid('nobody is their own manager', paths.managerId);
      // Walk up from the manager: reaching this person again would make a loop.
      let cursor: string | null = p.managerId;
      for (let hops = 0; cursor; hops++) {
        const m: { id: string; manager_id: string | null } | undefined = await db
          .selectFrom('access_people')
          .select(['id', 'manager_id'])
          .where('id', '=', cursor)
          .executeTakeFirst();
        if (!m)
          throw managerInvalid(
            cursor === p.managerId ? 'the manager must be a registered person' : 'broken chain',
            paths.managerId,
          );
        if (m.manager_id === id || hops > 100)
          throw managerInvalid('this manager would make a loop of managers', paths.managerId);
        cursor = m.manager_id;
      }
    }
  }

  /** Register a person (status active). */
  async create(
    db: Db,
    input: PersonBody,
    audit: AuditRecorder,
    paths?: Parameters<PeopleService['check']>[3],
  ): Promise<PersonView> {
    const id = randomUUID();
    await this.check(db, id, input, paths);
    const now = this.deps.clock.now().toISOString();
    const row: AccessPeopleTable = {
      id,
      name: input.name,
      email: input.email,
      kind: input.kind,
      team: input.team,
      manager_id: input.managerId,
      status: 'active',
      left_at: null,
      user_id: input.userId,
      identifiers: JSON.stringify(input.identifiers),
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('access_people').values(row).execute();
    audit.target(`access_person:${id}`);
    audit.change({ type: 'access_person', id, before: null, after: auditShape(row) });
    return this.get(db, id);
  }

  /** Change the given fields. Returns whether anything changed (nothing is written or audited otherwise). */
  async update(
    db: Db,
    id: string,
    patch: PersonPatch,
    audit: AuditRecorder,
    paths?: Parameters<PeopleService['check']>[3],
  ): Promise<{ person: PersonView; changed: boolean }> {
    const before = await this.row(db, id);
    const next = {
      name: patch.name ?? before.name,
      email: patch.email !== undefined ? patch.email : before.email,
      kind: patch.kind ?? before.kind,
      team: patch.team ?? before.team,
      manager_id: patch.managerId !== undefined ? patch.managerId : before.manager_id,
      user_id: patch.userId !== undefined ? patch.userId : before.user_id,
      identifiers: JSON.stringify(patch.identifiers ?? identifiersOf(before)),
    };
    const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => next[k] !== before[k]);
    if (!changed) return { person: await this.get(db, id), changed: false };
    await this.check(
      db,
      id,
      {
        email: next.email,
        userId: next.user_id,
        managerId: next.manager_id,
        identifiers: JSON.parse(next.identifiers) as string[],
      },
      paths,
    );
    const updated_at = this.deps.clock.now().toISOString();
    await db
      .updateTable('access_people')
      .set({ ...next, updated_at })
      .where('id', '=', id)
      .execute();
    audit.target(`access_person:${id}`);
    audit.change({
      type: 'access_person',
      id,
      before: auditShape(before),
      after: auditShape({ ...before, ...next, updated_at }),
    });
    return { person: await this.get(db, id), changed: true };
  }

  /**
   * Mark a person as left: status `left` with the date, every active grant revoked and every pending one rejected
   * ("person left"), and off the privileged list. All in the caller's transaction and audit record.
   */
  async markLeft(db: Db, id: string, input: LeaveBody, actor: GrantActor, audit: AuditRecorder): Promise<PersonView> {
    const before = await this.row(db, id);
    if (before.status === 'left') throw personAlreadyLeft(before.name);
    const now = this.deps.clock.now();
    const leftAt = input.leftAt && Date.parse(input.leftAt) < now.getTime() ? new Date(input.leftAt) : now;
    const reason = input.reason ? `person left: ${input.reason}` : 'person left';
    await this.deps.grants.endForPerson(db, id, actor, reason, audit);
    if (await this.deps.isListed(db, id)) await this.deps.unlist(db, id, reason, actor, audit);
    await this.deps.accessEnded?.(db, { personId: id, actor: actor.ref, reason }, audit);
    const changes = { status: 'left', left_at: leftAt.toISOString(), updated_at: now.toISOString() };
    await db.updateTable('access_people').set(changes).where('id', '=', id).execute();
    audit.target(`access_person:${id}`);
    audit.change({ type: 'access_person', id, before: auditShape(before), after: auditShape({ ...before, ...changes }) });
    return this.get(db, id);
  }

  /**
   * Delete a person registered by mistake. Refused (409) when they have history: grants (ended ones too), a place on
   * the privileged list, people or systems pointing at them, or anything a history check names.
   */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const before = await this.row(db, id);
    const count = async (q: Promise<{ n: number | string | bigint } | undefined>) => Number((await q)?.n ?? 0);
    const grants = await count(
      db
        .selectFrom('access_grants')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('person_id', '=', id)
        .executeTakeFirst(),
    );
    if (grants) throw personHasHistory(before.name, `${grants} grant(s)`);
    if (await this.deps.isListed(db, id)) throw personHasHistory(before.name, 'on the privileged list');
    const reports = await count(
      db
        .selectFrom('access_people')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('manager_id', '=', id)
        .executeTakeFirst(),
    );
    if (reports) throw personHasHistory(before.name, `manager of ${reports} person(s)`);
    const owned = await count(
      db
        .selectFrom('access_systems')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('owner_id', '=', id)
        .executeTakeFirst(),
    );
    if (owned) throw personHasHistory(before.name, `owner of ${owned} system(s)`);
    for (const check of this.historyChecks) {
      const held = await check(db, id);
      if (held) throw personHasHistory(before.name, held);
    }
    await db.deleteFrom('access_people').where('id', '=', id).execute();
    audit.target(`access_person:${id}`);
    audit.change({ type: 'access_person', id, before: auditShape(before), after: null });
  }
}
