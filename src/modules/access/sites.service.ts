import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { type FieldError, invalid } from '../../core/errors.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { CameraBody, DoorBody, SiteBody, SiteDefinition } from './api/physical.schemas.ts';
import {
  cameraDoorElsewhere,
  cameraExists,
  cameraNotFound,
  doorExists,
  doorNotFound,
  personNotFound,
  siteExists,
  siteNotFound,
} from './physical.errors.ts';
import type { SiteHolding } from './physical.model.ts';
import type { AccessCamerasTable, AccessDoorsTable, AccessSitesTable } from './physical.tables.ts';
import { residencyViolation } from './residency.ts';

/** A site as lists show it: where it is, what it holds, whether that breaks P1, and its camera gaps (P5). */
export interface SiteView {
  id: string;
  name: string;
  address: string;
  country: string;
  holds: SiteHolding[];
  operator: string;
  ownerId: string | null;
  ownerName: string | null;
  notes: string;
  /** Why the site breaks data residency (P1), or null. */
  residencyViolation: string | null;
  doors: number;
  entrances: number;
  cameras: number;
  /** Entrances no camera covers (P5 gap). */
  entrancesWithoutCamera: { id: string; name: string }[];
  /** Site grants in force now. */
  activeGrants: number;
  createdAt: string;
  updatedAt: string;
}

export interface DoorView {
  id: string;
  name: string;
  entrance: boolean;
  cameras: { id: string; name: string }[];
  /** An entrance without a camera. */
  cameraGap: boolean;
}

export interface CameraView {
  id: string;
  name: string;
  doorId: string | null;
  doorName: string | null;
}

/** Who may enter: the site grants in force now, with each person's badges. */
export interface SiteAccessView {
  grantId: string;
  personId: string;
  personName: string;
  personStatus: string;
  justification: string;
  startsAt: string;
  expiresAt: string | null;
  badges: string[];
}

export interface SiteDetail extends SiteView {
  doorList: DoorView[];
  cameraList: CameraView[];
  access: SiteAccessView[];
}

export interface SiteApplyResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  id: string;
}

const holdsOf = (r: AccessSitesTable) => JSON.parse(r.holds) as SiteHolding[];

const auditShape = (r: AccessSitesTable): Record<string, unknown> => ({
  name: r.name,
  address: r.address,
  country: r.country,
  holds: holdsOf(r),
  operator: r.operator,
  ownerId: r.owner_id,
  notes: r.notes,
});

/** Whether a site grant is in force at `at` (ISO): approved, started, not expired, not ended. */
export function grantInForce(
  g: { approved_at: string | null; starts_at: string; expires_at: string | null; ended_at: string | null; state: string },
  at: string,
): boolean {
  if (!g.approved_at || g.state === 'pending' || g.state === 'rejected') return false;
  const t = Date.parse(at);
  if (Date.parse(g.starts_at) > t) return false;
  if (g.expires_at && Date.parse(g.expires_at) <= t) return false;
  if (g.ended_at && Date.parse(g.ended_at) <= t) return false;
  return true;
}

export interface SitesServiceDeps {
  clock: Clock;
  signals: SignalSink;
  /** Upper-case ISO country codes where customer data may be (P1). */
  residencyCountries: readonly string[];
}

/**
 * Sites, their doors and cameras (issue 6 items 4–5; P1, P5). A site outside the residency countries that holds
 * customer data raises `access:residency:<id>` (critical) when it is created or changed so, and resolves it when fixed
 * or removed.
 */
export class SitesService {
  constructor(private readonly deps: SitesServiceDeps) {}

  async row(db: Db, id: string): Promise<AccessSitesTable> {
    const r = await db.selectFrom('access_sites').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw siteNotFound(id);
    return r;
  }

