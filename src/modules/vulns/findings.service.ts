import { sql } from 'kysely';
import type { AuditRecorder, AuditSink } from '../../core/audit.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import { forbidden, invalid, notFound, type FieldError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Severity as SignalSeverity, SignalSink } from '../../core/signals.ts';
import type { ExportQuery, FindingsQuery, MetricsQuery, TriageBody } from './api/findings.schemas.ts';
import {
  eventRow,
  findingDetail,
  findingRow,
  insertEvents,
  insertFindings,
  listFindings,
  NOT_RESOLVED,
  SYSTEM_ACTOR,
  toView,
  TRIAGED_AWAY,
  sweepQueries,
  timeOrderedId,
  updateFindings,
  type FindingDetail,
  type FindingRow,
  type FindingsPage,
  type FindingView,
} from './findings.store.ts';
import { reconcile, type Facts, type ReconcileCounts } from './findings.reconcile.ts';
import type { AdvisoryIndex, IndexPrints } from './match/advisory-index.ts';
import { feedVersion, inForce } from './advisories.store.ts';
import { loadFleetBaseline, saveFleetBaseline } from './fleet-baseline.ts';
import { matchInventory, matchedSource, restrictToChanged } from './match/matcher.ts';
import { schemeOf } from './versions/ecosystems.ts';
import type { AssetContext, Inventory, Lifecycle, NotAffectedJustification, Priority, TriageState } from './model.ts';
import { computeMetrics, type MetricsReport } from './policy/metrics.ts';
import { formatSlaPolicyIssues, parseSlaPolicy, slaState, type SlaPolicy } from './policy/sla.ts';
import { toCycloneDxVex, toOpenVex, type CycloneDxVex, type OpenVexDocument, type VexFinding } from './policy/vex.ts';
import type { CvssVersion } from './policy/cvss.ts';
import type { VulnsConfig } from './vulns.config.ts';
import type { VulnsFindingEventsTable } from './vulns.tables.ts';

/** The advisory index as the findings service reads it (implemented by `advisories.store.ts`). */
export interface FindingsAdvisorySource {
  /** The current index of vendor statements, KEV and EPSS (cached; rebuilt after a feed import). */
  index(db: Db): Promise<AdvisoryIndex>;
  /** Feed id → version (content hash or date) of every feed in the index, recorded beside each priority. */
  feedVersions(): Record<string, string>;
}

/** What the findings service is built with (wired by the module's index.ts). */
export interface FindingsDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  audit: AuditSink;
  signals: SignalSink;
  config: VulnsConfig;
  advisories: FindingsAdvisorySource;
  /** The inventory a snapshot holds (`snapshots.ts` loadInventory). */
  loadInventory(db: Db, snapshotId: string): Promise<Inventory>;
}

/** One asset's reconciliation. */
export interface ReconcileResult extends ReconcileCounts {
  assetId: string;
  snapshotId: string | null;
  /** Source packages and components matched (all of them, or only those a feed change touched; 0: none touched). */
  groups: number;
  /** Why nothing was matched (no snapshot yet, or the index holds nothing for the host's distro). */
  note?: string | undefined;
}

/** A fleet re-evaluation: a result per asset that failed, totals for the rest. */
export interface ReevaluateResult {
  /** Assets with an inventory. */
  assets: number;
  /** Statement lists that changed since the last run's index (null: a full run, every package matched). */
  changedPackages: number | null;
  /** Assets with at least one package matched again (the others' findings could not change). */
  rematched: number;
  ok: number;
  failed: { assetId: string; reason: string }[];
  totals: ReconcileCounts;
  sweep: SweepResult;
  ms: number;
  /** Where the time went: the advisory index (built from the database after a feed change), the comparison with the last run's index, the assets, the SLA sweep. */
  phases: { indexMs: number; diffMs: number; assetsMs: number; sweepMs: number };
}

export interface SweepResult {
  /** Findings whose SLA state changed. */
  slaChanged: number;
  /** Signals raised: one per asset with findings newly near or past their deadline. */
  slaSignals: number;
  /** Risk acceptances that expired and were reopened to in_triage. */
  expired: number;
  /** KEV signals raised: one per CVE newly affecting an internet-facing provider-operated asset. */
  kevSignals: number;
  /** SLA signals resolved: assets with no provider finding needing action near or past its deadline any more. */
  slaResolved?: number | undefined;
  /** KEV signals resolved: CVEs no longer needing action on any internet-facing provider-operated asset. */
  kevResolved?: number | undefined;
}

/** What one fleet run reads once and shares between its assets. */
interface FleetRun {
  index: AdvisoryIndex;
  sourceVersions: Record<string, string>;
  priorityCache: Map<string, Facts>;
  /**
   * The statement lists (`listKey`) that changed since the index the stored findings were last brought in line with:
   * only the asset's packages that look one of them up are matched again (`restrictToChanged`). Absent: everything.
   */
  changed: ReadonlySet<string> | undefined;
}

/** Who triages: the signed-in actor, and whether they may accept a risk (permission vulns.accept). */
export interface TriageActor {
  ref: string;
  name?: string | undefined;
  mayAccept: boolean;
}

export interface MetricsView {
  now: string;
  weeks: number;
  provider?: MetricsReport | undefined;
  customer?: MetricsReport | undefined;
}

const ZERO = (): ReconcileCounts => ({ detected: 0, updated: 0, unchanged: 0, reopened: 0, patchedOnDisk: 0, resolved: 0 });
const SLA_RANK: Record<string, number> = { none: 0, ok: 0, near: 1, breached: 2 };
const DAY_MS = 86_400_000;
/** Largest export in one document; narrow it by asset beyond that. */
const MAX_EXPORT = 50_000;
/** Priorities kept between single-asset reconciliations (then the cache starts afresh). */
const SHARED_CACHE_MAX = 200_000;
/** Assets a fleet run works on at once on PostgreSQL (connections of the pool it holds meanwhile). */
const FLEET_LANES_POSTGRES = 3;
/** Most assets, and longest time (ms), one fleet-run transaction works on before it commits. */
const FLEET_BATCH_MAX = 50;
const FLEET_BATCH_MS = 250;
/** Findings named in a signal's details (the count names them all). */
const SIGNAL_WORST = 10;
const SIGNAL_SEVERITY_RANK: Record<string, number> = { info: 0, minor: 1, major: 2, critical: 3 };

