import { randomUUID } from 'node:crypto';
import type { AuditRecorder } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, notFound } from '../../core/errors.ts';
import type { SignalSink } from '../../core/signals.ts';
import type { AssetBody, AssetsQuery } from './api/vulns.schemas.ts';
import type { AssetContext, Priority } from './model.ts';
import type { VulnsAssetsTable } from './vulns.tables.ts';

/** A host that has not reported for this long is stale (the agent runs daily from cron). */
export const STALE_AFTER_MS = 2 * 86_400_000;

export type AssetKind = 'host' | 'service' | 'application';

/** An asset as the API shows it, with its open findings and freshness. */
export interface AssetView {
  id: string;
  name: string;
  kind: AssetKind;
  ownerTeam: string;
  environment: string;
  site: string;
  criticality: AssetContext['criticality'];
  exposure: AssetContext['exposure'];
  operatedBy: AssetContext['operatedBy'];
  customer: string | null;
  description: string;
  lastSnapshotId: string | null;
  lastReportAt: string | null;
  distro: string | null;
  kernelRelease: string | null;
  packageCount: number;
  /** A host that has not reported for two days (or never, two days after it was registered). */
  stale: boolean;
  /** Findings needing action (not verified resolved; not false positive, not affected or accepted), by priority. */
  openFindings: Record<Priority, number> & { total: number };
  /** Open findings past their SLA deadline. */
  slaBreached: number;
  createdAt: string;
  updatedAt: string;
}

const EMPTY_COUNTS = (): AssetView['openFindings'] => ({ critical: 0, high: 0, medium: 0, low: 0, info: 0, total: 0 });

/** Triage states that take a finding out of the "needs action" count (it is still listed, never dropped). */
export const SETTLED_TRIAGE = ['false_positive', 'not_affected', 'risk_accepted'] as const;

/** Whether a host is silent at `now` (services and applications report SBOMs when they change, not on a schedule). */
export function isStale(r: Pick<VulnsAssetsTable, 'kind' | 'last_report_at' | 'created_at'>, now: number): boolean {
  if (r.kind !== 'host') return false;
  return now - Date.parse(r.last_report_at ?? r.created_at) > STALE_AFTER_MS;
}

function view(r: VulnsAssetsTable, now: number, counts?: AssetView['openFindings'], breached?: number): AssetView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AssetKind,
    ownerTeam: r.owner_team,
    environment: r.environment,
    site: r.site,
    criticality: r.criticality as AssetView['criticality'],
    exposure: r.exposure as AssetView['exposure'],
    operatedBy: r.operated_by as AssetView['operatedBy'],
    customer: r.customer,
    description: r.description,
    lastSnapshotId: r.last_snapshot_id,
    lastReportAt: r.last_report_at,
    distro: r.distro,
    kernelRelease: r.kernel_release,
    packageCount: Number(r.package_count),
    stale: isStale(r, now),
    openFindings: counts ?? EMPTY_COUNTS(),
    slaBreached: breached ?? 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The audit record's picture of an asset (its classification, not its report state). */
function auditShape(r: VulnsAssetsTable): Record<string, unknown> {
  return {
    name: r.name,
    kind: r.kind,
    ownerTeam: r.owner_team,
    environment: r.environment,
    site: r.site,
    criticality: r.criticality,
    exposure: r.exposure,
    operatedBy: r.operated_by,
    customer: r.customer,
    description: r.description,
  };
}

export interface AssetsServiceDeps {
  clock: Clock;
  signals: SignalSink;
  /** Re-prioritise an asset's findings after its exposure, criticality or operator changed (the findings service). */
  reprioritise: (db: Db, assetId: string) => Promise<unknown>;
}

/**
 * The asset inventory (issue 5 item 1): hosts, services and applications with owner, site, criticality, exposure and
 * who operates them (P14). Hosts register themselves on their first report; people classify them.
 */
export class AssetsService {
  constructor(private readonly deps: AssetsServiceDeps) {}

  async row(db: Db, id: string): Promise<VulnsAssetsTable> {
    const r = await db.selectFrom('vulns_assets').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('asset_not_found', `no asset ${id}`);
    return r;
  }

