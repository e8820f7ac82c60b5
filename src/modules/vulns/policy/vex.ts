/**
 * Findings exported as VEX (issue 5 item 13): CycloneDX 1.6 JSON (`vulnerabilities[].analysis`) and OpenVEX v0.2.0.
 * Pure: the store selects the findings (usually one asset's, or one customer's) and passes plain records.
 *
 * One vulnerability entry (CycloneDX) or statement (OpenVEX) per finding, i.e. per (asset, source package,
 * vulnerability). The product is the package as installed on the asset, named by its purl (`purl.ts`). In CycloneDX
 * each (asset, package version) is a component whose `bom-ref` is `asset/<asset name>/<purl>` and which carries the
 * asset in the `skjold:asset` property; OpenVEX products have no such field, so the asset goes in `status_notes`.
 *
 * Mapping, first matching row wins (people's triage first, then the fleet's evidence):
 *
 * | Skjold                                  | CycloneDX state (response)            | OpenVEX status                       |
 * |-----------------------------------------|---------------------------------------|--------------------------------------|
 * | triage `not_affected`                   | `not_affected` + justification        | `not_affected` + justification, or   |
 * |                                         |                                       |   impact statement when there is none|
 * | triage `false_positive`                 | `false_positive`                      | `not_affected` + justification (else |
 * |                                         |                                       |   `vulnerable_code_not_present`)     |
 * | triage `resolved`, or lifecycle         | `resolved` (`update`)                 | `fixed`                              |
 * |   `verified_resolved`                   |                                       |                                      |
 * | triage `risk_accepted`                  | `exploitable` (`will_not_fix`)        | `affected` (action: risk accepted)   |
 * | triage `exploitable`                    | `exploitable` (by vendor status)      | `affected` (action by vendor status) |
 * | triage `in_triage`                      | `in_triage` (by vendor status)        | `under_investigation`                |
 *
 * Responses by vendor status: `fixed` → `update`; `no_fix`, `postponed`, `undetermined`, `ignored`, `end_of_life` →
 * `can_not_fix`; `unimportant` → none. A fix installed but not yet running (lifecycle `patched_on_disk`) keeps the
 * state, sets `update` and says in the detail / action statement that a restart or reboot is needed. OpenVEX
 * `status_notes` name the asset and carry the triage detail where no other field holds it.
 *
 * Justifications (OpenVEX / CISA → CycloneDX): `component_not_present` and `vulnerable_code_not_present` →
 * `code_not_present`; `vulnerable_code_not_in_execute_path` → `code_not_reachable`;
 * `vulnerable_code_cannot_be_controlled_by_adversary` → `requires_environment`; `inline_mitigations_already_exist` →
 * `protected_by_mitigating_control`. CycloneDX exports also carry Skjold's own triage and justification as
 * `skjold:triage` / `skjold:justification` properties, so `triageFromCycloneDx` reads every state back exactly;
 * OpenVEX cannot say `false_positive` or `risk_accepted`, which read back as `not_affected` and `exploitable`.
 */
import { randomUUID } from 'node:crypto';

import {
  TRIAGE_STATES,
  type Ecosystem,
  type Lifecycle,
  type NotAffectedJustification,
  type TriageState,
  type VendorStatus,
} from '../model.ts';
import { cvssSeverity, type CvssVersion } from './cvss.ts';
import { purlFor } from './purl.ts';

/** One finding as the exporters need it. Times are ISO strings or Dates. */
export interface VexFinding {
  id: string;
  assetName: string;
  ecosystem: Ecosystem;
  /** Source package (distros) or component (applications). */
  package: string;
  installedVersion: string;
  fixedVersion?: string | undefined;
  vuln: string;
  aliases: readonly string[];
  triage: TriageState;
  lifecycle: Lifecycle;
  /** Required in practice for `not_affected` (OpenVEX needs a justification or an impact statement). */
  justification?: NotAffectedJustification | undefined;
  /** The triage note: why not affected, who accepted the risk and until when … */
  detail?: string | undefined;
  vendorStatus: VendorStatus;
  cvss?: { vector: string; score: number; version: CvssVersion } | undefined;
  updatedAt: string | Date;
  firstDetectedAt: string | Date;
  /** The component's purl as an SBOM gave it; used as is instead of building one. */
  purl?: string | undefined;
}