/** The CVE a KEV finding is signalled under: its id, or its first CVE alias. */
function kevCve(vuln: string, aliases: string): string {
  return vuln.startsWith('CVE-') ? vuln : ((JSON.parse(aliases) as string[]).find((x) => x.startsWith('CVE-')) ?? vuln);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Findings (issue 5 items 9–13): reconciles each asset's latest inventory into stored findings with their lifecycle
 * (open → patched on disk → verified resolved, reopened), priority with its inputs, SLA deadline; re-evaluates the
 * fleet after a feed change; the SLA sweep (near-breach and breach signals per asset, expired risk acceptances, KEV
 * signals); triage with audit; lists, detail, metrics and VEX exports.
 */
export class FindingsService {
  readonly #deps: FindingsDeps;
  readonly #policy: SlaPolicy;
  #running: Promise<ReevaluateResult> | null = null;
  #queued: Promise<ReevaluateResult> | null = null;
  #last: ReevaluateResult | undefined;
  /**
   * The index the last fleet run brought every asset in line with (uploads match against the current one too), and its
   * prints; after a start only the prints, read from `vulns_fleet_baseline` by the first run.
   */
  #baseline: { index: AdvisoryIndex | undefined; prints: IndexPrints } | undefined;
  #baselineRead = false;
  /** Assets whose last fleet run failed: matched whole on the next. */
  #retry = new Set<string>();
  #shared: { index: AdvisoryIndex; versions: string; cache: Map<string, Facts> } | undefined;

  constructor(deps: FindingsDeps) {
    this.#deps = deps;
    const parsed = parseSlaPolicy(deps.config.sla);
    // The module's config check names each problem at boot; a service built anyway must not run without a policy.
    if (!parsed.ok) throw new Error(`vulns.sla: ${formatSlaPolicyIssues(parsed.issues).join('; ')}`);
    this.#policy = parsed.policy;
  }

  /** The last fleet re-evaluation's result (undefined before the first). */
  get lastReevaluation(): ReevaluateResult | undefined {
    return this.#last;
  }

  /** The SLA policy in force (from `config.sla`). */
  get slaPolicy(): SlaPolicy {
    return this.#policy;
  }

  /**
   * Match an asset's latest snapshot and bring its stored findings in line (rules in `findings.reconcile.ts`).
   * Writes through `db` (a caller's transaction, e.g. the inventory upload's): only rows whose facts changed.
   */
  async reconcileAsset(db: Db, assetId: string, opts: Partial<FleetRun> = {}): Promise<ReconcileResult> {
    const asset = await db.selectFrom('vulns_assets').selectAll().where('id', '=', assetId).executeTakeFirst();
    if (!asset) throw notFound('asset_not_found', `no asset ${assetId}`);
    if (!asset.last_snapshot_id) return { assetId, snapshotId: null, groups: 0, ...ZERO(), note: 'no inventory reported yet' };
    const snapshotId = asset.last_snapshot_id;
    const snap = await db
      .selectFrom('vulns_snapshots')
      .select(['id', 'received_at'])
      .where('id', '=', snapshotId)
      .executeTakeFirst();
    if (!snap) return { assetId, snapshotId: null, groups: 0, ...ZERO(), note: `snapshot ${snapshotId} is gone` };
    const index = opts.index ?? (await this.#deps.advisories.index(db));
    const inventory = await this.#deps.loadInventory(db, snapshotId);
    // After a feed change only the packages whose statements (or KEV/EPSS facts) changed are matched again, and
    // only their stored findings are compared: the other findings would come out of a full match unchanged.
    const part = opts.changed ? restrictToChanged(index, inventory, opts.changed) : undefined;
    if (part && part.groups.size === 0) return { assetId, snapshotId, groups: 0, ...ZERO() };
    const match = matchInventory(index, part ? part.inventory : inventory);
    const installed = new Map<string, Set<string>>();
    for (const p of inventory.packages) {
      const { name, version } = matchedSource(p, schemeOf(p.ecosystem || inventory.distro || ''));
      let set = installed.get(name);
      if (!set) installed.set(name, (set = new Set()));
      set.add(version);
    }
    const sourceVersions = opts.sourceVersions ?? (await this.#sourceVersions(db));
    const existing = part
      ? await this.#existingOf(db, assetId, part.groups)
      : await db.selectFrom('vulns_findings').selectAll().where('asset_id', '=', assetId).execute();
    const now = this.#deps.clock.now();
    const context: AssetContext = {
      exposure: asset.exposure as AssetContext['exposure'],
      criticality: asset.criticality as AssetContext['criticality'],
      operatedBy: asset.operated_by as AssetContext['operatedBy'],
    };
    const out = reconcile({
      asset: { id: assetId, ...context },
      snapshot: { id: snapshotId, at: snap.received_at },
      now,
      match,
      installed,
      existing,
      index,
      policy: this.#policy,
      sourceVersions,
      priorityCache: opts.priorityCache ?? this.#uploadCache(index, sourceVersions),
      fixDates: await this.#fixDates(db, match.findings, existing, inventory),
      newId: timeOrderedId,
    });
    await insertFindings(db, out.inserts);
    await updateFindings(db, out.updates);
    await insertEvents(db, out.events);
    // Still-present findings were seen in this snapshot: one statement, no rows when the snapshot is not new. A
    // fleet run after a feed change matches a snapshot already reconciled, whose findings carry it: nothing to mark.
    if (!part)
      await db
        .updateTable('vulns_findings')
        .set({ last_detected_at: snap.received_at, last_snapshot_id: snapshotId })
        .where('asset_id', '=', assetId)
        .where('lifecycle', 'in', [...NOT_RESOLVED])
        .where((eb) => eb.or([eb('last_snapshot_id', 'is', null), eb('last_snapshot_id', '<>', snapshotId)]))
        .execute();
    return {
      assetId,
      snapshotId,
      groups: match.groups,
      ...out.counts,
      note: match.unmatchedEcosystem ? `no advisories held for ${match.unmatchedEcosystem}` : undefined,
    };
  }

  /**
   * The priorities computed for single assets (uploads, re-prioritisations) while the index and the feed versions stay
   * the same: the same vulnerability on a thousand hosts of one kind is scored once, as in a fleet run.
   */
  #uploadCache(index: AdvisoryIndex, sourceVersions: Record<string, string>): Map<string, Facts> {
    const versions = JSON.stringify(sourceVersions);
    const c = this.#shared;
    if (c && c.index === index && c.versions === versions && c.cache.size < SHARED_CACHE_MAX) return c.cache;
    this.#shared = { index, versions, cache: new Map() };
    return this.#shared.cache;
  }

  /** An asset's stored findings of the given groups (`ecosystem\0package`). */
  async #existingOf(db: Db, assetId: string, groups: ReadonlySet<string>): Promise<FindingRow[]> {
    const names = [...new Set([...groups].map((g) => g.slice(g.indexOf('\0') + 1)))];
    const out: FindingRow[] = [];
    for (const part of chunks(names, 500)) {
      const rows = await db
        .selectFrom('vulns_findings')
        .selectAll()
        .where('asset_id', '=', assetId)
        .where('package', 'in', part)
        .execute();
      for (const r of rows) if (groups.has(`${r.ecosystem}\0${r.package}`)) out.push(r);
    }
    return out;
  }

  /** Re-prioritise an asset after its exposure, criticality or operator changed (re-matches its latest snapshot). */
  reprioritise(db: Db, assetId: string): Promise<ReconcileResult> {
    return this.reconcileAsset(db, assetId);
  }

  /**
   * Re-evaluate every asset with an inventory against the current advisories (issue 5 item 12: every feed change, not
   * only new scans), one transaction per asset, then sweep (so a new KEV entry signals in the same run). Runs never
   * overlap: a call while one runs waits for it and then runs once more (callers arriving meanwhile share that run).
   */
  reevaluateAll(): Promise<ReevaluateResult> {
    if (!this.#running) {
      const run = this.#reevaluate().finally(() => {
        if (this.#running === run) this.#running = null;
      });
      this.#running = run;
      return run;
    }
    if (!this.#queued) {
      const after = this.#running.catch(() => undefined);
      this.#queued = after.then(() => {
        this.#queued = null;
        return this.reevaluateAll();
      });
    }
    return this.#queued;
  }

  async #reevaluate(): Promise<ReevaluateResult> {
    const started = performance.now();
    const { database, log } = this.#deps;
    const assets = await database.db
      .selectFrom('vulns_assets')
      .select('id')
      .where('last_snapshot_id', 'is not', null)
      .orderBy('id')
      .execute();
    const t0 = performance.now();
    const index = await this.#deps.advisories.index(database.db);
    const t1 = performance.now();
    // A new index is compared with the one the fleet was last brought in line with: only the statement lists that
    // differ (statements, vulnerability facts, KEV and EPSS entries of their CVEs) are matched again. The same index
    // again (an explicit re-run), or none to compare with (after a start), matches everything.
    if (!this.#baselineRead) {
      this.#baselineRead = true;
      const kept = await loadFleetBaseline(database.db).catch((err: unknown) => {
        log.warn({ err }, 'vulns: the kept fleet baseline could not be read; every asset is matched whole');
        return undefined;
      });
      if (kept) {
        this.#baseline = { index: undefined, prints: kept };
        for (const id of kept.retry) this.#retry.add(id);
      }
    }
    const baseline = this.#baseline;
    const changed =
      baseline !== undefined && baseline.index !== index ? index.changedPackages(baseline.index ?? baseline.prints) : undefined;
    const run: FleetRun = {
      index,
      sourceVersions: await this.#sourceVersions(database.db),
      priorityCache: new Map(),
      changed,
    };
    const t2 = performance.now();
    const retry = this.#retry;
    this.#retry = new Set();
    const result: ReevaluateResult = {
      assets: assets.length,
      changedPackages: changed ? changed.size : null,
      rematched: 0,
      ok: 0,
      failed: [],
      totals: ZERO(),
      sweep: { slaChanged: 0, slaSignals: 0, expired: 0, kevSignals: 0 },
      ms: 0,
      phases: { indexMs: Math.round(t1 - t0), diffMs: Math.round(t2 - t1), assetsMs: 0, sweepMs: 0 },
    };
    // Assets are worked on in batches, one transaction per batch (a commit is a disk flush: one per asset cost SQLite
    // a third of a 1,000-host run) and a savepoint per asset, so one bad asset never sinks the others: it is named in
    // the result and the log, and matched whole on the next run. A batch ends after FLEET_BATCH_MS, so that requests
    // waiting for SQLite's one connection are not held up long.
    const failedAsset = (assetId: string, err: unknown): void => {
      result.failed.push({ assetId, reason: err instanceof Error ? err.message : String(err) });
      this.#retry.add(assetId);
      log.error({ err, assetId }, 'vulns: re-evaluating an asset failed');
    };
    let next = 0;
    const batch = async (): Promise<void> => {
      const done: ReconcileResult[] = [];
      const failed: [string, unknown][] = [];
      const ids: string[] = [];
      try {
        // An audit write waiting on SQLite's other connection goes first (a request's record would otherwise wait
        // for the whole fleet run).
        await database.writeTurns.turn();
        await database.db.transaction().execute(async (trx) => {
          const t0 = performance.now();
          while (next < assets.length && ids.length < FLEET_BATCH_MAX && performance.now() - t0 < FLEET_BATCH_MS) {
            const id = (assets[next++] as { id: string }).id;
            ids.push(id);
            const opts = retry.has(id) ? { ...run, changed: undefined } : run;
            await sql`savepoint fleet_asset`.execute(trx);
            try {
              done.push(await this.reconcileAsset(trx, id, opts));
            } catch (err) {
              await sql`rollback to savepoint fleet_asset`.execute(trx);
              failed.push([id, err]);
            }
            await sql`release savepoint fleet_asset`.execute(trx);
          }
        });
      } catch (err) {
        // The batch did not commit: none of its assets was brought in line.
        for (const id of ids) failedAsset(id, err);
        return;
      }
      for (const [id, err] of failed) failedAsset(id, err);
      for (const r of done) {
        result.ok++;
        if (r.groups > 0) result.rematched++;
        for (const k of Object.keys(result.totals) as (keyof ReconcileCounts)[]) result.totals[k] += r[k];
      }
    };
    // PostgreSQL works on a few batches at once (each on its own connection: the database's work and this process's
    // matching overlap); SQLite has one connection, so one at a time.
    const lane = async (): Promise<void> => {
      while (next < assets.length) await batch();
    };
    const lanes = database.dialect === 'postgres' ? FLEET_LANES_POSTGRES : 1;
    await Promise.all(Array.from({ length: Math.min(lanes, assets.length) }, lane));
    result.failed.sort((a, b) => a.assetId.localeCompare(b.assetId));
    const t3 = performance.now();
    result.sweep = await this.runSweep();
    result.phases.assetsMs = Math.round(t3 - t2);
    result.phases.sweepMs = Math.round(performance.now() - t3);
    result.ms = Math.round(performance.now() - started);
    log.info(
      { ...result.totals, assets: result.assets, failed: result.failed.length, ms: result.ms },
      'vulns: fleet re-evaluated',
    );
    this.#last = result;
    this.#baseline = { index, prints: index.prints() };
    // Kept for the next start: a feed change after a restart re-matches only what changed since this run.
    await saveFleetBaseline(
      database.db,
      { ...index.prints(), feedVersions: this.#deps.advisories.feedVersions(), retry: [...this.#retry] },
      this.#deps.clock.now(),
    ).catch((err: unknown) => log.error({ err }, 'vulns: keeping the fleet baseline failed'));
    return result;
  }

  /**
   * Whether the fleet is behind its feeds after a start: the kept baseline was built from other feed versions than
   * the feeds now hold (an import committed, then the process stopped before the re-evaluation it set off finished),
   * or some assets of the last run still wait for a retry. No kept baseline: nothing to catch up with.
   */
  async behindFeeds(): Promise<boolean> {
    const db = this.#deps.database.db;
    const kept = await loadFleetBaseline(db);
    if (!kept) return false;
    if (kept.retry.length > 0) return true;
    const feeds = await db
      .selectFrom('vulns_feeds')
      .select(['id', 'version', 'content_hash'])
      .where('status', '<>', 'never')
      .execute();
    const now = new Map(feeds.map((f) => [f.id, feedVersion(f)]));
    const was = Object.entries(kept.feedVersions);
    return was.length !== now.size || was.some(([id, v]) => now.get(id) !== v);
  }

  /** The SLA sweep in its own transaction (the scheduled job's `perform`). */
  runSweep(): Promise<SweepResult> {
    return this.sweep(this.#deps.database.db);
  }

  /**
   * Recompute SLA states; raise one signal per asset for findings newly near (minor) or past (major) their deadline —
   * one incident per asset naming the count and the worst, not one per finding; reopen expired risk acceptances (with
   * an event and an audit record); raise one critical signal per CVE newly in KEV on internet-facing (or unknown
   * exposure) provider-operated assets. Each state is signalled once (`sla_signalled`, `kev_signalled_at`).
   */
  async sweep(db: Db): Promise<SweepResult> {
    // The audit records and signals commit with the changes they describe.
    if (!db.isTransaction) return db.transaction().execute((trx) => this.sweep(trx));
    const now = this.#deps.clock.now();
    const nowIso = now.toISOString();
    const result: SweepResult = { slaChanged: 0, slaSignals: 0, expired: 0, kevSignals: 0 };
    result.expired = await this.#expireAcceptances(db, nowIso);
    await this.#slaStates(db, now, result);
    await this.#slaSignals(db, nowIso, result);
    await this.#kevSignals(db, nowIso, result);
    return result;
  }

  async #expireAcceptances(db: Db, nowIso: string): Promise<number> {
    const expired = await sweepQueries.expiredAcceptances(db, nowIso).execute();
    for (const f of expired) {
      const before = triageRecord(f);
      const set = {
        triage_state: 'in_triage',
        justification: null,
        triage_by: SYSTEM_ACTOR,
        triage_at: nowIso,
        accepted_by: null,
        accepted_until: null,
        updated_at: nowIso,
      };
      await db.updateTable('vulns_findings').set(set).where('id', '=', f.id).execute();
      await insertEvents(db, [
        eventRow(
          f.id,
          nowIso,
          'risk_expired',
          `risk acceptance by ${f.accepted_by ?? 'unknown'} ended ${f.accepted_until ?? ''}`,
          {
            from: 'risk_accepted',
            to: 'in_triage',
          },
        ),
      ]);
      await this.#deps.audit.appendInTx(db, {
        actor: SYSTEM_ACTOR,
        actorName: 'vulns',
        action: 'vulns.findings.risk_expired',
        target: `vulns.finding:${f.id}`,
        outcome: 'allowed',
        changes: [{ type: 'vulns.finding', id: f.id, before, after: triageRecord({ ...f, ...set }) }],
        detail: { vuln: f.vuln, package: f.package, assetId: f.asset_id },
      });
    }
    return expired.length;
  }

  async #slaStates(db: Db, now: Date, result: SweepResult): Promise<void> {
    // Only findings whose near instant or deadline has come can change state (`sla_near_at`, `sla_due_at`).
    const nowIso = now.toISOString();
    const seen = new Set<string>();
    const rows = [];
    for (const r of [
      ...(await sweepQueries.deadlinesPassed(db, nowIso).execute()),
      ...(await sweepQueries.nearingDeadlines(db, nowIso).execute()),
    ])
      if (!seen.has(r.id)) {
        seen.add(r.id);
        rows.push(r);
      }
    const byState = new Map<string, string[]>();
    for (const r of rows) {
      const start = r.fix_available_at && r.fix_available_at > r.first_detected_at ? r.fix_available_at : r.first_detected_at;
      const state = slaState(r.sla_due_at, now, { start });
      if (state === r.sla_state) continue;
      let ids = byState.get(state);
      if (!ids) byState.set(state, (ids = []));
      ids.push(r.id);
    }
    for (const [state, ids] of byState)
      for (const part of chunks(ids, 1000)) {
        await db.updateTable('vulns_findings').set({ sla_state: state }).where('id', 'in', part).execute();
        result.slaChanged += part.length;
      }
  }

  async #slaSignals(db: Db, nowIso: string, result: SweepResult): Promise<void> {
    const rows = await sweepQueries.unsignalledDeadlines(db).execute();
    const fresh = rows.filter((r) => (SLA_RANK[r.sla_state] ?? 0) > (SLA_RANK[r.sla_signalled] ?? 0));
    const byAsset = new Map<string, typeof fresh>();
    for (const r of fresh) {
      let list = byAsset.get(r.asset_id);
      if (!list) byAsset.set(r.asset_id, (list = []));
      list.push(r);
    }
    for (const [assetId, list] of byAsset) {
      const breached = list.filter((r) => r.sla_state === 'breached');
      const near = list.length - breached.length;
      const worst = [...list].sort(
        (a, b) =>
          (SLA_RANK[b.sla_state] ?? 0) - (SLA_RANK[a.sla_state] ?? 0) ||
          Number(b.priority_score) - Number(a.priority_score) ||
          (a.sla_due_at ?? '').localeCompare(b.sla_due_at ?? ''),
      );
      const top = worst[0];
      if (!top) continue;
      const name = top.asset_name;
      const counts = [breached.length ? `${breached.length} past the patch deadline` : '', near ? `${near} near it` : ''].filter(
        Boolean,
      );
      const severity: SignalSeverity = breached.length ? 'major' : 'minor';
      await this.#deps.signals.raise(db, {
        source: 'vulns',
        dedupKey: `vulns:sla:${assetId}`,
        status: 'firing',
        severity,
        summary: `${name}: ${list.length} vulnerability finding${list.length === 1 ? '' : 's'} ${counts.join(', ')} (worst: ${top.vuln} in ${top.package}, ${top.priority}, due ${top.sla_due_at ?? '?'})`,
        details: {
          assetId,
          asset: name,
          breached: breached.length,
          near,
          worst: worst.slice(0, SIGNAL_WORST).map((r) => ({
            findingId: r.id,
            vuln: r.vuln,
            package: r.package,
            priority: r.priority,
            dueAt: r.sla_due_at,
            state: r.sla_state,
          })),
        },
        occurredAt: new Date(nowIso),
      });
      await this.#openSignal(db, `vulns:sla:${assetId}`, 'sla', assetId, severity, nowIso);
      result.slaSignals++;
      const events: VulnsFindingEventsTable[] = [];
      for (const state of ['near', 'breached'] as const) {
        const ids = list.filter((r) => r.sla_state === state).map((r) => r.id);
        for (const part of chunks(ids, 1000))
          await db.updateTable('vulns_findings').set({ sla_signalled: state }).where('id', 'in', part).execute();
        for (const r of list.filter((x) => x.sla_state === state))
          events.push(
            eventRow(
              r.id,
              nowIso,
              state === 'near' ? 'sla_near' : 'sla_breached',
              `deadline ${r.sla_due_at ?? ''}; signalled for ${name}`,
              {
                from: r.sla_signalled,
                to: state,
              },
            ),
          );
      }
      await insertEvents(db, events);
    }
    await this.#resolveSlaSignals(db, nowIso, result);
  }

  /** Record a firing SLA or KEV signal (the highest severity raised while it fires), for the sweep to resolve later. */
  async #openSignal(db: Db, key: string, kind: 'sla' | 'kev', subject: string, severity: SignalSeverity, nowIso: string) {
    const had = await db.selectFrom('vulns_open_signals').select('severity').where('dedup_key', '=', key).executeTakeFirst();
    if (!had) {
      await db
        .insertInto('vulns_open_signals')
        .values({ dedup_key: key, kind, subject, severity, raised_at: nowIso, updated_at: nowIso })
        .execute();
      return;
    }
    const worse = (SIGNAL_SEVERITY_RANK[severity] ?? 0) > (SIGNAL_SEVERITY_RANK[had.severity] ?? 0);
    await db
      .updateTable('vulns_open_signals')
      .set({ severity: worse ? severity : had.severity, updated_at: nowIso })
      .where('dedup_key', '=', key)
      .execute();
  }

  /**
   * Resolve the SLA signal of each asset that has one firing and no provider finding needing action near or past its
   * deadline any more (patched, triaged away, deadline moved, asset customer-managed or gone). Only those assets are
   * looked at. The open findings' `sla_signalled` is cleared, so that one coming back (a risk acceptance that ends)
   * signals again; a patched finding is reset when it reopens, and one triaged not affected or false positive keeps its
   * mark (it stays out of `vulns_findings_sla_unsignalled`, which every sweep reads). The signals API only raises an incident's severity, so a major signal with only near findings left
   * stays major until it resolves.
   */
  async #resolveSlaSignals(db: Db, nowIso: string, result: SweepResult): Promise<void> {
    const open = await db.selectFrom('vulns_open_signals').selectAll().where('kind', '=', 'sla').execute();
    if (open.length === 0) return;
    const pressing = new Set<string>();
    for (const part of chunks(
      open.map((o) => o.subject),
      500,
    ))
      for (const r of await sweepQueries.pressingDeadlines(db, part).execute()) if (Number(r.n) > 0) pressing.add(r.asset_id);
    for (const o of open) {
      if (pressing.has(o.subject)) continue;
      const asset = await db.selectFrom('vulns_assets').select('name').where('id', '=', o.subject).executeTakeFirst();
      const name = asset?.name ?? o.subject;
      await this.#deps.signals.raise(db, {
        source: 'vulns',
        dedupKey: o.dedup_key,
        status: 'resolved',
        severity: o.severity as SignalSeverity,
        summary: `${name}: no vulnerability finding needing action is near or past its patch deadline any more`,
        details: { assetId: o.subject, asset: name, since: o.raised_at },
        occurredAt: new Date(nowIso),
        autoResolve: true,
      });
      await db
        .updateTable('vulns_findings')
        .set({ sla_signalled: 'none' })
        .where('asset_id', '=', o.subject)
        .where('sla_signalled', '<>', 'none')
        .where('lifecycle', 'in', [...NOT_RESOLVED])
        .where('triage_state', 'not in', ['not_affected', 'false_positive'])
        .execute();
      await db.deleteFrom('vulns_open_signals').where('dedup_key', '=', o.dedup_key).execute();
      result.slaResolved = (result.slaResolved ?? 0) + 1;
    }
  }

  /**
   * Resolve the KEV signal of each CVE none of whose signalled findings still needs action on an internet-facing (or
   * unknown exposure) provider-operated asset: patched and in force, triaged away, the kernel not running, the asset
   * internal or customer-managed, or no open finding left. The open findings' `kev_signalled_at` is cleared: the CVE
   * signals again if one needs action again (the kernel booted, the host exposed, the acceptance ended); a patched
   * finding is reset when it reopens.
   */
  async #resolveKevSignals(db: Db, nowIso: string, result: SweepResult): Promise<void> {
    const open = await db.selectFrom('vulns_open_signals').selectAll().where('kind', '=', 'kev').execute();
    if (open.length === 0) return;
    const firing = new Set(open.map((o) => o.subject));
    const holding = new Set<string>();
    const idsOf = new Map<string, string[]>();
    for (const r of await sweepQueries.signalledKev(db).execute()) {
      const cve = kevCve(r.vuln, r.aliases);
      if (!firing.has(cve)) continue;
      const unresolved = NOT_RESOLVED.includes(r.lifecycle as Lifecycle);
      let ids = idsOf.get(cve);
      if (!ids) idsOf.set(cve, (ids = []));
      // A verified resolved finding is reset when it reopens (and stays out of `vulns_findings_kev_unsignalled` till then).
      if (unresolved) ids.push(r.id);
      const needsAction =
        unresolved &&
        r.in_force !== 'not_running' &&
        !TRIAGED_AWAY.includes(r.triage_state as TriageState) &&
        r.operated_by === 'provider' &&
        r.exposure !== 'internal';
      if (needsAction) holding.add(cve);
    }
    for (const o of open) {
      if (holding.has(o.subject)) continue;
      await this.#deps.signals.raise(db, {
        source: 'vulns',
        dedupKey: o.dedup_key,
        status: 'resolved',
        severity: 'critical',
        summary: `${o.subject} (CISA KEV) no longer needs action on any internet-facing host`,
        details: { cve: o.subject, since: o.raised_at },
        occurredAt: new Date(nowIso),
        autoResolve: true,
      });
      for (const part of chunks(idsOf.get(o.subject) ?? [], 1000))
        await db.updateTable('vulns_findings').set({ kev_signalled_at: null }).where('id', 'in', part).execute();
      await db.deleteFrom('vulns_open_signals').where('dedup_key', '=', o.dedup_key).execute();
      result.kevResolved = (result.kevResolved ?? 0) + 1;
    }
  }

  async #kevSignals(db: Db, nowIso: string, result: SweepResult): Promise<void> {
    const rows = await sweepQueries.unsignalledKev(db).execute();
    const byCve = new Map<string, typeof rows>();
    for (const r of rows) {
      const cve = kevCve(r.vuln, r.aliases);
      let list = byCve.get(cve);
      if (!list) byCve.set(cve, (list = []));
      list.push(r);
    }
    for (const [cve, list] of byCve) {
      const kev = await db
        .selectFrom('vulns_kev')
        .select(['name', 'date_added', 'due_date', 'ransomware'])
        .where('cve', '=', cve)
        .where('dataset', 'in', inForce(db))
        .limit(1)
        .executeTakeFirst();
      const hosts = [...new Set(list.map((r) => r.asset_name))].sort();
      const packages = [...new Set(list.map((r) => r.package))].sort();
      const shown = hosts.slice(0, 10).join(', ') + (hosts.length > 10 ? ` and ${hosts.length - 10} more` : '');
      await this.#deps.signals.raise(db, {
        source: 'vulns',
        dedupKey: `vulns:kev:${cve}`,
        status: 'firing',
        severity: 'critical',
        summary: `${cve}${kev ? ` (${kev.name})` : ''} is exploited in the wild (CISA KEV) and affects ${hosts.length} internet-facing host${hosts.length === 1 ? '' : 's'}: ${shown}`,
        details: {
          cve,
          packages,
          hosts,
          findings: list.map((r) => r.id).slice(0, 100),
          kev: kev
            ? { name: kev.name, dateAdded: kev.date_added, dueDate: kev.due_date, ransomware: Number(kev.ransomware) === 1 }
            : undefined,
        },
        occurredAt: new Date(nowIso),
      });
      await this.#openSignal(db, `vulns:kev:${cve}`, 'kev', cve, 'critical', nowIso);
      result.kevSignals++;
      const ids = list.map((r) => r.id);
      for (const part of chunks(ids, 1000))
        await db.updateTable('vulns_findings').set({ kev_signalled_at: nowIso }).where('id', 'in', part).execute();
    }
    await this.#resolveKevSignals(db, nowIso, result);
  }

  /** The statement source (feed kind) → version(s) of the feeds of that kind, for the priority's inputs. */
  async #sourceVersions(db: Db): Promise<Record<string, string>> {
    const versions = this.#deps.advisories.feedVersions();
    const feeds = await db.selectFrom('vulns_feeds').select(['id', 'kind']).orderBy('id').execute();
    const out: Record<string, string[]> = {};
    for (const f of feeds) {
      const v = versions[f.id];
      if (v !== undefined) (out[f.kind] ??= []).push(v);
    }
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('+')]));
  }

  /**
   * Publication dates of Debian DSA/DLA fixes for the findings about to get a `fix_available_at`, keyed
   * `package\0vuln\0fixed version`: the SLA and time-to-patch clocks start when the fix was published.
   */
  async #fixDates(
    db: Db,
    matched: readonly { package: string; vuln: string; status: string; fixedVersion?: string | undefined }[],
    existing: readonly FindingRow[],
    inventory: Inventory,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const codename = inventory.osRelease?.['VERSION_CODENAME'];
    if (!codename || !(inventory.distro ?? '').startsWith('Debian')) return out;
    const have = new Set(existing.filter((e) => e.fix_available_at !== null).map((e) => `${e.package}\u0000${e.vuln}`));
    const wanted = matched.filter((m) => m.status === 'fixed' && m.fixedVersion && !have.has(`${m.package}\u0000${m.vuln}`));
    if (wanted.length === 0) return out;
    const packages = [...new Set(wanted.map((m) => m.package))];
    for (const part of chunks(packages, 500)) {
      const rows = await db
        .selectFrom('vulns_debian_advisories')
        .select(['date', 'package', 'cves', 'fixed'])
        .where('package', 'in', part)
        .where('dataset', 'in', inForce(db))
        .execute();
      for (const r of rows) {
        const fixed = (JSON.parse(r.fixed) as Record<string, string>)[codename];
        if (!fixed) continue;
        for (const cve of JSON.parse(r.cves) as string[]) {
          const key = `${r.package}\u0000${cve}\u0000${fixed}`;
          const date = new Date(`${r.date}T00:00:00.000Z`).toISOString();
          const prev = out.get(key);
          if (!prev || date < prev) out.set(key, date);
        }
      }
    }
    return out;
  }

  /**
   * Record a triage decision (issue 5 item 9). `not_affected` needs a justification; `risk_accepted` needs the
   * permission vulns.accept (the approver is the actor) and an expiry in the future, at most maxRiskAcceptanceDays
   * ahead; `resolved` is a claim — the lifecycle stays until an inventory verifies it. Audited with before and after,
   * and written to the finding's history.
   */
  async triage(db: Db, id: string, body: TriageBody, actor: TriageActor, audit: AuditRecorder): Promise<FindingView> {
    const f = await findingRow(db, id);
    const now = this.#deps.clock.now();
    const nowIso = now.toISOString();
    const errors: FieldError[] = [];
    const state = body.state;
    if (state === 'risk_accepted' && !actor.mayAccept)
      throw forbidden('permission_denied', 'accepting a risk needs the permission vulns.accept');
    if (state === 'not_affected' && !body.justification)
      errors.push({ path: 'body.justification', message: 'not_affected needs a justification' });
    if (body.justification && state !== 'not_affected' && state !== 'false_positive')
      errors.push({ path: 'body.justification', message: 'a justification goes with not_affected or false_positive only' });
    let until: string | null = null;
    if (state === 'risk_accepted') {
      if (!body.expiresAt) errors.push({ path: 'body.expiresAt', message: 'a risk acceptance needs an expiry date' });
      else {
        const t = new Date(body.expiresAt);
        const max = this.#deps.config.maxRiskAcceptanceDays;
        if (t.getTime() <= now.getTime()) errors.push({ path: 'body.expiresAt', message: 'the expiry must be in the future' });
        else if (t.getTime() > now.getTime() + max * DAY_MS)
          errors.push({ path: 'body.expiresAt', message: `the expiry must be at most ${max} days ahead` });
        else until = t.toISOString();
      }
    } else if (body.expiresAt) errors.push({ path: 'body.expiresAt', message: 'an expiry goes with risk_accepted only' });
    if (errors.length > 0) throw invalid('triage_invalid', errors.map((e) => e.message).join('; '), errors);

    const before = triageRecord(f);
    // Back from not affected, false positive or an accepted risk to needing action: the finding has to be signalled
    // again (its marks were kept while it was triaged away), so the sweep sees it as never signalled.
    const backToAction = TRIAGED_AWAY.includes(f.triage_state as TriageState) && !TRIAGED_AWAY.includes(state);
    const set = {
      triage_state: state,
      justification: body.justification ?? null,
      triage_detail: body.detail ?? null,
      triage_by: actor.ref,
      triage_at: nowIso,
      accepted_by: state === 'risk_accepted' ? actor.ref : null,
      accepted_until: until,
      updated_at: nowIso,
      ...(backToAction ? { sla_signalled: 'none', kev_signalled_at: null } : {}),
    };
    await db.updateTable('vulns_findings').set(set).where('id', '=', id).execute();
    const words = [
      body.justification,
      until ? `accepted until ${until}` : undefined,
      state === 'resolved' && f.lifecycle !== 'verified_resolved' ? 'awaiting verification by a later inventory' : undefined,
      body.detail,
    ].filter((x): x is string => !!x);
    await insertEvents(db, [
      eventRow(id, nowIso, 'triage', words.join('; '), { from: f.triage_state, to: state, actor: actor.ref }),
    ]);
    audit.target(`vulns.finding:${id}`);
    audit.change({ type: 'vulns.finding', id, before, after: triageRecord({ ...f, ...set }) });
    return toView({ ...f, ...set });
  }

  list(db: Db, q: FindingsQuery): Promise<FindingsPage> {
    return listFindings(db, q);
  }

  get(db: Db, id: string): Promise<FindingDetail> {
    return findingDetail(db, id);
  }

  /** Time to detect, time to patch (p50/p90), SLA compliance, open by age and priority, weekly trend (item 11). */
  async metrics(db: Db, q: MetricsQuery): Promise<MetricsView> {
    let query = db
      .selectFrom('vulns_findings')
      .select([
        'priority',
        'operated_by',
        'lifecycle',
        'triage_state',
        'triage_at',
        'published_at',
        'fix_available_at',
        'first_detected_at',
        'patched_at',
        'in_force_at',
        'sla_due_at',
      ]);
    if (q.operatedBy) query = query.where('operated_by', '=', q.operatedBy);
    const rows = await query.execute();
    const now = this.#deps.clock.now();
    const closedByTriage = new Set<TriageState>(['resolved', 'not_affected', 'false_positive']);
    const report = computeMetrics(
      rows.map((r) => ({
        priority: r.priority as Priority,
        operatedBy: r.operated_by as AssetContext['operatedBy'],
        lifecycle: r.lifecycle as Lifecycle,
        triage: r.triage_state as TriageState,
        publishedAt: r.published_at,
        fixAvailableAt: r.fix_available_at,
        firstDetectedAt: r.first_detected_at,
        patchedAt: r.patched_at,
        inForceAt: r.in_force_at,
        slaDeadline: r.sla_due_at,
        closedAt:
          r.lifecycle === 'verified_resolved'
            ? r.in_force_at
            : closedByTriage.has(r.triage_state as TriageState)
              ? r.triage_at
              : null,
      })),
      { now, weeks: q.weeks },
    );
    return {
      now: now.toISOString(),
      weeks: q.weeks,
      ...(q.operatedBy !== 'customer' ? { provider: report.provider } : {}),
      ...(q.operatedBy !== 'provider' ? { customer: report.customer } : {}),
    };
  }

  /** Findings as a CycloneDX 1.6 VEX or OpenVEX v0.2.0 document (item 13). */
  async export(
    db: Db,
    q: ExportQuery,
  ): Promise<{ document: CycloneDxVex | OpenVexDocument; filename: string; contentType: string }> {
    let query = db
      .selectFrom('vulns_findings as f')
      .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
      .selectAll('f')
      .select('a.name as asset_name')
      .where('f.operated_by', '=', q.operatedBy);
    if (q.asset) {
      const asset = await db.selectFrom('vulns_assets').select('id').where('id', '=', q.asset).executeTakeFirst();
      if (!asset) throw notFound('asset_not_found', `no asset ${q.asset}`);
      query = query.where('f.asset_id', '=', q.asset);
    }
    if (q.open === 'true') query = query.where('f.lifecycle', 'in', [...NOT_RESOLVED]);
    const rows = await query
      .orderBy('a.name')
      .orderBy('f.package')
      .orderBy('f.vuln')
      .limit(MAX_EXPORT + 1)
      .execute();
    if (rows.length > MAX_EXPORT)
      throw invalid('export_too_large', `more than ${MAX_EXPORT} findings: export one asset at a time (asset=…)`, [
        { path: 'query.asset', message: 'narrow the export to one asset' },
      ]);
    const findings = rows.map((r): VexFinding => {
      const inputs = parseInputs(r.priority_inputs);
      return {
        id: r.id,
        assetName: r.asset_name,
        ecosystem: r.ecosystem,
        package: r.package,
        installedVersion: r.installed_version,
        fixedVersion: r.fixed_version ?? undefined,
        vuln: r.vuln,
        aliases: JSON.parse(r.aliases) as string[],
        triage: r.triage_state as TriageState,
        lifecycle: r.lifecycle as Lifecycle,
        justification: (r.justification as NotAffectedJustification | null) ?? undefined,
        detail: r.triage_detail ?? undefined,
        vendorStatus: r.vendor_status as VexFinding['vendorStatus'],
        cvss: inputs?.cvss
          ? { vector: inputs.cvss.vector, score: inputs.cvss.score, version: inputs.cvss.version as CvssVersion }
          : undefined,
        updatedAt: r.updated_at,
        firstDetectedAt: r.first_detected_at,
      };
    });
    const now = this.#deps.clock.now();
    const day = now.toISOString().slice(0, 10);
    if (q.format === 'cyclonedx')
      return {
        document: toCycloneDxVex(findings, { now }),
        filename: `skjold-vex-${day}.cdx.json`,
        contentType: 'application/vnd.cyclonedx+json; charset=utf-8',
      };
    if (findings.length === 0)
      throw notFound('no_findings', 'no findings to export: an OpenVEX document needs at least one statement');
    return {
      document: toOpenVex(findings, { now, author: 'Skjold vulnerability management' }),
      filename: `skjold-vex-${day}.openvex.json`,
      contentType: 'application/json; charset=utf-8',
    };
  }
}

function parseInputs(text: string): { cvss?: { vector: string; score: number; version: string } | undefined } | null {
  try {
    return JSON.parse(text) as { cvss?: { vector: string; score: number; version: string } };
  } catch {
    return null;
  }
}

/** The triage fields of a finding, as its audit record shows them before and after. */
function triageRecord(f: {
  triage_state: string;
  justification: string | null;
  triage_detail: string | null;
  triage_by: string | null;
  accepted_by: string | null;
  accepted_until: string | null;
  vuln: string;
  package: string;
  asset_id: string;
}): Record<string, unknown> {
  return {
    state: f.triage_state,
    justification: f.justification,
    detail: f.triage_detail,
    by: f.triage_by,
    acceptedBy: f.accepted_by,
    acceptedUntil: f.accepted_until,
    vuln: f.vuln,
    package: f.package,
    assetId: f.asset_id,
  };
}
