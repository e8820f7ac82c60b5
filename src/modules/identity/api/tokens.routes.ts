import { actorRef, type AccessPolicy } from '../../../core/auth.ts';
import { forbidden } from '../../../core/errors.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { IdentityService } from '../identity.service.ts';
import type { Token } from '../identity.model.ts';
import type { CreatedToken } from '../tokens.service.ts';
import { createTokenBody, idParams, listTokensQuery } from './identity.schemas.ts';

/** API tokens: everyone manages their own; tokens.read lists all, tokens.revoke revokes any. */
export function tokensRoutes(d: { service: IdentityService; policy: AccessPolicy }): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/tokens',
      permission: 'authenticated',
      action: 'tokens.list',
      query: listTokensQuery,
      summary: 'List one’s own API tokens, or with ?all=true (tokens.read) everyone’s',
      async handler(ctx): Promise<{ items: Token[] }> {
        const all = ctx.query.all === 'true';
        if (all && !d.policy.allows(ctx.actor, 'tokens.read'))
          throw forbidden('permission_denied', 'listing every token needs the permission tokens.read');
        const me = await d.service.users.ofActor(ctx.db, ctx.actor);
        return { items: await d.service.tokens.list(ctx.db, all ? undefined : me.id) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/tokens',
      permission: 'tokens.create',
      body: createTokenBody,
      summary: 'Create an API token for oneself; the token is in the answer, once',
      async handler(ctx): Promise<CreatedToken> {
        const owner = await d.service.users.ofActor(ctx.db, ctx.actor);
        const limitTo = ctx.actor.type === 'token' ? (ctx.actor.scopes ?? []) : undefined;
        const created = await d.service.tokens.create(ctx.db, owner, ctx.body, actorRef(ctx.actor), limitTo, ctx.audit);
        ctx.status(201);
        return created;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      permission: 'authenticated',
      action: 'tokens.revoke',
      params: idParams,
      summary: 'Revoke an API token: one’s own, or any with tokens.revoke',
      async handler(ctx): Promise<undefined> {
        await d.service.tokens.revoke(ctx.db, ctx.params.id, ctx.actor, ctx.audit);
        return undefined;
      },
    }),
  ];
}
