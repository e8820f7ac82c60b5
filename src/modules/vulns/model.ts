/**
 * The vulnerability module's shared vocabulary (issue 5; P12, P13, P14). Importers produce `AdvisoryStatement`s,
 * inventories produce `Inventory`s, the matcher turns both into `MatchedFinding`s, and the store keeps findings with
 * their triage, priority and SLA. Every file in the module speaks these types.
 */

/**
 * Ecosystems as OSV names them: `Debian:12`, `Ubuntu:22.04`, `AlmaLinux:9`, `Rocky Linux:9`, `npm`, `PyPI`,
 * `Packagist`, `Go`, `crates.io`, `RubyGems`, `Maven`. Distro ecosystems carry the release after the colon.
 */
export type Ecosystem = string;

/** The families whose version comparison differs. */
export type VersionScheme = 'dpkg' | 'rpm' | 'semver' | 'pep440' | 'maven' | 'rubygems' | 'generic';

/**
 * The vendor's verdict for one package in one release, kept as the vendor said it (issue item 5).
 * - `fixed`: a fix is available; versions below `fixed` (or inside `ranges`) are vulnerable.
 * - `not_affected`: Debian `fixed_version "0"`, or the vendor says the release never had the code.
 * - `no_fix`: affected, no fix published yet.
 * - `postponed`: the vendor deferred the fix (Debian `nodsa_reason: postponed`: comes with a later point release).
 * - `ignored`: the vendor will not fix it (Debian `nodsa_reason: ignored`).
 * - `unimportant`: the vendor rates it as no security impact in practice (Debian urgency `unimportant`).
 * - `end_of_life`: the package or release is no longer supported (Debian urgency `end-of-life`).
 * - `undetermined`: the vendor has not yet decided whether the release is affected.
 */
export type VendorStatus =
  'fixed' | 'not_affected' | 'no_fix' | 'postponed' | 'ignored' | 'unimportant' | 'end_of_life' | 'undetermined';

export const VENDOR_STATUSES: readonly VendorStatus[] = [
  'fixed',
  'not_affected',
  'no_fix',
  'postponed',
  'ignored',
  'unimportant',
  'end_of_life',
  'undetermined',
];

/** Vendor severity on one scale (Debian urgency, OSV/GHSA severity, Ubuntu priority mapped onto it). */
export type Severity = 'unknown' | 'negligible' | 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['unknown', 'negligible', 'low', 'medium', 'high', 'critical'];

/** One OSV-style affected range; bounds compared with the ecosystem's own comparator. */
export interface AffectedRange {
  /** Inclusive lower bound; absent or `"0"` means from the beginning. */
  introduced?: string | undefined;
  /** Exclusive upper bound: the first fixed version. */
  fixed?: string | undefined;
  /** Inclusive upper bound, when the vendor names the last affected version instead of a fix. */
  lastAffected?: string | undefined;
}

/**
 * One vendor statement: in `ecosystem`, `package` is affected by `vuln` as `status` says. For distros `package` is
 * the **source** package (`openssl`, not `libssl3`) and `fixed` a source version: matching is never by CPE.
 */
export interface AdvisoryStatement {
  /** Which importer produced it: `debian-tracker`, `osv`, … (with the feed's id in storage). */
  source: string;
  /** Primary id: the CVE where there is one, else the advisory's own id (GHSA-…, PYSEC-…, ALSA-…). */
  vuln: string;
  /** Other ids of the same vulnerability (CVE ↔ GHSA ↔ DSA/DLA ↔ ALSA …). */
  aliases: string[];
  ecosystem: Ecosystem;
  package: string;
  status: VendorStatus;
  /** First fixed version (Debian tracker `fixed_version`); vulnerable when installed < fixed. */
  fixed?: string | undefined;
  /** OSV ranges (affected when inside any). When present they decide instead of `fixed`. */
  ranges?: AffectedRange[] | undefined;
  /** Explicitly affected versions (OSV `versions`), decisive for ecosystems without a reliable ordering. */
  versions?: string[] | undefined;
  /** The vendor's severity on Skjold's scale. */
  severity: Severity;
  /** The vendor's own word for it (Debian urgency `low**`, `not yet assigned`, Ubuntu priority …). */
  urgency?: string | undefined;
  /** Why the vendor deferred or ignores it (Debian `nodsa` text), or other vendor note. */
  note?: string | undefined;
  /** CVSS vectors the vendor published (`CVSS:3.1/AV:N/…`, `CVSS:4.0/AV:N/…`). */
  cvss?: string[] | undefined;
  /** ISO 8601 times from the advisory. */
  published?: string | undefined;
  modified?: string | undefined;
  summary?: string | undefined;
}

/** One CISA KEV catalog entry. */
export interface KevEntry {
  cve: string;
  vendor: string;
  product: string;
  name: string;
  /** ISO date (YYYY-MM-DD) CISA added it. */
  dateAdded: string;
  /** ISO date federal agencies must remediate by. */
  dueDate: string;
  /** CISA's `knownRansomwareCampaignUse` is "Known". */
  ransomware: boolean;
  requiredAction: string;
}

/** One FIRST EPSS row. */
export interface EpssRow {
  cve: string;
  /** Probability of exploitation in the next 30 days, 0..1. */
  epss: number;
  percentile: number;
}

/** One Debian DSA or DLA: when it was published and what it fixed. */
export interface DebianAdvisory {
  /** `DSA-5620-1`, `DLA-3712-1`. */
  id: string;
  /** ISO date (YYYY-MM-DD). */
  date: string;
  /** Source package. */
  package: string;
  cves: string[];
  /** Release codename → fixed source version (`bookworm` → `1.17.1-2+deb12u2`). */
  fixed: Record<string, string>;
}

