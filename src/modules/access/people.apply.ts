import type { AuditRecorder } from '../../core/audit.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, invalid, type FieldError } from '../../core/errors.ts';
import type { GrantDefinition, PersonDefinition, SystemDefinition } from './api/people.schemas.ts';
import { type GrantActor, type GrantsService, systemLevels } from './grants.service.ts';
import { levelUnknown, personLeft } from './people.errors.ts';
import type { PeopleService } from './people.service.ts';
import type { SystemsService } from './systems.service.ts';

/**
 * `skjold apply` for people (by e-mail), systems (by name) and grants (by person e-mail, system, level): create or
 * update, all or nothing, one result per item; applying the same file again changes nothing. Nothing missing from a
 * file is deleted or revoked: leaving and revoking are decisions made on purpose, not by omission.
 */

/** What apply did with one item. */
export interface ApplyResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  id: string;
  /** Grants: the grant's state afterwards (a privileged grant stays `pending` until a second approver). */
  state?: string;
}

export interface ApplyDeps {
  people: PeopleService;
  systems: SystemsService;
  grants: GrantsService;
}

/** Run `fn` for item `i`; field errors it raises with `body.x` paths are re-pathed to `<prefix>.<i>.x`. */
async function atItem<T>(prefix: string, i: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    const errors = (e.errors?.length ? e.errors : [{ path: 'body', message: e.message }]).map((f) => ({
      path: f.path.startsWith(`${prefix}.`) ? f.path : f.path.replace(/^(body|params)(\.|$)/, `${prefix}.${i}$2`),
      message: f.message,
    }));
    throw new AppError(e.kind, e.code, e.message, { errors, cause: e });
  }
}

function duplicates<T>(items: readonly T[], key: (t: T) => string, prefix: string, field: string, what: string): void {
  const seen = new Map<string, number>();
  for (const [i, it] of items.entries()) {
    const k = key(it);
    const first = seen.get(k);
    if (first !== undefined)
      throw invalid('access_apply_duplicate', `${what} ${k} appears twice`, [
        { path: `${prefix}.${i}.${field}`, message: `also item ${first}` },
      ]);
    seen.set(k, i);
  }
}

/** People by e-mail; managers may be people of the same file (created first) or already registered. */
export async function applyPeople(
  d: ApplyDeps,
  db: Db,
  defs: readonly PersonDefinition[],
  actor: GrantActor,
  audit: AuditRecorder,
): Promise<ApplyResult[]> {
  const prefix = 'body.people';
  duplicates(defs, (p) => p.email, prefix, 'email', 'the e-mail');
  const inFile = new Set(defs.map((p) => p.email));
  const missing: FieldError[] = [];
  for (const [i, p] of defs.entries()) {
    if (p.manager && !inFile.has(p.manager) && !(await d.people.byEmail(db, p.manager)))
      missing.push({ path: `${prefix}.${i}.manager`, message: `no person with the e-mail ${p.manager}` });
  }
  if (missing.length)
    throw invalid('access_manager_invalid', 'every manager must be a person in the file or registered', missing);

  const out: (ApplyResult | undefined)[] = defs.map(() => undefined);
  const idOf = async (email: string | null | undefined) => (email ? (await d.people.byEmail(db, email))?.id : undefined);
  // New people go in manager-first order, so each is created with its manager in one audited step.
  let pending = [...defs.keys()];
  while (pending.length) {
    const next: number[] = [];
    for (const i of pending) {
      const p = defs[i]!;
      const existing = await d.people.byEmail(db, p.email);
      const managerId = p.manager === undefined ? undefined : p.manager === null ? null : await idOf(p.manager);
      if (p.manager && managerId === undefined) {
        next.push(i);
        continue;
      }
      const paths = {
        email: `${prefix}.${i}.email`,
        userId: `${prefix}.${i}`,
        managerId: `${prefix}.${i}.manager`,
        identifiers: `${prefix}.${i}.identifiers`,
      };
      await atItem(prefix, i, async () => {
        if (!existing) {
          const created = await d.people.create(
            db,
            {
              name: p.name,
              email: p.email,
              kind: p.kind,
              team: p.team,
              managerId: managerId ?? null,
              userId: null,
              identifiers: p.identifiers,
            },
            audit,
            paths,
          );
          if (p.status === 'left')
            await d.people.markLeft(db, created.id, { reason: 'applied from a set-up file' }, actor, audit);
          out[i] = { name: p.email, action: 'created', id: created.id };
          return;
        }
        if (existing.status === 'left' && p.status === 'active')
          throw new AppError('conflict', personLeft(existing.name).code, personLeft(existing.name).message, {
            errors: [{ path: `${prefix}.${i}.status`, message: 'has left; register a returning person anew' }],
          });
        const { changed } = await d.people.update(
          db,
          existing.id,
          {
            name: p.name,
            kind: p.kind,
            team: p.team,
            identifiers: p.identifiers,
            ...(managerId !== undefined ? { managerId } : {}),
          },
          audit,
          paths,
        );
        let left = false;
        if (existing.status === 'active' && p.status === 'left') {
          await d.people.markLeft(db, existing.id, { reason: 'applied from a set-up file' }, actor, audit);
          left = true;
        }
        out[i] = { name: p.email, action: changed || left ? 'updated' : 'unchanged', id: existing.id };
      });
    }
    if (next.length === pending.length)
      throw invalid(
        'access_manager_invalid',
        'these people are each other’s managers in a loop',
        next.map((i) => ({ path: `${prefix}.${i}.manager`, message: 'part of a loop of managers' })),
      );
    pending = next;
  }
  return out.map((r) => r!);
}

