import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../core/db/database.ts';
import { migrate } from '../../../core/db/migrate.ts';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../test/databases.ts';
import { m0001Monitoring } from './0001-monitoring.ts';
import { m0002PublicComponent } from './0002-public-component.ts';

describe.each(DIALECTS)('monitoring migration 0002 on $dialect', ({ dialect, skip }) => {
  let fresh: TestDatabase | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await fresh?.drop();
  });

  it.skipIf(skip)('adds public_component, null for monitors that existed before', async () => {
    fresh = await freshDatabase(dialect);
    database = openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
    const first = await migrate(database, [{ name: 'monitoring', migrations: { '0001-monitoring': m0001Monitoring } }]);
    expect(first.error).toBeUndefined();
    const at = '2026-01-01T00:00:00.000Z';
    await database.db
      .insertInto('monitoring_monitors')
      .values({
        id: 'm1',
        name: 'old',
        type: 'tcp',
        definition: '{"type":"tcp","name":"old"}',
        interval_s: 60,
        created_by: 'system:test',
        created_at: at,
        updated_at: at,
      } as never) // The typed table describes the latest schema; this row predates public_component.
      .execute();
    const second = await migrate(database, [
      { name: 'monitoring', migrations: { '0001-monitoring': m0001Monitoring, '0002-public-component': m0002PublicComponent } },
    ]);
    expect(second.error).toBeUndefined();
    expect(second.results?.map((r) => [r.migrationName, r.status])).toEqual([['monitoring/0002-public-component', 'Success']]);
    const row = await database.db
      .selectFrom('monitoring_monitors')
      .select(['id', 'name', 'public_component'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ id: 'm1', name: 'old', public_component: null });
    await database.db.updateTable('monitoring_monitors').set({ public_component: 'Webhotel' }).execute();
    const listed = await database.db
      .selectFrom('monitoring_monitors')
      .select('id')
      .where('public_component', '=', 'Webhotel')
      .execute();
    expect(listed).toEqual([{ id: 'm1' }]);
  });
});
