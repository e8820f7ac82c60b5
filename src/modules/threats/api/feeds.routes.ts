import { z } from 'zod';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { FeedsService, FeedView } from '../feeds.service.ts';
import type { FeedUpdateResult } from '../intel/feed-fetcher.ts';

const feedParams = z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a feed id') });
const noQuery = z.strictObject({});
// The definition is validated by the service (feedDefinitionSchema), which names every bad field.
const feedBody = z.record(z.string(), z.unknown());

/** Threat-intel feeds: definitions, status and freshness, and a refresh on demand. The delete comes last (permission walk). */
export function feedsRoutes(d: { feeds: FeedsService }): AnyRoute[] {
  const { feeds } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/feeds',
      permission: 'threats.read',
      query: noQuery,
      summary: 'Threat-intel feeds with status, freshness, entries, licence and attribution',
      async handler(ctx): Promise<{ items: FeedView[] }> {
        return { items: await feeds.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/feeds',
      permission: 'threats.write',
      action: 'threats.feeds.create',
      body: feedBody,
      summary: 'Add a feed (URL or local file, format, refresh interval, licence, attribution)',
      async handler(ctx): Promise<FeedView> {
        const f = await feeds.create(ctx.db, ctx.body as never, ctx.audit);
        ctx.status(201);
        return f;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/threats/feeds/:id',
      permission: 'threats.write',
      action: 'threats.feeds.update',
      params: feedParams,
      body: feedBody,
      summary: 'Change a feed (or enable/disable it)',
      async handler(ctx): Promise<FeedView> {
        return feeds.update(ctx.db, ctx.params.id, ctx.body as never, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/feeds/:id/refresh',
      permission: 'threats.write',
      action: 'threats.feeds.refresh',
      params: feedParams,
      summary: 'Download or re-read a feed now; a rejected copy leaves the last good one in force',
      // The download (up to a minute) runs before the request's transaction, never holding it.
      async prepare(ctx): Promise<Omit<FeedUpdateResult, 'feed'>> {
        const { feed: _copy, ...rest } = await feeds.refresh(ctx.params.id);
        void _copy;
        return rest;
      },
      async handler(ctx): Promise<Omit<FeedUpdateResult, 'feed'>> {
        ctx.audit.detail({ status: ctx.prepared.status, entries: ctx.prepared.entries, reason: ctx.prepared.reason });
        return Promise.resolve(ctx.prepared);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/threats/feeds/:id',
      permission: 'threats.write',
      action: 'threats.feeds.delete',
      params: feedParams,
      summary: 'Remove a feed; its entries leave the index',
      async handler(ctx): Promise<undefined> {
        await feeds.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
  ];
}