/** Systems by name; owners by e-mail (registered people). */
export async function applySystems(
  d: ApplyDeps,
  db: Db,
  defs: readonly SystemDefinition[],
  audit: AuditRecorder,
): Promise<ApplyResult[]> {
  const prefix = 'body.systems';
  duplicates(defs, (s) => s.name, prefix, 'name', 'the system');
  const out: ApplyResult[] = [];
  for (const [i, s] of defs.entries()) {
    out.push(
      await atItem(prefix, i, async () => {
        let ownerId: string | null | undefined = s.owner === null ? null : undefined;
        if (s.owner) {
          const owner = await d.people.byEmail(db, s.owner);
          if (!owner)
            throw invalid('access_owner_not_found', 'the owner must be a registered person', [
              { path: `${prefix}.${i}.owner`, message: `no person with the e-mail ${s.owner}` },
            ]);
          ownerId = owner.id;
        }
        const existing = await d.systems.byName(db, s.name);
        const body = {
          name: s.name,
          kind: s.kind,
          classification: s.classification,
          ownerId: ownerId === undefined ? (existing?.owner_id ?? null) : ownerId,
          description: s.description,
          levels: s.levels,
        };
        if (!existing) {
          const created = await d.systems.create(db, body, audit, `${prefix}.${i}`);
          return { name: s.name, action: 'created' as const, id: created.id };
        }
        const { changed } = await d.systems.update(db, existing.id, body, audit, `${prefix}.${i}`);
        return { name: s.name, action: changed ? ('updated' as const) : ('unchanged' as const), id: existing.id };
      }),
    );
  }
  return out;
}

/**
 * Grants by (person e-mail, system, level) among the active and pending ones. A new grant is requested by the
 * applying user and, when they may approve and are not the grantee, approved once by them: a non-privileged grant is
 * then active, a privileged one waits for a second, different approver in the console. A changed justification or
 * end updates the grant (an approver's change; audited). Applying again never adds an approval.
 */
