import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * The SLA sweep runs every few minutes and after every fleet re-evaluation. Three of its questions read the whole
 * findings table without these (2.3 million rows at 1,000 hosts: 20 s on SQLite and minutes on PostgreSQL per sweep):
 * risk acceptances that expired, deadlines that may turn near or past, and findings near or past their deadline not
 * yet signalled. Each index holds only the rows its question can want; the queries repeat the predicates literally
 * (SQLite uses a partial index only when the query's WHERE contains the index's terms).
 */
export const m0004SweepIndexes: ModuleMigration = {
  async up(db) {
    await db.schema
      .createIndex('vulns_findings_accepted_until')
      .on('vulns_findings')
      .column('accepted_until')
      .where(sql.ref('triage_state'), '=', sql.lit('risk_accepted'))
      .execute();
    await db.schema
      .createIndex('vulns_findings_sla_due')
      .on('vulns_findings')
      .column('sla_due_at')
      .where(sql.ref('sla_state'), 'in', sql`('ok', 'near')`)
      .execute();
    await db.schema
      .createIndex('vulns_findings_sla_unsignalled')
      .on('vulns_findings')
      .column('asset_id')
      .where(sql.ref('sla_state'), 'in', sql`('near', 'breached')`)
      .where(sql.ref('sla_signalled'), '<>', sql.ref('sla_state'))
      .execute();
  },
  async down(db) {
    for (const i of ['vulns_findings_accepted_until', 'vulns_findings_sla_due', 'vulns_findings_sla_unsignalled'])
      await db.schema.dropIndex(i).execute();
  },
};
