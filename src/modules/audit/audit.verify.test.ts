import { sign } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { checkpointText } from './audit.keys.ts';
import { canonicalEntry, leafHash } from './audit.store.ts';
import { QUIET_CHECKPOINTS, appendN, seedLog } from './audit.test-fixtures.ts';
import { verifyInParallel } from './audit.verify.parallel.ts';
import { type VerifyOptions, verifyAuditLog } from './audit.verify.ts';
import { MerkleFrontier, treeHash } from './merkle.ts';

const run = (t: TestApp) => t.database.db;

async function rowOf(t: TestApp, seq: number): Promise<{ entry: string; leaf: Buffer }> {
  const r = await run(t).selectFrom('audit_entries').select(['entry', 'leaf']).where('seq', '=', seq).executeTakeFirstOrThrow();
  return { entry: r.entry, leaf: Buffer.from(r.leaf) };
}

async function setRow(t: TestApp, seq: number, entry: string, leaf?: Buffer): Promise<void> {
  await run(t)
    .updateTable('audit_entries')
    .set(leaf ? { entry, leaf } : { entry })
    .where('seq', '=', seq)
    .execute();
}

/** Move rows with seq ≥ from by `by` (two steps, so the primary key never collides). */
async function shiftRows(t: TestApp, from: number, by: number): Promise<void> {
  await sql`UPDATE audit_entries SET seq = -seq WHERE seq >= ${from}`.execute(run(t));
  await sql`UPDATE audit_entries SET seq = -seq + ${by} WHERE seq < 0`.execute(run(t));
  await sql`UPDATE audit_head SET next_seq = next_seq + ${by} WHERE id = 1`.execute(run(t));
}

