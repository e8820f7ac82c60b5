import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { linesOf, verifyExport } from './audit.export-verify.ts';
import { QUIET_CHECKPOINTS, appendN, seedLog } from './audit.test-fixtures.ts';
import { leafHash } from './audit.store.ts';

async function exportLines(t: TestApp, from?: string, to?: string): Promise<string[]> {
  const out = await t.audit.service.export({ from, to });
  const lines: string[] = [];
  for await (const l of linesOf(out.lines)) lines.push(l);
  return lines;
}

const pem = (t: TestApp) => t.audit.service.key.publicKeyPem;
const entryIndex = (lines: string[], seq: number): number => lines.findIndex((l) => l.startsWith(`{"v":1,"seq":${seq},`));

describe.each(DIALECTS)('audit export on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { env: QUIET_CHECKPOINTS, manualClock: true });
    await seedLog(t);
    await appendN(t, 5); // 41–45, after the last checkpoint
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)(
    'round-trips: header, verbatim entries, leaf hashes, checkpoints with range proofs; verifies offline',
    async () => {
      const lines = await exportLines(t, '5', '43');
      const header = JSON.parse(lines[0] as string) as Record<string, unknown>;
      // No checkpoint covered 43 yet: one was made at export time (45); 10, 11, 20, 30 and 40 lie inside.
      expect(header).toMatchObject({
        type: 'skjold-audit-export',
        v: 1,
        firstSeq: 5,
        lastSeq: 43,
        checkpoints: [10, 11, 20, 30, 40, 45],
      });
      const stored = await t.database.db
        .selectFrom('audit_entries')
        .select(['seq', 'entry'])
        .where('seq', '>=', 5)
        .where('seq', '<=', 43)
        .orderBy('seq')
        .execute();
      expect(lines.filter((l) => l.startsWith('{"v":'))).toEqual(stored.map((r) => r.entry));
      expect(lines.filter((l) => l.startsWith('{"type":"checkpoint"'))).toHaveLength(6);
      expect(await verifyExport(lines, pem(t))).toEqual({ ok: true, firstSeq: 5, lastSeq: 43, entries: 39, checkpoints: 6 });
      // The whole log, and a single entry, verify too.
      expect(await verifyExport(await exportLines(t), pem(t))).toMatchObject({ ok: true, firstSeq: 1, lastSeq: 45 });
      expect(await verifyExport(await exportLines(t, '45', '45'), pem(t))).toMatchObject({ ok: true, firstSeq: 45, lastSeq: 45 });
    },
  );

  it.skipIf(skip)('takes ISO times as the range (from inclusive, to exclusive)', async () => {
    const clock = t.manualClock;
    if (!clock) throw new Error('manual clock expected');
    clock.advance(60_000);
    const from = clock.now().toISOString();
    await appendN(t, 3); // 46–48
    clock.advance(60_000);
    const to = clock.now().toISOString();
    await appendN(t, 2); // 49–50
    const lines = await exportLines(t, from, to);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ firstSeq: 46, lastSeq: 48 });
    expect(await verifyExport(lines, pem(t))).toMatchObject({ ok: true, entries: 3 });
    await expect(exportLines(t, '2099-01-01T00:00:00Z')).rejects.toMatchObject({ code: 'audit_range_empty' });
    await expect(exportLines(t, 'yesterday')).rejects.toMatchObject({ code: 'audit_range_invalid' });
  });

  it.skipIf(skip)('names an edited entry line exactly', async () => {
    const lines = await exportLines(t, '5', '43');
    const i = entryIndex(lines, 17);
    lines[i] = (lines[i] as string).replace('test.append', 'test.forged');
    expect(await verifyExport(lines, pem(t))).toMatchObject({ ok: false, firstBadSeq: 17, problem: 'modified' });
  });

  it.skipIf(skip)('detects an entry line edited together with its listed leaf hash', async () => {
    const lines = await exportLines(t, '5', '43');
    const i = entryIndex(lines, 17);
    const old = leafHash(lines[i] as string).toString('hex');
    lines[i] = (lines[i] as string).replace('test.append', 'test.forged');
    const j = lines.findIndex((l) => l.includes(old));
    lines[j] = (lines[j] as string).replace(old, leafHash(lines[i]).toString('hex'));
    // Checkpoint 11 still matches; checkpoint 20 does not: entries 12–20 are not vouched for.
    expect(await verifyExport(lines, pem(t))).toMatchObject({ ok: false, firstBadSeq: 12, problem: 'checkpoint_mismatch' });
  });

  it.skipIf(skip)('names a dropped entry line', async () => {
    const lines = await exportLines(t, '5', '43');
    lines.splice(entryIndex(lines, 20), 1);
    expect(await verifyExport(lines, pem(t))).toMatchObject({ ok: false, firstBadSeq: 20, problem: 'deleted' });
  });

  it.skipIf(skip)('names reordered entry lines', async () => {
    const lines = await exportLines(t, '5', '43');
    const [a, b] = [entryIndex(lines, 8), entryIndex(lines, 9)];
    [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
    expect(await verifyExport(lines, pem(t))).toMatchObject({ ok: false, firstBadSeq: 8, problem: 'reordered' });
  });

  it.skipIf(skip)('fails on a dropped checkpoint line and on trailing entries cut off', async () => {
    const lines = await exportLines(t, '5', '43');
    const last = lines.filter((l) => l.startsWith('{"type":"checkpoint"')).pop() as string;
    expect(
      await verifyExport(
        lines.filter((l) => l !== last),
        pem(t),
      ),
    ).toMatchObject({ ok: false, firstBadSeq: 41, problem: 'truncated' });
    const cut = lines.filter((l) => !l.startsWith('{"v":1,"seq":43,'));
    expect(await verifyExport(cut, pem(t))).toMatchObject({ ok: false, firstBadSeq: 43, problem: 'truncated' });
  });

  it.skipIf(skip)('fails with another public key', async () => {
    const lines = await exportLines(t, '5', '43');
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(await verifyExport(lines, other)).toMatchObject({ ok: false, firstBadSeq: 5, problem: 'bad_signature' });
  });
});
