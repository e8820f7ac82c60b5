import { z } from 'zod';
import { actorRef } from '../../../core/auth.ts';
import type { AuditSink } from '../../../core/audit.ts';
import type { Db } from '../../../core/db/database.ts';
import type { Logger } from '../../../core/logger.ts';
import { type AnyRoute, defineRoute, type RouteContext } from '../../../core/http/routes.ts';
import { BOUNCER_KEY_HEADER, type Bouncer, type BouncersService, type BouncerWithKey } from '../bouncers.service.ts';
import { canonicalTarget, cidrContains } from '../cidr.ts';
import { DecisionJsonWriter, feedFilter, type FeedRow } from '../enforce/crowdsec-format.ts';
import { decisionFeedStore } from '../enforce/decision-feed.store.ts';
import { pullDecisions } from '../enforce/decision-stream.ts';
import type { ThreatsBouncersTable } from '../threats.tables.ts';

/** Where CrowdSec bouncers point `api_url` (`https://skjold:8443/api/crowdsec/`). */
export const CROWDSEC_PREFIX = '/api/crowdsec';

const filterText = z.string().max(1000).optional();
const streamQuery = z.object({
  /** `true` on a bouncer's first pull: everything active; otherwise the changes since its previous pull. */
  startup: z.enum(['true', 'false']).optional(),
  /** Comma-separated scopes to include (`ip,range` by default). */
  scopes: filterText,
  /** Comma-separated origins to include (`skjold`, `manual`, `feed`). */
  origins: filterText,
  /** Comma-separated words: only decisions whose scenario contains one of them. */
  scenarios_containing: filterText,
  /** Comma-separated words: leave out decisions whose scenario contains one of them. */
  scenarios_not_containing: filterText,
});
const decisionsQuery = z.object({
  /** The address to check: decisions on it or on a network containing it. */
  ip: z.string().max(64).optional(),
  /** A network: decisions on exactly it. */
  range: z.string().max(64).optional(),
  /** With `value`: `ip` or `range`. */
  scope: z.string().max(20).optional(),
  value: z.string().max(64).optional(),
  /** Only `ban` exists. */
  type: z.string().max(20).optional(),
});
const bouncerIdParams = z.strictObject({ id: z.string().uuid('not a bouncer id') });
const createBouncerBody = z.strictObject({
  /** Shown in the list and the audit log (`fw-edge-1`): letters, digits, `.`, `_`, `-`, `@`. */
  name: z.string({ error: 'name must be text' }).min(1, 'name is required').max(64, 'name is at most 64 characters'),
});

type AnyCtx = RouteContext<unknown, unknown, unknown, unknown>;
const header = (h: string | string[] | undefined) => (typeof h === 'string' ? h : undefined);

export interface BouncerRoutesDeps {
  bouncers: BouncersService;
  /** Refusals are written here: these routes are not audited per pull (every 10 s per bouncer). */
  audit: AuditSink;
  log: Logger;
}

/**
 * Authenticate a bouncer by `X-Api-Key`. A missing or wrong key is answered as CrowdSec does (403,
 * `message: "access forbidden"`, inside a problem) and recorded in the audit log as a denied access; then null is returned and the
 * route must return the reply.
 */
export async function bouncerOf(ctx: AnyCtx, d: BouncerRoutesDeps): Promise<ThreatsBouncersTable | null> {
  const b = await d.bouncers.authenticate(ctx.db, header(ctx.req.headers[BOUNCER_KEY_HEADER]), {
    ip: ctx.req.ip,
    userAgent: header(ctx.req.headers['user-agent']),
  });
  if (b) return b;
  const sent = ctx.req.headers[BOUNCER_KEY_HEADER] !== undefined;
  void d.audit
    .append({
      actor: 'anonymous',
      action: 'threats.bouncer.pull',
      target: ctx.req.url.split('?')[0]?.slice(0, 200),
      ip: ctx.req.ip,
      userAgent: ctx.req.headers['user-agent']?.slice(0, 512),
      outcome: 'denied',
      status: 403,
      requestId: ctx.requestId,
      detail: { code: sent ? 'bouncer_key_invalid' : 'bouncer_key_missing' },
    })
    .catch((err: unknown) => d.log.error({ err }, 'audit append failed'));
  await ctx.reply.code(403).header('Cache-Control', 'no-store').type('application/problem+json').send(FORBIDDEN);
  return null;
}

/**
 * CrowdSec's refusal body (`message`, which bouncers log) inside an RFC 9457 problem, like every other API refusal:
 * bouncers read JSON whatever its media type.
 */
const FORBIDDEN = JSON.stringify({
  type: 'about:blank',
  title: 'Forbidden',
  status: 403,
  code: 'bouncer_key_invalid',
  detail: 'a valid bouncer key is required in X-Api-Key',
  message: 'access forbidden',
});

/** Decisions on `ip` or on a network containing it (the live check of `GET /v1/decisions?ip=`). */
async function decisionsFor(db: Db, q: z.infer<typeof decisionsQuery>, now: number): Promise<FeedRow[]> {
  if (q.type !== undefined && q.type.toLowerCase() !== 'ban') return [];
  if (q.ip !== undefined) {
    const ip = canonicalTarget(q.ip);
    if (!ip || ip.scope !== 'ip') return [];
    const exact = await decisionFeedStore.activeOn(db, [ip.value], now);
    const ranges = (await decisionFeedStore.activeRanges(db, now)).filter((r) => cidrContains(r.value, ip.value));
    return [...exact, ...ranges];
  }
  const text = q.range ?? q.value;
  if (text !== undefined) {
    const t = canonicalTarget(text);
    const rows = t ? await decisionFeedStore.activeOn(db, [t.value], now) : [];
    return q.scope ? rows.filter(feedFilter({ scopes: q.scope })) : rows;
  }
  return decisionFeedStore.active(db, now);
}

