import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { AppError, conflict } from '../../core/errors.ts';
import type { AssetsService } from './assets.service.ts';
import { parseSbom } from './inventory/sbom.ts';
import { parseInventoryUpload } from './inventory/upload.ts';
import type { AssetContext, Inventory } from './model.ts';
import { insertSnapshot, pruneSnapshots, uploadDigest } from './snapshots.ts';
import type { VulnsAssetsTable } from './vulns.tables.ts';

/** A parsed upload, ready to be written (parsing happens before the request's transaction). */
export interface ParsedUpload {
  inventory: Inventory;
  warnings: string[];
  digest: string;
}

/** A refused upload: the line that is wrong (1-based; 0 for the document as a whole), its text and why. */
export class InventoryRejected extends AppError {
  constructor(
    readonly line: number,
    readonly text: string,
    readonly reason: string,
  ) {
    super(
      'invalid',
      'inventory_malformed',
      line > 0 ? `line ${line} of the upload is wrong: ${reason}` : `the upload is wrong: ${reason}`,
      { errors: [{ path: line > 0 ? `body.line.${line}` : 'body', message: reason }] },
    );
    this.name = 'InventoryRejected';
  }
}

/** What an accepted upload did. */
export interface UploadResult {
  assetId: string;
  assetName: string;
  /** The snapshot in force after the upload (the previous one when the content was identical). */
  snapshotId: string;
  /** Whether the host was registered by this report. */
  registered: boolean;
  /** Same content as the snapshot in force: counted as a report, no new snapshot. */
  identical: boolean;
  packages: number;
  notInstalled: number;
  warnings: string[];
  /** The findings service's reconciliation of this asset (null for an identical upload: nothing to re-match). */
  findings: unknown;
}

/**
 * The digest of an inventory's content: everything but the collection time, so a host reporting the same packages,
 * kernel and restart state every night produces the same digest.
 */
export function inventoryDigest(inv: Inventory): string {
  const { collectedAt: _c, ...content } = inv;
  void _c;
  return uploadDigest(JSON.stringify(content));
}

/** Parse an agent upload (all or nothing; throws `InventoryRejected` naming the line). */
export function parseAgentUpload(text: string): ParsedUpload {
  const p = parseInventoryUpload(text);
  if (!p.ok) throw new InventoryRejected(p.line, p.text, p.reason);
  return { inventory: p.inventory, warnings: p.warnings, digest: inventoryDigest(p.inventory) };
}

/** Parse a CycloneDX or SPDX JSON SBOM; components that could not be placed become warnings. */
export function parseSbomUpload(text: string): ParsedUpload {
  const p = parseSbom(text);
  if (!p.ok) throw new InventoryRejected(0, '', p.reason);
  const warnings = p.skipped
    .slice(0, 200)
    .map((s) => `${s.ref}${s.name ? ` (${s.name})` : ''}: ${s.reason}`)
    .concat(p.skipped.length > 200 ? [`… and ${p.skipped.length - 200} more components skipped`] : []);
  return { inventory: p.inventory, warnings, digest: inventoryDigest(p.inventory) };
}

export interface InventoryServiceDeps {
  clock: Clock;
  assets: AssetsService;
  /** Exposure of a host registered by its first report. */
  defaultExposure: AssetContext['exposure'];
  snapshotsKept: number;
  /** Re-match one asset's latest snapshot into findings (the findings service), inside the upload's transaction. */
  reconcile: (db: Db, assetId: string) => Promise<unknown>;
}

/**
 * Inventory uploads (issue 5 items 1, 2): each accepted upload becomes the asset's snapshot in force and is matched
 * in the same transaction; a malformed one is refused whole before anything is written.
 */
export class InventoryService {
  constructor(private readonly deps: InventoryServiceDeps) {}

  /** Record a host agent's upload: the host is found by name or registered, then snapshotted and re-matched. */
  async recordHostReport(db: Db, parsed: ParsedUpload, reportedBy: string, audit: AuditRecorder): Promise<UploadResult> {
    const name = parsed.inventory.hostname;
    if (!name) throw new InventoryRejected(0, '', 'the upload names no host');
    let asset = await this.deps.assets.byName(db, name);
    let registered = false;
    if (!asset) {
      asset = await this.deps.assets.register(db, name, this.deps.defaultExposure, audit);
      registered = true;
    } else if (asset.kind !== 'host') {
      throw conflict('asset_not_a_host', `${name} is registered as a ${asset.kind}: it reports SBOMs, not host inventories`);
    }
    audit.target(`vulns_asset:${asset.id}`);
    return this.#record(db, asset, parsed, reportedBy, registered);
  }

  /** Record an SBOM for a service or application. */
  async recordSbom(
    db: Db,
    assetId: string,
    parsed: ParsedUpload,
    reportedBy: string,
    audit: AuditRecorder,
  ): Promise<UploadResult> {
    const asset = await this.deps.assets.row(db, assetId);
    if (asset.kind === 'host')
      throw conflict('asset_is_a_host', `${asset.name} is a host: it reports its packages through the agent, not an SBOM`);
    audit.target(`vulns_asset:${asset.id}`);
    return this.#record(db, asset, parsed, reportedBy, false);
  }

  async #record(
    db: Db,
    asset: VulnsAssetsTable,
    parsed: ParsedUpload,
    reportedBy: string,
    registered: boolean,
  ): Promise<UploadResult> {
    const at = this.deps.clock.now();
    const inv = parsed.inventory;
    const base = {
      assetId: asset.id,
      assetName: asset.name,
      registered,
      packages: inv.packages.length,
      notInstalled: inv.notInstalled ?? 0,
      warnings: parsed.warnings,
    };
    await this.deps.assets.markReported(db, asset);
    if (asset.last_snapshot_id) {
      const last = await db
        .selectFrom('vulns_snapshots')
        .select('digest')
        .where('id', '=', asset.last_snapshot_id)
        .executeTakeFirst();
      if (last?.digest === parsed.digest) {
        // Same content: a report (the host is alive), not a new snapshot; the findings stand as they are.
        await db
          .updateTable('vulns_assets')
          .set({ last_report_at: at.toISOString(), updated_at: at.toISOString() })
          .where('id', '=', asset.id)
          .execute();
        return { ...base, snapshotId: asset.last_snapshot_id, identical: true, findings: null };
      }
    }
    const snap = await insertSnapshot(db, {
      assetId: asset.id,
      inventory: inv,
      digest: parsed.digest,
      reportedBy,
      warnings: parsed.warnings,
      at,
    });
    await db
      .updateTable('vulns_assets')
      .set({
        last_snapshot_id: snap.id,
        last_report_at: at.toISOString(),
        distro: inv.distro ?? null,
        kernel_release: inv.kernelRelease ?? null,
        package_count: inv.packages.length,
        updated_at: at.toISOString(),
      })
      .where('id', '=', asset.id)
      .execute();
    await pruneSnapshots(db, asset.id, this.deps.snapshotsKept, snap.id);
    const findings = await this.deps.reconcile(db, asset.id);
    return { ...base, snapshotId: snap.id, identical: false, findings };
  }
}
