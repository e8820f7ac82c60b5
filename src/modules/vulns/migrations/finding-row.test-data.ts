import type { VulnsFindingsTable } from '../vulns.tables.ts';

/**
 * A finding row with the columns migration 0001 requires (an open, provider-operated openssl finding in triage), for
 * migration tests that write rows before the migration under test; `o` sets the columns the test is about.
 */
export function legacyFindingRow(id: string, o: Partial<VulnsFindingsTable> = {}) {
  const at = '2026-03-02T08:00:00.000Z';
  return {
    id,
    asset_id: 'asset-a',
    ecosystem: 'Debian:12',
    package: 'openssl',
    vuln: `CVE-2024-${id}`,
    aliases: '[]',
    binaries: '[]',
    installed_version: '3.0.11-1~deb12u1',
    vendor_status: 'fixed',
    in_force: 'vulnerable',
    severity: 'high',
    source: 'debian-tracker',
    lifecycle: 'open',
    triage_state: 'in_triage',
    priority: 'high',
    priority_score: 70,
    priority_reasons: '[]',
    priority_inputs: '{}',
    sla_state: 'breached',
    sla_signalled: 'none',
    kev: 0,
    kev_signalled_at: null,
    operated_by: 'provider',
    first_detected_at: at,
    last_detected_at: at,
    created_at: at,
    updated_at: at,
    ...o,
  };
}
