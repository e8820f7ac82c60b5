import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * Assets and their inventory snapshots, advisory feeds with the vendor statements indexed at import, KEV / EPSS /
 * DSA-DLA side tables, and findings with their triage, priority, SLA and history. Times are ISO 8601 UTC text; JSON is
 * text. A snapshot keeps its package list gzip-compressed (base64) in one row: the fleet is re-matched from the latest
 * snapshot of each asset, and old snapshots stay as evidence of what was installed when.
 */
export const m0001Vulns: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('vulns_assets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      // host | service | application
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('owner_team', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('environment', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('site', 'text', (c) => c.notNull().defaultTo(''))
      // low | medium | high | critical
      .addColumn('criticality', 'text', (c) => c.notNull())
      // internet | internal | unknown (unknown counts as internet for priority and SLA)
      .addColumn('exposure', 'text', (c) => c.notNull())
      // provider | customer (P14: customer-managed software is reported, outside the provider's SLA)
      .addColumn('operated_by', 'text', (c) => c.notNull())
      .addColumn('customer', 'text')
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('last_snapshot_id', 'text')
      .addColumn('last_report_at', 'text')
      .addColumn('distro', 'text')
      .addColumn('kernel_release', 'text')
      .addColumn('package_count', 'integer', (c) => c.notNull().defaultTo(0))
      // 1 while a `vulns:host-silent:<id>` signal is firing (raised once, resolved when the host reports again)
      .addColumn('silent_signalled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vulns_snapshots')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('asset_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('collected_at', 'text')
      // dpkg | rpm | cyclonedx | spdx
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('distro', 'text')
      .addColumn('kernel_release', 'text')
      .addColumn('os_release', 'text', (c) => c.notNull())
      .addColumn('package_count', 'integer', (c) => c.notNull())
      .addColumn('not_installed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reboot_required', 'integer', (c) => c.notNull().defaultTo(0))
      // JSON array of services still running old code
      .addColumn('services_restart', 'text', (c) => c.notNull())
      // gzip(JSON InventoryPackage[]) as base64
      .addColumn('packages', 'text', (c) => c.notNull())
      // sha256 of the inventory's content, all but its collection time (same packages every night: same digest)
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('reported_by', 'text', (c) => c.notNull())
      .addColumn('warnings', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('vulns_snapshots_asset').on('vulns_snapshots').columns(['asset_id', 'received_at']).execute();
    await db.schema
      .createTable('vulns_feeds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // debian-tracker | debian-dsa | debian-dla | osv | kev | epss
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('url', 'text')
      .addColumn('path', 'text')
      // JSON array: OSV ecosystems to keep from an archive (empty: all)
      .addColumn('ecosystems', 'text', (c) => c.notNull())
      .addColumn('interval_seconds', 'integer', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('etag', 'text')
      .addColumn('last_modified', 'text')
      .addColumn('content_hash', 'text')
      // The feed's own version: KEV catalogVersion, EPSS score date, else the content hash's prefix
      .addColumn('version', 'text')
      // never | ok | error
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_attempt_at', 'text')
      .addColumn('last_success_at', 'text')
      // Last import whose content differed (drives re-evaluation)
      .addColumn('last_change_at', 'text')
      // 1 while a `vulns:feed-stale:<id>` signal is firing (raised once, resolved when the feed is fresh again)
      .addColumn('stale_signalled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vulns_statements')
      .addColumn('feed_id', 'text', (c) => c.notNull())
      // Order within the feed's import (1, 2, …): the index is loaded in pages by (feed_id, seq) on both databases
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('vuln', 'text', (c) => c.notNull())
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('fixed', 'text')
      // JSON AffectedRange[] / string[] or null
      .addColumn('ranges', 'text')
      .addColumn('versions', 'text')
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('urgency', 'text')
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('vulns_statements_feed').on('vulns_statements').columns(['feed_id', 'seq']).execute();
    await db.schema.createIndex('vulns_statements_package').on('vulns_statements').columns(['ecosystem', 'package']).execute();
    await db.schema
      .createTable('vulns_vulnerabilities')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('feed_id', 'text', (c) => c.notNull())
      // JSON arrays
      .addColumn('aliases', 'text', (c) => c.notNull())
      .addColumn('cvss', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('published', 'text')
      .addColumn('modified', 'text')
      // Per feed: two feeds may describe the same id; deleting one feed's rows leaves the other's.
      .addPrimaryKeyConstraint('vulns_vulnerabilities_pk', ['feed_id', 'id'])
      .execute();
    await db.schema.createIndex('vulns_vulnerabilities_feed').on('vulns_vulnerabilities').column('feed_id').execute();
    await db.schema
      .createTable('vulns_kev')
      .addColumn('cve', 'text', (c) => c.notNull())
      .addColumn('feed_id', 'text', (c) => c.notNull())
      .addColumn('vendor', 'text', (c) => c.notNull())
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('date_added', 'text', (c) => c.notNull())
      .addColumn('due_date', 'text', (c) => c.notNull())
      .addColumn('ransomware', 'integer', (c) => c.notNull())
      .addColumn('required_action', 'text', (c) => c.notNull())
      // Per feed: two feeds may describe the same id; deleting one feed's rows leaves the other's.
      .addPrimaryKeyConstraint('vulns_kev_pk', ['feed_id', 'cve'])
      .execute();
    await db.schema
      .createTable('vulns_epss')
      .addColumn('cve', 'text', (c) => c.notNull())
      .addColumn('feed_id', 'text', (c) => c.notNull())
      .addColumn('epss', 'double precision', (c) => c.notNull())
      .addColumn('percentile', 'double precision', (c) => c.notNull())
      // Per feed: two feeds may describe the same id; deleting one feed's rows leaves the other's.
      .addPrimaryKeyConstraint('vulns_epss_pk', ['feed_id', 'cve'])
      .execute();
    await db.schema
      .createTable('vulns_debian_advisories')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('feed_id', 'text', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('package', 'text', (c) => c.notNull())
      // JSON: CVE ids; codename → fixed version
      .addColumn('cves', 'text', (c) => c.notNull())
      .addColumn('fixed', 'text', (c) => c.notNull())
      // Per feed: two feeds may describe the same id; deleting one feed's rows leaves the other's.
      .addPrimaryKeyConstraint('vulns_debian_advisories_pk', ['feed_id', 'id'])
      .execute();
    await db.schema
      .createTable('vulns_findings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('asset_id', 'text', (c) => c.notNull())
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('vuln', 'text', (c) => c.notNull())
      .addColumn('aliases', 'text', (c) => c.notNull())
      // JSON [{name, version}]
      .addColumn('binaries', 'text', (c) => c.notNull())
      .addColumn('installed_version', 'text', (c) => c.notNull())
      .addColumn('fixed_version', 'text')
      .addColumn('vendor_status', 'text', (c) => c.notNull())
      // vulnerable | on_disk | not_running (model InForce), or '' once resolved
      .addColumn('in_force', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('urgency', 'text')
      .addColumn('note', 'text')
      .addColumn('source', 'text', (c) => c.notNull())
      // open | patched_on_disk | verified_resolved
      .addColumn('lifecycle', 'text', (c) => c.notNull())
      // in_triage | exploitable | not_affected | false_positive | risk_accepted | resolved
      .addColumn('triage_state', 'text', (c) => c.notNull())
      .addColumn('justification', 'text')
      .addColumn('triage_detail', 'text')
      .addColumn('triage_by', 'text')
      .addColumn('triage_at', 'text')
      .addColumn('accepted_by', 'text')
      .addColumn('accepted_until', 'text')
      .addColumn('priority', 'text', (c) => c.notNull())
      .addColumn('priority_score', 'integer', (c) => c.notNull())
      // JSON string[] and PriorityInputs (with the feed versions they came from)
      .addColumn('priority_reasons', 'text', (c) => c.notNull())
      .addColumn('priority_inputs', 'text', (c) => c.notNull())
      .addColumn('kev', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('epss', 'double precision')
      .addColumn('sla_due_at', 'text')
      // none | ok | near | breached
      .addColumn('sla_state', 'text', (c) => c.notNull())
      // The last SLA state a signal was raised for (none | near | breached)
      .addColumn('sla_signalled', 'text', (c) => c.notNull().defaultTo('none'))
      .addColumn('kev_signalled_at', 'text')
      .addColumn('operated_by', 'text', (c) => c.notNull())
      .addColumn('published_at', 'text')
      .addColumn('fix_available_at', 'text')
      .addColumn('first_detected_at', 'text', (c) => c.notNull())
      .addColumn('last_detected_at', 'text', (c) => c.notNull())
      // First snapshot showing the fixed version installed (on disk)
      .addColumn('patched_at', 'text')
      // First snapshot showing the fixed version in force (verified resolved)
      .addColumn('in_force_at', 'text')
      .addColumn('last_snapshot_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('vulns_findings_key')
      .on('vulns_findings')
      .columns(['asset_id', 'package', 'vuln'])
      .unique()
      .execute();
    await db.schema.createIndex('vulns_findings_state').on('vulns_findings').columns(['lifecycle', 'priority']).execute();
    await db.schema.createIndex('vulns_findings_vuln').on('vulns_findings').column('vuln').execute();
    await db.schema
      .createTable('vulns_finding_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('finding_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      // detected | vendor_status | priority | patched_on_disk | verified_resolved | reopened | triage | sla_near |
      // sla_breached | risk_expired | kev_added
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('from_value', 'text')
      .addColumn('to_value', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('vulns_finding_events_finding')
      .on('vulns_finding_events')
      .columns(['finding_id', 'at'])
      .execute();
  },
  async down(db) {
    // Indexes go with their tables.
    for (const t of [
      'vulns_finding_events',
      'vulns_findings',
      'vulns_debian_advisories',
      'vulns_epss',
      'vulns_kev',
      'vulns_vulnerabilities',
      'vulns_statements',
      'vulns_feeds',
      'vulns_snapshots',
      'vulns_assets',
    ])
      await db.schema.dropTable(t).execute();
  },
};