/** What kind of thing reported an inventory. */
export type InventoryFormat = 'dpkg' | 'rpm' | 'cyclonedx' | 'spdx';

/** One installed package on a host or component in an SBOM. */
export interface InventoryPackage {
  /** Binary package (`libssl3`, `openssl-libs`), or the component name for application ecosystems (`lodash`). */
  name: string;
  version: string;
  /** Source package (`openssl`); for application ecosystems the same as `name`. */
  source: string;
  /** Source version (a binNMU `+b1` differs from the binary's); for application ecosystems the same as `version`. */
  sourceVersion: string;
  ecosystem: Ecosystem;
  arch?: string | undefined;
  /** Where APT says the installed version comes from (`bookworm-security`, `bookworm`, `now` for local only). */
  origin?: string | undefined;
  /** Package URL from an SBOM (`pkg:npm/lodash@4.17.20`). */
  purl?: string | undefined;
}

/** One host's (or one SBOM's) report: the content of one snapshot. */
export interface Inventory {
  format: InventoryFormat;
  /** Host name as the agent reports it (`hostname -f`), or the SBOM's subject (`metadata.component.name`). */
  hostname?: string | undefined;
  /** `/etc/os-release` keys (`ID`, `VERSION_ID`, `VERSION_CODENAME`, `PRETTY_NAME` …). */
  osRelease?: Record<string, string> | undefined;
  /** The distro ecosystem the packages belong to (`Debian:12`), derived from os-release. */
  distro?: Ecosystem | undefined;
  /** `uname -r` of the running kernel (`6.1.0-18-amd64`). */
  kernelRelease?: string | undefined;
  packages: InventoryPackage[];
  /** Services needrestart says still run old code (`nginx.service`), when the agent reports it. */
  servicesNeedingRestart?: string[] | undefined;
  /** `/run/reboot-required` exists, or needrestart says the running kernel is not the newest installed. */
  rebootRequired?: boolean | undefined;
  /** When the agent collected it (ISO), if it says. */
  collectedAt?: string | undefined;
  /** Packages listed but not fully installed (config-files only, half-installed): counted, not matched. */
  notInstalled?: number | undefined;
}

/**
 * Whether the fix is in force on the host: `vulnerable` (the installed version is affected), `on_disk` (a fixed
 * version is installed but the running kernel or a service still runs the old code), `not_running` (only an
 * installed-but-not-booted kernel is affected; the running one is fine).
 */
export type InForce = 'vulnerable' | 'on_disk' | 'not_running';

/** The matcher's output for one asset: one per (source package, vulnerability). */
export interface MatchedFinding {
  vuln: string;
  aliases: string[];
  ecosystem: Ecosystem;
  /** Source package (distros) or component (applications). */
  package: string;
  /** The installed source version that matched (for the kernel: the running kernel's source version). */
  installedVersion: string;
  /** Binary packages from this source installed on the asset. */
  binaries: { name: string; version: string }[];
  status: VendorStatus;
  fixedVersion?: string | undefined;
  inForce: InForce;
  severity: Severity;
  urgency?: string | undefined;
  note?: string | undefined;
  cvss?: string[] | undefined;
  published?: string | undefined;
  summary?: string | undefined;
  /** The statement's source (`debian-tracker`, `osv` …). */
  source: string;
}

/** Triage decided by people; survives re-imports and re-scans (issue item 9). */
export type TriageState = 'in_triage' | 'exploitable' | 'not_affected' | 'false_positive' | 'risk_accepted' | 'resolved';

export const TRIAGE_STATES: readonly TriageState[] = [
  'in_triage',
  'exploitable',
  'not_affected',
  'false_positive',
  'risk_accepted',
  'resolved',
];

/** CycloneDX / OpenVEX justifications for `not_affected`. */
export const NOT_AFFECTED_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type NotAffectedJustification = (typeof NOT_AFFECTED_JUSTIFICATIONS)[number];

/** What the fleet's evidence says about a finding's life (separate from what people decided in triage). */
export type Lifecycle = 'open' | 'patched_on_disk' | 'verified_resolved';

/** Priority levels; SLA deadlines hang on these. */
export type Priority = 'critical' | 'high' | 'medium' | 'low' | 'info';

export const PRIORITIES: readonly Priority[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Asset attributes that change a finding's priority and SLA. */
export interface AssetContext {
  exposure: 'internet' | 'internal' | 'unknown';
  criticality: 'low' | 'medium' | 'high' | 'critical';
  /** P14: customer-managed software is reported but outside the provider's SLA. */
  operatedBy: 'provider' | 'customer';
}

/** Everything that went into one priority, stored beside it with the feed versions it came from. */
export interface PriorityInputs {
  vendorSeverity: Severity;
  /** Highest CVSS base score among the vectors, with the vector and its version. */
  cvss?: { score: number; vector: string; version: '3.0' | '3.1' | '4.0' } | undefined;
  epss?: { score: number; percentile: number; feedVersion: string } | undefined;
  kev?: { dateAdded: string; dueDate: string; ransomware: boolean; feedVersion: string } | undefined;
  exposure: AssetContext['exposure'];
  criticality: AssetContext['criticality'];
  /** The advisory feed's version (content hash or date) the vendor statement came from. */
  advisoryFeedVersion?: string | undefined;
}

export interface PriorityResult {
  priority: Priority;
  /** 0..100 for sorting within a level. */
  score: number;
  /** Human-readable reasons, in order of weight ("KEV, known ransomware use", "internet-facing", "EPSS 0.94"). */
  reasons: string[];
  inputs: PriorityInputs;
}
