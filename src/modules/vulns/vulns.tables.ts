/** The vulnerability module's tables as Kysely sees them (see migrations/0001-vulns.ts for what each column means). */

export interface VulnsAssetsTable {
  id: string;
  name: string;
  kind: string;
  owner_team: string;
  environment: string;
  site: string;
  criticality: string;
  exposure: string;
  operated_by: string;
  customer: string | null;
  description: string;
  last_snapshot_id: string | null;
  last_report_at: string | null;
  distro: string | null;
  kernel_release: string | null;
  package_count: number;
  /** 1 while a host-silent signal is firing. */
  silent_signalled: number;
  created_at: string;
  updated_at: string;
}

export interface VulnsSnapshotsTable {
  id: string;
  asset_id: string;
  received_at: string;
  collected_at: string | null;
  format: string;
  distro: string | null;
  kernel_release: string | null;
  os_release: string;
  package_count: number;
  not_installed: number;
  reboot_required: number;
  services_restart: string;
  packages: string;
  digest: string;
  reported_by: string;
  warnings: string;
}

export interface VulnsFeedsTable {
  id: string;
  kind: string;
  name: string;
  url: string | null;
  path: string | null;
  ecosystems: string;
  interval_seconds: number;
  enabled: number;
  etag: string | null;
  last_modified: string | null;
  content_hash: string | null;
  version: string | null;
  status: string;
  reason: string | null;
  records: number;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_change_at: string | null;
  /** 1 while a feed-stale signal is firing. */
  stale_signalled: number;
  /** The dataset in force: the value of `dataset` on this feed's rows in the advisory tables. */
  dataset: string;
  created_at: string;
  updated_at: string;
}

/** A dataset being written by an import (`staging`) or replaced and waiting to be deleted (`retired`). */
export interface VulnsFeedDatasetsTable {
  dataset: string;
  feed_id: string;
  state: 'staging' | 'retired';
  created_at: string;
}

export interface VulnsStatementsTable {
  /** The feed dataset the row belongs to (`vulns_feeds.dataset` while in force). */
  dataset: string;
  seq: number;
  vuln: string;
  ecosystem: string;
  package: string;
  status: string;
  fixed: string | null;
  ranges: string | null;
  versions: string | null;
  severity: string;
  urgency: string | null;
  note: string | null;
}

export interface VulnsVulnerabilitiesTable {
  id: string;
  /** The feed dataset the row belongs to (`vulns_feeds.dataset` while in force). */
  dataset: string;
  aliases: string;
  cvss: string;
  summary: string;
  published: string | null;
  modified: string | null;
}

export interface VulnsKevTable {
  cve: string;
  /** The feed dataset the row belongs to (`vulns_feeds.dataset` while in force). */
  dataset: string;
  vendor: string;
  product: string;
  name: string;
  date_added: string;
  due_date: string;
  ransomware: number;
  required_action: string;
}

export interface VulnsEpssTable {
  cve: string;
  /** The feed dataset the row belongs to (`vulns_feeds.dataset` while in force). */
  dataset: string;
  epss: number;
  percentile: number;
}

export interface VulnsDebianAdvisoriesTable {
  id: string;
  /** The feed dataset the row belongs to (`vulns_feeds.dataset` while in force). */
  dataset: string;
  date: string;
  package: string;
  cves: string;
  fixed: string;
}

export interface VulnsFindingsTable {
  id: string;
  asset_id: string;
  ecosystem: string;
  package: string;
  vuln: string;
  aliases: string;
  binaries: string;
  installed_version: string;
  fixed_version: string | null;
  vendor_status: string;
  in_force: string;
  severity: string;
  urgency: string | null;
  note: string | null;
  source: string;
  lifecycle: string;
  triage_state: string;
  justification: string | null;
  triage_detail: string | null;
  triage_by: string | null;
  triage_at: string | null;
  accepted_by: string | null;
  accepted_until: string | null;
  priority: string;
  priority_score: number;
  priority_reasons: string;
  priority_inputs: string;
  kev: number;
  epss: number | null;
  sla_due_at: string | null;
  /** When the deadline turns near (`slaNearAt`): the sweep's question for findings still `ok`. */
  sla_near_at: string | null;
  sla_state: string;
  sla_signalled: string;
  kev_signalled_at: string | null;
  operated_by: string;
  published_at: string | null;
  fix_available_at: string | null;
  first_detected_at: string;
  last_detected_at: string;
  patched_at: string | null;
  in_force_at: string | null;
  last_snapshot_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface VulnsFindingEventsTable {
  id: string;
  finding_id: string;
  at: string;
  kind: string;
  from_value: string | null;
  to_value: string | null;
  actor: string;
  detail: string;
}

/** One row (`id` = 'fleet'): the index the fleet was last brought in line with (`FindingsService`). */
export interface VulnsFleetBaselineTable {
  id: string;
  matcher_version: number;
  ecosystems: string;
  prints: string;
  feed_versions: string;
  retry: string;
  updated_at: string;
}

/** An SLA or KEV signal the sweep raised and has not resolved yet (migration 0005). */
export interface VulnsOpenSignalsTable {
  dedup_key: string;
  kind: string;
  subject: string;
  severity: string;
  raised_at: string;
  updated_at: string;
}

declare module '../../core/db/tables.ts' {
  interface Tables {
    vulns_assets: VulnsAssetsTable;
    vulns_snapshots: VulnsSnapshotsTable;
    vulns_feeds: VulnsFeedsTable;
    vulns_feed_datasets: VulnsFeedDatasetsTable;
    vulns_statements: VulnsStatementsTable;
    vulns_vulnerabilities: VulnsVulnerabilitiesTable;
    vulns_kev: VulnsKevTable;
    vulns_epss: VulnsEpssTable;
    vulns_debian_advisories: VulnsDebianAdvisoriesTable;
    vulns_findings: VulnsFindingsTable;
    vulns_finding_events: VulnsFindingEventsTable;
    vulns_fleet_baseline: VulnsFleetBaselineTable;
    vulns_open_signals: VulnsOpenSignalsTable;
  }
}
