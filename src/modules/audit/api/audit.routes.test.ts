import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import { linesOf, verifyExport } from '../audit.export-verify.ts';
import { searchQuery } from '../audit.search.ts';
import { QUIET_CHECKPOINTS, appendN } from '../audit.test-fixtures.ts';
import { hexHash, verifyConsistency, verifyInclusion } from '../merkle.ts';

interface Page {
  items: { seq: number; action: string; actor: string; target?: string }[];
  nextCursor: number | null;
}

describe.each(DIALECTS)('audit API on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let auditor: { authorization: string };
  const get = (url: string, headers: Record<string, string> = auditor) => t.app.inject({ method: 'GET', url, headers });

  beforeEach(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { env: QUIET_CHECKPOINTS });
    auditor = (await createUserWithToken(t, 'auditor')).headers;
    await appendN(t, 20, 'test.one');
    await t.audit.service.checkpointer.checkpointNow();
    await appendN(t, 7, 'test.two');
    await t.audit.service.checkpointer.checkpointNow();
    await appendN(t, 3, 'test.three');
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)('refuses anonymous callers and roles without audit.read', async () => {
    expect((await get('/api/v1/audit/entries', {})).statusCode).toBe(401);
    const viewer = await createUserWithToken(t, 'viewer');
    const res = await get('/api/v1/audit/entries', viewer.headers);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'permission_denied' });
  });

  it.skipIf(skip)('searches by action with keyset pages, newest first, and oldest first on request', async () => {
    const seen: number[] = [];
    let url = '/api/v1/audit/entries?action=test.two&limit=3';
    for (;;) {
      const page = (await get(url)).json<Page>();
      expect(page.items.every((i) => i.action === 'test.two')).toBe(true);
      seen.push(...page.items.map((i) => i.seq));
      if (page.nextCursor === null) break;
      url = `/api/v1/audit/entries?action=test.two&limit=3&cursor=${page.nextCursor}`;
    }
    expect(seen).toHaveLength(7);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    const asc = (await get('/api/v1/audit/entries?action=test.two&order=asc&limit=500')).json<Page>();
    expect(asc.items.map((i) => i.seq)).toEqual([...seen].reverse());
    const byTarget = (await get('/api/v1/audit/entries?target=n:2&outcome=allowed&actor=system:test')).json<Page>();
    expect(byTarget.items.map((i) => i.action).sort()).toEqual(['test.one', 'test.three', 'test.two']);
    const none = (
      await get(`/api/v1/audit/entries?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)
    ).json<Page>();
    expect(none).toEqual({ items: [], nextCursor: null });
    const recent = (
      await get(`/api/v1/audit/entries?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&limit=500`)
    ).json<Page>();
    expect(recent.items.length).toBeGreaterThanOrEqual(30);
  });

  it.skipIf(skip)('validates queries and params', async () => {
    expect((await get('/api/v1/audit/entries?limit=501')).json()).toMatchObject({ code: 'validation_failed' });
    expect((await get('/api/v1/audit/entries?bogus=1')).statusCode).toBe(400);
    expect((await get('/api/v1/audit/entries/abc')).statusCode).toBe(400);
    const missing = await get('/api/v1/audit/entries/99999');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'audit_entry_not_found' });
  });

  it.skipIf(skip)('shows one entry and proves its inclusion against a signed checkpoint', async () => {
    const page = (await get('/api/v1/audit/entries?action=test.one&order=asc&limit=1')).json<Page>();
    const seq = page.items[0]?.seq as number;
    const one = (await get(`/api/v1/audit/entries/${seq}`)).json<{ seq: number; action: string; leaf: string }>();
    expect(one).toMatchObject({ seq, action: 'test.one' });
    const proof = (await get(`/api/v1/audit/entries/${seq}/proof`)).json<{
      treeSize: number;
      leafIndex: number;
      leaf: string;
      path: string[];
      checkpoint: { root: string; treeSize: number };
    }>();
    expect(proof.leaf).toBe(one.leaf);
    expect(
      verifyInclusion(
        hexHash(proof.leaf),
        proof.leafIndex,
        proof.treeSize,
        proof.path.map(hexHash),
        hexHash(proof.checkpoint.root),
      ),
    ).toBe(true);
    // Against a named, later checkpoint too.
    const cps = (await get('/api/v1/audit/checkpoints')).json<{ items: { treeSize: number; root: string }[] }>().items;
    const newest = cps[0] as { treeSize: number; root: string };
    const p2 = (await get(`/api/v1/audit/entries/${seq}/proof?treeSize=${newest.treeSize}`)).json<{
      path: string[];
      leafIndex: number;
    }>();
    expect(verifyInclusion(hexHash(one.leaf), p2.leafIndex, newest.treeSize, p2.path.map(hexHash), hexHash(newest.root))).toBe(
      true,
    );
    expect((await get(`/api/v1/audit/entries/${seq}/proof?treeSize=3`)).json()).toMatchObject({
      code: 'audit_checkpoint_not_found',
    });
    // An entry after the last checkpoint gets a fresh checkpoint.
    const last = (await get('/api/v1/audit/entries?limit=1')).json<Page>().items[0]?.seq as number;
    const p3 = (await get(`/api/v1/audit/entries/${last}/proof`)).json<{ treeSize: number }>();
    expect(p3.treeSize).toBeGreaterThanOrEqual(last);
  });

  it.skipIf(skip)('pages checkpoints and proves consistency between two of them', async () => {
    const first = (await get('/api/v1/audit/checkpoints?limit=1')).json<{
      items: { treeSize: number; root: string }[];
      nextCursor: number;
    }>();
    expect(first.items).toHaveLength(1);
    const second = (await get(`/api/v1/audit/checkpoints?limit=1&cursor=${first.nextCursor}`)).json<{
      items: { treeSize: number; root: string }[];
    }>();
    const [newer, older] = [first.items[0], second.items[0]] as [
      { treeSize: number; root: string },
      { treeSize: number; root: string },
    ];
    expect(older.treeSize).toBeLessThan(newer.treeSize);
    const c = (await get(`/api/v1/audit/consistency?from=${older.treeSize}&to=${newer.treeSize}`)).json<{ proof: string[] }>();
    expect(
      verifyConsistency(older.treeSize, newer.treeSize, hexHash(older.root), hexHash(newer.root), c.proof.map(hexHash)),
    ).toBe(true);
    expect((await get(`/api/v1/audit/consistency?from=${newer.treeSize}&to=${older.treeSize}`)).json()).toMatchObject({
      code: 'audit_consistency_range',
    });
    expect((await get('/api/v1/audit/consistency?from=1')).statusCode).toBe(400);
  });

  it.skipIf(skip)(
    'verifies on request without deadlocking the request transaction, while others append, and audits the request',
    async () => {
      const [res] = await Promise.all([
        t.app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auditor }),
        appendN(t, 50, 'test.during'),
      ]);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ok: true, checkpoints: 2 });
      const rec = await t.database.db
        .selectFrom('audit_entries')
        .select('entry')
        .where('action', '=', 'audit.verify')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(rec.entry)).toMatchObject({ outcome: 'allowed', status: 200, detail: { ok: true } });
      // A tampered log is reported in the response (the route still answers 200: the check ran).
      await sql`UPDATE audit_entries SET entry = replace(entry, 'test.one', 'test.evil') WHERE seq = 5`.execute(t.database.db);
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auditor })).json()).toMatchObject({
        ok: false,
        firstBadSeq: 5,
        problem: 'modified',
      });
    },
  );

  it.skipIf(skip)('streams an export that verifies offline, and audits who exported', async () => {
    const res = await get('/api/v1/audit/export?from=2&to=25');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines: string[] = [];
    for await (const l of linesOf([res.body])) lines.push(l);
    const key = (await get('/api/v1/audit/public-key')).json<{ publicKeyPem: string; keyId: string }>();
    expect(key.publicKeyPem).toBe(readFileSync(join(t.testDb.dataDir, 'audit-signing.pub'), 'utf8'));
    expect(await verifyExport(lines, key.publicKeyPem)).toMatchObject({ ok: true, firstSeq: 2, lastSeq: 25 });
    await t.audit.sink.flush();
    const rec = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', 'audit.export')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(rec.entry)).toMatchObject({ detail: { firstSeq: 2, lastSeq: 25 } });
    expect((await get('/api/v1/audit/export?from=yesterday')).statusCode).toBe(400);
  });

  it.skipIf(skip || dialect !== 'sqlite')(
    'searches with index range scans, never a full scan or a sort (SQLite plan)',
    async () => {
      const plan = async (f: Parameters<typeof searchQuery>[1], bounds: { lo?: number; hi?: number } = {}): Promise<string> => {
        const q = searchQuery(t.database, f, bounds).compile();
        const res = await t.database.db.executeQuery<{ detail: string }>({ ...q, sql: `EXPLAIN QUERY PLAN ${q.sql}` });
        return res.rows.map((r) => r.detail).join(' | ');
      };
      const base = { limit: 50, order: 'desc' as const };
      expect(await plan({ ...base, actor: 'user:x', cursor: 100 })).toMatch(
        /USING INDEX audit_entries_actor \(actor=\? AND seq<\?\)/,
      );
      expect(await plan({ ...base, action: 'users.create' })).toMatch(/USING INDEX audit_entries_action \(action=\?\)/);
      expect(await plan({ ...base, target: 't' })).toMatch(/USING INDEX audit_entries_target/);
      expect(await plan({ ...base, outcome: 'denied' })).toMatch(/USING INDEX audit_entries_outcome/);
      expect(
        await plan({ ...base, from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' }, { lo: 10, hi: 900 }),
      ).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
      expect(await plan({ ...base, actor: 'user:x', from: '2026-01-01T00:00:00.000Z' }, { lo: 10 })).toMatch(
        /USING INDEX audit_entries_actor \(actor=\? AND seq>\?\)/,
      );
      // Newest page without filters: the rowid b-tree walked backwards, stopping at the limit; later pages seek.
      expect(await plan(base)).toBe('SCAN audit_entries');
      expect(await plan({ ...base, cursor: 100 })).toMatch(/USING INTEGER PRIMARY KEY \(rowid<\?\)/);
      for (const p of [
        await plan(base),
        await plan({ ...base, actor: 'a' }),
        await plan({ ...base, from: '2026-01-01T00:00:00.000Z' }, { lo: 1 }),
      ]) {
        expect(p).not.toMatch(/TEMP B-TREE/);
      }
    },
  );
});
