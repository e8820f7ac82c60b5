import type { Actor, Permission } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { type GrantEvent, type GrantView, type GrantsService, grantActor } from '../grants.service.ts';
import {
  type ApplyDeps,
  type ApplyResult,
  applyGrants,
  applyPeople,
  applySystems,
  exportGrants,
  exportPeople,
  exportSystems,
} from '../people.apply.ts';
import type { PersonView, PeopleService } from '../people.service.ts';
import type { PrivilegedEntry, PrivilegedService } from '../privileged.service.ts';
import type { SystemView, SystemsService } from '../systems.service.ts';
import {
  type GrantDefinition,
  type PersonDefinition,
  type SystemDefinition,
  applyGrantsBody,
  applyPeopleBody,
  applySystemsBody,
  approveBody,
  grantRequestBody,
  grantsQuery,
  idParams,
  leaveBody,
  noQuery,
  peopleQuery,
  personBody,
  personParams,
  personPatch,
  privilegedBody,
  reasonBody,
  reduceBody,
  systemBody,
  systemsQuery,
} from './people.schemas.ts';

/** What the calling user may do with a grant now (the console shows only these buttons; the service re-checks). */
export interface GrantActions {
  /** First approval, or the second one of a privileged grant (never the grantee's own, never twice by one user). */
  approve: boolean;
  reject: boolean;
  revoke: boolean;
}
export type GrantWithActions = GrantView & { actions: GrantActions };

export interface PeopleRoutesDeps {
  people: PeopleService;
  systems: SystemsService;
  privileged: PrivilegedService;
  grants: GrantsService;
  allows: (actor: Actor, p: Permission) => boolean;
}

const tally = (rs: readonly ApplyResult[]) => ({
  created: rs.filter((r) => r.action === 'created').length,
  updated: rs.filter((r) => r.action === 'updated').length,
});

