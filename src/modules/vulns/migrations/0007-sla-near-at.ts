import { sql } from 'kysely';
import type { ModuleMigration } from '../../../core/db/database.ts';

/**
 * When each deadline turns near (`sla_near_at`, from `slaNearAt`), so that the SLA sweep asks for exactly the findings
 * whose state has to change: those still `ok` past their near instant, and those `ok` or `near` past their deadline.
 * Before, it read every open finding due within the longest window's last 20 % (about 100,000 rows at 1,000 hosts,
 * 2 s of SQLite's one connection every five minutes) to find the few that changed.
 *
 * The open findings still `ok` get theirs here (the same rule in SQL: the last 20 % of the window from the later of
 * fix available and first detected, at least 24 h); the others get it when next reconciled.
 */
export const m0007SlaNearAt: ModuleMigration = {
  async up(db, dialect) {
    await db.schema.alterTable('vulns_findings').addColumn('sla_near_at', 'text').execute();
    const start = sql`CASE WHEN fix_available_at IS NOT NULL AND fix_available_at > first_detected_at
      THEN fix_available_at ELSE first_detected_at END`;
    const nearAt =
      dialect === 'postgres'
        ? sql`to_char((sla_due_at::timestamptz - greatest(interval '1 day', (sla_due_at::timestamptz - (${start})::timestamptz) * 0.2))
            AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
        : sql`strftime('%Y-%m-%dT%H:%M:%fZ',
            julianday(sla_due_at) - max(1.0, 0.2 * (julianday(sla_due_at) - julianday(${start}))))`;
    await db
      .updateTable('vulns_findings')
      .set({ sla_near_at: nearAt })
      .where('sla_state', '=', 'ok')
      .where('sla_due_at', 'is not', null)
      .where('lifecycle', 'in', ['open', 'patched_on_disk'])
      .execute();
    await db.schema
      .createIndex('vulns_findings_sla_near')
      .on('vulns_findings')
      .column('sla_near_at')
      .where(sql.ref('sla_state'), '=', sql.lit('ok'))
      .execute();
  },
  async down(db) {
    await db.schema.dropIndex('vulns_findings_sla_near').execute();
    await db.schema.alterTable('vulns_findings').dropColumn('sla_near_at').execute();
  },
};
