/**
 * Reading and writing `vulns_findings` and `vulns_finding_events`: row ↔ view, batched inserts, the filtered and paged
 * list with the counts of what the view leaves out (issue 5 item 5: never dropped), and one finding's detail.
 */
import { randomBytes } from 'node:crypto';
import { sql, type ExpressionBuilder } from 'kysely';
import type { Db } from '../../core/db/database.ts';
import type { Tables } from '../../core/db/tables.ts';
import { invalid, notFound } from '../../core/errors.ts';
import type { FindingsQuery } from './api/findings.schemas.ts';
import type {
  AssetContext,
  InForce,
  Lifecycle,
  NotAffectedJustification,
  Priority,
  PriorityInputs,
  Severity,
  TriageState,
  VendorStatus,
} from './model.ts';
import type { VulnsFindingEventsTable, VulnsFindingsTable } from './vulns.tables.ts';
import { inForce } from './advisories.store.ts';

/** Triage states that take a finding out of "needs action" (still listed and counted, never dropped). */
export const TRIAGED_AWAY: readonly TriageState[] = ['not_affected', 'false_positive', 'risk_accepted'];
/** Lifecycles in which the vulnerable code may still run. */
export const NOT_RESOLVED: readonly Lifecycle[] = ['open', 'patched_on_disk'];
/** Actor of changes the fleet's evidence makes (scans, re-evaluations, the SLA sweep). */
export const SYSTEM_ACTOR = 'system:vulns';

