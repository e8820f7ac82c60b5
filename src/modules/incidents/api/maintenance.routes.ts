import { actorRef } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { MaintenanceService, MaintenanceWindow } from '../maintenance.service.ts';
import { createWindowBody, idParams, listWindowsQuery, noQuery, updateWindowBody } from './incidents.schemas.ts';

/** Maintenance windows: signals inside them are registered as expected and not paged. */
export function maintenanceRoutes(d: { maintenance: MaintenanceService; defaultTimeZone: string }): AnyRoute[] {
  const { maintenance } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/maintenance-windows',
      permission: 'maintenance.read',
      query: listWindowsQuery,
      summary: 'List maintenance windows (ended ones with ?ended=true), newest first',
      handler: async (ctx): Promise<{ items: MaintenanceWindow[] }> => ({
        items: await maintenance.list(ctx.db, ctx.query.ended === 'true'),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/maintenance-windows',
      permission: 'maintenance.write',
      body: createWindowBody,
      summary: 'Create a one-off or weekly maintenance window',
      async handler(ctx): Promise<MaintenanceWindow> {
        const b = ctx.body;
        const created = await maintenance.create(
          ctx.db,
          {
            title: b.title,
            changeRef: b.changeRef,
            keyPrefixes: b.keyPrefixes,
            components: b.components,
            kind: b.kind,
            startsAt: new Date(b.startsAt).toISOString(),
            endsAt: b.endsAt ? new Date(b.endsAt).toISOString() : null,
            weekdays: b.weekdays ?? [],
            localTime: b.localTime ?? null,
            durationMinutes: b.durationMinutes ?? null,
            timeZone: b.timeZone ?? d.defaultTimeZone,
          },
          actorRef(ctx.actor),
        );
        ctx.audit.target(`maintenance_window:${created.id}`);
        ctx.audit.change({ type: 'maintenance_window', id: created.id, before: null, after: { ...created } });
        ctx.status(201);
        return created;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/maintenance-windows/:id',
      permission: 'maintenance.read',
      params: idParams,
      query: noQuery,
      summary: 'One maintenance window',
      handler: async (ctx): Promise<MaintenanceWindow> => maintenance.toView(await maintenance.row(ctx.db, ctx.params.id)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/maintenance-windows/:id',
      permission: 'maintenance.write',
      params: idParams,
      body: updateWindowBody,
      summary: 'Change a maintenance window',
      async handler(ctx): Promise<MaintenanceWindow> {
        ctx.audit.target(`maintenance_window:${ctx.params.id}`);
        const b = ctx.body;
        const { before, after } = await maintenance.update(ctx.db, ctx.params.id, {
          ...b,
          ...(b.startsAt !== undefined ? { startsAt: new Date(b.startsAt).toISOString() } : {}),
          ...(b.endsAt !== undefined ? { endsAt: b.endsAt === null ? null : new Date(b.endsAt).toISOString() } : {}),
        });
        ctx.audit.change({ type: 'maintenance_window', id: after.id, before: { ...before }, after: { ...after } });
        return after;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/maintenance-windows/:id',
      permission: 'maintenance.write',
      params: idParams,
      summary: 'Delete a maintenance window; one that already covered signals is ended instead (kept as evidence)',
      async handler(ctx): Promise<{ outcome: 'deleted' | 'ended'; window: MaintenanceWindow | null }> {
        ctx.audit.target(`maintenance_window:${ctx.params.id}`);
        const r = await maintenance.remove(ctx.db, ctx.params.id);
        ctx.audit.change({
          type: 'maintenance_window',
          id: ctx.params.id,
          before: { ...r.before },
          after: r.after ? { ...r.after } : null,
        });
        ctx.audit.detail({ outcome: r.outcome });
        return { outcome: r.outcome, window: r.after };
      },
    }),
  ];
}
