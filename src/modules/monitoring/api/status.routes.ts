import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { StatusDocument, StatusPageService } from '../status-page.service.ts';

/**
 * The public status page's data: no sign-in, and not audited (like the heartbeat URL: customers refreshing during an
 * outage would flood the audit log; the answer holds nothing internal). Served from a 30-second in-memory cache.
 */
export function statusRoutes(d: { status: StatusPageService }): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/status',
      permission: 'public',
      audited: false,
      summary: 'Public status page: components with state and 90 daily uptime bars, and open incidents on them',
      async handler(ctx): Promise<StatusDocument> {
        return d.status.document(ctx.db);
      },
    }),
  ];
}
