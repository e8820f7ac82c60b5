import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import type { AccessSystemsTable } from './access.tables.ts';
import type { SystemBody, SystemsQuery } from './api/people.schemas.ts';
import { systemLevels } from './grants.service.ts';
import type { AccessLevel, SystemClassification, SystemKind } from './model.ts';
import { levelInUse, ownerNotFound, systemHasGrants, systemNameTaken, systemNotFound } from './people.errors.ts';

/** A system as the API shows it. */
export interface SystemView {
  id: string;
  name: string;
  kind: SystemKind;
  classification: SystemClassification;
  ownerId: string | null;
  ownerName: string | null;
  description: string;
  levels: AccessLevel[];
  /** Active grants now, and how many of them are privileged. */
  activeGrants: number;
  privilegedGrants: number;
  createdAt: string;
  updatedAt: string;
}

function auditShape(s: AccessSystemsTable): Record<string, unknown> {
  return {
    name: s.name,
    kind: s.kind,
    classification: s.classification,
    ownerId: s.owner_id,
    description: s.description,
    levels: systemLevels(s),
  };
}

/** Levels in stored form: name, privileged and a description only when one is given. */
const storedLevels = (ls: SystemBody['levels']): AccessLevel[] =>
  ls.map((l) => ({ name: l.name, privileged: l.privileged, ...(l.description ? { description: l.description } : {}) }));

/**
 * The systems register (issue 6 item 1): servers, control panels, databases, network gear and SaaS, each with its
 * owner (a person, who reviews its access), its classification (management / customer environment, P11) and the
 * access levels grants name. A system with grants (ended ones included) is never deleted: they are evidence.
 */
export class SystemsService {
  constructor(private readonly deps: { clock: Clock }) {}

  async row(db: Db, id: string): Promise<AccessSystemsTable> {
    const r = await db.selectFrom('access_systems').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw systemNotFound(id);
    return r;
  }

  async byName(db: Db, name: string): Promise<AccessSystemsTable | undefined> {
    return db.selectFrom('access_systems').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async list(db: Db, q: Partial<SystemsQuery> = {}): Promise<SystemView[]> {
    let query = db.selectFrom('access_systems').selectAll();
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.classification) query = query.where('classification', '=', q.classification);
    if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
    let rows = await query.orderBy('name').execute();
    if (q.q) {
      const needle = q.q.toLowerCase();
      rows = rows.filter((r) => r.name.toLowerCase().includes(needle) || r.description.toLowerCase().includes(needle));
    }
    return this.views(db, rows.slice(0, q.limit ?? 1000));
  }

  async get(db: Db, id: string): Promise<SystemView> {
    const [v] = await this.views(db, [await this.row(db, id)]);
    return v!;
  }

  private async views(db: Db, rows: AccessSystemsTable[]): Promise<SystemView[]> {
    if (rows.length === 0) return [];
    const owners = new Map((await db.selectFrom('access_people').select(['id', 'name']).execute()).map((r) => [r.id, r.name]));
    const counts = new Map<string, { all: number; privileged: number }>();
    const grants = await db
      .selectFrom('access_grants')
      .select(['system_id', 'privileged', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', 'active')
      .groupBy(['system_id', 'privileged'])
      .execute();
    for (const g of grants) {
      const c = counts.get(g.system_id) ?? { all: 0, privileged: 0 };
      c.all += Number(g.n);
      if (Number(g.privileged) === 1) c.privileged += Number(g.n);
      counts.set(g.system_id, c);
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind as SystemKind,
      classification: r.classification as SystemClassification,
      ownerId: r.owner_id,
      ownerName: r.owner_id ? (owners.get(r.owner_id) ?? null) : null,
      description: r.description,
      levels: systemLevels(r),
      activeGrants: counts.get(r.id)?.all ?? 0,
      privilegedGrants: counts.get(r.id)?.privileged ?? 0,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  private async checkOwner(db: Db, ownerId: string | null, path: string): Promise<void> {
    if (!ownerId) return;
    const o = await db.selectFrom('access_people').select('id').where('id', '=', ownerId).executeTakeFirst();
    if (!o) throw ownerNotFound(path);
  }

  async create(db: Db, input: SystemBody, audit: AuditRecorder, path = 'body'): Promise<SystemView> {
    if (await this.byName(db, input.name)) throw systemNameTaken(input.name, `${path}.name`);
    await this.checkOwner(db, input.ownerId, `${path}.ownerId`);
    const now = this.deps.clock.now().toISOString();
    const row: AccessSystemsTable = {
      id: randomUUID(),
      name: input.name,
      kind: input.kind,
      classification: input.classification,
      owner_id: input.ownerId,
      description: input.description,
      levels: JSON.stringify(storedLevels(input.levels)),
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('access_systems').values(row).execute();
    audit.target(`access_system:${row.id}`);
    audit.change({ type: 'access_system', id: row.id, before: null, after: auditShape(row) });
    return this.get(db, row.id);
  }

  /**
   * Replace a system's definition. A level that active or pending grants name cannot be dropped; a level turned
   * privileged keeps its existing grants (the next review flags those of people not on the privileged list).
   * Returns whether anything changed (nothing is written or audited otherwise).
   */
  async update(
    db: Db,
    id: string,
    input: SystemBody,
    audit: AuditRecorder,
    path = 'body',
  ): Promise<{ system: SystemView; changed: boolean }> {
    const before = await this.row(db, id);
    const next = {
      name: input.name,
      kind: input.kind,
      classification: input.classification,
      owner_id: input.ownerId,
      description: input.description,
      levels: JSON.stringify(storedLevels(input.levels)),
    };
    if ((Object.keys(next) as (keyof typeof next)[]).every((k) => next[k] === before[k]))
      return { system: await this.get(db, id), changed: false };
    if (input.name !== before.name) {
      const clash = await this.byName(db, input.name);
      if (clash && clash.id !== id) throw systemNameTaken(input.name, `${path}.name`);
    }
    await this.checkOwner(db, input.ownerId, `${path}.ownerId`);
    const kept = new Set(input.levels.map((l) => l.name));
    const used = await db
      .selectFrom('access_grants')
      .select('level')
      .distinct()
      .where('system_id', '=', id)
      .where('state', 'in', ['active', 'pending'])
      .execute();
    const dropped = used.find((u) => !kept.has(u.level));
    if (dropped) throw levelInUse(dropped.level, `${path}.levels`);
    const updated_at = this.deps.clock.now().toISOString();
    await db
      .updateTable('access_systems')
      .set({ ...next, updated_at })
      .where('id', '=', id)
      .execute();
    audit.target(`access_system:${id}`);
    audit.change({ type: 'access_system', id, before: auditShape(before), after: auditShape({ ...before, ...next }) });
    return { system: await this.get(db, id), changed: true };
  }

  /** Delete a system registered by mistake; refused when it has grants of any state. */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const before = await this.row(db, id);
    const g = await db.selectFrom('access_grants').select('id').where('system_id', '=', id).executeTakeFirst();
    if (g) throw systemHasGrants(before.name);
    await db.deleteFrom('access_systems').where('id', '=', id).execute();
    audit.target(`access_system:${id}`);
    audit.change({ type: 'access_system', id, before: auditShape(before), after: null });
  }
}