export const CDX_ANALYSIS_STATES = [
  'resolved',
  'resolved_with_pedigree',
  'exploitable',
  'in_triage',
  'false_positive',
  'not_affected',
] as const;
export type CdxAnalysisState = (typeof CDX_ANALYSIS_STATES)[number];

export const CDX_JUSTIFICATIONS = [
  'code_not_present',
  'code_not_reachable',
  'requires_configuration',
  'requires_dependency',
  'requires_environment',
  'protected_by_compiler',
  'protected_at_runtime',
  'protected_at_perimeter',
  'protected_by_mitigating_control',
] as const;
export type CdxJustification = (typeof CDX_JUSTIFICATIONS)[number];

export const CDX_RESPONSES = ['can_not_fix', 'will_not_fix', 'update', 'rollback', 'workaround_available'] as const;
export type CdxResponse = (typeof CDX_RESPONSES)[number];

export const OPENVEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type OpenVexStatus = (typeof OPENVEX_STATUSES)[number];

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

const TO_CDX_JUSTIFICATION: Record<NotAffectedJustification, CdxJustification> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

const FROM_CDX_JUSTIFICATION: Record<CdxJustification, NotAffectedJustification> = {
  code_not_present: 'vulnerable_code_not_present',
  code_not_reachable: 'vulnerable_code_not_in_execute_path',
  requires_configuration: 'vulnerable_code_cannot_be_controlled_by_adversary',
  requires_dependency: 'vulnerable_code_cannot_be_controlled_by_adversary',
  requires_environment: 'vulnerable_code_cannot_be_controlled_by_adversary',
  protected_by_compiler: 'inline_mitigations_already_exist',
  protected_at_runtime: 'inline_mitigations_already_exist',
  protected_at_perimeter: 'inline_mitigations_already_exist',
  protected_by_mitigating_control: 'inline_mitigations_already_exist',
};