export async function applyGrants(
  d: ApplyDeps,
  db: Db,
  defs: readonly GrantDefinition[],
  actor: GrantActor,
  canApprove: boolean,
  audit: AuditRecorder,
): Promise<ApplyResult[]> {
  const prefix = 'body.grants';
  duplicates(defs, (g) => `${g.person} ${g.system} ${g.level}`, prefix, 'level', 'the grant');
  const out: ApplyResult[] = [];
  for (const [i, g] of defs.entries()) {
    const name = `${g.person} ${g.system} ${g.level}`;
    out.push(
      await atItem(prefix, i, async () => {
        const person = await d.people.byEmail(db, g.person);
        if (!person)
          throw invalid('access_person_not_found', 'the person must be registered', [
            { path: `${prefix}.${i}.person`, message: `no person with the e-mail ${g.person}` },
          ]);
        const system = await d.systems.byName(db, g.system);
        if (!system)
          throw invalid('access_system_not_found', 'the system must be registered', [
            { path: `${prefix}.${i}.system`, message: `no system named ${g.system}` },
          ]);
        if (!systemLevels(system).some((l) => l.name === g.level))
          throw levelUnknown(g.level, system.name, `${prefix}.${i}.level`);
        const current = await db
          .selectFrom('access_grants')
          .selectAll()
          .where('person_id', '=', person.id)
          .where('system_id', '=', system.id)
          .where('level', '=', g.level)
          .where('state', 'in', ['active', 'pending'])
          .executeTakeFirst();
        if (current) {
          const expiresAt = g.expiresAt ? new Date(g.expiresAt).toISOString() : null;
          if (current.justification === g.justification && current.expires_at === expiresAt)
            return { name, action: 'unchanged' as const, id: current.id, state: current.state };
          if (!canApprove)
            throw new AppError('forbidden', 'permission_denied', 'changing a grant’s need or end needs access.approve', {
              errors: [{ path: `${prefix}.${i}`, message: 'needs access.approve' }],
            });
          await d.grants.amend(db, current.id, { justification: g.justification, expiresAt }, actor, audit);
          return { name, action: 'updated' as const, id: current.id, state: current.state };
        }
        const requested = await d.grants.request(
          db,
          { personId: person.id, systemId: system.id, level: g.level, justification: g.justification, expiresAt: g.expiresAt },
          actor,
          audit,
        );
        let state: string = requested.state;
        const mayApprove = canApprove && actor.userId !== null && person.user_id !== actor.userId;
        if (mayApprove) state = (await d.grants.approve(db, requested.id, actor, 'applied from a set-up file', audit)).state;
        return { name, action: 'created' as const, id: requested.id, state };
      }),
    );
  }
  return out;
}

/** Every person with an e-mail, as `applyPeople` takes them back (people without e-mail cannot be matched by a file). */
export async function exportPeople(d: ApplyDeps, db: Db): Promise<PersonDefinition[]> {
  const all = await d.people.list(db, { limit: 100_000 });
  const emails = new Map(all.map((p) => [p.id, p.email]));
  return all
    .filter((p) => p.email !== null)
    .map((p) => {
      const manager = p.managerId ? emails.get(p.managerId) : null;
      return {
        name: p.name,
        email: p.email!,
        kind: p.kind,
        team: p.team,
        // A manager without an e-mail is left out, so applying the export keeps them.
        ...(manager !== undefined ? { manager } : {}),
        identifiers: p.identifiers,
        status: p.status,
      };
    });
}

export async function exportSystems(d: ApplyDeps, db: Db): Promise<SystemDefinition[]> {
  const all = await d.systems.list(db, { limit: 100_000 });
  const emails = new Map((await db.selectFrom('access_people').select(['id', 'email']).execute()).map((p) => [p.id, p.email]));
  return all.map((s) => {
    const owner = s.ownerId ? (emails.get(s.ownerId) ?? undefined) : null;
    return {
      name: s.name,
      kind: s.kind,
      classification: s.classification,
      ...(owner !== undefined ? { owner } : {}),
      description: s.description,
      levels: s.levels.map((l) => ({ name: l.name, privileged: l.privileged, description: l.description ?? '' })),
    };
  });
}

/** Active and pending standing grants (just-in-time ones are short-lived requests, not set-up), by person, system, level. */
export async function exportGrants(d: ApplyDeps, db: Db): Promise<GrantDefinition[]> {
  const all = await d.grants.list(db, { state: 'current', limit: 100_000 });
  return all
    .filter((g) => g.jitHours === null && g.personEmail !== null)
    .map((g) => ({
      person: g.personEmail!,
      system: g.systemName,
      level: g.level,
      justification: g.justification,
      expiresAt: g.expiresAt,
    }))
    .sort((a, b) => {
      const x = `${a.person}\u0000${a.system}\u0000${a.level}`;
      const y = `${b.person}\u0000${b.system}\u0000${b.level}`;
      return x < y ? -1 : x > y ? 1 : 0;
    });
}