/** A finding as the API lists it. */
export interface FindingView {
  id: string;
  asset: { id: string; name: string; ownerTeam: string; operatedBy: AssetContext['operatedBy'] };
  ecosystem: string;
  /** Source package (distros) or component (applications). */
  package: string;
  vuln: string;
  aliases: string[];
  binaries: { name: string; version: string }[];
  installedVersion: string;
  fixedVersion: string | null;
  vendorStatus: VendorStatus;
  /** '' once resolved. */
  inForce: InForce | '';
  severity: Severity;
  urgency: string | null;
  note: string | null;
  source: string;
  lifecycle: Lifecycle;
  /** What a person reads: `open`, `patched on disk, not in force`, `resolved — awaiting verification`, … */
  status: string;
  triage: {
    state: TriageState;
    justification: NotAffectedJustification | null;
    detail: string | null;
    by: string | null;
    at: string | null;
    acceptedBy: string | null;
    acceptedUntil: string | null;
  };
  priority: Priority;
  priorityScore: number;
  priorityReasons: string[];
  kev: boolean;
  epss: number | null;
  sla: { dueAt: string | null; state: 'none' | 'ok' | 'near' | 'breached' };
  operatedBy: AssetContext['operatedBy'];
  publishedAt: string | null;
  fixAvailableAt: string | null;
  firstDetectedAt: string;
  lastDetectedAt: string;
  patchedAt: string | null;
  inForceAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FindingEventView {
  at: string;
  kind: string;
  from: string | null;
  to: string | null;
  actor: string;
  detail: string;
}

/** One finding with everything behind it: asset, vendor statement, priority inputs, history. */
export interface FindingDetail extends FindingView {
  assetContext: AssetContext & { kind: string; environment: string; site: string; customer: string | null };
  statement: {
    source: string;
    status: VendorStatus;
    fixedVersion: string | null;
    severity: Severity;
    urgency: string | null;
    note: string | null;
    summary: string | null;
    cvss: string[];
    published: string | null;
  };
  priorityInputs: PriorityInputs | null;
  history: FindingEventView[];
}

export type FindingRow = VulnsFindingsTable;
type AssetCols = { asset_name: string; asset_owner_team: string; asset_operated_by: string };

/** The words a person reads for a finding's state (the evidence first, then the people's decision). */
export function statusWords(lifecycle: Lifecycle, triage: TriageState): string {
  if (lifecycle === 'verified_resolved') return 'verified resolved';
  if (triage === 'resolved') return 'resolved — awaiting verification';
  if (triage === 'not_affected') return 'not affected';
  if (triage === 'false_positive') return 'false positive';
  if (triage === 'risk_accepted') return 'risk accepted';
  return lifecycle === 'patched_on_disk' ? 'patched on disk, not in force' : 'open';
}

function json<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toView(r: FindingRow & AssetCols): FindingView {
  const lifecycle = r.lifecycle as Lifecycle;
  const triage = r.triage_state as TriageState;
  return {
    id: r.id,
    asset: {
      id: r.asset_id,
      name: r.asset_name,
      ownerTeam: r.asset_owner_team,
      operatedBy: r.asset_operated_by as AssetContext['operatedBy'],
    },
    ecosystem: r.ecosystem,
    package: r.package,
    vuln: r.vuln,
    aliases: json<string[]>(r.aliases, []),
    binaries: json<{ name: string; version: string }[]>(r.binaries, []),
    installedVersion: r.installed_version,
    fixedVersion: r.fixed_version,
    vendorStatus: r.vendor_status as VendorStatus,
    inForce: r.in_force as InForce | '',
    severity: r.severity as Severity,
    urgency: r.urgency,
    note: r.note,
    source: r.source,
    lifecycle,
    status: statusWords(lifecycle, triage),
    triage: {
      state: triage,
      justification: r.justification as NotAffectedJustification | null,
      detail: r.triage_detail,
      by: r.triage_by,
      at: r.triage_at,
      acceptedBy: r.accepted_by,
      acceptedUntil: r.accepted_until,
    },
    priority: r.priority as Priority,
    priorityScore: Number(r.priority_score),
    priorityReasons: json<string[]>(r.priority_reasons, []),
    kev: Number(r.kev) === 1,
    epss: r.epss === null ? null : Number(r.epss),
    sla: { dueAt: r.sla_due_at, state: r.sla_state as FindingView['sla']['state'] },
    operatedBy: r.operated_by as AssetContext['operatedBy'],
    publishedAt: r.published_at,
    fixAvailableAt: r.fix_available_at,
    firstDetectedAt: r.first_detected_at,
    lastDetectedAt: r.last_detected_at,
    patchedAt: r.patched_at,
    inForceAt: r.in_force_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

let lastMs = 0;
let seq = 0;

/**
 * A time-ordered id (UUID version 7 layout: milliseconds, then a counter within the millisecond), for finding events
 * and findings: a finding's history sorts in the order it was written even when the injected clock gives several
 * events one time, and new rows land at the end of the primary-key index instead of on a random page of it (a fleet
 * run inserts tens of thousands of findings into a table of millions).
 */
export function timeOrderedId(): string {
  const ms = Math.max(Date.now(), lastMs);
  if (ms === lastMs) seq++;
  else seq = 0;
  lastMs = ms;
  if (seq > 0xfff) {
    lastMs = ms + 1;
    seq = 0;
  }
  const b = randomBytes(16);
  b.writeUIntBE(lastMs, 0, 6);
  b[6] = 0x70 | ((seq >> 8) & 0x0f);
  b[7] = seq & 0xff;
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A new event row. */
export function eventRow(
  findingId: string,
  at: string,
  kind: string,
  detail: string,
  o: { from?: string | null; to?: string | null; actor?: string } = {},
): VulnsFindingEventsTable {
  return {
    id: timeOrderedId(),
    finding_id: findingId,
    at,
    kind,
    from_value: o.from ?? null,
    to_value: o.to ?? null,
    actor: o.actor ?? SYSTEM_ACTOR,
    detail,
  };
}

// About 45 columns a finding: 200 rows stay far below SQLite's 32,766 bound parameters (and PostgreSQL's 65,535).
const FINDING_CHUNK = 200;
const EVENT_CHUNK = 1000;

export async function insertFindings(db: Db, rows: readonly FindingRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += FINDING_CHUNK)
    await db
      .insertInto('vulns_findings')
      .values(rows.slice(i, i + FINDING_CHUNK))
      .execute();
}

export async function insertEvents(db: Db, rows: readonly VulnsFindingEventsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += EVENT_CHUNK)
    await db
      .insertInto('vulns_finding_events')
      .values(rows.slice(i, i + EVENT_CHUNK))
      .execute();
}

/** Numeric columns: bound values are cast to their type (PostgreSQL reads a VALUES list's parameters as text). */
const NUMERIC: Partial<Record<keyof FindingRow, string>> = {
  priority_score: 'integer',
  kev: 'integer',
  epss: 'double precision',
};
// Bound parameters per UPDATE: below SQLite's 32,766 (and PostgreSQL's 65,535).
const MAX_UPDATE_PARAMS = 30_000;

/**
 * Apply many findings' partial updates with few statements: updates that set the same columns go together, as one
 * `WITH v(id, …) AS (VALUES …) UPDATE … FROM v` per chunk (both SQLite ≥ 3.33 and PostgreSQL), instead of one
 * statement per row — a fleet re-evaluation writes thousands.
 */
export async function updateFindings(db: Db, updates: readonly { id: string; set: Partial<FindingRow> }[]): Promise<void> {
  const bySet = new Map<string, { cols: (keyof FindingRow)[]; rows: { id: string; set: Partial<FindingRow> }[] }>();
  for (const u of updates) {
    const cols = (Object.keys(u.set) as (keyof FindingRow)[]).filter((c) => u.set[c] !== undefined).sort();
    if (cols.length === 0) continue;
    const key = cols.join(',');
    let g = bySet.get(key);
    if (!g) bySet.set(key, (g = { cols, rows: [] }));
    g.rows.push(u);
  }
  for (const { cols, rows } of bySet.values()) {
    if (rows.length === 1) {
      const u = rows[0] as (typeof rows)[number];
      await db.updateTable('vulns_findings').set(u.set).where('id', '=', u.id).execute();
      continue;
    }
    const per = Math.max(1, Math.min(1000, Math.floor(MAX_UPDATE_PARAMS / (cols.length + 1))));
    const names = sql.raw(['id', ...cols].map((c) => `"${c}"`).join(', '));
    const sets = sql.raw(
      cols
        .map((c) => {
          const type = NUMERIC[c];
          return type ? `"${c}" = CAST(v."${c}" AS ${type})` : `"${c}" = v."${c}"`;
        })
        .join(', '),
    );
    for (let i = 0; i < rows.length; i += per) {
      const values = rows
        .slice(i, i + per)
        .map((u) => sql`(${sql.join([u.id, ...cols.map((c) => u.set[c] as string | number | null)])})`);
      await sql`WITH v(${names}) AS (VALUES ${sql.join(values)}) UPDATE vulns_findings SET ${sets} FROM v WHERE vulns_findings.id = v.id`.execute(
        db,
      );
    }
  }
}

const ASSET_SELECT = ['a.name as asset_name', 'a.owner_team as asset_owner_team', 'a.operated_by as asset_operated_by'] as const;
// Sorting key: highest priority score first, then the earliest SLA deadline (none last), then id.
const DUE = sql<string>`coalesce(f.sla_due_at, '9999')`;

type Eb = ExpressionBuilder<Tables & { f: VulnsFindingsTable; a: Tables['vulns_assets'] }, 'f' | 'a'>;

function encodeCursor(r: { priority_score: number; sla_due_at: string | null; id: string }): string {
  return Buffer.from(`${Number(r.priority_score)}|${r.sla_due_at ?? '9999'}|${r.id}`, 'utf8').toString('base64url');
}

function decodeCursor(c: string): { score: number; due: string; id: string } {
  const [score, due, id, extra] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  if (score === undefined || !/^\d{1,3}$/.test(score) || !due || !id || extra !== undefined)
    throw invalid('cursor_invalid', 'the cursor is not one this API handed out', [
      { path: 'query.cursor', message: 'invalid cursor' },
    ]);
  return { score: Number(score), due, id };
}

/** The default view: still there, needs work (fix available or KEV), not triaged away (also counted on /metrics). */
export function needsAction(eb: Eb) {
  return eb.and([
    eb('f.lifecycle', 'in', [...NOT_RESOLVED]),
    eb.or([eb('f.vendor_status', '=', 'fixed'), eb('f.kev', '=', 1)]),
    eb('f.triage_state', 'not in', [...TRIAGED_AWAY]),
  ]);
}

/** The filters other than `view`, `limit` and `cursor`. */
function scope(eb: Eb, q: FindingsQuery) {
  const all = [eb('f.operated_by', '=', q.operatedBy)];
  if (q.lifecycle?.length) all.push(eb('f.lifecycle', 'in', q.lifecycle));
  if (q.triage?.length) all.push(eb('f.triage_state', 'in', q.triage));
  if (q.priority?.length) all.push(eb('f.priority', 'in', q.priority));
  if (q.vendorStatus?.length) all.push(eb('f.vendor_status', 'in', q.vendorStatus));
  if (q.sla?.length) all.push(eb('f.sla_state', 'in', q.sla));
  if (q.kev) all.push(eb('f.kev', '=', q.kev === 'true' ? 1 : 0));
  if (q.ownerTeam !== undefined) all.push(eb('a.owner_team', '=', q.ownerTeam));
  if (q.asset) all.push(eb('f.asset_id', '=', q.asset));
  if (q.q) {
    // Case-insensitive on both databases; LIKE wildcards in the search text are taken literally.
    const needle = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    all.push(
      eb.or([
        eb(sql`lower(f.vuln)`, 'like', sql`${needle} escape '\\'`),
        eb(sql`lower(f.aliases)`, 'like', sql`${needle} escape '\\'`),
        eb(sql`lower(f.package)`, 'like', sql`${needle} escape '\\'`),
      ]),
    );
  }
  return eb.and(all);
}

export interface FindingsPage {
  items: FindingView[];
  nextCursor: string | null;
  /** Findings in the view (all pages). */
  total: number;
  /**
   * What the view leaves out under the same filters, so nothing is silently dropped (issue 5 item 5): by vendor
   * status, triage state and lifecycle. For `view=all` it is empty (nothing is left out).
   */
  outside: {
    total: number;
    byVendorStatus: Partial<Record<VendorStatus, number>>;
    byTriage: Partial<Record<TriageState, number>>;
    byLifecycle: Partial<Record<Lifecycle, number>>;
  };
}

/** The filtered, keyset-paged list (priority score, then SLA due), with the counts of what the view leaves out. */
export async function listFindings(db: Db, q: FindingsQuery): Promise<FindingsPage> {
  const base = db.selectFrom('vulns_findings as f').innerJoin('vulns_assets as a', 'a.id', 'f.asset_id');
  const inView = (eb: Eb) => (q.view === 'action' ? eb.and([scope(eb, q), needsAction(eb)]) : scope(eb, q));
  let page = base.selectAll('f').select(ASSET_SELECT).where(inView);
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor);
    page = page.where((eb) =>
      eb.or([
        eb('f.priority_score', '<', c.score),
        eb.and([eb('f.priority_score', '=', c.score), eb(DUE, '>', c.due)]),
        eb.and([eb('f.priority_score', '=', c.score), eb(DUE, '=', c.due), eb('f.id', '>', c.id)]),
      ]),
    );
  }
  const rows = await page
    .orderBy('f.priority_score', 'desc')
    .orderBy(DUE, 'asc')
    .orderBy('f.id', 'asc')
    .limit(q.limit + 1)
    .execute();
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  const total = await base
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(inView)
    .executeTakeFirstOrThrow();
  const outside: FindingsPage['outside'] = { total: 0, byVendorStatus: {}, byTriage: {}, byLifecycle: {} };
  if (q.view === 'action') {
    const groups = await base
      .select(['f.vendor_status', 'f.triage_state', 'f.lifecycle', (eb) => eb.fn.countAll<number>().as('n')])
      .where((eb) => eb.and([scope(eb, q), eb.not(needsAction(eb))]))
      .groupBy(['f.vendor_status', 'f.triage_state', 'f.lifecycle'])
      .execute();
    for (const g of groups) {
      const n = Number(g.n);
      outside.total += n;
      const vs = g.vendor_status as VendorStatus;
      const tr = g.triage_state as TriageState;
      const lc = g.lifecycle as Lifecycle;
      outside.byVendorStatus[vs] = (outside.byVendorStatus[vs] ?? 0) + n;
      outside.byTriage[tr] = (outside.byTriage[tr] ?? 0) + n;
      outside.byLifecycle[lc] = (outside.byLifecycle[lc] ?? 0) + n;
    }
  }
  return {
    items: items.map(toView),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
    total: Number(total.n),
    outside,
  };
}

