import { api, query } from '../app/api.ts';

/**
 * Shapes of the vulnerability API (mirrors src/modules/vulns/api and model.ts; the console does not import server
 * code, so the vocabulary is repeated here).
 */
export type Priority = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const PRIORITIES: readonly Priority[] = ['critical', 'high', 'medium', 'low', 'info'];

export type VendorStatus =
  'fixed' | 'not_affected' | 'no_fix' | 'postponed' | 'ignored' | 'unimportant' | 'end_of_life' | 'undetermined';
export const VENDOR_STATUSES: readonly VendorStatus[] = [
  'fixed',
  'no_fix',
  'postponed',
  'ignored',
  'unimportant',
  'end_of_life',
  'undetermined',
  'not_affected',
];

export type TriageState = 'in_triage' | 'exploitable' | 'not_affected' | 'false_positive' | 'risk_accepted' | 'resolved';
export const TRIAGE_STATES: readonly TriageState[] = [
  'in_triage',
  'exploitable',
  'not_affected',
  'false_positive',
  'risk_accepted',
  'resolved',
];

export const NOT_AFFECTED_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;

export type Lifecycle = 'open' | 'patched_on_disk' | 'verified_resolved';
export const LIFECYCLES: readonly Lifecycle[] = ['open', 'patched_on_disk', 'verified_resolved'];
export type InForce = 'vulnerable' | 'on_disk' | 'not_running' | '';
export type SlaState = 'none' | 'ok' | 'near' | 'breached';
export const SLA_STATES: readonly SlaState[] = ['breached', 'near', 'ok', 'none'];
export type OperatedBy = 'provider' | 'customer';
export type Exposure = 'internet' | 'internal' | 'unknown';
export const EXPOSURES: readonly Exposure[] = ['internet', 'internal', 'unknown'];
export type Criticality = 'low' | 'medium' | 'high' | 'critical';
export const CRITICALITIES: readonly Criticality[] = ['low', 'medium', 'high', 'critical'];
export type AssetKind = 'host' | 'service' | 'application';
export const ASSET_KINDS: readonly AssetKind[] = ['host', 'service', 'application'];

export type PriorityCounts = Partial<Record<Priority, number>>;

export interface Asset {
  id: string;
  name: string;
  kind: string;
  ownerTeam: string;
  environment: string;
  site: string;
  criticality: Criticality;
  exposure: Exposure;
  operatedBy: OperatedBy;
  customer: string | null;
  description: string;
  lastSnapshotId: string | null;
  lastReportAt: string | null;
  /** A host that has not reported for two days. */
  stale: boolean;
  distro: string | null;
  kernelRelease: string | null;
  packageCount: number;
  /** Findings needing action, by priority. */
  openFindings: PriorityCounts & { total: number };
  /** Open findings past their SLA deadline. */
  slaBreached: number;
}

/** `PUT /api/v1/vulns/assets/:id` takes the whole classification (name included). */
export interface AssetUpdate {
  name: string;
  kind?: string;
  ownerTeam?: string;
  environment?: string;
  site?: string;
  criticality?: Criticality;
  exposure?: Exposure;
  operatedBy?: OperatedBy;
  customer?: string | null;
  description?: string;
}

export interface Snapshot {
  id: string;
  assetId: string;
  digest: string;
  receivedAt: string;
  collectedAt: string | null;
  format: string;
  distro: string | null;
  kernelRelease: string | null;
  packageCount: number;
  notInstalled: number;
  rebootRequired: boolean;
  servicesNeedingRestart: string[];
  reportedBy: string;
  warnings: string[];
}

