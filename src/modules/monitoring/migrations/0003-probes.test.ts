import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../core/db/database.ts';
import { migrate } from '../../../core/db/migrate.ts';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../test/databases.ts';
import { m0001Monitoring } from './0001-monitoring.ts';
import { m0002PublicComponent } from './0002-public-component.ts';
import { m0003Probes } from './0003-probes.ts';

describe.each(DIALECTS)('monitoring migration 0003 on $dialect', ({ dialect, skip }) => {
  let fresh: TestDatabase | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await fresh?.drop();
  });

  it.skipIf(skip)('adds probes, per-location states and the batch inbox; existing monitors keep running from local', async () => {
    fresh = await freshDatabase(dialect);
    database = openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
    const before = { '0001-monitoring': m0001Monitoring, '0002-public-component': m0002PublicComponent };
    expect((await migrate(database, [{ name: 'monitoring', migrations: before }])).error).toBeUndefined();
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
      } as never)
      .execute();
    const after = await migrate(database, [{ name: 'monitoring', migrations: { ...before, '0003-probes': m0003Probes } }]);
    expect(after.results?.map((r) => [r.migrationName, r.status])).toEqual([['monitoring/0003-probes', 'Success']]);
    const m = await database.db.selectFrom('monitoring_monitors').select(['locations', 'quorum']).executeTakeFirstOrThrow();
    expect(m).toEqual({ locations: '["local"]', quorum: 1 });

    const probe = {
      id: 'p1',
      name: 'cph',
      location: 'cph-2',
      token_hash: 'h1',
      poll_seconds: 30,
      created_by: 'system:test',
      created_at: at,
    };
    await database.db
      .insertInto('monitoring_probes')
      .values(probe as never)
      .execute();
    expect(await database.db.selectFrom('monitoring_probes').select(['silent', 'last_seen_at']).execute()).toEqual([
      { silent: 0, last_seen_at: null },
    ]);
    // One probe per location.
    await expect(
      database.db
        .insertInto('monitoring_probes')
        .values({ ...probe, id: 'p2', name: 'other', token_hash: 'h2' } as never)
        .execute(),
    ).rejects.toThrow();
    const batch = {
      probe_id: 'p1',
      batch_id: 'b1',
      location: 'cph-2',
      received_at: at,
      count: 0,
      items: '[]',
      consumed_at: null,
    };
    await database.db
      .insertInto('monitoring_probe_batches')
      .values({ id: 'x1', ...batch })
      .execute();
    // A batch id is taken once per probe.
    await expect(
      database.db
        .insertInto('monitoring_probe_batches')
        .values({ id: 'x2', ...batch })
        .execute(),
    ).rejects.toThrow();
  });
});
