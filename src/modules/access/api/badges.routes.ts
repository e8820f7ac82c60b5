import { actorRef } from '../../../core/auth.ts';
import { AppError } from '../../../core/errors.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { type ParsedBadgeFile, detectFormat, parseBadgeFile } from '../badge-events.parse.ts';
import type { BadgeEventView, BadgeEventsService, BadgeImportResult, BadgeImportView } from '../badge-events.service.ts';
import type { BadgeView, BadgesService } from '../badges.service.ts';
import type { SiteGrantView, SiteGrantsService } from '../site-grants.service.ts';
import {
  badgeBody,
  badgeEventsQuery,
  badgeImportBody,
  badgeImportQuery,
  badgeStatsQuery,
  badgesQuery,
  idParams,
  noQuery,
  reasonBody,
  siteGrantBody,
  siteGrantsQuery,
} from './physical.schemas.ts';

/** URLs whose body may reach `maxImportBytes` (app.ts raises Fastify's body limit for them). */
export const BADGE_IMPORT_ROUTES = ['/api/v1/access/badge-events/import'] as const;

/** Badges, site grants and badge events (issue 6 item 5; P3, P4). */
export function badgesRoutes(d: {
  badges: BadgesService;
  siteGrants: SiteGrantsService;
  badgeEvents: BadgeEventsService;
  maxImportBytes: number;
}): AnyRoute[] {
  const { badges, siteGrants, badgeEvents, maxImportBytes } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/badges',
      permission: 'access.read',
      query: badgesQuery,
      summary: 'Badges and who holds them (revoked ones with all=true)',
      async handler(ctx): Promise<{ items: BadgeView[] }> {
        return { items: await badges.list(ctx.db, { personId: ctx.query.personId, all: ctx.query.all === 'true' }) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/badges',
      permission: 'access.write',
      action: 'access.badge.issue',
      body: badgeBody,
      summary: 'Issue a badge (access card) to a person',
      async handler(ctx): Promise<BadgeView> {
        const b = await badges.issue(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return b;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/badges/:id/revoke',
      permission: 'access.write',
      action: 'access.badge.revoke',
      params: idParams,
      body: reasonBody,
      summary: 'Revoke a badge (lost, or its holder left); later uses count as uses without a grant',
      async handler(ctx): Promise<undefined> {
        await badges.revoke(ctx.db, ctx.params.id, ctx.body.reason, ctx.audit);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/site-grants',
      permission: 'access.read',
      query: siteGrantsQuery,
      summary: 'Physical access grants (need, approver, start, expiry, state; expiringSoon), newest first',
      async handler(ctx): Promise<{ items: SiteGrantView[] }> {
        return { items: await siteGrants.list(ctx.db, ctx.query) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/site-grants',
      permission: 'access.write',
      action: 'access.site-grant.request',
      body: siteGrantBody,
      summary: 'Ask for a person’s access to a site with the work-related need (pending until approved)',
      async handler(ctx): Promise<SiteGrantView> {
        const g = await siteGrants.request(ctx.db, ctx.body, ctx.actor, ctx.audit);
        ctx.status(201);
        return g;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/site-grants/:id/approve',
      permission: 'access.approve',
      action: 'access.site-grant.approve',
      params: idParams,
      summary: 'Approve a pending site grant (never your own)',
      async handler(ctx): Promise<SiteGrantView> {
        return siteGrants.approve(ctx.db, ctx.params.id, ctx.actor, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/site-grants/:id/reject',
      permission: 'access.approve',
      action: 'access.site-grant.reject',
      params: idParams,
      body: reasonBody,
      summary: 'Reject a pending site grant with the reason',
      async handler(ctx): Promise<SiteGrantView> {
        return siteGrants.end(ctx.db, ctx.params.id, 'reject', ctx.body.reason, ctx.actor, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/site-grants/:id/revoke',
      permission: 'access.approve',
      action: 'access.site-grant.revoke',
      params: idParams,
      body: reasonBody,
      summary: 'End an active site grant now, with the reason',
      async handler(ctx): Promise<SiteGrantView> {
        return siteGrants.end(ctx.db, ctx.params.id, 'revoke', ctx.body.reason, ctx.actor, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/badge-events/import',
      permission: 'access.import',
      action: 'access.badge-events.import',
      query: badgeImportQuery,
      body: badgeImportBody,
      summary:
        'Badge events from the access-card system: CSV (header: time, badge, door, site, result) or syslog lines (`badge=… door=… site=… result=granted`). Every row is checked; rejected rows come back with line and reason; the same event twice is one event',
      // Parsing runs before the import's transaction.
      async prepare(ctx): Promise<ParsedBadgeFile> {
        if (Buffer.byteLength(ctx.body, 'utf8') > maxImportBytes)
          throw new AppError(
            'too_large',
            'access_import_too_large',
            `the file is larger than the limit of ${maxImportBytes} bytes`,
          );
        const format = detectFormat(ctx.body, ctx.req.headers['content-type'], ctx.query.format);
        return Promise.resolve(parseBadgeFile(ctx.body, format));
      },
      async handler(ctx): Promise<BadgeImportResult> {
        const r = await badgeEvents.import(ctx.db, ctx.prepared, actorRef(ctx.actor));
        ctx.audit.target(`access_badge_import:${r.importId}`);
        ctx.audit.detail({
          format: r.format,
          lines: r.lines,
          accepted: r.accepted,
          duplicates: r.duplicates,
          rejected: r.rejected,
          signals: r.signals,
        });
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/badge-events',
      permission: 'access.read',
      query: badgeEventsQuery,
      summary: 'Badge events, newest first, by site, door, person, badge, result, findings and time',
      async handler(ctx): Promise<{ items: BadgeEventView[] }> {
        return { items: await badgeEvents.list(ctx.db, ctx.query) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/badge-events/per-day',
      permission: 'access.read',
      query: badgeStatsQuery,
      summary: 'Granted and denied badge uses per UTC day',
      async handler(ctx): Promise<{ items: { day: string; granted: number; denied: number }[] }> {
        return { items: await badgeEvents.perDay(ctx.db, ctx.query) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/badge-events/imports',
      permission: 'access.read',
      query: noQuery,
      summary: 'Recent badge-event imports with their counts and rejected rows',
      async handler(ctx): Promise<{ items: BadgeImportView[] }> {
        return { items: await badgeEvents.imports(ctx.db) };
      },
    }),
  ];
}