  private async views(db: Db, rows: AccessSitesTable[]): Promise<SiteView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [doors, cameras, grants, owners] = await Promise.all([
      db.selectFrom('access_doors').selectAll().where('site_id', 'in', ids).orderBy('name').execute(),
      db.selectFrom('access_cameras').selectAll().where('site_id', 'in', ids).execute(),
      db.selectFrom('access_site_grants').selectAll().where('site_id', 'in', ids).where('state', '=', 'active').execute(),
      db
        .selectFrom('access_people')
        .select(['id', 'name'])
        .where(
          'id',
          'in',
          rows
            .map((r) => r.owner_id ?? '')
            .filter(Boolean)
            .concat(['-']),
        )
        .execute(),
    ]);
    const now = this.deps.clock.now().toISOString();
    const covered = new Set(cameras.map((c) => c.door_id).filter((d): d is string => d !== null));
    const ownerName = new Map(owners.map((o) => [o.id, o.name]));
    return rows.map((r) => {
      const own = doors.filter((d) => d.site_id === r.id);
      return {
        id: r.id,
        name: r.name,
        address: r.address,
        country: r.country,
        holds: holdsOf(r),
        operator: r.operator,
        ownerId: r.owner_id,
        ownerName: r.owner_id ? (ownerName.get(r.owner_id) ?? null) : null,
        notes: r.notes,
        residencyViolation: residencyViolation({ country: r.country, holds: holdsOf(r) }, this.deps.residencyCountries),
        doors: own.length,
        entrances: own.filter((d) => Number(d.entrance) === 1).length,
        cameras: cameras.filter((c) => c.site_id === r.id).length,
        entrancesWithoutCamera: own
          .filter((d) => Number(d.entrance) === 1 && !covered.has(d.id))
          .map((d) => ({ id: d.id, name: d.name })),
        activeGrants: grants.filter((g) => g.site_id === r.id && grantInForce(g, now)).length,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
    });
  }

  /** Every site by name. */
  async list(db: Db): Promise<SiteView[]> {
    return this.views(db, await db.selectFrom('access_sites').selectAll().orderBy('name').execute());
  }

  /** One site with its doors (and their cameras), cameras and who may enter now. */
  async get(db: Db, id: string): Promise<SiteDetail> {
    const r = await this.row(db, id);
    const [view] = await this.views(db, [r]);
    const doors = await db.selectFrom('access_doors').selectAll().where('site_id', '=', id).orderBy('name').execute();
    const cameras = await db.selectFrom('access_cameras').selectAll().where('site_id', '=', id).orderBy('name').execute();
    const doorName = new Map(doors.map((d) => [d.id, d.name]));
    const grants = await db
      .selectFrom('access_site_grants as g')
      .innerJoin('access_people as p', 'p.id', 'g.person_id')
      .select(['g.id', 'g.person_id', 'g.justification', 'g.starts_at', 'g.expires_at', 'g.approved_at', 'g.ended_at', 'g.state'])
      .select(['p.name as person_name', 'p.status as person_status'])
      .where('g.site_id', '=', id)
      .where('g.state', '=', 'active')
      .orderBy('p.name')
      .execute();
    const now = this.deps.clock.now().toISOString();
    const inForce = grants.filter((g) => grantInForce(g, now));
    const badges = await db
      .selectFrom('access_badges')
      .select(['number', 'person_id'])
      .where('person_id', 'in', inForce.map((g) => g.person_id).concat(['-']))
      .where('revoked_at', 'is', null)
      .orderBy('number')
      .execute();
    return {
      ...(view as SiteView),
      doorList: doors.map((d) => {
        const cams = cameras.filter((c) => c.door_id === d.id).map((c) => ({ id: c.id, name: c.name }));
        return {
          id: d.id,
          name: d.name,
          entrance: Number(d.entrance) === 1,
          cameras: cams,
          cameraGap: Number(d.entrance) === 1 && cams.length === 0,
        };
      }),
      cameraList: cameras.map((c) => ({
        id: c.id,
        name: c.name,
        doorId: c.door_id,
        doorName: c.door_id ? (doorName.get(c.door_id) ?? null) : null,
      })),
      access: inForce.map((g) => ({
        grantId: g.id,
        personId: g.person_id,
        personName: g.person_name,
        personStatus: g.person_status,
        justification: g.justification,
        startsAt: g.starts_at,
        expiresAt: g.expires_at,
        badges: badges.filter((b) => b.person_id === g.person_id).map((b) => b.number),
      })),
    };
  }

  private async checkOwner(db: Db, ownerId: string | null, path = 'body.ownerId'): Promise<void> {
    if (!ownerId) return;
    const p = await db.selectFrom('access_people').select('id').where('id', '=', ownerId).executeTakeFirst();
    if (!p) throw personNotFound(ownerId, path);
  }