  async byName(db: Db, name: string): Promise<VulnsAssetsTable | undefined> {
    return db.selectFrom('vulns_assets').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Assets with their open findings by priority and SLA breaches, by name. */
  async list(db: Db, q: Partial<AssetsQuery> = {}): Promise<AssetView[]> {
    let query = db.selectFrom('vulns_assets').selectAll();
    if (q.operatedBy) query = query.where('operated_by', '=', q.operatedBy);
    if (q.kind) query = query.where('kind', '=', q.kind);
    const rows = await query
      .orderBy('name')
      .limit(q.limit ?? 1000)
      .execute();
    const now = this.deps.clock.now().getTime();
    const counts = await this.counts(
      db,
      rows.map((r) => r.id),
    );
    let out = rows.map((r) => view(r, now, counts.open.get(r.id), counts.breached.get(r.id)));
    if (q.q) {
      const needle = q.q.toLowerCase();
      out = out.filter((a) => [a.name, a.ownerTeam, a.site, a.customer ?? ''].some((v) => v.toLowerCase().includes(needle)));
    }
    if (q.stale) out = out.filter((a) => a.stale === (q.stale === 'true'));
    return out;
  }

  async get(db: Db, id: string): Promise<AssetView> {
    const r = await this.row(db, id);
    const counts = await this.counts(db, [id]);
    return view(r, this.deps.clock.now().getTime(), counts.open.get(id), counts.breached.get(id));
  }

  private async counts(
    db: Db,
    ids: string[],
  ): Promise<{ open: Map<string, AssetView['openFindings']>; breached: Map<string, number> }> {
    const open = new Map<string, AssetView['openFindings']>();
    const breached = new Map<string, number>();
    if (ids.length === 0) return { open, breached };
    // Chunks keep the IN list far below either database's parameter limit.
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const rows = await db
        .selectFrom('vulns_findings')
        .select(['asset_id', 'priority', 'sla_state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('asset_id', 'in', chunk)
        .where('lifecycle', '<>', 'verified_resolved')
        .where('triage_state', 'not in', [...SETTLED_TRIAGE])
        .groupBy(['asset_id', 'priority', 'sla_state'])
        .execute();
      for (const r of rows) {
        const n = Number(r.n);
        let c = open.get(r.asset_id);
        if (!c) open.set(r.asset_id, (c = EMPTY_COUNTS()));
        if (r.priority in c) c[r.priority as Priority] += n;
        c.total += n;
        if (r.sla_state === 'breached') breached.set(r.asset_id, (breached.get(r.asset_id) ?? 0) + n);
      }
    }
    return { open, breached };
  }

  async create(db: Db, input: AssetBody, audit: AuditRecorder): Promise<AssetView> {
    if (await this.byName(db, input.name)) throw conflict('asset_exists', `an asset named ${input.name} exists already`);
    const now = this.deps.clock.now().toISOString();
    const row: VulnsAssetsTable = {
      id: randomUUID(),
      name: input.name,
      kind: input.kind,
      owner_team: input.ownerTeam,
      environment: input.environment,
      site: input.site,
      criticality: input.criticality,
      exposure: input.exposure,
      operated_by: input.operatedBy,
      customer: input.customer,
      description: input.description,
      last_snapshot_id: null,
      last_report_at: null,
      distro: null,
      kernel_release: null,
      package_count: 0,
      silent_signalled: 0,
      created_at: now,
      updated_at: now,
    };
    await db.insertInto('vulns_assets').values(row).execute();
    audit.target(`vulns_asset:${row.id}`);
    audit.change({ type: 'vulns_asset', id: row.id, after: auditShape(row) });
    return view(row, Date.parse(now));
  }

  /**
   * Register a host on its first report (kind host, criticality medium, the configured default exposure,
   * provider-operated) until someone classifies it. Audited as created by the report.
   */
  async register(db: Db, name: string, exposure: AssetContext['exposure'], audit: AuditRecorder): Promise<VulnsAssetsTable> {
    const created = await this.create(
      db,
      {
        name,
        kind: 'host',
        ownerTeam: '',
        environment: '',
        site: '',
        criticality: 'medium',
        exposure,
        operatedBy: 'provider',
        customer: null,
        description: 'registered by its first inventory report',
      },
      audit,
    );
    return this.row(db, created.id);
  }

  /** Replace an asset's classification; exposure, criticality or operator changes re-prioritise its findings. */
  async update(db: Db, id: string, input: AssetBody, audit: AuditRecorder): Promise<AssetView> {
    const before = await this.row(db, id);
    if (input.name !== before.name) {
      const clash = await this.byName(db, input.name);
      if (clash && clash.id !== id) throw conflict('asset_exists', `an asset named ${input.name} exists already`);
    }
    const now = this.deps.clock.now().toISOString();
    const changes = {
      name: input.name,
      kind: input.kind,
      owner_team: input.ownerTeam,
      environment: input.environment,
      site: input.site,
      criticality: input.criticality,
      exposure: input.exposure,
      operated_by: input.operatedBy,
      customer: input.customer,
      description: input.description,
      updated_at: now,
    };
    await db.updateTable('vulns_assets').set(changes).where('id', '=', id).execute();
    const after = { ...before, ...changes };
    audit.target(`vulns_asset:${id}`);
    audit.change({ type: 'vulns_asset', id, before: auditShape(before), after: auditShape(after) });
    if (
      before.exposure !== after.exposure ||
      before.criticality !== after.criticality ||
      before.operated_by !== after.operated_by
    ) {
      await this.deps.reprioritise(db, id);
    }
    return this.get(db, id);
  }

  /** Delete an asset with its snapshots and findings (their history goes with them; the audit log keeps the deletion). */
  async remove(db: Db, id: string, audit: AuditRecorder): Promise<void> {
    const before = await this.row(db, id);
    const findingIds = db.selectFrom('vulns_findings').select('id').where('asset_id', '=', id);
    await db.deleteFrom('vulns_finding_events').where('finding_id', 'in', findingIds).execute();
    await db.deleteFrom('vulns_findings').where('asset_id', '=', id).execute();
    await db.deleteFrom('vulns_snapshots').where('asset_id', '=', id).execute();
    await db.deleteFrom('vulns_assets').where('id', '=', id).execute();
    if (before.silent_signalled === 1) await this.raiseSilent(db, before, 'resolved');
    audit.target(`vulns_asset:${id}`);
    audit.change({ type: 'vulns_asset', id, before: auditShape(before), after: null });
  }

  /**
   * A silent host is a deviation too: hosts that stopped reporting for two days raise `vulns:host-silent:<id>`
   * (minor) once; the signal resolves when the host reports again (see `markReported`).
   */
  async sweepSilent(db: Db): Promise<{ raised: number }> {
    const now = this.deps.clock.now().getTime();
    const hosts = await db
      .selectFrom('vulns_assets')
      .selectAll()
      .where('kind', '=', 'host')
      .where('silent_signalled', '=', 0)
      .execute();
    let raised = 0;
    for (const h of hosts) {
      if (!isStale(h, now)) continue;
      await db.transaction().execute(async (tx) => {
        await this.raiseSilent(tx, h, 'firing');
        await tx.updateTable('vulns_assets').set({ silent_signalled: 1 }).where('id', '=', h.id).execute();
      });
      raised++;
    }
    return { raised };
  }

  /** After a report: resolve the host-silent signal if one was raised. */
  async markReported(db: Db, asset: VulnsAssetsTable): Promise<void> {
    if (Number(asset.silent_signalled) !== 1) return;
    await db.updateTable('vulns_assets').set({ silent_signalled: 0 }).where('id', '=', asset.id).execute();
    await this.raiseSilent(db, asset, 'resolved');
  }

  private async raiseSilent(db: Db, h: VulnsAssetsTable, status: 'firing' | 'resolved'): Promise<void> {
    await this.deps.signals.raise(db, {
      source: 'vulns',
      dedupKey: `vulns:host-silent:${h.id}`,
      status,
      severity: 'minor',
      summary:
        status === 'firing'
          ? `host ${h.name} has not reported its packages since ${h.last_report_at ?? 'it was registered'}: its vulnerabilities are unknown`
          : `host ${h.name} reports its packages again`,
      details: { assetId: h.id, lastReportAt: h.last_report_at },
      autoResolve: true,
    });
  }
}