/** People, systems, the privileged list and grants (issue 6 items 1–2), with `skjold apply`/export for each. */
export function peopleRoutes(d: PeopleRoutesDeps): AnyRoute[] {
  const { people, systems, privileged, grants } = d;
  const applyDeps: ApplyDeps = { people, systems, grants };
  const actionsFor = (g: GrantView, actor: Actor): GrantActions => {
    const can = d.allows(actor, 'access.approve');
    const a = grantActor(actor);
    const me = a.userId ? `user:${a.userId}` : null;
    return {
      approve:
        can &&
        g.state === 'pending' &&
        me !== null &&
        g.granteeUserId !== a.userId &&
        g.approvedBy !== me &&
        g.personStatus !== 'left',
      reject: can && g.state === 'pending',
      revoke: can && g.state === 'active',
    };
  };
  const withActions = (g: GrantView, actor: Actor): GrantWithActions => ({ ...g, actions: actionsFor(g, actor) });

  return [
    // ---- people ----
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/people',
      permission: 'access.read',
      query: peopleQuery,
      summary: 'People (employees and contractors) by status, kind, team, manager or a search text',
      handler: async (ctx): Promise<{ items: PersonView[] }> => ({ items: await people.list(ctx.db, ctx.query) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/people/export',
      permission: 'access.read',
      query: noQuery,
      summary: 'Every person with an e-mail, in the form POST /api/v1/access/people/apply takes back',
      handler: async (ctx): Promise<{ people: PersonDefinition[] }> => ({ people: await exportPeople(applyDeps, ctx.db) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/people/:id',
      permission: 'access.read',
      params: idParams,
      query: noQuery,
      summary: 'One person with manager, account names, privileged-list membership and active grant count',
      handler: async (ctx): Promise<PersonView> => people.get(ctx.db, ctx.params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/people',
      permission: 'access.write',
      action: 'access.person.create',
      body: personBody,
      summary: 'Register a person (unique e-mail, Skjold user and account names; a manager who exists)',
      async handler(ctx): Promise<PersonView> {
        const p = await people.create(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return p;
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/access/people/:id',
      permission: 'access.write',
      action: 'access.person.update',
      params: idParams,
      body: personPatch,
      summary: 'Change a person’s name, e-mail, kind, team, manager, Skjold user or account names',
      handler: async (ctx): Promise<PersonView> => (await people.update(ctx.db, ctx.params.id, ctx.body, ctx.audit)).person,
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/people/:id/leave',
      permission: 'access.write',
      action: 'access.person.leave',
      params: idParams,
      body: leaveBody,
      summary: 'Mark a person as left: their grants end ("person left") and they leave the privileged list',
      handler: async (ctx): Promise<PersonView> =>
        people.markLeft(ctx.db, ctx.params.id, ctx.body, grantActor(ctx.actor), ctx.audit),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/access/people/:id',
      permission: 'access.write',
      action: 'access.person.delete',
      params: idParams,
      summary: 'Delete a person registered by mistake (refused with 409 when they have any history)',
      async handler(ctx): Promise<undefined> {
        await people.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/people/apply',
      permission: 'access.write',
      action: 'access.people.apply',
      body: applyPeopleBody,
      summary: 'Create or update people from definitions, by e-mail (idempotent; all or nothing); one result per item',
      async handler(ctx): Promise<{ results: ApplyResult[] }> {
        const results = await applyPeople(applyDeps, ctx.db, ctx.body.people, grantActor(ctx.actor), ctx.audit);
        ctx.audit.detail(tally(results));
        return { results };
      },
    }),

    // ---- systems ----
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/systems',
      permission: 'access.read',
      query: systemsQuery,
      summary: 'Systems with owner, classification, access levels and active grant counts',
      handler: async (ctx): Promise<{ items: SystemView[] }> => ({ items: await systems.list(ctx.db, ctx.query) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/systems/export',
      permission: 'access.read',
      query: noQuery,
      summary: 'Every system (owners by e-mail), in the form POST /api/v1/access/systems/apply takes back',
      handler: async (ctx): Promise<{ systems: SystemDefinition[] }> => ({ systems: await exportSystems(applyDeps, ctx.db) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/systems/:id',
      permission: 'access.read',
      params: idParams,
      query: noQuery,
      summary: 'One system',
      handler: async (ctx): Promise<SystemView> => systems.get(ctx.db, ctx.params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/systems',
      permission: 'access.write',
      action: 'access.system.create',
      body: systemBody,
      summary: 'Register a system with kind, classification, owner and access levels',
      async handler(ctx): Promise<SystemView> {
        const s = await systems.create(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return s;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/access/systems/:id',
      permission: 'access.write',
      action: 'access.system.update',
      params: idParams,
      body: systemBody,
      summary: 'Replace a system’s definition (a level with current grants cannot be dropped)',
      handler: async (ctx): Promise<SystemView> => (await systems.update(ctx.db, ctx.params.id, ctx.body, ctx.audit)).system,
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/access/systems/:id',
      permission: 'access.write',
      action: 'access.system.delete',
      params: idParams,
      summary: 'Delete a system that never had a grant',
      async handler(ctx): Promise<undefined> {
        await systems.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/systems/apply',
      permission: 'access.write',
      action: 'access.systems.apply',
      body: applySystemsBody,
      summary: 'Create or update systems from definitions, by name (idempotent; all or nothing); one result per item',
      async handler(ctx): Promise<{ results: ApplyResult[] }> {
        const results = await applySystems(applyDeps, ctx.db, ctx.body.systems, ctx.audit);
        ctx.audit.detail(tally(results));
        return { results };
      },
    }),

    // ---- privileged list ----
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/privileged',
      permission: 'access.read',
      query: noQuery,
      summary: 'The privileged list: who, why, added by whom and when, and their active privileged grants',
      handler: async (ctx): Promise<{ items: PrivilegedEntry[] }> => ({ items: await privileged.list(ctx.db) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/privileged',
      permission: 'access.privileged',
      action: 'access.privileged.add',
      body: privilegedBody,
      summary: 'Put a person on the privileged list, with the reason',
      async handler(ctx): Promise<PrivilegedEntry> {
        const e = await privileged.add(ctx.db, ctx.body.personId, ctx.body.reason, grantActor(ctx.actor), ctx.audit);
        ctx.status(201);
        return e;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/privileged/:personId/remove',
      permission: 'access.privileged',
      action: 'access.privileged.remove',
      params: personParams,
      body: reasonBody,
      summary: 'Take a person off the privileged list; their privileged grants end at once',
      handler: async (ctx): Promise<{ endedGrants: number }> =>
        privileged.remove(ctx.db, ctx.params.personId, ctx.body.reason, grantActor(ctx.actor), ctx.audit),
    }),

    // ---- grants ----
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/grants',
      permission: 'access.read',
      query: grantsQuery,
      summary: 'Grants by state (default: active and pending), person, system, privileged or ending within N days',
      handler: async (ctx): Promise<{ items: GrantWithActions[] }> => ({
        items: (await grants.list(ctx.db, ctx.query)).map((g) => withActions(g, ctx.actor)),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/grants/export',
      permission: 'access.read',
      query: noQuery,
      summary: 'Active and pending standing grants, in the form POST /api/v1/access/grants/apply takes back',
      handler: async (ctx): Promise<{ grants: GrantDefinition[] }> => ({ grants: await exportGrants(applyDeps, ctx.db) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/grants/:id',
      permission: 'access.read',
      params: idParams,
      query: noQuery,
      summary: 'One grant with its history (requested, approvals, activation, end)',
      handler: async (ctx): Promise<GrantWithActions & { history: GrantEvent[] }> => ({
        ...withActions(await grants.get(ctx.db, ctx.params.id), ctx.actor),
        history: await grants.history(ctx.db, ctx.params.id),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/grants',
      permission: 'access.write',
      action: 'access.grant.request',
      body: grantRequestBody,
      summary: 'Request a grant (person, system, level, need; optional start, end or just-in-time hours)',
      async handler(ctx): Promise<GrantWithActions> {
        const g = await grants.request(ctx.db, ctx.body, grantActor(ctx.actor), ctx.audit);
        ctx.status(201);
        return withActions(g, ctx.actor);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/grants/:id/approve',
      permission: 'access.approve',
      action: 'access.grant.approve',
      params: idParams,
      body: approveBody,
      summary: 'Approve a pending grant (a privileged level needs a second approval by a different user)',
      handler: async (ctx): Promise<GrantWithActions> =>
        withActions(await grants.approve(ctx.db, ctx.params.id, grantActor(ctx.actor), ctx.body.note, ctx.audit), ctx.actor),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/grants/:id/reject',
      permission: 'access.approve',
      action: 'access.grant.reject',
      params: idParams,
      body: reasonBody,
      summary: 'Turn a pending grant down, with the reason',
      handler: async (ctx): Promise<GrantWithActions> =>
        withActions(await grants.reject(ctx.db, ctx.params.id, grantActor(ctx.actor), ctx.body.reason, ctx.audit), ctx.actor),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/grants/:id/revoke',
      permission: 'access.approve',
      action: 'access.grant.revoke',
      params: idParams,
      body: reasonBody,
      summary: 'End an active grant now, with the reason',
      handler: async (ctx): Promise<GrantWithActions> =>
        withActions(
          await grants.revoke(ctx.db, ctx.params.id, grantActor(ctx.actor), ctx.body.reason, ctx.audit, { removeAccounts: true }),
          ctx.actor,
        ),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/grants/:id/reduce',
      permission: 'access.approve',
      action: 'access.grant.reduce',
      params: idParams,
      body: reduceBody,
      summary: 'End an active grant and replace it with a lesser level of the same system',
      handler: async (ctx): Promise<{ ended: GrantWithActions; replacement: GrantWithActions }> => {
        const r = await grants.reduce(ctx.db, ctx.params.id, ctx.body.level, grantActor(ctx.actor), ctx.body.reason, ctx.audit);
        return { ended: withActions(r.ended, ctx.actor), replacement: withActions(r.replacement, ctx.actor) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/grants/apply',
      permission: 'access.write',
      action: 'access.grants.apply',
      body: applyGrantsBody,
      summary:
        'Create or update grants by (person e-mail, system, level); an approver’s new grant counts as approved once by them',
      async handler(ctx): Promise<{ results: ApplyResult[] }> {
        const results = await applyGrants(
          applyDeps,
          ctx.db,
          ctx.body.grants,
          grantActor(ctx.actor),
          d.allows(ctx.actor, 'access.approve'),
          ctx.audit,
        );
        ctx.audit.detail(tally(results));
        return { results };
      },
    }),
  ];
}
