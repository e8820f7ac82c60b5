/**
 * The diff between what the matcher found on an asset and the findings stored for it (issue 5 items 9–12). Pure: the
 * service reads the asset's findings in one query, calls `reconcile`, and writes only what it returns — the fleet's
 * re-evaluation after a feed change touches the rows whose facts changed and nothing else.
 *
 * Rules (people's triage and risk acceptance are never touched here: they survive re-scans and re-imports):
 * - matched, not stored → inserted (lifecycle `open`, or `patched_on_disk` for a fixed kernel not yet booted; triage
 *   `in_triage`), event `detected`;
 * - matched, stored → facts updated (binaries, versions, vendor status, in force, priority, SLA); events only for a
 *   vendor status, a priority level or a KEV listing that changed, and for lifecycle moves;
 * - matched, verified resolved → reopened (a new episode: first detected now; the earlier one is in the history);
 * - stored and open, not matched:
 *   - the installed version is unchanged → the ADVISORY changed (e.g. the vendor now says not affected): verified
 *     resolved, and the event says so;
 *   - else, when the host reports services needing a restart or a reboot (`pendingRestart`) and it is not the kernel
 *     (whose findings carry their own `inForce`) → `patched_on_disk` (fixed on disk, old code may still run);
 *   - else → `verified_resolved`: this inventory shows the fix in force (item 11);
 *   - but never when the index holds no advisories for the finding's ecosystem: absence then proves nothing.
 */
import type { AdvisoryIndex } from './match/advisory-index.ts';
import type { MatchResult } from './match/matcher.ts';
import type { AssetContext, InForce, Lifecycle, MatchedFinding, PriorityInputs, PriorityResult } from './model.ts';
import { computePriority } from './policy/priority.ts';
import { slaDeadline, slaNearAt, slaState, type SlaPolicy, type SlaState } from './policy/sla.ts';
import { eventRow, NOT_RESOLVED, type FindingRow } from './findings.store.ts';
import type { VulnsFindingEventsTable } from './vulns.tables.ts';

export interface ReconcileInput {
  asset: { id: string } & AssetContext;
  snapshot: { id: string; at: string };
  now: Date;
  match: MatchResult;
  /** Source package (or component) → every version of it installed in this snapshot. */
  installed: ReadonlyMap<string, ReadonlySet<string>>;
  existing: readonly FindingRow[];
  index: AdvisoryIndex;
  policy: SlaPolicy;
  /** Statement source (`debian-tracker`, `osv`) → the version of the feed(s) it came from. */
  sourceVersions: Readonly<Record<string, string>>;
  /** Debian DSA/DLA publication date of a fix (`package\0vuln\0fixed version`), when known. */
  fixDates?: ReadonlyMap<string, string> | undefined;
  newId: () => string;
  /**
   * Priorities computed earlier in the same fleet run, by everything they depend on: the same vulnerability on a
   * thousand hosts of one kind is scored once (CVSS parsing dominates otherwise).
   */
  priorityCache?: Map<string, Facts> | undefined;
}

export interface ReconcileCounts {
  detected: number;
  updated: number;
  unchanged: number;
  reopened: number;
  patchedOnDisk: number;
  resolved: number;
}

export interface ReconcileOutput {
  inserts: FindingRow[];
  updates: { id: string; set: Partial<FindingRow> }[];
  events: VulnsFindingEventsTable[];
  counts: ReconcileCounts;
}

/**
 * Source packages whose findings say for themselves whether the fix runs (the matcher knows the running kernel):
 * `linux`, `kernel`, and Ubuntu's flavoured kernel sources (`linux-aws`, `linux-hwe-6.5`, …), known by the kernel
 * images or modules among the finding's binaries (JSON `[{name, version}]`).
 */
export function isKernelPackage(pkg: string, binaries?: string): boolean {
  if (pkg === 'linux' || pkg === 'kernel') return true;
  if (binaries === undefined || !pkg.startsWith('linux-')) return false;
  const list = JSON.parse(binaries) as { name: string }[];
  return list.some((b) => /^linux-(?:image-(?:unsigned-)?|modules-)\d/.test(b.name));
}

export function findingKey(pkg: string, vuln: string): string {
  return `${pkg}\u0000${vuln}`;
}

/** The CVE ids KEV and EPSS key by: the finding's id and its CVE aliases. */
function cvesOf(m: { vuln: string; aliases: readonly string[] }): string[] {
  return [m.vuln, ...m.aliases].filter((v) => v.startsWith('CVE-'));
}

export interface Facts {
  priority: PriorityResult;
  kev: boolean;
  epss: number | null;
  /** `priority.reasons` and `priority.inputs` as stored (JSON), and the inputs' comparison key. */
  reasonsText: string;
  inputsText: string;
  inputsKey: string;
}

