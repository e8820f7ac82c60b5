import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../core/db/database.ts';
import { migrate } from '../../../core/db/migrate.ts';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../test/databases.ts';
import { vulnsMigrations } from '../index.ts';
import type { VulnsFindingsTable } from '../vulns.tables.ts';
import { legacyFindingRow } from './finding-row.test-data.ts';

/**
 * Signals raised before migration 0005 are not forgotten: the migration records them from the findings, so the next
 * sweep resolves those that are over (an SLA signal per asset, a KEV signal per CVE).
 */
describe.each(DIALECTS)('migration 0005 records the SLA and KEV signals already firing ($dialect)', ({ dialect, skip }) => {
  let fresh: TestDatabase | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await fresh?.drop();
  });

  it.skipIf(skip)(
    'one SLA row per asset (major when a finding was signalled past its deadline), one KEV row per CVE',
    async () => {
      fresh = await freshDatabase(dialect);
      database = openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl, poolMax: 2 });
      const { '0005-open-signals': m0005, ...before } = vulnsMigrations;
      expect((await migrate(database, [{ name: 'vulns', migrations: before }])).error).toBeUndefined();

      const at = '2026-03-02T08:00:00.000Z';
      const finding = (id: string, asset: string, o: Partial<VulnsFindingsTable>) =>
        legacyFindingRow(id, { asset_id: asset, ...o });
      await database.db
        .insertInto('vulns_findings')
        .values([
          finding('1', 'asset-a', { sla_signalled: 'near' }),
          finding('2', 'asset-a', { sla_signalled: 'breached' }),
          finding('3', 'asset-b', { sla_signalled: 'near', sla_state: 'near' }),
          finding('4', 'asset-c', { sla_signalled: 'none', sla_state: 'ok' }),
          finding('5', 'asset-c', { vuln: 'DSA-5678-1', aliases: '["CVE-2024-9999"]', kev: 1, kev_signalled_at: at }),
          finding('6', 'asset-a', { vuln: 'CVE-2024-9999', package: 'libssl', kev: 1, kev_signalled_at: at }),
          finding('7', 'asset-a', { vuln: 'CVE-2024-8888', kev: 1 }),
        ])
        .execute();

      expect(
        (await migrate(database, [{ name: 'vulns', migrations: { ...before, '0005-open-signals': m0005 } }])).error,
      ).toBeUndefined();
      const rows = await database.db
        .selectFrom('vulns_open_signals')
        .select(['dedup_key', 'kind', 'subject', 'severity'])
        .orderBy('dedup_key')
        .execute();
      expect(rows).toEqual([
        { dedup_key: 'vulns:kev:CVE-2024-9999', kind: 'kev', subject: 'CVE-2024-9999', severity: 'critical' },
        { dedup_key: 'vulns:sla:asset-a', kind: 'sla', subject: 'asset-a', severity: 'major' },
        { dedup_key: 'vulns:sla:asset-b', kind: 'sla', subject: 'asset-b', severity: 'minor' },
      ]);
    },
  );
});
