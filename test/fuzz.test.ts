import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RegisteredRoute } from '../src/core/http/routes.ts';
import { createTestApp, type TestApp } from './app.ts';
import { DIALECTS } from './databases.ts';
import { createUserWithToken } from './identity.ts';
import { snapshotDatabase } from './snapshot.ts';

/**
 * Random bodies, queries and path parameters thrown at every route by a caller allowed to use it (so input reaches
 * validation and the service): no answer is a 5xx, every refusal is RFC 9457 problem JSON with a stable code, and a
 * refused request leaves no partial write. The audit log, sessions and the login throttle are expected to change:
 * they record the attempt itself.
 */
const RECORDS_ATTEMPTS = (t: string) => t.startsWith('audit_') || t === 'identity_sessions' || t === 'identity_login_throttle';

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>x</script>',
    'a'.repeat(5000),
    '🛡️',
    '-1',
    '1e309',
    'NaN',
    'null',
    'true',
    '[]',
    '{}',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 64, -0),
);

function propertyNames(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  try {
    const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
    return Object.keys(js.properties ?? {});
  } catch {
    return [];
  }
}

/** Bodies shaped like the route's schema (its own keys with hostile values) and plain random JSON. */
function bodyArb(r: RegisteredRoute): fc.Arbitrary<unknown> {
  const keys = propertyNames(r.body);
  const value = fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.array(nasty, { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 4 }),
  );
  const shaped = keys.length ? fc.record(Object.fromEntries(keys.map((k) => [k, value])), { requiredKeys: [] }) : fc.constant({});
  return fc.oneof(shaped, fc.jsonValue({ maxDepth: 3 }), fc.array(nasty, { maxLength: 3 }));
}

function queryArb(r: RegisteredRoute): fc.Arbitrary<string> {
  const keys = [...propertyNames(r.query), 'x'];
  return fc
    .dictionary(
      fc.constantFrom(...keys),
      fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String), fc.constantFrom('-1', '1e99', 'true', '%00')),
      { maxKeys: 4 },
    )
    .map((d) => new URLSearchParams(d).toString());
}

const paramArb = fc.oneof(
  fc.constantFrom('1', '0', '-1', 'x', '99999999999999999999', '%2e%2e', 'null'),
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
);

/** The API routes are fuzzed in this many parts (each its own test, with its own time budget, as the API grows). */
const PARTS = 8;
/** The routes of one part: every PARTS-th route in a stable order, so each part mixes modules. */
function routesOfPart(routes: readonly RegisteredRoute[], part: number): RegisteredRoute[] {
  return routes
    .filter((r) => r.url.startsWith('/api/'))
    .sort((x, y) => `${x.url} ${x.method}`.localeCompare(`${y.url} ${y.method}`))
    .filter((_, i) => i % PARTS === part);
}

describe.each(DIALECTS)('fuzzing every route ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  let headers: { authorization: string };
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect);
    headers = (await createUserWithToken(t, 'admin')).headers;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  it.skipIf(skip).each(Array.from({ length: PARTS }, (_, i) => i))(
    'finds no 5xx and no partial write (routes, part %i)',
    async (part) => {
      // Fewer runs per route since the API tripled (CI time); each route still gets hostile bodies, queries and ids.
      const runs = dialect === 'sqlite' ? 20 : 8;
      const routes = routesOfPart(t.routes, part);
      expect(routes.length).toBeGreaterThan(1);
      for (const r of routes) {
        // A refused request changes nothing, so the state after one refusal is the state before the next request;
        // the database is read again only after a request that succeeded (and may have written).
        let known: Record<string, string> | undefined;
        await fc.assert(
          fc.asyncProperty(
            bodyArb(r),
            queryArb(r),
            fc.array(paramArb, { minLength: 3, maxLength: 3 }),
            async (body, query, params) => {
              let i = 0;
              const url = r.url.replace(/:[A-Za-z]+|\*/g, () => params[i++ % 3]!) + (query ? `?${query}` : '');
              const before = known ?? (await snapshotDatabase(t.database, RECORDS_ATTEMPTS));
              known = undefined;
              const res = await t.app.inject({
                method: r.method,
                url,
                headers: { ...headers, 'content-type': 'application/json' },
                ...(r.method === 'GET' ? {} : { payload: JSON.stringify(body) }),
              });
              expect(res.statusCode, `${r.method} ${url} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
              if (res.statusCode >= 400) {
                expect(res.headers['content-type']).toContain('application/problem+json');
                expect(res.json<{ code: string; status: number }>()).toMatchObject({
                  code: expect.stringMatching(/^[a-z_]+$/) as unknown,
                  status: res.statusCode,
                });
                const after = await snapshotDatabase(t.database, RECORDS_ATTEMPTS);
                expect(after, `${r.method} ${url} changed data and failed`).toEqual(before);
                known = after;
              }
            },
          ),
          { numRuns: runs },
        );
      }
    },
    240_000,
  );

  it.skipIf(skip)('rejects malformed JSON, wrong media types and oversized bodies with problem JSON', async () => {
    const post = (payload: string, contentType: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...headers, 'content-type': contentType }, payload });
    const bad = await post('{"username": ', 'application/json');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'malformed_json' });
    const media = await post('username=x', 'application/x-www-form-urlencoded');
    expect(media.statusCode).toBe(415);
    expect(media.json()).toMatchObject({ code: 'unsupported_media_type' });
    const huge = await post(JSON.stringify({ username: 'a'.repeat(2 * 1024 * 1024) }), 'application/json');
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'body_too_large' });
    await t.audit.sink.flush();
    const rejected = await t.database.db
      .selectFrom('audit_entries')
      .select(['action', 'outcome'])
      .where('action', '=', 'http.rejected')
      .execute();
    expect(rejected.length).toBeGreaterThanOrEqual(3);
  });
});