const CDX_METHOD: Record<CvssVersion, string> = { '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

/** What one finding says, independent of the format. */
interface Verdict {
  cdxState: CdxAnalysisState;
  cdxJustification?: CdxJustification;
  response: CdxResponse[];
  openvexStatus: OpenVexStatus;
  openvexJustification?: NotAffectedJustification;
  impactStatement?: string;
  actionStatement?: string;
  /** The installed version is (still) affected. */
  affected: boolean;
  detail?: string;
}

function vendorResponse(status: VendorStatus): CdxResponse[] {
  if (status === 'fixed') return ['update'];
  if (status === 'unimportant' || status === 'not_affected') return [];
  return ['can_not_fix'];
}

function vendorAction(f: VexFinding): string {
  switch (f.vendorStatus) {
    case 'fixed':
      return f.fixedVersion
        ? `Update ${f.package} to ${f.fixedVersion} or later.`
        : `Update ${f.package} to the vendor's fixed version.`;
    case 'no_fix':
    case 'undetermined':
      return 'No fix is available from the vendor yet; mitigate and watch for an update.';
    case 'postponed':
      return 'The vendor postponed the fix to a later update; mitigate meanwhile.';
    case 'ignored':
      return 'The vendor will not fix this; mitigate or replace the package.';
    case 'end_of_life':
      return 'The package or release is no longer supported; upgrade to a supported release.';
    case 'unimportant':
    case 'not_affected':
      return 'The vendor rates this as having no security impact in practice; no action planned.';
  }
}

const RESTART = 'The fixed version is installed but not yet running: restart the affected services or reboot.';

function join(...parts: (string | undefined)[]): string | undefined {
  const text = parts.filter((p): p is string => p !== undefined && p.trim() !== '').join(' ');
  return text === '' ? undefined : text;
}

/** Apply the mapping table in the file header. */
function verdictOf(f: VexFinding): Verdict {
  if (f.triage === 'not_affected') {
    return {
      cdxState: 'not_affected',
      ...(f.justification ? { cdxJustification: TO_CDX_JUSTIFICATION[f.justification] } : {}),
      response: [],
      openvexStatus: 'not_affected',
      // OpenVEX 0.2.0's schema wants exactly one of justification and impact statement; the detail then goes in
      // the status notes.
      ...(f.justification
        ? { openvexJustification: f.justification }
        : { impactStatement: f.detail ?? 'Assessed as not affected.' }),
      affected: false,
      detail: f.detail,
    };
  }
  if (f.triage === 'false_positive') {
    return {
      cdxState: 'false_positive',
      response: [],
      openvexStatus: 'not_affected',
      openvexJustification: f.justification ?? 'vulnerable_code_not_present',
      affected: false,
      detail: join('False positive: the scanner reported this in error.', f.detail),
    };
  }
  if (f.triage === 'resolved' || f.lifecycle === 'verified_resolved') {
    return {
      cdxState: 'resolved',
      response: ['update'],
      openvexStatus: 'fixed',
      affected: false,
      detail: join(f.lifecycle === 'verified_resolved' ? 'The fixed version was verified running.' : undefined, f.detail),
    };
  }
  const onDisk = f.lifecycle === 'patched_on_disk';
  if (f.triage === 'risk_accepted') {
    return {
      cdxState: 'exploitable',
      response: ['will_not_fix'],
      openvexStatus: 'affected',
      actionStatement: join('Risk accepted.', f.detail) ?? 'Risk accepted.',
      affected: true,
      detail: join('Risk accepted.', f.detail),
    };
  }
  const response = onDisk ? ['update' as const] : vendorResponse(f.vendorStatus);
  if (f.triage === 'exploitable') {
    return {
      cdxState: 'exploitable',
      response,
      openvexStatus: 'affected',
      actionStatement: onDisk ? RESTART : vendorAction(f),
      affected: true,
      detail: join(onDisk ? RESTART : undefined, f.detail),
    };
  }
  return {
    cdxState: 'in_triage',
    response,
    openvexStatus: 'under_investigation',
    affected: true,
    detail: join(onDisk ? RESTART : undefined, f.detail),
  };
}

function iso(value: string | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
}

/** The purl of the package as installed on the finding's asset. */
export function findingPurl(f: VexFinding): string {
  return f.purl ?? purlFor(f.ecosystem, f.package, f.installedVersion);
}

/** Where a vulnerability id is described: the vendor tracker for distro CVEs, else the id's own database. */
export function vulnSource(vuln: string, ecosystem: Ecosystem = ''): { name: string; url: string } {
  const id = encodeURIComponent(vuln);
  const family = ecosystem.split(':')[0]?.toLowerCase() ?? '';
  if (/^(CVE-|DSA-|DLA-|TEMP-)/.test(vuln) && family === 'debian')
    return { name: 'Debian', url: `https://security-tracker.debian.org/tracker/${id}` };
  if (/^(CVE-|USN-)/.test(vuln) && family === 'ubuntu') return { name: 'Ubuntu', url: `https://ubuntu.com/security/${id}` };
  if (vuln.startsWith('CVE-')) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (vuln.startsWith('GHSA-')) return { name: 'GitHub', url: `https://github.com/advisories/${id}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${id}` };
}

export interface CycloneDxVexOptions {
  /** Document time. */
  now: Date;
  /** Defaults to a random UUID. */
  serialNumber?: string | undefined;
  /** Document version; bump when re-issuing the same serial number. Default 1. */
  version?: number | undefined;
  /** Skjold's version for `metadata.tools`. */
  toolVersion?: string | undefined;
}

/** A CycloneDX 1.6 VEX document (JSON object). Types are loose on purpose: `vex.schema.ts` is the contract. */
export interface CycloneDxVex {
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: number;
  metadata: Record<string, unknown> & { timestamp: string };
  components: Record<string, unknown>[];
  vulnerabilities: Record<string, unknown>[];
}

/** Export findings as a CycloneDX 1.6 VEX document (mapping in the file header). */
export function toCycloneDxVex(findings: readonly VexFinding[], options: CycloneDxVexOptions): CycloneDxVex {
  const components = new Map<string, Record<string, unknown>>();
  const vulnerabilities = findings.map((f) => {
    const purl = findingPurl(f);
    const ref = `asset/${encodeURIComponent(f.assetName)}/${purl}`;
    if (!components.has(ref))
      components.set(ref, {
        type: 'library',
        'bom-ref': ref,
        name: f.package,
        version: f.installedVersion,
        purl,
        properties: [{ name: 'skjold:asset', value: f.assetName }],
      });
    const v = verdictOf(f);
    const analysis: Record<string, unknown> = { state: v.cdxState };
    if (v.cdxJustification) analysis.justification = v.cdxJustification;
    if (v.response.length > 0) analysis.response = v.response;
    if (v.detail) analysis.detail = v.detail;
    analysis.firstIssued = iso(f.firstDetectedAt);
    analysis.lastUpdated = iso(f.updatedAt);
    const properties: { name: string; value: string }[] = [{ name: 'skjold:triage', value: f.triage }];
    if (f.justification) properties.push({ name: 'skjold:justification', value: f.justification });
    const entry: Record<string, unknown> = {
      'bom-ref': `finding/${f.id}`,
      id: f.vuln,
      source: vulnSource(f.vuln, f.ecosystem),
    };
    if (f.aliases.length > 0)
      entry.references = f.aliases.map((alias) => ({ id: alias, source: vulnSource(alias, f.ecosystem) }));
    if (f.cvss)
      entry.ratings = [
        {
          score: f.cvss.score,
          severity: cvssSeverity(f.cvss.score),
          method: CDX_METHOD[f.cvss.version],
          vector: f.cvss.vector,
        },
      ];
    entry.affects = [{ ref, versions: [{ version: f.installedVersion, status: v.affected ? 'affected' : 'unaffected' }] }];
    entry.analysis = analysis;
    entry.properties = properties;
    return entry;
  });
  const tool: Record<string, unknown> = { type: 'application', name: 'Skjold' };
  if (options.toolVersion) tool.version = options.toolVersion;
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${options.serialNumber ?? randomUUID()}`,
    version: options.version ?? 1,
    metadata: { timestamp: options.now.toISOString(), tools: { components: [tool] } },
    components: [...components.values()],
    vulnerabilities,
  };
}

export interface OpenVexOptions {
  now: Date;
  /** Who asserts the statements (the provider), e.g. `Example Hosting Security <security@example.net>`. */
  author: string;
  /** Document IRI; defaults to `urn:uuid:<random>`. */
  id?: string | undefined;
  /** Document version; bump on every re-issue of the same `@id`. Default 1. */
  version?: number | undefined;
}

export interface OpenVexStatement {
  vulnerability: { name: string; aliases?: string[] };
  products: { '@id': string }[];
  status: OpenVexStatus;
  justification?: NotAffectedJustification;
  impact_statement?: string;
  action_statement?: string;
  status_notes?: string;
  timestamp: string;
}

export interface OpenVexDocument {
  '@context': typeof OPENVEX_CONTEXT;
  '@id': string;
  author: string;
  timestamp: string;
  version: number;
  tooling: string;
  statements: OpenVexStatement[];
}

/**
 * Export findings as an OpenVEX v0.2.0 document (mapping in the file header). The format requires at least one
 * statement: with no findings this throws a RangeError, so check first and answer "nothing to report" instead.
 */
export function toOpenVex(findings: readonly VexFinding[], options: OpenVexOptions): OpenVexDocument {
  if (findings.length === 0) throw new RangeError('an OpenVEX document needs at least one statement (no findings given)');
  const statements = findings.map((f): OpenVexStatement => {
    const v = verdictOf(f);
    const statement: OpenVexStatement = {
      vulnerability: f.aliases.length > 0 ? { name: f.vuln, aliases: [...f.aliases] } : { name: f.vuln },
      products: [{ '@id': findingPurl(f) }],
      status: v.openvexStatus,
      timestamp: iso(f.updatedAt),
    };
    if (v.openvexJustification) statement.justification = v.openvexJustification;
    if (v.impactStatement) statement.impact_statement = v.impactStatement;
    if (v.actionStatement) statement.action_statement = v.actionStatement;
    // Notes carry what the structured fields cannot: the asset, and the detail where no statement field holds it.
    const noteDetail = v.impactStatement || v.actionStatement ? undefined : v.detail;
    statement.status_notes = join(`Asset ${f.assetName}.`, noteDetail);
    return statement;
  });
  return {
    '@context': OPENVEX_CONTEXT,
    '@id': options.id ?? `urn:uuid:${randomUUID()}`,
    author: options.author,
    timestamp: options.now.toISOString(),
    version: options.version ?? 1,
    tooling: 'Skjold',
    statements,
  };
}

/** Skjold triage read back from a CycloneDX analysis (Skjold's own properties first, else the table reversed). */
export function triageFromCycloneDx(entry: {
  analysis?: { state?: string; justification?: string; response?: readonly string[] } | undefined;
  properties?: readonly { name: string; value?: string }[] | undefined;
}): { triage: TriageState; justification?: NotAffectedJustification } | null {
  const prop = (name: string): string | undefined => entry.properties?.find((p) => p.name === name)?.value;
  const ownTriage = prop('skjold:triage') as TriageState | undefined;
  const ownJustification = prop('skjold:justification') as NotAffectedJustification | undefined;
  if (ownTriage && TRIAGE_STATES.includes(ownTriage))
    return ownJustification && ownJustification in TO_CDX_JUSTIFICATION
      ? { triage: ownTriage, justification: ownJustification }
      : { triage: ownTriage };
  const analysis = entry.analysis;
  switch (analysis?.state) {
    case 'resolved':
    case 'resolved_with_pedigree':
      return { triage: 'resolved' };
    case 'exploitable':
      return { triage: analysis.response?.includes('will_not_fix') ? 'risk_accepted' : 'exploitable' };
    case 'in_triage':
      return { triage: 'in_triage' };
    case 'false_positive':
      return { triage: 'false_positive' };
    case 'not_affected': {
      const j = analysis.justification as CdxJustification | undefined;
      return j && j in FROM_CDX_JUSTIFICATION
        ? { triage: 'not_affected', justification: FROM_CDX_JUSTIFICATION[j] }
        : { triage: 'not_affected' };
    }
    default:
      return null;
  }
}

/** Skjold triage read back from an OpenVEX statement (`false_positive` and `risk_accepted` cannot be told apart). */
export function triageFromOpenVex(statement: {
  status: string;
  justification?: string | undefined;
}): { triage: TriageState; justification?: NotAffectedJustification } | null {
  switch (statement.status) {
    case 'not_affected': {
      const j = statement.justification as NotAffectedJustification | undefined;
      return j && j in TO_CDX_JUSTIFICATION ? { triage: 'not_affected', justification: j } : { triage: 'not_affected' };
    }
    case 'affected':
      return { triage: 'exploitable' };
    case 'fixed':
      return { triage: 'resolved' };
    case 'under_investigation':
      return { triage: 'in_triage' };
    default:
      return null;
  }
}
