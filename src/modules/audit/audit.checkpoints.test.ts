import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { openDatabase } from '../../core/db/database.ts';
import { appendN } from './audit.test-fixtures.ts';

async function sizes(t: TestApp): Promise<number[]> {
  const rows = await t.database.db.selectFrom('audit_checkpoints').select('tree_size').orderBy('tree_size').execute();
  return rows.map((r) => Number(r.tree_size));
}

async function until(what: () => Promise<boolean>, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await what()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}

describe.each(DIALECTS)('audit checkpoints on $dialect', ({ dialect, skip }) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it.skipIf(skip)('makes a checkpoint after every `checkpointEvery` entries, extending the previous one', async () => {
    t = await createTestApp(dialect, { env: { SKJOLD_AUDIT_CHECKPOINT_EVERY: '5', SKJOLD_AUDIT_CHECKPOINT_SECONDS: '86400' } });
    const app = t;
    await appendN(app, 5);
    await until(async () => (await sizes(app)).includes(5));
    await appendN(app, 7);
    await until(async () => (await sizes(app)).at(-1) === 12);
    expect(await app.audit.service.verify()).toMatchObject({ ok: true, entries: 12 });
  });

  it.skipIf(skip)('makes one after `checkpointSeconds` when there are new entries, and none when there are not', async () => {
    t = await createTestApp(dialect, { env: { SKJOLD_AUDIT_CHECKPOINT_EVERY: '1000', SKJOLD_AUDIT_CHECKPOINT_SECONDS: '1' } });
    const app = t;
    await appendN(app, 3);
    await until(async () => (await sizes(app)).includes(3), 4000);
    await new Promise((r) => setTimeout(r, 1300));
    expect(await sizes(app)).toEqual([3]);
  });

  it.skipIf(skip)('makes a final checkpoint at stop, after the last flush', async () => {
    t = await createTestApp(dialect, {
      env: { SKJOLD_AUDIT_CHECKPOINT_EVERY: '1000', SKJOLD_AUDIT_CHECKPOINT_SECONDS: '86400' },
    });
    const app = t;
    const pending = appendN(app, 4);
    await app.close();
    await pending;
    const db = openDatabase({ dataDir: app.testDb.dataDir, databaseUrl: app.testDb.databaseUrl });
    try {
      const rows = await db.db.selectFrom('audit_checkpoints').select('tree_size').execute();
      expect(rows.map((r) => Number(r.tree_size))).toEqual([4]);
    } finally {
      await db.close();
    }
  });
});
