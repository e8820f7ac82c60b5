import { actorRef } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { CameraView, DoorView, SiteApplyResult, SiteDetail, SiteView, SitesService } from '../sites.service.ts';
import type { SiteDefinition } from './physical.schemas.ts';
import { applySitesBody, cameraBody, doorBody, idParams, noQuery, siteBody, siteChildParams } from './physical.schemas.ts';

/** Sites with their doors and cameras (issue 6 items 4–5; P1, P5), and their `skjold apply` pair. */
export function sitesRoutes(d: { sites: SitesService }): AnyRoute[] {
  const { sites } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/sites',
      permission: 'access.read',
      query: noQuery,
      summary: 'Sites with country, what they hold, P1 residency violation, doors, cameras and entrances without a camera',
      async handler(ctx): Promise<{ items: SiteView[] }> {
        return { items: await sites.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/sites/export',
      permission: 'access.read',
      query: noQuery,
      summary: 'Every site with its doors and cameras, in the form POST /api/v1/access/sites/apply takes back',
      async handler(ctx): Promise<{ sites: SiteDefinition[] }> {
        return { sites: await sites.exportSites(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/sites/apply',
      permission: 'access.write',
      action: 'access.sites.apply',
      query: noQuery,
      body: applySitesBody,
      summary: '`skjold apply`: create or update sites by name; doors and cameras not listed are removed',
      async handler(ctx): Promise<{ results: SiteApplyResult[] }> {
        return { results: await sites.applySites(ctx.db, ctx.body.sites, ctx.audit) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/access/sites/:id',
      permission: 'access.read',
      params: idParams,
      query: noQuery,
      summary: 'One site with its doors (and the cameras covering each), cameras and who may enter now',
      async handler(ctx): Promise<SiteDetail> {
        return sites.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/sites',
      permission: 'access.write',
      action: 'access.site.create',
      body: siteBody,
      summary: 'Register a site; one outside the residency countries holding customer data raises a P1 signal',
      async handler(ctx): Promise<SiteView> {
        const s = await sites.create(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return s;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/access/sites/:id',
      permission: 'access.write',
      action: 'access.site.update',
      params: idParams,
      body: siteBody,
      summary: 'Change a site; the P1 residency signal fires or resolves with it',
      async handler(ctx): Promise<SiteView> {
        return sites.update(ctx.db, ctx.params.id, ctx.body, ctx.audit);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/sites/:id/doors',
      permission: 'access.write',
      action: 'access.door.create',
      params: idParams,
      body: doorBody,
      summary: 'Add a door (an entrance or an inner door) to a site',
      async handler(ctx): Promise<DoorView> {
        const door = await sites.addDoor(ctx.db, ctx.params.id, ctx.body, ctx.audit);
        ctx.status(201);
        return door;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/access/sites/:id/doors/:childId',
      permission: 'access.write',
      action: 'access.door.update',
      params: siteChildParams,
      body: doorBody,
      summary: 'Rename a door or change whether it is an entrance',
      async handler(ctx): Promise<SiteDetail> {
        await sites.updateDoor(ctx.db, ctx.params.id, ctx.params.childId, ctx.body, ctx.audit);
        return sites.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/access/sites/:id/cameras',
      permission: 'access.write',
      action: 'access.camera.create',
      params: idParams,
      body: cameraBody,
      summary: 'Add a camera to a site, covering one of its doors or none (P5)',
      async handler(ctx): Promise<CameraView> {
        const cam = await sites.addCamera(ctx.db, ctx.params.id, ctx.body, ctx.audit);
        ctx.status(201);
        return cam;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/access/sites/:id/cameras/:childId',
      permission: 'access.write',
      action: 'access.camera.update',
      params: siteChildParams,
      body: cameraBody,
      summary: 'Rename a camera or change the door it covers',
      async handler(ctx): Promise<SiteDetail> {
        await sites.updateCamera(ctx.db, ctx.params.id, ctx.params.childId, ctx.body, ctx.audit);
        return sites.get(ctx.db, ctx.params.id);
      },
    }),
    // Deletes last (the permission walk deletes what the other samples use).
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/access/sites/:id/cameras/:childId',
      permission: 'access.write',
      action: 'access.camera.delete',
      params: siteChildParams,
      summary: 'Remove a camera',
      async handler(ctx): Promise<undefined> {
        await sites.removeCamera(ctx.db, ctx.params.id, ctx.params.childId, ctx.audit);
        return undefined;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/access/sites/:id/doors/:childId',
      permission: 'access.write',
      action: 'access.door.delete',
      params: siteChildParams,
      summary: 'Remove a door (cameras covering it then cover nothing)',
      async handler(ctx): Promise<undefined> {
        await sites.removeDoor(ctx.db, ctx.params.id, ctx.params.childId, ctx.audit);
        return undefined;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/access/sites/:id',
      permission: 'access.write',
      action: 'access.site.delete',
      params: idParams,
      summary: 'Remove a site with its doors and cameras; its site grants end as revoked; its badge events stay',
      async handler(ctx): Promise<undefined> {
        await sites.remove(ctx.db, ctx.params.id, actorRef(ctx.actor), ctx.audit);
        return undefined;
      },
    }),
  ];
}