  async create(db: Db, input: SiteBody, audit: AuditRecorder): Promise<SiteView> {
    if (await db.selectFrom('access_sites').select('id').where('name', '=', input.name).executeTakeFirst())
      throw siteExists(input.name);
    await this.checkOwner(db, input.ownerId);
    const now = this.deps.clock.now().toISOString();
    const row: AccessSitesTable = {
      id: randomUUID(),
      name: input.name,
      address: input.address,
      country: input.country,
      holds: JSON.stringify([...new Set(input.holds)]),
      operator: input.operator,
      owner_id: input.ownerId,
      notes: input.notes,
      residency_signalled: 0,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('access_sites').values(row).execute();
    audit.target(`access_site:${row.id}`);
    audit.change({ type: 'access_site', id: row.id, after: auditShape(row) });
    await this.checkResidency(db, row);
    return (await this.views(db, [await this.row(db, row.id)]))[0] as SiteView;
  }

  async update(db: Db, id: string, input: SiteBody, audit: AuditRecorder): Promise<SiteView> {
    const before = await this.row(db, id);
    if (input.name !== before.name) {
      const clash = await db.selectFrom('access_sites').select('id').where('name', '=', input.name).executeTakeFirst();
      if (clash) throw siteExists(input.name);
    }
    await this.checkOwner(db, input.ownerId);
    const changes = {
      name: input.name,
      address: input.address,
      country: input.country,
      holds: JSON.stringify([...new Set(input.holds)]),
      operator: input.operator,
      owner_id: input.ownerId,
      notes: input.notes,
      updated_at: this.deps.clock.now().toISOString(),
    };
    await db.updateTable('access_sites').set(changes).where('id', '=', id).execute();
    const after = { ...before, ...changes };
    audit.target(`access_site:${id}`);
    audit.change({ type: 'access_site', id, before: auditShape(before), after: auditShape(after) });
    await this.checkResidency(db, after);
    return (await this.views(db, [await this.row(db, id)]))[0] as SiteView;
  }

  /**
   * Remove a site with its doors and cameras; its site grants in force end as revoked. Badge events stay (they keep
   * the site's and door's names). A residency signal the site raised resolves.
   */
  async remove(db: Db, id: string, actor: string, audit: AuditRecorder): Promise<void> {
    const before = await this.row(db, id);
    const now = this.deps.clock.now().toISOString();
    await db
      .updateTable('access_site_grants')
      .set({ state: 'revoked', ended_at: now, ended_by: actor, end_reason: 'site removed', updated_at: now })
      .where('site_id', '=', id)
      .where('state', 'in', ['pending', 'active'])
      .execute();
    await db.deleteFrom('access_cameras').where('site_id', '=', id).execute();
    await db.deleteFrom('access_doors').where('site_id', '=', id).execute();
    await db.deleteFrom('access_sites').where('id', '=', id).execute();
    audit.target(`access_site:${id}`);
    audit.change({ type: 'access_site', id, before: auditShape(before), after: null });
    if (Number(before.residency_signalled) === 1) await this.raiseResidency(db, before, null);
  }

  /** P1: raise the residency signal once when a site breaks it, resolve it once when it no longer does. */
  private async checkResidency(db: Db, r: AccessSitesTable): Promise<void> {
    const violation = residencyViolation({ country: r.country, holds: holdsOf(r) }, this.deps.residencyCountries);
    const signalled = Number(r.residency_signalled) === 1;
    if (violation && !signalled) {
      await db.updateTable('access_sites').set({ residency_signalled: 1 }).where('id', '=', r.id).execute();
      await this.raiseResidency(db, r, violation);
    } else if (!violation && signalled) {
      await db.updateTable('access_sites').set({ residency_signalled: 0 }).where('id', '=', r.id).execute();
      await this.raiseResidency(db, r, null);
    }
  }

  private async raiseResidency(db: Db, r: AccessSitesTable, violation: string | null): Promise<void> {
    await this.deps.signals.raise(db, {
      source: 'access',
      dedupKey: `access:residency:${r.id}`,
      status: violation ? 'firing' : 'resolved',
      severity: 'critical',
      summary: violation
        ? `site ${r.name} in ${r.country} ${violation}`
        : `site ${r.name} no longer holds customer data outside the residency countries`,
      details: { siteId: r.id, country: r.country, holds: holdsOf(r) },
      autoResolve: true,
    });
  }

  // Doors and cameras

  private async door(db: Db, siteId: string, doorId: string): Promise<AccessDoorsTable> {
    const d = await db
      .selectFrom('access_doors')
      .selectAll()
      .where('id', '=', doorId)
      .where('site_id', '=', siteId)
      .executeTakeFirst();
    if (!d) throw doorNotFound(doorId);
    return d;
  }

  private async camera(db: Db, siteId: string, cameraId: string): Promise<AccessCamerasTable> {
    const c = await db
      .selectFrom('access_cameras')
      .selectAll()
      .where('id', '=', cameraId)
      .where('site_id', '=', siteId)
      .executeTakeFirst();
    if (!c) throw cameraNotFound(cameraId);
    return c;
  }

  async addDoor(db: Db, siteId: string, input: DoorBody, audit: AuditRecorder): Promise<DoorView> {
    await this.row(db, siteId);
    const clash = await db
      .selectFrom('access_doors')
      .select('id')
      .where('site_id', '=', siteId)
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (clash) throw doorExists(input.name);
    const row: AccessDoorsTable = {
      id: randomUUID(),
      site_id: siteId,
      name: input.name,
      entrance: input.entrance ? 1 : 0,
      created_at: this.deps.clock.now().toISOString(),
    };
    await db.insertInto('access_doors').values(row).execute();
    audit.target(`access_door:${row.id}`);
    audit.change({ type: 'access_door', id: row.id, after: { siteId, name: row.name, entrance: input.entrance } });
    return { id: row.id, name: row.name, entrance: input.entrance, cameras: [], cameraGap: input.entrance };
  }

  async updateDoor(db: Db, siteId: string, doorId: string, input: DoorBody, audit: AuditRecorder): Promise<void> {
    const before = await this.door(db, siteId, doorId);
    if (input.name !== before.name) {
      const clash = await db
        .selectFrom('access_doors')
        .select('id')
        .where('site_id', '=', siteId)
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (clash) throw doorExists(input.name);
    }
    await db
      .updateTable('access_doors')
      .set({ name: input.name, entrance: input.entrance ? 1 : 0 })
      .where('id', '=', doorId)
      .execute();
    audit.target(`access_door:${doorId}`);
    audit.change({
      type: 'access_door',
      id: doorId,
      before: { siteId, name: before.name, entrance: Number(before.entrance) === 1 },
      after: { siteId, name: input.name, entrance: input.entrance },
    });
  }

  /** Remove a door; cameras that covered it cover nothing afterwards. */
  async removeDoor(db: Db, siteId: string, doorId: string, audit: AuditRecorder): Promise<void> {
    const before = await this.door(db, siteId, doorId);
    await db.updateTable('access_cameras').set({ door_id: null }).where('door_id', '=', doorId).execute();
    await db.deleteFrom('access_doors').where('id', '=', doorId).execute();
    audit.target(`access_door:${doorId}`);
    audit.change({
      type: 'access_door',
      id: doorId,
      before: { siteId, name: before.name, entrance: Number(before.entrance) === 1 },
      after: null,
    });
  }

  async addCamera(db: Db, siteId: string, input: CameraBody, audit: AuditRecorder): Promise<CameraView> {
    await this.row(db, siteId);
    const clash = await db
      .selectFrom('access_cameras')
      .select('id')
      .where('site_id', '=', siteId)
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (clash) throw cameraExists(input.name);
    const door = input.doorId ? await this.coveredDoor(db, siteId, input.doorId) : null;
    const row: AccessCamerasTable = {
      id: randomUUID(),
      site_id: siteId,
      name: input.name,
      door_id: door?.id ?? null,
      created_at: this.deps.clock.now().toISOString(),
    };
    await db.insertInto('access_cameras').values(row).execute();
    audit.target(`access_camera:${row.id}`);
    audit.change({ type: 'access_camera', id: row.id, after: { siteId, name: row.name, doorId: row.door_id } });
    return { id: row.id, name: row.name, doorId: row.door_id, doorName: door?.name ?? null };
  }

  private async coveredDoor(db: Db, siteId: string, doorId: string): Promise<AccessDoorsTable> {
    const d = await db.selectFrom('access_doors').selectAll().where('id', '=', doorId).executeTakeFirst();
    if (!d || d.site_id !== siteId) throw cameraDoorElsewhere();
    return d;
  }

  async updateCamera(db: Db, siteId: string, cameraId: string, input: CameraBody, audit: AuditRecorder): Promise<void> {
    const before = await this.camera(db, siteId, cameraId);
    if (input.name !== before.name) {
      const clash = await db
        .selectFrom('access_cameras')
        .select('id')
        .where('site_id', '=', siteId)
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (clash) throw cameraExists(input.name);
    }
    if (input.doorId) await this.coveredDoor(db, siteId, input.doorId);
    await db.updateTable('access_cameras').set({ name: input.name, door_id: input.doorId }).where('id', '=', cameraId).execute();
    audit.target(`access_camera:${cameraId}`);
    audit.change({
      type: 'access_camera',
      id: cameraId,
      before: { siteId, name: before.name, doorId: before.door_id },
      after: { siteId, name: input.name, doorId: input.doorId },
    });
  }

  async removeCamera(db: Db, siteId: string, cameraId: string, audit: AuditRecorder): Promise<void> {
    const before = await this.camera(db, siteId, cameraId);
    await db.deleteFrom('access_cameras').where('id', '=', cameraId).execute();
    audit.target(`access_camera:${cameraId}`);
    audit.change({
      type: 'access_camera',
      id: cameraId,
      before: { siteId, name: before.name, doorId: before.door_id },
      after: null,
    });
  }

  // skjold apply

  /** Every site in the form `apply` takes back (owner by e-mail, doors and cameras by name), by name. */
  async exportSites(db: Db): Promise<SiteDefinition[]> {
    const sites = await db.selectFrom('access_sites').selectAll().orderBy('name').execute();
    const doors = await db.selectFrom('access_doors').selectAll().orderBy('name').execute();
    const cameras = await db.selectFrom('access_cameras').selectAll().orderBy('name').execute();
    const owners = await db
      .selectFrom('access_people')
      .select(['id', 'email'])
      .where(
        'id',
        'in',
        sites
          .map((s) => s.owner_id ?? '')
          .filter(Boolean)
          .concat(['-']),
      )
      .execute();
    const email = new Map(owners.map((o) => [o.id, o.email]));
    const doorName = new Map(doors.map((d) => [d.id, d.name]));
    return sites.map((s) => ({
      name: s.name,
      address: s.address,
      country: s.country,
      holds: holdsOf(s),
      operator: s.operator,
      owner: s.owner_id ? (email.get(s.owner_id) ?? null) : null,
      notes: s.notes,
      doors: doors.filter((d) => d.site_id === s.id).map((d) => ({ name: d.name, entrance: Number(d.entrance) === 1 })),
      cameras: cameras
        .filter((c) => c.site_id === s.id)
        .map((c) => ({ name: c.name, covers: c.door_id ? (doorName.get(c.door_id) ?? null) : null })),
    }));
  }

  /**
   * Make the listed sites look like their definitions: create or update each by name; doors and cameras not listed
   * are removed. Sites not listed stay. Every reference is checked before anything is written (400 with the path).
   */
  async applySites(db: Db, defs: readonly SiteDefinition[], audit: AuditRecorder): Promise<SiteApplyResult[]> {
    const problems: FieldError[] = [];
    const seen = new Set<string>();
    for (const [i, d] of defs.entries()) {
      if (seen.has(d.name)) problems.push({ path: `body.sites.${i}.name`, message: `the site ${d.name} appears twice` });
      seen.add(d.name);
      const doorNames = new Set<string>();
      for (const [j, door] of d.doors.entries()) {
        if (doorNames.has(door.name))
          problems.push({ path: `body.sites.${i}.doors.${j}.name`, message: `door ${door.name} twice` });
        doorNames.add(door.name);
      }
      const camNames = new Set<string>();
      for (const [j, cam] of d.cameras.entries()) {
        if (camNames.has(cam.name))
          problems.push({ path: `body.sites.${i}.cameras.${j}.name`, message: `camera ${cam.name} twice` });
        camNames.add(cam.name);
        if (cam.covers !== null && !doorNames.has(cam.covers))
          problems.push({ path: `body.sites.${i}.cameras.${j}.covers`, message: `no door ${cam.covers} in this site` });
      }
    }
    const emails = [...new Set(defs.map((d) => d.owner?.toLowerCase()).filter((e): e is string => !!e))];
    const people = await db
      .selectFrom('access_people')
      .select(['id', 'email'])
      .where('email', 'in', emails.concat(['-']))
      .execute();
    const byEmail = new Map(people.filter((p) => p.email).map((p) => [String(p.email).toLowerCase(), p.id]));
    for (const [i, d] of defs.entries()) {
      if (d.owner && !byEmail.has(d.owner.toLowerCase()))
        problems.push({ path: `body.sites.${i}.owner`, message: `no person with the e-mail ${d.owner}` });
    }
    if (problems.length)
      throw invalid('access_sites_invalid', 'the site definitions have problems; nothing was applied', problems);

    const current = new Map((await this.exportSites(db)).map((s) => [s.name, s]));
    const rows = new Map((await db.selectFrom('access_sites').selectAll().execute()).map((r) => [r.name, r]));
    const results: SiteApplyResult[] = [];
    for (const d of defs) {
      const ownerId = d.owner ? (byEmail.get(d.owner.toLowerCase()) ?? null) : null;
      const body: SiteBody = {
        name: d.name,
        address: d.address,
        country: d.country,
        holds: [...new Set(d.holds)],
        operator: d.operator,
        ownerId,
        notes: d.notes,
      };
      const existing = rows.get(d.name);
      const want = { ...d, holds: body.holds, owner: d.owner ? (people.find((p) => p.id === ownerId)?.email ?? null) : null };
      if (existing && JSON.stringify(normalise(current.get(d.name))) === JSON.stringify(normalise(want))) {
        results.push({ name: d.name, action: 'unchanged', id: existing.id });
        continue;
      }
      const site = existing ? await this.update(db, existing.id, body, audit) : await this.create(db, body, audit);
      await this.applyChildren(db, site.id, d, audit);
      results.push({ name: d.name, action: existing ? 'updated' : 'created', id: site.id });
    }
    audit.target('access_sites');
    return results;
  }

  private async applyChildren(db: Db, siteId: string, d: SiteDefinition, audit: AuditRecorder): Promise<void> {
    const doors = await db.selectFrom('access_doors').selectAll().where('site_id', '=', siteId).execute();
    const cams = await db.selectFrom('access_cameras').selectAll().where('site_id', '=', siteId).execute();
    const wantDoors = new Map(d.doors.map((x) => [x.name, x]));
    const wantCams = new Map(d.cameras.map((x) => [x.name, x]));
    for (const c of cams) if (!wantCams.has(c.name)) await this.removeCamera(db, siteId, c.id, audit);
    for (const door of doors) if (!wantDoors.has(door.name)) await this.removeDoor(db, siteId, door.id, audit);
    const doorId = new Map<string, string>();
    for (const want of d.doors) {
      const have = doors.find((x) => x.name === want.name);
      if (!have) doorId.set(want.name, (await this.addDoor(db, siteId, want, audit)).id);
      else {
        doorId.set(want.name, have.id);
        if ((Number(have.entrance) === 1) !== want.entrance) await this.updateDoor(db, siteId, have.id, want, audit);
      }
    }
    for (const want of d.cameras) {
      const body: CameraBody = { name: want.name, doorId: want.covers ? (doorId.get(want.covers) ?? null) : null };
      const have = cams.find((x) => x.name === want.name);
      if (!have) await this.addCamera(db, siteId, body, audit);
      else if (have.door_id !== body.doorId) await this.updateCamera(db, siteId, have.id, body, audit);
    }
  }
}

/** A definition in a fixed shape and order, for "unchanged" comparisons. */
function normalise(d: SiteDefinition | undefined): unknown {
  if (!d) return null;
  return {
    name: d.name,
    address: d.address,
    country: d.country,
    holds: [...d.holds].sort(),
    operator: d.operator,
    owner: d.owner?.toLowerCase() ?? null,
    notes: d.notes,
    doors: [...d.doors].sort((a, b) => a.name.localeCompare(b.name)).map((x) => [x.name, x.entrance]),
    cameras: [...d.cameras].sort((a, b) => a.name.localeCompare(b.name)).map((x) => [x.name, x.covers]),
  };
}
