import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * The SLA sweep looks for KEV findings not yet signalled on every run. Without table statistics (a fresh PostgreSQL,
 * or autovacuum off) the planner walked the 1,000 assets of the benchmark fleet each through the `lifecycle` index
 * (1.5 million entries): about two minutes per sweep. A partial index holds only the few rows the sweep wants.
 */
export const m0002KevSignalIndex: ModuleMigration = {
  async up(db) {
    await db.schema
      .createIndex('vulns_findings_kev_unsignalled')
      .on('vulns_findings')
      .column('asset_id')
      .where(sql.ref('kev'), '=', sql.lit(1))
      .where(sql.ref('kev_signalled_at'), 'is', null)
      .execute();
  },
  async down(db) {
    await db.schema.dropIndex('vulns_findings_kev_unsignalled').execute();
  },
};
