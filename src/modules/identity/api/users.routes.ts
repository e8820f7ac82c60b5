import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { IdentityService } from '../identity.service.ts';
import type { User } from '../identity.model.ts';
import { createUserBody, idParams, updateUserBody } from './identity.schemas.ts';

/** User administration. */
export function usersRoutes(d: { service: IdentityService }): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/users',
      permission: 'users.read',
      summary: 'List users',
      async handler(ctx): Promise<{ items: User[] }> {
        return { items: await d.service.users.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users',
      permission: 'users.create',
      body: createUserBody,
      summary: 'Create a user with an initial password',
      async handler(ctx): Promise<User> {
        const user = await d.service.users.create(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return user;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:id',
      permission: 'users.read',
      params: idParams,
      summary: 'Read one user',
      async handler(ctx): Promise<User> {
        ctx.audit.target(`user:${ctx.params.id}`);
        return d.service.users.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/users/:id',
      permission: 'users.update',
      params: idParams,
      body: updateUserBody,
      summary: 'Change display name, role or disabled flag (role changes and disabling end the user’s sessions)',
      handler: (ctx): Promise<User> => d.service.users.update(ctx.db, ctx.params.id, ctx.body, ctx.audit),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:id/mfa/reset',
      permission: 'users.update',
      action: 'users.mfa.reset',
      params: idParams,
      summary: 'Remove a user’s second factor and recovery codes and end their sessions',
      async handler(ctx): Promise<undefined> {
        await d.service.users.resetMfa(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
  ];
}
