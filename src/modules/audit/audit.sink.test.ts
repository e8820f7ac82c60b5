import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import type { GroupCommitAuditSink } from './audit.sink.ts';
import { COMMIT_INTERVAL_MS } from './audit.sink.ts';
import { leafHash } from './audit.store.ts';

describe.each(DIALECTS)('audit sink on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (!skip) t = await createTestApp(dialect);
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)('group-commits concurrent appends with gap-free sequence numbers', async () => {
    const seqs = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        t.audit.sink.append({ actor: 'system:test', action: 'test.append', target: `n:${i}`, outcome: 'allowed' }),
      ),
    );
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select(['seq', 'entry', 'leaf', 'action', 'target'])
      .orderBy('seq')
      .execute();
    expect(rows).toHaveLength(500);
    for (const r of rows) {
      expect(JSON.parse(r.entry)).toMatchObject({ v: 1, seq: r.seq, action: 'test.append' });
      expect(Buffer.from(r.leaf).equals(leafHash(r.entry))).toBe(true);
      expect(r.action).toBe('test.append');
    }
  });

  it.skipIf(skip)(
    'a job committing transaction after transaction lets a queued audit record through (WriteTurns)',
    async () => {
      // A job like a fleet re-evaluation: back-to-back write transactions on the main connection for two seconds.
      let jobDone = false;
      const job = (async () => {
        const until = performance.now() + 2000;
        while (performance.now() < until) {
          await t.database.writeTurns.turn();
          await t.database.db.transaction().execute(async (trx) => {
            await trx.updateTable('audit_head').set({ id: 1 }).where('id', '=', 1).execute();
            const busy = performance.now() + 20;
            while (performance.now() < busy);
          });
        }
        jobDone = true;
      })();
      await new Promise((r) => setTimeout(r, 100));
      // A read request's record, group-committed (on SQLite by the writer thread, on its own connection).
      await t.audit.sink.append({ actor: 'system:test', action: 'test.during_job', outcome: 'allowed' });
      expect(jobDone).toBe(false);
      await job;
    },
    15_000,
  );

  it.skipIf(skip)('gives the sequence numbers of a rolled-back transaction back', async () => {
    await expect(
      t.database.db.transaction().execute(async (trx) => {
        await t.audit.sink.appendInTx(trx, { actor: 'system:test', action: 'test.rollback', outcome: 'allowed' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const seq = await t.audit.sink.append({ actor: 'system:test', action: 'test.after', outcome: 'allowed' });
    expect(seq).toBe(1);
    const actions = await t.database.db.selectFrom('audit_entries').select('action').execute();
    expect(actions.map((a) => a.action)).toEqual(['test.after']);
  });
  it.skipIf(skip)(
    'interleaves a request transaction that reads first with group commits, without reusing or skipping a seq',
    async () => {
      const { inTx, queued } = await t.database.db.transaction().execute(async (trx) => {
        // Read first: on SQLite a deferred transaction could not upgrade to a write after another commit.
        await trx.selectFrom('audit_entries').select('seq').execute();
        const q = t.audit.sink.append({ actor: 'system:test', action: 'test.queued', outcome: 'allowed' });
        await new Promise((r) => setTimeout(r, 50));
        return {
          inTx: await t.audit.sink.appendInTx(trx, { actor: 'system:test', action: 'test.in_tx', outcome: 'allowed' }),
          queued: q,
        };
      });
      expect([inTx, await queued].sort()).toEqual([1, 2]);
      const rows = await t.database.db.selectFrom('audit_entries').select(['seq', 'entry', 'leaf']).orderBy('seq').execute();
      expect(rows.map((r) => r.seq)).toEqual([1, 2]);
      for (const r of rows) expect(Buffer.from(r.leaf).equals(leafHash(r.entry))).toBe(true);
    },
  );

  it.skipIf(skip || dialect !== 'sqlite')(
    'spaces writer-thread commits under steady traffic, so requests share a commit and its fsync',
    async () => {
      const commits: { at: number; count: number }[] = [];
      const sink = t.audit.sink as GroupCommitAuditSink;
      const previous = sink.onCommitted;
      sink.onCommitted = (count) => {
        commits.push({ at: performance.now(), count });
        previous?.(count);
      };
      // One record every ~1 ms for 150 ms, the way a busy API sends them.
      const done: Promise<number>[] = [];
      const started = performance.now();
      for (let i = 0; i < 150; i++) {
        done.push(t.audit.sink.append({ actor: 'system:test', action: 'test.steady', outcome: 'allowed' }));
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(done);
      expect(commits.reduce((n, c) => n + c.count, 0)).toBe(150);
      // Commits start at least COMMIT_INTERVAL_MS apart: no more of them than the elapsed time allows.
      const elapsed = performance.now() - started;
      expect(commits.length).toBeLessThanOrEqual(Math.floor(elapsed / COMMIT_INTERVAL_MS) + 1);
      expect(commits.length).toBeLessThan(150 / 3);
    },
  );
});