function factsOf(input: ReconcileInput, m: MatchedFinding): Facts {
  const cache = input.priorityCache;
  const key = cache
    ? `${m.vuln}\u0000${m.aliases.join(',')}\u0000${m.severity}\u0000${m.status}\u0000${m.inForce}\u0000${m.source}\u0000${(m.cvss ?? []).join(' ')}\u0000${input.asset.exposure}\u0000${input.asset.criticality}\u0000${input.asset.operatedBy}`
    : '';
  const hit = cache?.get(key);
  if (hit) return hit;
  const facts = computeFacts(input, m);
  if (cache && cache.size < 500_000) cache.set(key, facts);
  return facts;
}

function computeFacts(input: ReconcileInput, m: MatchedFinding): Facts {
  const { kev, epss } = input.index.exploitation(m.vuln, cvesOf(m));
  const priority = computePriority({
    vendorSeverity: m.severity,
    cvssVectors: m.cvss,
    epss: epss ? { score: epss.epss, percentile: epss.percentile, feedVersion: input.index.epssVersion ?? '' } : undefined,
    kev: kev
      ? { dateAdded: kev.dateAdded, dueDate: kev.dueDate, ransomware: kev.ransomware, feedVersion: input.index.kevVersion ?? '' }
      : undefined,
    asset: input.asset,
    advisoryFeedVersion: input.sourceVersions[m.source],
    vendorStatus: m.status,
    inForce: m.inForce,
  });
  return {
    priority,
    kev: kev !== undefined,
    epss: epss ? epss.epss : null,
    reasonsText: JSON.stringify(priority.reasons),
    inputsText: JSON.stringify(priority.inputs),
    inputsKey: inputsKey(priority.inputs),
  };
}

/**
 * Inputs compared without their feed versions: a new EPSS or KEV file that says the same about a finding does not
 * rewrite it, so the versions stored are those of the feed that first gave the values now in force.
 */
function inputsKey(inputs: PriorityInputs): string {
  const { advisoryFeedVersion: _a, ...rest } = inputs;
  void _a;
  return JSON.stringify({
    ...rest,
    epss: rest.epss ? { score: rest.epss.score, percentile: rest.epss.percentile } : undefined,
    kev: rest.kev ? { dateAdded: rest.kev.dateAdded, dueDate: rest.kev.dueDate, ransomware: rest.kev.ransomware } : undefined,
  });
}

function storedInputsKey(text: string): string {
  try {
    return inputsKey(JSON.parse(text) as PriorityInputs);
  } catch {
    return '';
  }
}

function sla(
  input: ReconcileInput,
  o: { priority: PriorityResult; kev: boolean; fixAvailableAt: string | null; firstDetectedAt: string; inForce: InForce },
): { due: string | null; nearAt: string | null; state: SlaState } {
  const due = slaDeadline({
    priority: o.priority.priority,
    kev: o.kev,
    exposure: input.asset.exposure,
    operatedBy: input.asset.operatedBy,
    fixAvailableAt: o.fixAvailableAt,
    firstDetectedAt: o.firstDetectedAt,
    inForce: o.inForce,
    policy: input.policy,
  });
  if (due === null) return { due: null, nearAt: null, state: 'none' };
  const start = o.fixAvailableAt && o.fixAvailableAt > o.firstDetectedAt ? o.fixAvailableAt : o.firstDetectedAt;
  return {
    due: due.toISOString(),
    nearAt: slaNearAt(due, { start })?.toISOString() ?? null,
    state: slaState(due, input.now, { start }),
  };
}

function lifecycleOf(m: MatchedFinding): Lifecycle {
  return m.inForce === 'on_disk' ? 'patched_on_disk' : 'open';
}

function binariesText(m: MatchedFinding): string {
  return JSON.stringify(m.binaries.map((b) => ({ name: b.name, version: b.version })));
}

