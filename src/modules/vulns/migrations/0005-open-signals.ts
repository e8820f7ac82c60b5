import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * The SLA and KEV signals the sweep raised and has not resolved yet, one row per dedup key (`vulns:sla:<assetId>`,
 * `vulns:kev:<CVE>`). The sweep resolves a signal once nothing it was about still needs action; reading this small
 * table tells it which assets and CVEs to look at, instead of the whole findings table. Two partial indexes answer
 * "what still holds the signal up": per asset, the open provider findings near or past their deadline (open only:
 * patched ones keep their last SLA state for ever; the plain `lifecycle IN (…)` is not implied by the other sweep
 * questions' lifecycle expression, so neither database takes it for `vulns_findings_sla_unsignalled`); per CVE, the
 * signalled KEV findings (a patched one keeps its mark until it reopens). Signals raised
 * before this migration are recorded from the findings' `sla_signalled` and `kev_signalled_at`, so that the next sweep
 * resolves the ones that are over.
 */
export const m0005OpenSignals: ModuleMigration = {
  async up(db) {
    await db.schema
      .createTable('vulns_open_signals')
      .addColumn('dedup_key', 'text', (c) => c.primaryKey())
      // sla | kev
      .addColumn('kind', 'text', (c) => c.notNull())
      // The asset id (sla) or the CVE (kev)
      .addColumn('subject', 'text', (c) => c.notNull())
      // The highest severity raised for the key while it is firing
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('raised_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('vulns_findings_sla_pressing')
      .on('vulns_findings')
      .column('asset_id')
      .where(sql.ref('sla_state'), 'in', sql`('near', 'breached')`)
      .where(sql.ref('operated_by'), '=', sql.lit('provider'))
      .where(sql.ref('lifecycle'), 'in', sql`('open', 'patched_on_disk')`)
      .execute();
    await db.schema
      .createIndex('vulns_findings_kev_signalled')
      .on('vulns_findings')
      .column('asset_id')
      .where(sql.ref('kev'), '=', sql.lit(1))
      .where(sql.ref('kev_signalled_at'), 'is not', null)
      .execute();

    // Signals raised before: an asset with findings signalled near or past their deadline, a CVE with signalled findings.
    const now = new Date().toISOString();
    const sla = await db
      .selectFrom('vulns_findings')
      .select(['asset_id', (eb) => eb.fn.min('sla_signalled').as('worst')])
      .where('sla_signalled', 'in', ['near', 'breached'])
      .groupBy('asset_id')
      .$castTo<{ asset_id: string; worst: string }>()
      .execute();
    const rows = sla.map((r) => ({
      dedup_key: `vulns:sla:${r.asset_id}`,
      kind: 'sla',
      subject: r.asset_id,
      // 'breached' < 'near' as text: the least is 'breached' when any finding was signalled past its deadline
      severity: r.worst === 'breached' ? 'major' : 'minor',
      raised_at: now,
      updated_at: now,
    }));
    const kev = await db
      .selectFrom('vulns_findings')
      .select(['vuln', 'aliases'])
      .distinct()
      .where('kev', '=', sql.lit(1))
      .where('kev_signalled_at', 'is not', null)
      .$castTo<{ vuln: string; aliases: string }>()
      .execute();
    const cves = new Set<string>();
    for (const r of kev) {
      const aliases = JSON.parse(r.aliases) as string[];
      cves.add(r.vuln.startsWith('CVE-') ? r.vuln : (aliases.find((x) => x.startsWith('CVE-')) ?? r.vuln));
    }
    for (const cve of cves)
      rows.push({
        dedup_key: `vulns:kev:${cve}`,
        kind: 'kev',
        subject: cve,
        severity: 'critical',
        raised_at: now,
        updated_at: now,
      });
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('vulns_open_signals')
        .values(rows.slice(i, i + 500))
        .execute();
  },
  async down(db) {
    await db.schema.dropIndex('vulns_findings_kev_signalled').execute();
    await db.schema.dropIndex('vulns_findings_sla_pressing').execute();
    await db.schema.dropTable('vulns_open_signals').execute();
  },
};
