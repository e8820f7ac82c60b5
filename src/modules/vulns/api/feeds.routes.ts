import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { FeedRefreshResult, FeedView, VulnsFeedsService } from '../feeds.service.ts';
import { feedBody, idParams, noQuery } from './vulns.schemas.ts';

/** Advisory feeds: definitions, status and freshness, and a refresh on demand. The delete comes last. */
export function vulnsFeedsRoutes(d: { feeds: VulnsFeedsService; afterRemove: (feed: FeedView) => void }): AnyRoute[] {
  const { feeds } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/feeds',
      permission: 'vulns.read',
      query: noQuery,
      summary: 'Advisory feeds with status, version, records and freshness',
      async handler(ctx): Promise<{ items: FeedView[] }> {
        return { items: await feeds.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/feeds/:id',
      permission: 'vulns.read',
      params: idParams,
      query: noQuery,
      summary: 'One advisory feed',
      async handler(ctx): Promise<FeedView> {
        return feeds.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/vulns/feeds',
      permission: 'vulns.write',
      action: 'vulns.feeds.create',
      body: feedBody,
      summary: 'Add an advisory feed (Debian tracker, DSA/DLA list, OSV, KEV or EPSS) from an https URL or a local file',
      async handler(ctx): Promise<FeedView> {
        const f = await feeds.create(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return f;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/vulns/feeds/:id',
      permission: 'vulns.write',
      action: 'vulns.feeds.update',
      params: idParams,
      body: feedBody,
      summary: 'Change an advisory feed (or enable/disable it)',
      async handler(ctx): Promise<FeedView> {
        return feeds.update(ctx.db, ctx.params.id, ctx.body, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/vulns/feeds/:id/refresh',
      permission: 'vulns.write',
      action: 'vulns.feeds.refresh',
      params: idParams,
      summary: 'Fetch or re-read a feed now and import it if it changed; a failed import keeps the last good data',
      // The download and import (their own transaction) run before the request's, never inside it.
      async prepare(ctx): Promise<FeedRefreshResult> {
        await feeds.row(ctx.db, ctx.params.id);
        return feeds.refresh(ctx.params.id);
      },
      async handler(ctx): Promise<FeedRefreshResult> {
        ctx.audit.target(`vulns_feed:${ctx.params.id}`);
        ctx.audit.detail({ status: ctx.prepared.status, records: ctx.prepared.records, reason: ctx.prepared.reason });
        return Promise.resolve(ctx.prepared);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/vulns/feeds/:id',
      permission: 'vulns.write',
      action: 'vulns.feeds.delete',
      params: idParams,
      summary: 'Remove an advisory feed and its data; every asset is re-evaluated after the removal',
      async handler(ctx): Promise<undefined> {
        const before = await feeds.get(ctx.db, ctx.params.id);
        await feeds.remove(ctx.db, ctx.params.id, ctx.audit);
        ctx.afterCommit(() => d.afterRemove(before));
        return undefined;
      },
    }),
  ];
}
