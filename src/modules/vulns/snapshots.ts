import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Db } from '../../core/db/database.ts';
import { notFound } from '../../core/errors.ts';
import type { Inventory, InventoryFormat, InventoryPackage } from './model.ts';
import type { VulnsSnapshotsTable } from './vulns.tables.ts';

/**
 * Inventory snapshots: one row per upload, the package list gzip-compressed JSON in base64 (2,000 packages ≈ 40 KB),
 * so the fleet is re-matched from one row per asset and old snapshots stay as evidence of what was installed when.
 */

/** sha256 (hex) of an upload as received: an identical upload has the same digest. */
export function uploadDigest(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Packages → gzip(JSON) as base64, the `packages` column. */
export function encodePackages(packages: readonly InventoryPackage[]): string {
  return gzipSync(JSON.stringify(packages), { level: 6 }).toString('base64');
}

/** The `packages` column back into packages. */
export function decodePackages(column: string): InventoryPackage[] {
  return JSON.parse(gunzipSync(Buffer.from(column, 'base64')).toString('utf8')) as InventoryPackage[];
}

/** A snapshot as the API lists it (the package list is fetched separately). */
export interface SnapshotView {
  id: string;
  assetId: string;
  receivedAt: string;
  collectedAt: string | null;
  format: InventoryFormat;
  distro: string | null;
  kernelRelease: string | null;
  packageCount: number;
  notInstalled: number;
  rebootRequired: boolean;
  servicesNeedingRestart: string[];
  digest: string;
  reportedBy: string;
  warnings: string[];
}

type SnapshotHead = Omit<VulnsSnapshotsTable, 'packages'>;

function view(r: SnapshotHead): SnapshotView {
  return {
    id: r.id,
    assetId: r.asset_id,
    receivedAt: r.received_at,
    collectedAt: r.collected_at,
    format: r.format as InventoryFormat,
    distro: r.distro,
    kernelRelease: r.kernel_release,
    packageCount: Number(r.package_count),
    notInstalled: Number(r.not_installed),
    rebootRequired: Number(r.reboot_required) === 1,
    servicesNeedingRestart: JSON.parse(r.services_restart) as string[],
    digest: r.digest,
    reportedBy: r.reported_by,
    warnings: JSON.parse(r.warnings) as string[],
  };
}

const HEAD_COLUMNS = [
  'id',
  'asset_id',
  'received_at',
  'collected_at',
  'format',
  'distro',
  'kernel_release',
  'os_release',
  'package_count',
  'not_installed',
  'reboot_required',
  'services_restart',
  'digest',
  'reported_by',
  'warnings',
] as const;

/** Write a new snapshot of `inventory` for an asset; returns its id. */
export async function insertSnapshot(
  db: Db,
  input: { assetId: string; inventory: Inventory; digest: string; reportedBy: string; warnings: string[]; at: Date },
): Promise<SnapshotView> {
  const inv = input.inventory;
  const row: VulnsSnapshotsTable = {
    id: randomUUID(),
    asset_id: input.assetId,
    received_at: input.at.toISOString(),
    collected_at: inv.collectedAt ?? null,
    format: inv.format,
    distro: inv.distro ?? null,
    kernel_release: inv.kernelRelease ?? null,
    os_release: JSON.stringify(inv.osRelease ?? {}),
    package_count: inv.packages.length,
    not_installed: inv.notInstalled ?? 0,
    reboot_required: inv.rebootRequired === true ? 1 : 0,
    services_restart: JSON.stringify(inv.servicesNeedingRestart ?? []),
    packages: encodePackages(inv.packages),
    digest: input.digest,
    reported_by: input.reportedBy,
    warnings: JSON.stringify(input.warnings),
  };
  await db.insertInto('vulns_snapshots').values(row).execute();
  const { packages: _p, ...head } = row;
  void _p;
  return view(head);
}

/** The inventory a snapshot holds, as the matcher reads it (the contract with the findings service). */
export async function loadInventory(db: Db, snapshotId: string): Promise<Inventory> {
  const r = await db.selectFrom('vulns_snapshots').selectAll().where('id', '=', snapshotId).executeTakeFirst();
  if (!r) throw notFound('snapshot_not_found', `no snapshot ${snapshotId}`);
  const osRelease = JSON.parse(r.os_release) as Record<string, string>;
  const services = JSON.parse(r.services_restart) as string[];
  return {
    format: r.format as InventoryFormat,
    osRelease,
    distro: r.distro ?? undefined,
    kernelRelease: r.kernel_release ?? undefined,
    packages: decodePackages(r.packages),
    servicesNeedingRestart: services,
    rebootRequired: Number(r.reboot_required) === 1,
    collectedAt: r.collected_at ?? undefined,
    notInstalled: Number(r.not_installed),
  };
}

/** An asset's snapshots, newest first. */
export async function listSnapshots(db: Db, assetId: string, limit = 100): Promise<SnapshotView[]> {
  const rows = await db
    .selectFrom('vulns_snapshots')
    .select(HEAD_COLUMNS)
    .where('asset_id', '=', assetId)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(view);
}

/** One snapshot's head and packages. */
export async function snapshotPackages(db: Db, snapshotId: string): Promise<SnapshotView & { packages: InventoryPackage[] }> {
  const r = await db.selectFrom('vulns_snapshots').selectAll().where('id', '=', snapshotId).executeTakeFirst();
  if (!r) throw notFound('snapshot_not_found', `no snapshot ${snapshotId}`);
  return { ...view(r), packages: decodePackages(r.packages) };
}

/**
 * Delete an asset's snapshots beyond the newest `keep` (never the one in force). Findings keep their own timestamps,
 * so nothing the SLA figures need is lost.
 */
export async function pruneSnapshots(db: Db, assetId: string, keep: number, inForce: string | null): Promise<number> {
  const old = await db
    .selectFrom('vulns_snapshots')
    .select('id')
    .where('asset_id', '=', assetId)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(10_000)
    .execute();
  const ids = old.map((o) => o.id).filter((id) => id !== inForce);
  if (ids.length === 0) return 0;
  await db.deleteFrom('vulns_snapshots').where('id', 'in', ids).execute();
  return ids.length;
}
