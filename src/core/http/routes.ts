import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { type AccessPolicy, type Actor, type Permission, actorRef } from '../auth.ts';
import { type AuditChange, type AuditSink, type Outcome, redact } from '../audit.ts';
import type { Clock } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { sendProblem, statusOf, toAppError, zodFieldErrors } from './problem.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Route access: a declared permission, any signed-in caller, or no sign-in at all. */
export type Access = Permission | 'authenticated' | 'public';

/** What a route's `prepare` step sees: validated input and the database outside any transaction. */
export interface PrepareContext<B, Q, P> {
  actor: Actor;
  body: B;
  query: Q;
  params: P;
  db: Db;
  req: FastifyRequest;
  clock: Clock;
}

export interface RouteContext<B, Q, P, X = undefined> {
  actor: Actor;
  /** The result of the route's `prepare` step. */
  prepared: X;
  body: B;
  query: Q;
  params: P;
  /** The request's transaction for writes (its audit record commits with it); the database for reads. */
  db: Db;
  req: FastifyRequest;
  reply: FastifyReply;
  requestId: string;
  clock: Clock;
  /** Describe the request for its audit record. */
  audit: {
    target(t: string): void;
    /** Record what changed; secret-looking fields are redacted. */
    change(c: AuditChange): void;
    detail(d: Record<string, unknown>): void;
    /** Record the request under another action than the route's (e.g. `auth.login.mfa`). */
    action(a: string): void;
  };
  /** For sign-in routes: the actor the request turned out to be (recorded in the audit log). */
  setActor(a: Actor): void;
  /** Response status for a successful result (default 200, or 204 when the handler returns nothing). */
  status(code: number): void;
  /**
   * Background work to start once the request's transaction has committed (never if it rolls back), e.g. a
   * re-evaluation that must read what the request wrote. Run before the response is sent; not awaited.
   */
  afterCommit(work: () => void): void;
}

/**
 * Returned (not thrown) by a handler: the transaction still commits (e.g. a failed-login counter)
 * and the request is answered with the problem and audited as denied/failed.
 */
export class CommittedFailure {
  constructor(readonly error: AppError) {}
}

export interface RouteDef<B = unknown, Q = unknown, P = unknown, X = undefined> {
  method: Method;
  url: string;
  /** Required. A route without a declared permission cannot be registered. */
  permission: Access;
  /** Audit action (`resource.verb`); defaults to the permission, or `<method> <url>`. */
  action?: string;
  /** Let a privileged user who still has to enrol MFA use this route. */
  allowDuringMfaEnrolment?: boolean;
  /** Not an API request (health, metrics, static files): not written to the audit log. */
  audited?: boolean;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  summary: string;
  /**
   * Slow work that must not hold the write transaction (a password hash holds SQLite's one connection for ~20 ms):
   * runs after validation, before the transaction, with reads only. The handler gets its result as `ctx.prepared`
   * and must re-check anything that may have changed in between.
   */
  prepare?(ctx: PrepareContext<B, Q, P>): Promise<X>;
  handler(ctx: RouteContext<B, Q, P, X>): Promise<unknown>;
}

// A route list mixes many body/query/param types; the handler sees its own precise types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any, any>;

/** Type helper: infers B, Q, P from the zod schemas. */
export function defineRoute<B = undefined, Q = undefined, P = undefined, X = undefined>(
  def: RouteDef<B, Q, P, X>,
): RouteDef<B, Q, P, X> {
  return def;
}

export interface AuthResult {
  actor: Actor;
  via: 'cookie' | 'bearer' | 'none';
  /** For cookie sessions: the token the client must echo in X-CSRF-Token on writes. */
  csrfToken?: string;
}

export interface Authenticator {
  authenticate(req: FastifyRequest): Promise<AuthResult>;
}

export interface RouteDeps {
  database: Database;
  policy: AccessPolicy;
  audit: AuditSink;
  authenticator: Authenticator;
  clock: Clock;
  log: Logger;
}