/** One finding's row with its asset's name, or not_found. */
export async function findingRow(db: Db, id: string): Promise<FindingRow & AssetCols> {
  const r = await db
    .selectFrom('vulns_findings as f')
    .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
    .selectAll('f')
    .select(ASSET_SELECT)
    .where('f.id', '=', id)
    .executeTakeFirst();
  if (!r) throw notFound('finding_not_found', `no finding ${id}`);
  return r;
}

/** One finding with its asset, the vendor statement, the priority's inputs and the history (oldest first). */
export async function findingDetail(db: Db, id: string): Promise<FindingDetail> {
  const r = await findingRow(db, id);
  const asset = await db.selectFrom('vulns_assets').selectAll().where('id', '=', r.asset_id).executeTakeFirstOrThrow();
  const vuln = await db
    .selectFrom('vulns_vulnerabilities')
    .select(['summary', 'cvss', 'published'])
    .where('id', '=', r.vuln)
    .where('dataset', 'in', inForce(db))
    .orderBy('dataset')
    .limit(1)
    .executeTakeFirst();
  const events = await db
    .selectFrom('vulns_finding_events')
    .selectAll()
    .where('finding_id', '=', id)
    .orderBy('at')
    .orderBy('id')
    .limit(1000)
    .execute();
  return {
    ...toView(r),
    assetContext: {
      exposure: asset.exposure as AssetContext['exposure'],
      criticality: asset.criticality as AssetContext['criticality'],
      operatedBy: asset.operated_by as AssetContext['operatedBy'],
      kind: asset.kind,
      environment: asset.environment,
      site: asset.site,
      customer: asset.customer,
    },
    statement: {
      source: r.source,
      status: r.vendor_status as VendorStatus,
      fixedVersion: r.fixed_version,
      severity: r.severity as Severity,
      urgency: r.urgency,
      note: r.note,
      summary: vuln?.summary || null,
      cvss: json<string[]>(vuln?.cvss ?? null, []),
      published: vuln?.published ?? r.published_at,
    },
    priorityInputs: json<PriorityInputs | null>(r.priority_inputs, null),
    history: events.map((e) => ({
      at: e.at,
      kind: e.kind,
      from: e.from_value,
      to: e.to_value,
      actor: e.actor,
      detail: e.detail,
    })),
  };
}

