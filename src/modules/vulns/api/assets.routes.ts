import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { AssetView, AssetsService } from '../assets.service.ts';
import { type SnapshotView, listSnapshots, snapshotPackages } from '../snapshots.ts';
import type { InventoryPackage } from '../model.ts';
import { assetBody, assetsQuery, idParams, noQuery, snapshotsQuery } from './vulns.schemas.ts';

/** The asset inventory: list with risk and freshness, CRUD, and each asset's snapshot history. The delete comes last. */
export function assetsRoutes(d: { assets: AssetsService }): AnyRoute[] {
  const { assets } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/assets',
      permission: 'vulns.read',
      query: assetsQuery,
      summary: 'Assets with open findings by priority, SLA breaches, last report, distro, kernel and staleness',
      async handler(ctx): Promise<{ items: AssetView[] }> {
        return { items: await assets.list(ctx.db, ctx.query) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/assets/:id',
      permission: 'vulns.read',
      params: idParams,
      query: noQuery,
      summary: 'One asset with its open findings and freshness',
      async handler(ctx): Promise<AssetView> {
        return assets.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/assets/:id/snapshots',
      permission: 'vulns.read',
      params: idParams,
      query: snapshotsQuery,
      summary: 'Inventory snapshots of an asset, newest first (time, package count, digest, kernel, reboot required)',
      async handler(ctx): Promise<{ items: SnapshotView[] }> {
        await assets.row(ctx.db, ctx.params.id);
        return { items: await listSnapshots(ctx.db, ctx.params.id, ctx.query.limit) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/snapshots/:id/packages',
      permission: 'vulns.read',
      params: idParams,
      query: noQuery,
      summary: 'The packages one snapshot recorded',
      async handler(ctx): Promise<SnapshotView & { packages: InventoryPackage[] }> {
        return snapshotPackages(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/vulns/assets',
      permission: 'vulns.write',
      action: 'vulns.assets.create',
      body: assetBody,
      summary: 'Register an asset (host, service or application) with owner, exposure, criticality and operator',
      async handler(ctx): Promise<AssetView> {
        const a = await assets.create(ctx.db, ctx.body, ctx.audit);
        ctx.status(201);
        return a;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/vulns/assets/:id',
      permission: 'vulns.write',
      action: 'vulns.assets.update',
      params: idParams,
      body: assetBody,
      summary: 'Change an asset; a new exposure, criticality or operator re-prioritises its findings',
      async handler(ctx): Promise<AssetView> {
        return assets.update(ctx.db, ctx.params.id, ctx.body, ctx.audit);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/vulns/assets/:id',
      permission: 'vulns.write',
      action: 'vulns.assets.delete',
      params: idParams,
      summary: 'Remove an asset with its snapshots and findings',
      async handler(ctx): Promise<undefined> {
        await assets.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
  ];
}