/**
 * The part of CrowdSec's Local API that bouncers use, so existing bouncers (firewall, nginx, custom scripts) enforce
 * Skjold's decisions unchanged: `api_url: https://HOST:PORT/api/crowdsec/` and a key from `skjold` (`skb_…`).
 * Authenticated by the bouncer's `X-Api-Key` in the handler (public to user sign-in); not audited per pull, refusals
 * are.
 */
export function bouncerApiRoutes(d: BouncerRoutesDeps): AnyRoute[] {
  // A pull's mark is written once its answer has gone out; the same bouncer's next pull waits for that write.
  const marking = new Map<string, Promise<void>>();
  return [
    defineRoute({
      method: 'GET',
      url: `${CROWDSEC_PREFIX}/v1/decisions/stream`,
      permission: 'public',
      audited: false,
      query: streamQuery,
      summary: 'For CrowdSec bouncers: active decisions at startup, then what was added and removed since the last pull',
      async handler(ctx) {
        const b = await bouncerOf(ctx as AnyCtx, d);
        if (!b) return ctx.reply;
        void ctx.reply.header('Cache-Control', 'no-store');
        // HEAD is a liveness probe: no body, and the pull mark must not move (the next delta would miss changes).
        if (ctx.req.method === 'HEAD') return ctx.reply.code(200).send();
        // Read the mark after the previous pull's write has landed (authentication may have read the row before).
        await marking.get(b.id);
        const mark = await d.bouncers.pullMark(ctx.db, b.id);
        if (!mark) return ctx.reply.code(403).type('application/problem+json').send(FORBIDDEN);
        const now = ctx.clock.now().getTime();
        const r = await pullDecisions(ctx.db, {
          now,
          startup: ctx.query.startup === 'true',
          filters: ctx.query,
          lastSeq: mark.seq,
          lastPullAt: mark.at === null ? null : Date.parse(mark.at),
        });
        // As CrowdSec: the mark moves only when the answer was sent in full. A pull cut off on the way is sent
        // again at the next pull, instead of its changes being lost to this bouncer.
        const raw = ctx.reply.raw;
        const db = ctx.db;
        const done = new Promise<void>((resolve) => {
          let finished = false;
          raw.once('finish', () => {
            finished = true;
            d.bouncers
              .recordPull(db, b.id, r.seq, now)
              .catch((err: unknown) => d.log.error({ err, bouncer: b.name }, 'threats: recording a bouncer pull failed'))
              .finally(resolve);
          });
          // Closed before the answer was out: nothing to record.
          raw.once('close', () => {
            if (!finished) resolve();
          });
        }).finally(() => {
          if (marking.get(b.id) === done) marking.delete(b.id);
        });
        marking.set(b.id, done);
        return ctx.reply.code(200).type('application/json').send(r.body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: `${CROWDSEC_PREFIX}/v1/decisions`,
      permission: 'public',
      audited: false,
      query: decisionsQuery,
      summary: 'For CrowdSec bouncers in live mode: the decisions on one address (JSON null when none)',
      async handler(ctx) {
        const b = await bouncerOf(ctx as AnyCtx, d);
        if (!b) return ctx.reply;
        void ctx.reply.header('Cache-Control', 'no-store');
        if (ctx.req.method === 'HEAD') return ctx.reply.code(200).send();
        const now = ctx.clock.now().getTime();
        const rows = await decisionsFor(ctx.db, ctx.query, now);
        return ctx.reply.code(200).type('application/json').send(new DecisionJsonWriter(now).array(rows, false));
      },
    }),
    defineRoute({
      method: 'POST',
      url: `${CROWDSEC_PREFIX}/v1/usage-metrics`,
      permission: 'public',
      audited: false,
      summary: 'For CrowdSec bouncers: their usage metrics, accepted and not kept (newer bouncers log an error on a 404)',
      async handler(ctx) {
        const b = await bouncerOf(ctx as AnyCtx, d);
        if (!b) return ctx.reply;
        return ctx.reply.code(201).header('Cache-Control', 'no-store').type('application/json').send('{}');
      },
    }),
  ];
}

/** Bouncer keys, as admins manage them. Order matters for the permission walk: the delete comes last. */
export function bouncerAdminRoutes(d: { bouncers: BouncersService }): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/bouncers',
      permission: 'threats.read',
      summary: 'List bouncers with their last pull, address and user agent',
      async handler(ctx): Promise<{ items: Bouncer[] }> {
        return { items: await d.bouncers.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/bouncers',
      permission: 'threats.write',
      action: 'threats.bouncers.create',
      body: createBouncerBody,
      summary: 'Register a bouncer; its API key (`skb_…`) is in the answer, once',
      async handler(ctx): Promise<BouncerWithKey> {
        const b = await d.bouncers.create(ctx.db, ctx.body, actorRef(ctx.actor), ctx.audit);
        ctx.status(201);
        return b;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/threats/bouncers/:id',
      permission: 'threats.write',
      action: 'threats.bouncers.delete',
      params: bouncerIdParams,
      summary: 'Delete a bouncer; its key stops working at once',
      async handler(ctx): Promise<undefined> {
        await d.bouncers.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
  ];
}