/** Compute inserts, updates and events for one asset (see the file header). */
export function reconcile(input: ReconcileInput): ReconcileOutput {
  const nowIso = input.now.toISOString();
  const snapAt = input.snapshot.at;
  const out: ReconcileOutput = {
    inserts: [],
    updates: [],
    events: [],
    counts: { detected: 0, updated: 0, unchanged: 0, reopened: 0, patchedOnDisk: 0, resolved: 0 },
  };
  const stored = new Map<string, FindingRow>();
  for (const r of input.existing) stored.set(findingKey(r.package, r.vuln), r);
  const seen = new Set<string>();

  for (const m of input.match.findings) {
    const key = findingKey(m.package, m.vuln);
    if (seen.has(key)) continue;
    seen.add(key);
    const facts = factsOf(input, m);
    const e = stored.get(key);
    const fixDate = input.fixDates?.get(`${m.package}\u0000${m.vuln}\u0000${m.fixedVersion ?? ''}`);

    if (!e) {
      const id = input.newId();
      const fixAvailableAt = m.status === 'fixed' ? (fixDate ?? nowIso) : null;
      const lifecycle = lifecycleOf(m);
      const s = sla(input, {
        priority: facts.priority,
        kev: facts.kev,
        fixAvailableAt,
        firstDetectedAt: snapAt,
        inForce: m.inForce,
      });
      out.inserts.push({
        id,
        asset_id: input.asset.id,
        ecosystem: m.ecosystem,
        package: m.package,
        vuln: m.vuln,
        aliases: JSON.stringify(m.aliases),
        binaries: binariesText(m),
        installed_version: m.installedVersion,
        fixed_version: m.fixedVersion ?? null,
        vendor_status: m.status,
        in_force: m.inForce,
        severity: m.severity,
        urgency: m.urgency ?? null,
        note: m.note ?? null,
        source: m.source,
        lifecycle,
        triage_state: 'in_triage',
        justification: null,
        triage_detail: null,
        triage_by: null,
        triage_at: null,
        accepted_by: null,
        accepted_until: null,
        priority: facts.priority.priority,
        priority_score: facts.priority.score,
        priority_reasons: facts.reasonsText,
        priority_inputs: facts.inputsText,
        kev: facts.kev ? 1 : 0,
        epss: facts.epss,
        sla_due_at: s.due,
        sla_near_at: s.nearAt,
        sla_state: s.state,
        sla_signalled: 'none',
        kev_signalled_at: null,
        operated_by: input.asset.operatedBy,
        published_at: m.published ?? null,
        fix_available_at: fixAvailableAt,
        first_detected_at: snapAt,
        last_detected_at: snapAt,
        patched_at: lifecycle === 'patched_on_disk' ? snapAt : null,
        in_force_at: null,
        last_snapshot_id: input.snapshot.id,
        created_at: nowIso,
        updated_at: nowIso,
      });
      out.events.push(
        eventRow(
          id,
          nowIso,
          'detected',
          `${m.package} ${m.installedVersion} is affected (${m.status}${m.fixedVersion ? `, fixed in ${m.fixedVersion}` : ''})` +
            (lifecycle === 'patched_on_disk' ? '; a fixed kernel is installed but not running' : ''),
          { to: lifecycle },
        ),
      );
      out.counts.detected++;
      continue;
    }

    const set: Partial<FindingRow> = {};
    const events: VulnsFindingEventsTable[] = [];
    let firstDetected = e.first_detected_at;
    let lifecycle = e.lifecycle as Lifecycle;
    const want = lifecycleOf(m);
    if (lifecycle === 'verified_resolved') {
      // A new episode: its SLA starts now; the earlier one stays in the history.
      firstDetected = snapAt;
      set.first_detected_at = snapAt;
      set.last_detected_at = snapAt;
      set.patched_at = want === 'patched_on_disk' ? snapAt : null;
      set.in_force_at = null;
      set.sla_signalled = 'none';
      set.kev_signalled_at = null;
      events.push(
        eventRow(e.id, nowIso, 'reopened', `matched again: ${m.package} ${m.installedVersion} is affected`, {
          from: lifecycle,
          to: want,
        }),
      );
      out.counts.reopened++;
      lifecycle = want;
      set.lifecycle = want;
    } else if (lifecycle !== want) {
      set.lifecycle = want;
      if (want === 'patched_on_disk') {
        set.patched_at = e.patched_at ?? snapAt;
        events.push(
          eventRow(e.id, nowIso, 'patched_on_disk', 'a fixed kernel is installed but not running', { from: lifecycle, to: want }),
        );
        out.counts.patchedOnDisk++;
      } else {
        set.patched_at = null;
        events.push(
          eventRow(e.id, nowIso, 'reopened', `the running code is affected again: ${m.package} ${m.installedVersion}`, {
            from: lifecycle,
            to: want,
          }),
        );
        out.counts.reopened++;
      }
      lifecycle = want;
    }

    const text = (col: keyof FindingRow, value: string | number | null): void => {
      if (e[col] !== value && !(typeof value === 'number' && Number(e[col]) === value))
        (set as Record<string, unknown>)[col] = value;
    };
    text('aliases', JSON.stringify(m.aliases));
    text('binaries', binariesText(m));
    text('installed_version', m.installedVersion);
    text('fixed_version', m.fixedVersion ?? null);
    text('in_force', m.inForce);
    text('severity', m.severity);
    text('urgency', m.urgency ?? null);
    text('note', m.note ?? null);
    text('source', m.source);
    text('operated_by', input.asset.operatedBy);
    if (m.published && e.published_at === null) set.published_at = m.published;
    if (e.vendor_status !== m.status) {
      set.vendor_status = m.status;
      events.push(
        eventRow(e.id, nowIso, 'vendor_status', `the vendor now says ${m.status}`, { from: e.vendor_status, to: m.status }),
      );
    }
    let fixAvailableAt = e.fix_available_at;
    if (m.status === 'fixed' && fixAvailableAt === null) {
      fixAvailableAt = fixDate ?? nowIso;
      set.fix_available_at = fixAvailableAt;
    }
    const p = facts.priority;
    if (e.priority !== p.priority)
      events.push(eventRow(e.id, nowIso, 'priority', p.reasons.join('; '), { from: e.priority, to: p.priority }));
    text('priority', p.priority);
    text('priority_score', p.score);
    text('priority_reasons', facts.reasonsText);
    if (e.priority_inputs !== facts.inputsText && storedInputsKey(e.priority_inputs) !== facts.inputsKey)
      set.priority_inputs = facts.inputsText;
    if (Number(e.kev) === 0 && facts.kev)
      events.push(eventRow(e.id, nowIso, 'kev_added', 'listed in the CISA KEV catalog', { from: '0', to: '1' }));
    text('kev', facts.kev ? 1 : 0);
    if ((e.epss === null ? null : Number(e.epss)) !== facts.epss) set.epss = facts.epss;
    const s = sla(input, { priority: p, kev: facts.kev, fixAvailableAt, firstDetectedAt: firstDetected, inForce: m.inForce });
    text('sla_due_at', s.due);
    text('sla_near_at', s.nearAt);
    text('sla_state', s.state);
    // A finding whose deadline moved away from near or breach may signal again when it comes back.
    if ((s.state === 'ok' || s.state === 'none') && e.sla_signalled !== 'none' && set.sla_signalled === undefined)
      set.sla_signalled = 'none';

    if (Object.keys(set).length === 0) {
      out.counts.unchanged++;
      continue;
    }
    set.updated_at = nowIso;
    if (set.lifecycle !== undefined || set.installed_version !== undefined || set.binaries !== undefined) {
      set.last_snapshot_id = input.snapshot.id;
      set.last_detected_at = snapAt;
    }
    out.updates.push({ id: e.id, set });
    out.events.push(...events);
    out.counts.updated++;
  }

  // Stored findings the matcher did not report this time. Where the index holds no advisories at all for the
  // finding's ecosystem (a feed removed or not yet imported), absence proves nothing: those are left as they are.
  const blind = new Set<string>(Object.keys(input.match.ecosystemsWithoutAdvisories));
  if (input.match.unmatchedEcosystem) blind.add(input.match.unmatchedEcosystem);
  for (const [key, e] of stored) {
    if (seen.has(key) || !NOT_RESOLVED.includes(e.lifecycle as Lifecycle)) continue;
    if (blind.has(e.ecosystem) || !input.index.hasEcosystem(e.ecosystem)) continue;
    const versions = input.installed.get(e.package);
    const sameVersion = versions?.has(e.installed_version) === true;
    const hostChanged = !sameVersion;
    const restartPending = input.match.pendingRestart && hostChanged && !isKernelPackage(e.package, e.binaries);
    if (restartPending) {
      if (e.lifecycle === 'patched_on_disk') continue;
      out.updates.push({
        id: e.id,
        set: { lifecycle: 'patched_on_disk', patched_at: e.patched_at ?? snapAt, in_force: 'on_disk', updated_at: nowIso },
      });
      out.events.push(
        eventRow(
          e.id,
          nowIso,
          'patched_on_disk',
          `${describeChange(e.package, e.installed_version, versions)}; the host reports services to restart or a reboot pending`,
          { from: e.lifecycle, to: 'patched_on_disk' },
        ),
      );
      out.counts.patchedOnDisk++;
      continue;
    }
    const detail = hostChanged
      ? `${describeChange(e.package, e.installed_version, versions)}; the fix is in force`
      : `no longer matched: the advisory changed, not the host (${e.package} ${e.installed_version} is still installed)`;
    out.updates.push({
      id: e.id,
      set: {
        lifecycle: 'verified_resolved',
        in_force: '',
        patched_at: hostChanged ? (e.patched_at ?? snapAt) : e.patched_at,
        in_force_at: snapAt,
        sla_state: 'none',
        updated_at: nowIso,
      },
    });
    out.events.push(eventRow(e.id, nowIso, 'verified_resolved', detail, { from: e.lifecycle, to: 'verified_resolved' }));
    out.counts.resolved++;
  }
  return out;
}

function describeChange(pkg: string, was: string, now: ReadonlySet<string> | undefined): string {
  if (!now || now.size === 0) return `${pkg} is no longer installed (was ${was})`;
  return `${pkg} ${[...now].join(', ')} is installed (was ${was})`;
}
