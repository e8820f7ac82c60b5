import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import { AppError } from '../errors.ts';
import { CommittedFailure, defineRoute, registerRoutes } from './routes.ts';

/**
 * The write path's promise: a change and its audit record commit together or not at all. A test-only table and
 * routes stand in for a module's, on both databases.
 */
describe.each(DIALECTS)('audited write path ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let auth: { authorization: string };
  let afterCommit: Promise<string>[] = [];
  beforeEach(async () => {
    afterCommit = [];
    if (skip) return;
    t = await createTestApp(dialect);
    await sql`CREATE TABLE test_things (id TEXT PRIMARY KEY, secret TEXT, n INTEGER)`.execute(t.database.db);
    t.policy.declare({ 'things.create': { roles: ['admin'], description: 'test' } });
    const body = z
      .object({ id: z.string().min(1).max(20), secret: z.string().max(50), fail: z.enum(['no', 'throw', 'committed']) })
      .strict();
    registerRoutes(
      t.app,
      {
        database: t.database,
        policy: t.policy,
        audit: t.audit.sink,
        authenticator: t.identity.authenticator,
        clock: t.clock,
        log: t.log,
      },
      [
        defineRoute({
          method: 'POST',
          url: '/api/v1/things',
          permission: 'things.create',
          summary: 'test',
          body,
          async handler(ctx) {
            await ctx.db
              .insertInto('test_things' as never)
              .values({ id: ctx.body.id, secret: ctx.body.secret, n: 1 })
              .execute();
            ctx.audit.target(`thing:${ctx.body.id}`);
            // What the work after the commit reads (another connection on PostgreSQL) is what was committed.
            const id = ctx.body.id;
            ctx.afterCommit(() => void afterCommit.push(things().then((all) => (all.includes(id) ? id : `${id} not committed`))));
            ctx.audit.change({
              type: 'thing',
              id: ctx.body.id,
              before: null,
              after: { id: ctx.body.id, secret: ctx.body.secret },
            });
            if (ctx.body.fail === 'throw') throw new AppError('conflict', 'thing_conflict', 'refused after writing');
            if (ctx.body.fail === 'committed')
              return new CommittedFailure(new AppError('forbidden', 'thing_counted', 'counted and refused'));
            ctx.status(201);
            return { id: ctx.body.id };
          },
        }),
      ],
      [],
    );
    auth = (await createUserWithToken(t, 'admin', { scopes: ['things.create'] })).headers;
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip)('runs the work after the commit once the change is committed, and never after a rollback', async () => {
    expect((await post({ id: 'a', secret: 's', fail: 'no' })).statusCode).toBe(201);
    expect((await post({ id: 'b', secret: 's', fail: 'throw' })).statusCode).toBe(409);
    expect((await post({ id: 'c', secret: 's', fail: 'committed' })).statusCode).toBe(403);
    expect(await Promise.all(afterCommit)).toEqual(['a', 'c']);
  });

  const post = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/v1/things', headers: auth, payload: payload as Record<string, unknown> });
  const things = async () =>
    (await sql<{ id: string }>`SELECT id FROM test_things ORDER BY id`.execute(t.database.db)).rows.map((r) => r.id);
  const entries = async () => {
    await t.audit.sink.flush();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', 'things.create')
      .orderBy('seq')
      .execute();
    return rows.map((r) => JSON.parse(r.entry) as Record<string, unknown>);
  };

  it('commits the change with its audit record, secrets redacted', async () => {
    const res = await post({ id: 'a', secret: 'hunter2-hunter2', fail: 'no' });
    expect(res.statusCode).toBe(201);
    expect(await things()).toEqual(['a']);
    const [e] = await entries();
    expect(e).toMatchObject({
      actor: expect.stringMatching(/^token:/) as unknown,
      action: 'things.create',
      target: 'thing:a',
      outcome: 'allowed',
      status: 201,
      ip: '127.0.0.1',
      rid: res.headers['x-request-id'],
      changes: [{ type: 'thing', id: 'a', before: null, after: { id: 'a', secret: '[redacted]' } }],
    });
    expect(JSON.stringify(e)).not.toContain('hunter2');
  });

  it('rolls back the change when the handler fails, and records the failure without the change', async () => {
    const res = await post({ id: 'b', secret: 's', fail: 'throw' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'thing_conflict', status: 409 });
    expect(await things()).toEqual([]);
    const [e, ...rest] = await entries();
    expect(rest).toHaveLength(0);
    expect(e).toMatchObject({ outcome: 'failed', status: 409, detail: { code: 'thing_conflict' } });
    expect(e).not.toHaveProperty('changes');
  });

  it('keeps a committed failure’s change together with its denied record', async () => {
    const res = await post({ id: 'c', secret: 's', fail: 'committed' });
    expect(res.statusCode).toBe(403);
    expect(await things()).toEqual(['c']);
    const [e] = await entries();
    expect(e).toMatchObject({ outcome: 'denied', status: 403, changes: [{ id: 'c' }] });
  });

  it('writes neither change nor allowed record when the audit append itself fails', async () => {
    // Break the audit log's sequence row: every append now fails inside the request transaction.
    await sql`UPDATE audit_head SET id = 2`.execute(t.database.db);
    const res = await post({ id: 'd', secret: 's', fail: 'no' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal_error', detail: 'an unexpected error occurred' });
    expect(await things()).toEqual([]);
    await sql`UPDATE audit_head SET id = 1`.execute(t.database.db);
  });

  it('refuses an invalid body with field errors before touching anything', async () => {
    const res = await post({ id: '', secret: 5, fail: 'maybe', extra: 1 });
    expect(res.statusCode).toBe(400);
    const p = res.json<{ code: string; errors: { path: string }[] }>();
    expect(p.code).toBe('validation_failed');
    expect(p.errors.map((e) => e.path).sort()).toEqual(['body', 'body.fail', 'body.id', 'body.secret']);
    expect(await things()).toEqual([]);
  });
});

describe('input hygiene', () => {
  it('refuses NUL characters anywhere in a body, naming the field', async () => {
    const t = await createTestApp('sqlite');
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'a\u0000b', password: 'x'.repeat(12) },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'body.username', message: 'NUL characters are not allowed' }],
      });
    } finally {
      await t.dispose();
    }
  });
});
