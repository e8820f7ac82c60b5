import { z } from 'zod';
import { actorRef } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { Monitor, MonitorListItem } from '../monitoring.model.ts';
import type { SchedulerStats } from '../monitor.scheduler.ts';
import type { MonitorDefinition } from './monitor.schemas.ts';
import type {
  ApplyResult,
  CompletenessItem,
  CreatedMonitor,
  MonitoringService,
  ResultsPage,
  UptimeWindow,
} from '../monitoring.service.ts';
import { idParams, listQuery, monitorDefinition, patchMonitorBody, rangeQuery, tokenParams } from './monitor.schemas.ts';

const applyBody = z.strictObject({
  /** Monitor definitions, matched to existing monitors by name (each validated on its own). */
  monitors: z.array(z.unknown()).max(10_000, 'at most 10,000 monitors per request'),
});

const completenessQuery = z.strictObject({
  /** First day (ISO date or time, UTC); default: 6 days before `to`. */
  from: z
    .string()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date')
    .optional(),
  /** Last day, inclusive; default: today. */
  to: z
    .string()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date')
    .optional(),
});

/** Monitors: CRUD, pause/resume, results, uptime and the completeness record. Order matters for the permission walk. */
export function monitorsRoutes(d: {
  service: MonitoringService;
  scheduler: () => (SchedulerStats & { running: boolean }) | null;
}): AnyRoute[] {
  const { service } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors',
      permission: 'monitors.read',
      query: listQuery,
      summary: 'List monitors with state, last check, 24-hour uptime and an hourly response-time sparkline',
      async handler(ctx): Promise<{ items: MonitorListItem[] }> {
        return { items: await service.list(ctx.db, ctx.query) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors',
      permission: 'monitors.write',
      action: 'monitors.create',
      body: monitorDefinition,
      summary: 'Create a monitor; a heartbeat monitor’s secret URL is in the answer, once',
      async handler(ctx): Promise<CreatedMonitor> {
        const m = await service.create(ctx.db, ctx.body, actorRef(ctx.actor), ctx.audit);
        ctx.status(201);
        return m;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors/apply',
      permission: 'monitors.write',
      action: 'monitors.apply',
      body: applyBody,
      summary: 'Create or update monitors from a list of definitions, by name (idempotent); one result per item',
      async handler(ctx): Promise<{ results: ApplyResult[] }> {
        return { results: await service.apply(ctx.db, ctx.body.monitors, actorRef(ctx.actor), ctx.audit) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/export',
      permission: 'monitors.read',
      summary: 'Every monitor’s definition, in the form POST /api/v1/monitors/apply takes back',
      async handler(ctx): Promise<{ monitors: MonitorDefinition[] }> {
        return { monitors: await service.exportDefinitions(ctx.db) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/scheduler',
      permission: 'monitors.read',
      summary: 'The scheduler in this process: monitors scheduled, checks started, in flight, scheduling lag p50/p99/max',
      async handler(): Promise<{ engine: boolean; stats: (SchedulerStats & { running: boolean }) | null }> {
        const stats = d.scheduler();
        return Promise.resolve({ engine: stats !== null, stats });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/completeness',
      permission: 'monitors.read',
      query: completenessQuery,
      summary: 'Per monitor per day: checks expected vs executed, deviations vs signals registered',
      async handler(ctx): Promise<{ from: string; to: string; items: CompletenessItem[] }> {
        return service.completeness(ctx.db, ctx.query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id',
      permission: 'monitors.read',
      params: idParams,
      summary: 'One monitor',
      async handler(ctx): Promise<Monitor> {
        return service.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/monitors/:id',
      permission: 'monitors.write',
      action: 'monitors.update',
      params: idParams,
      body: patchMonitorBody,
      summary: 'Change a monitor (any definition field but its type); the result is validated whole',
      async handler(ctx): Promise<Monitor> {
        return service.update(ctx.db, ctx.params.id, ctx.body, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors/:id/resume',
      permission: 'monitors.write',
      action: 'monitors.resume',
      params: idParams,
      summary: 'Resume a paused monitor',
      async handler(ctx): Promise<Monitor> {
        return service.setPaused(ctx.db, ctx.params.id, false, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/monitors/:id/pause',
      permission: 'monitors.write',
      action: 'monitors.pause',
      params: idParams,
      summary: 'Pause a monitor (paused time does not count as expected checks)',
      async handler(ctx): Promise<Monitor> {
        return service.setPaused(ctx.db, ctx.params.id, true, ctx.audit);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/results',
      permission: 'monitors.read',
      params: idParams,
      query: rangeQuery,
      summary: 'Check results in [from, to): raw up to 24 h, hourly up to 31 days, daily beyond (or as asked)',
      async handler(ctx): Promise<ResultsPage> {
        return service.results(ctx.db, ctx.params.id, ctx.query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/monitors/:id/uptime',
      permission: 'monitors.read',
      params: idParams,
      summary: 'Uptime over the last 24 hours, 7, 30 and 90 days',
      async handler(ctx): Promise<{ monitorId: string; windows: UptimeWindow[] }> {
        return service.uptime(ctx.db, ctx.params.id);
      },
    }),
    // Last: the permission walk deletes its sample monitor here.
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/monitors/:id',
      permission: 'monitors.write',
      action: 'monitors.delete',
      params: idParams,
      summary: 'Delete a monitor with its results (a monitor that is down resolves its signal)',
      async handler(ctx): Promise<undefined> {
        await service.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
  ];
}

/**
 * The heartbeat URL: public, the secret token is the credential (only its hash is stored). Not written to the audit
 * log: a cron job pinging every minute would add 1,440 entries a day per job; the ping is recorded on the monitor.
 */
export function heartbeatRoutes(d: { service: MonitoringService }): AnyRoute[] {
  return (['POST', 'GET'] as const).map((method) =>
    defineRoute({
      method,
      url: '/api/v1/heartbeat/:token',
      permission: 'public',
      audited: false,
      params: tokenParams,
      summary: 'Report a heartbeat for a heartbeat monitor (secret URL)',
      async handler(ctx): Promise<{ ok: true; at: string }> {
        const r = await d.service.heartbeat(ctx.db, ctx.params.token);
        return { ok: true, at: r.at };
      },
    }),
  );
}