/** `lifecycle IN (open, patched_on_disk)` as an expression no index is chosen for (see `sweepQueries`). */
function openLifecycle(column: 'lifecycle' | 'f.lifecycle') {
  return sql<boolean>`(${sql.ref(column)} || '') in (${sql.join(NOT_RESOLVED.map((l) => sql.lit(l)))})`;
}

/**
 * The SLA sweep's four questions, as builders (the sweep executes them; a test asks each database for its plan). Each
 * has a partial index (migrations 0002 and 0004) and repeats that index's predicate as literals: SQLite uses a partial
 * index only when the query's WHERE holds the index's own terms. The lifecycle test is written as an expression
 * (`openLifecycle`) so that SQLite, which keeps no statistics, does not prefer the `lifecycle` index (an equality on
 * its first column, but two thirds of the table) over the partial index.
 */
export const sweepQueries = {
  /** Risk acceptances whose end has come. */
  expiredAcceptances: (db: Db, nowIso: string) =>
    db
      .selectFrom('vulns_findings')
      .selectAll()
      .where('triage_state', '=', sql.lit('risk_accepted'))
      .where('accepted_until', '<=', nowIso),
  /** Open findings `ok` or `near` whose deadline has passed (they turn breached). */
  deadlinesPassed: (db: Db, nowIso: string) =>
    db
      .selectFrom('vulns_findings')
      .select(['id', 'sla_due_at', 'sla_state', 'fix_available_at', 'first_detected_at'])
      .where(sql.ref('sla_state'), 'in', sql`('ok', 'near')`)
      .where('sla_due_at', '<', nowIso)
      .where(openLifecycle('lifecycle')),
  /** Open findings still `ok` whose near instant has come (they turn near, or breached if the deadline passed too). */
  nearingDeadlines: (db: Db, nowIso: string) =>
    db
      .selectFrom('vulns_findings')
      .select(['id', 'sla_due_at', 'sla_state', 'fix_available_at', 'first_detected_at'])
      .where('sla_state', '=', sql.lit('ok'))
      .where('sla_near_at', '<=', nowIso)
      .where(openLifecycle('lifecycle')),
  /** Provider findings near or past their deadline that were not signalled in that state (yet needing action). */
  unsignalledDeadlines: (db: Db) =>
    db
      .selectFrom('vulns_findings as f')
      .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
      .select([
        'f.id',
        'f.asset_id',
        'a.name as asset_name',
        'f.vuln',
        'f.package',
        'f.priority',
        'f.priority_score',
        'f.sla_due_at',
        'f.sla_state',
        'f.sla_signalled',
      ])
      .where(sql.ref('f.sla_state'), 'in', sql`('near', 'breached')`)
      .where(sql.ref('f.sla_signalled'), '<>', sql.ref('f.sla_state'))
      .where(openLifecycle('f.lifecycle'))
      .where('f.operated_by', '=', 'provider')
      .where('f.triage_state', 'not in', [...TRIAGED_AWAY]),
  /** KEV findings on internet-facing (or unknown) provider assets not yet signalled. */
  unsignalledKev: (db: Db) =>
    db
      .selectFrom('vulns_findings as f')
      .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
      .select(['f.id', 'f.vuln', 'f.aliases', 'f.package', 'a.name as asset_name', 'a.exposure'])
      .where('f.kev', '=', sql.lit(1))
      .where('f.kev_signalled_at', 'is', null)
      .where(openLifecycle('f.lifecycle'))
      .where('f.in_force', '<>', 'not_running')
      .where('f.triage_state', 'not in', [...TRIAGED_AWAY])
      .where('a.operated_by', '=', 'provider')
      .where('a.exposure', '<>', 'internal'),
  /**
   * For assets with a firing SLA signal: how many of their provider findings needing action are near or past their
   * deadline, per asset and state (none left: the signal is resolved).
   */
  pressingDeadlines: (db: Db, assetIds: readonly string[]) =>
    db
      .selectFrom('vulns_findings as f')
      .select(['f.asset_id', 'f.sla_state', (eb) => eb.fn.countAll<number>().as('n')])
      .where(sql.ref('f.sla_state'), 'in', sql`('near', 'breached')`)
      .where(sql.ref('f.operated_by'), '=', sql.lit('provider'))
      .where(sql.ref('f.lifecycle'), 'in', sql`('open', 'patched_on_disk')`)
      .where('f.asset_id', 'in', assetIds.length > 0 ? [...assetIds] : [''])
      .where('f.triage_state', 'not in', [...TRIAGED_AWAY])
      .groupBy(['f.asset_id', 'f.sla_state']),
  /**
   * Every KEV finding a signal was raised for, with whether it still needs action on an internet-facing (or unknown)
   * provider asset (the terms of `unsignalledKev`): a KEV signal none of whose findings still does is resolved.
   */
  signalledKev: (db: Db) =>
    db
      .selectFrom('vulns_findings as f')
      .innerJoin('vulns_assets as a', 'a.id', 'f.asset_id')
      .select(['f.id', 'f.vuln', 'f.aliases', 'f.lifecycle', 'f.in_force', 'f.triage_state', 'a.operated_by', 'a.exposure'])
      .where('f.kev', '=', sql.lit(1))
      .where('f.kev_signalled_at', 'is not', null),
};