const WRITE = new Set<Method>(['POST', 'PUT', 'PATCH', 'DELETE']);

function outcomeOf(status: number): Outcome {
  if (status < 400) return 'allowed';
  return status === 401 || status === 403 || status === 429 ? 'denied' : 'failed';
}

/**
 * Path of the first string holding a NUL character. No API text may contain one (PostgreSQL cannot store it, and it
 * is a classic truncation trick), so it is refused for every route before its own schema runs.
 */
function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 32 || value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return `${path}.${k.replaceAll('\u0000', '\\0')}`;
    const hit = findNul(v, `${path}.${k}`, depth + 1);
    if (hit) return hit;
  }
  return null;
}

/** Every route registered so far, for the permission walk test and the OpenAPI listing. */
export interface RegisteredRoute {
  method: Method;
  url: string;
  permission: Access;
  summary: string;
  audited: boolean;
  body?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  params?: z.ZodType | undefined;
}

/**
 * Register routes on Fastify: authenticate → authorize → CSRF → validate → transaction → handler →
 * audit record (in the same transaction for writes). Throws at registration if a route has no permission
 * or names one nobody declared.
 */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps, routes: AnyRoute[], registry: RegisteredRoute[]): void {
  for (const r of routes) {
    if (!r.permission) throw new Error(`route ${r.method} ${r.url} declares no permission`);
    if (r.permission !== 'public' && r.permission !== 'authenticated' && !deps.policy.has(r.permission)) {
      throw new Error(`route ${r.method} ${r.url} uses undeclared permission ${r.permission}`);
    }
    const audited = r.audited ?? true;
    registry.push({
      method: r.method,
      url: r.url,
      permission: r.permission,
      summary: r.summary,
      audited,
      body: r.body,
      query: r.query,
      params: r.params,
    });
    app.route({
      method: r.method,
      url: r.url,
      config: { permission: r.permission },
      handler: (req, reply) => handle(r, audited, deps, req, reply),
    });
  }
}