export interface Finding {
  id: string;
  asset: { id: string; name: string; ownerTeam: string; operatedBy: OperatedBy };
  ecosystem: string;
  package: string;
  vuln: string;
  aliases: string[];
  binaries: { name: string; version: string }[];
  installedVersion: string;
  fixedVersion: string | null;
  vendorStatus: VendorStatus;
  inForce: InForce;
  severity: string;
  urgency: string | null;
  note: string | null;
  source: string;
  lifecycle: Lifecycle;
  /** What a person reads: `open`, `patched on disk, not in force`, … */
  status: string;
  triage: {
    state: TriageState;
    justification: string | null;
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
  sla: { dueAt: string | null; state: SlaState };
  operatedBy: OperatedBy;
  publishedAt: string | null;
  fixAvailableAt: string | null;
  firstDetectedAt: string;
  lastDetectedAt: string;
  patchedAt: string | null;
  inForceAt: string | null;
}

export interface FindingEvent {
  at: string;
  kind: string;
  from: string | null;
  to: string | null;
  actor: string;
  detail: string;
}

export interface PriorityInputs {
  vendorSeverity: string;
  cvss?: { score: number; vector: string; version: string } | undefined;
  epss?: { score: number; percentile: number; feedVersion: string } | undefined;
  kev?: { dateAdded: string; dueDate: string; ransomware: boolean; feedVersion: string } | undefined;
  exposure: string;
  criticality: string;
  advisoryFeedVersion?: string | undefined;
}

export interface FindingDetail extends Finding {
  assetContext: {
    exposure: Exposure;
    criticality: Criticality;
    operatedBy: OperatedBy;
    kind: string;
    environment: string;
    site: string;
    customer: string | null;
  };
  statement: {
    source: string;
    status: VendorStatus;
    fixedVersion: string | null;
    severity: string;
    urgency: string | null;
    note: string | null;
    summary: string | null;
    cvss: string[];
    published: string | null;
  };
  priorityInputs: PriorityInputs | null;
  history: FindingEvent[];
}

export interface FindingFilter {
  /** `action` (default): what needs action; `all`: every finding. */
  view?: string | undefined;
  lifecycle?: string | undefined;
  triage?: string | undefined;
  priority?: string | undefined;
  vendorStatus?: string | undefined;
  kev?: string | undefined;
  sla?: string | undefined;
  ownerTeam?: string | undefined;
  asset?: string | undefined;
  operatedBy?: string | undefined;
  q?: string | undefined;
}

export interface FindingList {
  items: Finding[];
  nextCursor: string | null;
  /** Findings in the view (all pages). */
  total: number;
  /** What the view leaves out under the same filters, counted (never dropped silently). */
  outside: {
    total: number;
    byVendorStatus: Partial<Record<VendorStatus, number>>;
    byTriage: Partial<Record<TriageState, number>>;
    byLifecycle: Partial<Record<Lifecycle, number>>;
  };
}

export interface TriageInput {
  state: TriageState;
  justification?: string | undefined;
  detail?: string | undefined;
  expiresAt?: string | undefined;
}

export const AGE_BUCKETS = ['0-7', '8-30', '31-90', '91-180', '>180'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

export interface DurationStats {
  /** How many findings the figure is over. */
  count: number;
  /** Milliseconds; null when `count` is 0. */
  p50Ms: number | null;
  p90Ms: number | null;
}

/** One side's patching figures (provider-operated, or customer-managed without SLA). */
export interface MetricsReport {
  findings: number;
  open: number;
  closed: number;
  timeToDetect: DurationStats;
  timeToPatch: DurationStats;
  /** Null for customer-managed findings (P14: outside the provider's SLA). */
  sla: { judged: number; compliant: number; breached: number; percent: number | null } | null;
  openByAge: Record<Priority, Record<AgeBucket, number>>;
  /** ISO weeks, oldest first (`start` is the Monday, ISO). */
  weekly: { week: string; start: string; opened: number; closed: number }[];
}

export interface MetricsView {
  now: string;
  weeks: number;
  provider?: MetricsReport | undefined;
  customer?: MetricsReport | undefined;
}

export interface VulnFeed {
  id: string;
  kind: string;
  name: string;
  url: string | null;
  path: string | null;
  ecosystems: string[];
  intervalSeconds: number;
  enabled: boolean;
  /** `never`, `ok`, or `error` (the last attempt failed; the last good data stays in force). */
  status: 'never' | 'ok' | 'error';
  reason: string | null;
  version: string | null;
  records: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastChangeAt: string | null;
  /** No successful check for longer than the configured stale hours (24 by default). */
  stale: boolean;
}

export interface FeedRefresh {
  id: string;
  status: 'updated' | 'unchanged' | 'failed';
  reason?: string | undefined;
  records: number;
  version: string | null;
}

/** Rows per page of the findings list. */
export const PAGE_SIZE = 100;

const id = (s: string) => encodeURIComponent(s);

/** What the server answers to an SBOM upload. */
export interface SbomUploadResult {
  assetId: string;
  snapshotId: string;
  identical: boolean;
  packages: number;
  warnings: string[];
}

export const vulnsApi = {
  assets: () => api.get<{ items: Asset[] }>('/api/v1/vulns/assets'),
  asset: (assetId: string) => api.get<Asset>(`/api/v1/vulns/assets/${id(assetId)}`),
  updateAsset: (assetId: string, body: AssetUpdate) => api.put<Asset>(`/api/v1/vulns/assets/${id(assetId)}`, body),
  uploadSbom: (assetId: string, sbom: unknown) => api.post<SbomUploadResult>(`/api/v1/vulns/assets/${id(assetId)}/sbom`, sbom),
  snapshots: (assetId: string) => api.get<{ items: Snapshot[] }>(`/api/v1/vulns/assets/${id(assetId)}/snapshots`),
  findings: (f: FindingFilter, cursor?: string) =>
    api.get<FindingList>(`/api/v1/vulns/findings${query({ ...f, limit: PAGE_SIZE, cursor })}`),
  finding: (findingId: string) => api.get<FindingDetail>(`/api/v1/vulns/findings/${id(findingId)}`),
  triage: (findingId: string, body: TriageInput) =>
    api.post<FindingDetail>(`/api/v1/vulns/findings/${id(findingId)}/triage`, body),
  metrics: (weeks = 12) => api.get<MetricsView>(`/api/v1/vulns/metrics${query({ weeks })}`),
  /** How many findings a filter matches (the list's total, fetching one row). */
  count: async (f: FindingFilter) => (await api.get<FindingList>(`/api/v1/vulns/findings${query({ ...f, limit: 1 })}`)).total,
  feeds: () => api.get<{ items: VulnFeed[] }>('/api/v1/vulns/feeds'),
  refreshFeed: (feedId: string) => api.post<FeedRefresh>(`/api/v1/vulns/feeds/${id(feedId)}/refresh`),
  exportUrl: (format: 'cyclonedx' | 'openvex', operatedBy?: OperatedBy) => `/api/v1/vulns/export${query({ format, operatedBy })}`,
};