describe.each(DIALECTS)('audit verification on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  const verify = (opts?: VerifyOptions) => verifyAuditLog(t.database, t.audit.service.key.publicKey, opts);
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { env: QUIET_CHECKPOINTS });
    await seedLog(t);
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)('accepts an untouched log and returns its root', async () => {
    const leaves = (await run(t).selectFrom('audit_entries').select('leaf').orderBy('seq').execute()).map((r) =>
      Buffer.from(r.leaf),
    );
    expect(await verify()).toEqual({ ok: true, entries: 40, root: treeHash(leaves).toString('hex'), checkpoints: 5 });
    // The same answer from the parallel path (tiny chunks so that it really runs; SQLite only).
    if (t.database.file) {
      const fast = await verifyInParallel(t.database.file, t.audit.service.key.publicKey, {
        chunkSize: 8,
        minEntries: 1,
        workers: 2,
      });
      expect(fast).toEqual({ ok: true, entries: 40, root: treeHash(leaves).toString('hex'), checkpoints: 5 });
    }
    const cp = await run(t).selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', 20).executeTakeFirstOrThrow();
    expect(cp.root).toBe(treeHash(leaves.slice(0, 20)).toString('hex'));
    expect(
      MerkleFrontier.fromHex(20, JSON.parse(cp.frontier) as string[])
        .root()
        .toString('hex'),
    ).toBe(cp.root);
  });

  it.skipIf(skip)('names an entry whose text was edited (stored leaf left alone) as modified', async () => {
    const r = await rowOf(t, 15);
    await setRow(t, 15, r.entry.replace('test.append', 'test.forged'));
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBadSeq: 15, problem: 'modified' });
    // The parallel path only says "look closer"; verifyAuditLog then gives the precise diagnosis.
    if (t.database.file)
      expect(await verifyInParallel(t.database.file, t.audit.service.key.publicKey, { chunkSize: 8, minEntries: 1 })).toBeNull();
    expect(await verify({ parallel: { chunkSize: 8, minEntries: 1 } })).toEqual(res);
  });

  it.skipIf(skip)('gives the right answer after a refused run, with the same pooled workers', async () => {
    if (!t.database.file) return;
    const key = t.audit.service.key.publicKey;
    const opts = { chunkSize: 2, minEntries: 1, workers: 2 };
    const clean = await verifyInParallel(t.database.file, key, opts);
    expect(clean).toMatchObject({ ok: true, entries: 40 });
    // Entry 3 is in the first chunk: one worker refuses while the other is still hashing later chunks, whose
    // answers must not be taken for the next run's.
    const r = await rowOf(t, 3);
    for (let round = 0; round < 4; round++) {
      await setRow(t, 3, r.entry.replace('test.append', 'test.forged'));
      expect(await verifyInParallel(t.database.file, key, opts)).toBeNull();
      await setRow(t, 3, r.entry);
      expect(await verifyInParallel(t.database.file, key, opts)).toEqual(clean);
    }
  });

  it.skipIf(skip)('pinpoints an entry edited with its leaf hash rewritten when checkpoints are dense around it', async () => {
    const r = await rowOf(t, 11);
    const forged = r.entry.replace('test.append', 'test.forged');
    await setRow(t, 11, forged, leafHash(forged));
    // Checkpoints 10 and 11: only entry 11 can explain the mismatch at 11.
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 11, problem: 'modified' });
  });

  it.skipIf(skip)('narrows an entry edited with its leaf hash rewritten to the smallest signed subtree', async () => {
    const r = await rowOf(t, 15);
    const forged = r.entry.replace('test.append', 'test.forged');
    await setRow(t, 15, forged, leafHash(forged));
    // Checkpoint 11 matched; checkpoint 20's frontier is [0,16) [16,20): entries 12–16 are the suspects.
    const res = await verify();
    expect(res).toMatchObject({ ok: false, firstBadSeq: 12, lastSuspectSeq: 16, problem: 'modified' });
    expect(res.ok ? '' : res.message).toContain('12–16');
  });

  it.skipIf(skip)('names a deleted row', async () => {
    await run(t).deleteFrom('audit_entries').where('seq', '=', 25).execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 25, problem: 'deleted' });
  });

  it.skipIf(skip)('names a deleted row even when the later rows were renumbered to close the gap', async () => {
    await run(t).deleteFrom('audit_entries').where('seq', '=', 25).execute();
    await shiftRows(t, 26, -1);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 25, problem: 'deleted' });
  });

  it.skipIf(skip)('names an inserted row, even one whose seq and leaf hash are consistent', async () => {
    await shiftRows(t, 25, 1);
    const entry = canonicalEntry(25, new Date().toISOString(), {
      actor: 'user:mallory',
      action: 'users.create',
      outcome: 'allowed',
    });
    await run(t)
      .insertInto('audit_entries')
      .values({ seq: 25, entry, leaf: leafHash(entry) })
      .execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 25, problem: 'inserted' });
  });

  it.skipIf(skip)('names two swapped rows as reordered', async () => {
    const [a, b] = [await rowOf(t, 22), await rowOf(t, 27)];
    await setRow(t, 22, b.entry, b.leaf);
    await setRow(t, 27, a.entry, a.leaf);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 22, problem: 'reordered' });
  });

  it.skipIf(skip)('names a log truncated after a checkpoint', async () => {
    await run(t).deleteFrom('audit_entries').where('seq', '>', 35).execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 36, problem: 'truncated', lastSuspectSeq: 40 });
  });

  it.skipIf(skip)('names a log truncated after its last checkpoint by the handed-out sequence numbers', async () => {
    await appendN(t, 5);
    await run(t).deleteFrom('audit_entries').where('seq', '>', 42).execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 43, problem: 'truncated' });
  });

  it.skipIf(skip)('names a checkpoint with a corrupted signature', async () => {
    const cp = await run(t).selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', 20).executeTakeFirstOrThrow();
    const sig = Buffer.from(cp.signature, 'base64');
    sig[0] = (sig[0] as number) ^ 1;
    await run(t)
      .updateTable('audit_checkpoints')
      .set({ signature: sig.toString('base64') })
      .where('tree_size', '=', 20)
      .execute();
    // Checkpoint 11 is the last good one: 12–20 are not covered by a valid signature.
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 12, lastSuspectSeq: 20, problem: 'bad_signature' });
  });

  it.skipIf(skip)('rejects a checkpoint re-signed with another key, and a root changed without re-signing', async () => {
    const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ed25519'));
    const cp = await run(t).selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', 30).executeTakeFirstOrThrow();
    const forged = sign(null, Buffer.from(checkpointText(30, cp.root, cp.ts)), privateKey).toString('base64');
    await run(t).updateTable('audit_checkpoints').set({ signature: forged }).where('tree_size', '=', 30).execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 21, problem: 'bad_signature' });
    await run(t)
      .updateTable('audit_checkpoints')
      .set({ signature: cp.signature, root: '00'.repeat(32) })
      .where('tree_size', '=', 30)
      .execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 21, problem: 'bad_signature' });
  });

  it.skipIf(skip)('names a checkpoint whose stored frontier was altered', async () => {
    await run(t)
      .updateTable('audit_checkpoints')
      .set({ frontier: JSON.stringify(['00'.repeat(32), '11'.repeat(32)]) })
      .where('tree_size', '=', 20)
      .execute();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 12, problem: 'checkpoint_mismatch' });
  });

  it.skipIf(skip)('reports the earliest of two problems', async () => {
    // A rewritten leaf at 13 is only visible to checkpoint 20; a plain edit at 18 is visible on its own.
    const a = await rowOf(t, 13);
    const forged = a.entry.replace('test.append', 'test.forged');
    await setRow(t, 13, forged, leafHash(forged));
    const b = await rowOf(t, 18);
    await setRow(t, 18, b.entry.replace('test.append', 'test.other'));
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 12, lastSuspectSeq: 16, problem: 'modified' });
  });

  it.skipIf(skip)('makes the same checkpoint twice without conflict (two processes racing)', async () => {
    await appendN(t, 3);
    const [x, y] = await Promise.all([
      t.audit.service.checkpointer.checkpointNow(),
      // A second checkpointer over the same database and key stands in for a second process.
      new (await import('./audit.checkpoints.ts')).Checkpointer({
        database: t.database,
        clock: t.clock,
        log: t.log,
        key: t.audit.service.key,
        every: 1000,
        seconds: 60,
      }).checkpointNow(),
    ]);
    expect(x?.treeSize).toBe(43);
    expect(y?.treeSize).toBe(43);
    expect(x?.root).toBe(y?.root);
    expect(await verify()).toMatchObject({ ok: true, entries: 43, checkpoints: 6 });
  });
});

describe('audit verification fast path (SQLite)', () => {
  it('agrees with the precise walker across read batches, chunk borders and odd checkpoint sizes', async () => {
    const t = await createTestApp('sqlite', { env: QUIET_CHECKPOINTS });
    try {
      for (const n of [4097, 3, 4091, 1200]) {
        await appendN(t, n);
        await t.audit.service.checkpointer.checkpointNow();
      }
      const key = t.audit.service.key.publicKey;
      const precise = await verifyAuditLog(t.database, key, { parallel: false });
      expect(precise).toMatchObject({ ok: true, entries: 9391, checkpoints: 4 });
      for (const opts of [{ chunkSize: 16_384 }, { chunkSize: 2048 }, { chunkSize: 2048, workers: 0 }]) {
        expect(await verifyInParallel(t.database.file as string, key, { ...opts, minEntries: 1 })).toEqual(precise);
      }
    } finally {
      await t.dispose();
    }
  });
});