async function handle(
  r: AnyRoute,
  audited: boolean,
  deps: RouteDeps,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { database, policy, audit, clock, log } = deps;
  let actor: Actor = { type: 'anonymous' };
  let action = r.action ?? (r.permission.includes('.') ? r.permission : `${r.method} ${r.url}`);
  let target: string | undefined;
  const changes: AuditChange[] = [];
  let detail: Record<string, unknown> | undefined;
  const base = () => ({
    actor: actorRef(actor),
    actorName:
      actor.type === 'user' || actor.type === 'token' ? actor.username : actor.type === 'system' ? actor.name : undefined,
    action,
    target,
    ip: req.ip,
    userAgent: req.headers['user-agent']?.slice(0, 512),
    requestId: req.id,
  });
  const fail = (err: AppError): FastifyReply => {
    const status = statusOf(err.kind);
    // Refusals are recorded even on unaudited routes (a denied metrics scrape is an access attempt).
    if (audited || outcomeOf(status) === 'denied') {
      void audit
        .append({ ...base(), outcome: outcomeOf(status), status, detail: { ...detail, code: err.code } })
        .catch((e: unknown) => log.error({ err: e }, 'audit append failed'));
    }
    if (err.kind === 'internal') log.error({ err: err.cause ?? err, reqId: req.id }, 'request failed');
    return sendProblem(reply, err);
  };

  try {
    const auth = await deps.authenticator.authenticate(req);
    actor = auth.actor;
    // Authorize before looking at the body: a caller without the permission learns nothing.
    if (r.permission !== 'public') {
      if (actor.type === 'anonymous')
        throw new AppError('unauthenticated', 'authentication_required', 'sign in or present an API token');
      const enrolling = (actor.type === 'user' || actor.type === 'token') && actor.mfaEnrolmentRequired;
      if (enrolling && !r.allowDuringMfaEnrolment) {
        throw new AppError('forbidden', 'mfa_enrolment_required', 'enrol a second factor (TOTP) before using Skjold');
      }
      if (r.permission !== 'authenticated' && !policy.allows(actor, r.permission)) {
        throw new AppError('forbidden', 'permission_denied', `this action needs the permission ${r.permission}`);
      }
    }
    if (WRITE.has(r.method) && auth.via === 'cookie') {
      const sent = req.headers['x-csrf-token'];
      if (!auth.csrfToken || typeof sent !== 'string' || sent !== auth.csrfToken) {
        throw new AppError('forbidden', 'csrf_token_invalid', 'missing or wrong X-CSRF-Token header');
      }
    }
    const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T => {
      if (!schema) return undefined as T;
      const nul = findNul(value, where);
      if (nul)
        throw new AppError('invalid', 'validation_failed', `the request ${where} is invalid`, {
          errors: [{ path: nul, message: 'NUL characters are not allowed' }],
        });
      const res = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
      if (!res.success)
        throw new AppError('invalid', 'validation_failed', `the request ${where} is invalid`, {
          errors: zodFieldErrors(where, res.error),
        });
      return res.data;
    };
    const params: unknown = parse(r.params, req.params, 'params');
    const query: unknown = parse(r.query, req.query, 'query');
    const body: unknown = parse(r.body, req.body, 'body');

    const prepared: unknown = r.prepare
      ? await r.prepare({ actor, body, query, params, db: database.db, req, clock })
      : undefined;
    let status: number | undefined;
    const committed: (() => void)[] = [];
    const run = async (db: Db): Promise<{ result: unknown; committedFailure?: AppError }> => {
      const ctx: RouteContext<unknown, unknown, unknown, unknown> = {
        actor,
        prepared,
        body,
        query,
        params,
        db,
        req,
        reply,
        requestId: req.id,
        clock,
        audit: {
          target: (t) => void (target = t),
          change: (c) =>
            void changes.push({
              type: c.type,
              id: c.id,
              ...(c.before !== undefined ? { before: redact(c.before) as Record<string, unknown> | null } : {}),
              ...(c.after !== undefined ? { after: redact(c.after) as Record<string, unknown> | null } : {}),
            }),
          detail: (d) => void (detail = { ...detail, ...d }),
          action: (a) => void (action = a),
        },
        setActor: (a) => void (actor = a),
        status: (c) => void (status = c),
        afterCommit: (work) => void committed.push(work),
      };
      const result = await r.handler(ctx);
      if (result instanceof CommittedFailure) {
        if (audited) {
          const st = statusOf(result.error.kind);
          await audit.appendInTx(db, {
            ...base(),
            outcome: outcomeOf(st),
            status: st,
            changes: changes.length ? changes : undefined,
            detail: { ...detail, code: result.error.code },
          });
        }
        return { result, committedFailure: result.error };
      }
      const st = status ?? (result === undefined ? 204 : 200);
      if (audited && WRITE.has(r.method)) {
        await audit.appendInTx(db, {
          ...base(),
          outcome: 'allowed',
          status: st,
          changes: changes.length ? changes : undefined,
          detail,
        });
      }
      return { result };
    };

    const out = WRITE.has(r.method) ? await database.db.transaction().execute(run) : await run(database.db);
    for (const work of committed) {
      try {
        work();
      } catch (e) {
        log.error({ err: e }, 'work after the commit failed to start');
      }
    }
    if (out.committedFailure) return sendProblem(reply, out.committedFailure);
    const st = status ?? (out.result === undefined ? 204 : 200);
    if (audited && !WRITE.has(r.method)) {
      // Reads are group-committed without holding the response: auditing must not double a read's latency.
      void audit
        .append({ ...base(), outcome: outcomeOf(st), status: st, detail })
        .catch((e: unknown) => log.error({ err: e }, 'audit append failed'));
    }
    if (out.result === reply || reply.sent) return reply;
    if (r.url.startsWith('/api/')) void reply.header('Cache-Control', 'no-store');
    return out.result === undefined ? reply.code(st).send() : reply.code(st).send(out.result);
  } catch (e) {
    return fail(toAppError(e));
  }
}
