import { z } from 'zod';
import { actorRef } from '../../../core/auth.ts';
import { AppError, conflict, invalid } from '../../../core/errors.ts';
import { canonicalTarget, cidrsOverlap } from '../cidr.ts';
import { ipv6Prefix64, net24 } from '../intel/ip-address.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { AlertsService, AlertView, Overview } from '../alerts.service.ts';
import type { DecisionsService, DecisionView } from '../decisions.service.ts';
import type { LogType } from '../events.ts';
import {
  alertsQuery,
  allowlistBody,
  banBody,
  decisionsQuery,
  idParams,
  ingestQuery,
  lookupQuery,
  overviewQuery,
  unbanValueBody,
} from './threats.schemas.ts';
import type { AllowlistService, AllowlistEntry } from '../allowlist.service.ts';
import type { GeoInfo } from '../geo.ts';
import type { HttpIngestResult } from '../ingest/http-body.ts';

export interface ThreatsRoutesDeps {
  alerts: AlertsService;
  decisions: DecisionsService;
  allowlist: AllowlistService;
  /** Country and AS of an address (offline database), when loaded. */
  geo: (ip: string) => Promise<GeoInfo | null>;
  /** Ingestion and detection figures of this process (null where the engine does not run). */
  stats: () => Record<string, unknown> | null;
  /** Queue a bulk body whole (waiting briefly for room), or answer busy; null where no engine runs. */
  ingest: (body: string, format: 'lines' | 'ndjson', type: LogType, peer: string) => Promise<HttpIngestResult> | null;
  /** Which feeds (and the allowlist) list an address, since when; null where no engine holds the index. */
  listing: (ip: string) => { name: string; kind: 'feed' | 'allow'; since: string | null }[] | null;
  /** Forget a target in the engine's active-decision cache after an unban. */
  forget: (value: string) => void;
}

const noQuery = z.strictObject({});

/** Alerts, decisions, the allowlist, the live overview, and the bulk log endpoint. */
export function threatsRoutes(d: ThreatsRoutesDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/overview',
      permission: 'threats.read',
      query: overviewQuery,
      summary: 'The live view: alerts per hour and scenario, top attacking IPs and networks (with country and AS), totals',
      async handler(ctx): Promise<Overview & { stats: Record<string, unknown> | null }> {
        const o = await d.alerts.overview(ctx.db, ctx.query.hours);
        const topIps = await Promise.all(o.topIps.map(async (i) => ({ ...i, geo: await d.geo(i.ip) })));
        return { ...o, topIps, stats: d.stats() };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/lookup',
      permission: 'threats.read',
      query: lookupQuery,
      summary:
        'Everything about one address: feeds listing it and since when, the allowlist, bans on it or its network, alerts, country and AS',
      async handler(ctx): Promise<{
        ip: string;
        listedBy: { name: string; kind: 'feed' | 'allow'; since: string | null }[] | null;
        decisions: DecisionView[];
        alerts: AlertView[];
        geo: GeoInfo | null;
      }> {
        const t = canonicalTarget(ctx.query.ip);
        if (!t || t.scope !== 'ip') throw invalid('invalid_ip', `not an IP address: ${ctx.query.ip.slice(0, 64)}`);
        const covering = [t.value, ipv6Prefix64(t.value), net24(t.value)].filter((x): x is string => x !== null);
        const decisions = (await d.decisions.list(ctx.db, { state: 'active', limit: 1000 })).items.filter(
          (x) => covering.includes(x.value) || (x.scope === 'range' && cidrsOverlap(x.value, t.value)),
        );
        const alerts = (await d.alerts.list(ctx.db, { ip: t.value, limit: 20 })).items;
        return { ip: t.value, listedBy: d.listing(t.value), decisions, alerts, geo: await d.geo(t.value) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/alerts',
      permission: 'threats.read',
      query: alertsQuery,
      summary: 'Alerts, newest first (filter by scenario, source IP or tier)',
      async handler(ctx): Promise<{ items: AlertView[]; nextBefore: string | null }> {
        return d.alerts.list(ctx.db, ctx.query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/alerts/:id',
      permission: 'threats.read',
      params: idParams,
      summary: 'One alert with its evidence lines, the decision it led to and the source’s country and AS',
      async handler(ctx): Promise<AlertView & { decision: DecisionView | null; geo: GeoInfo | null }> {
        const a = await d.alerts.get(ctx.db, ctx.params.id);
        const decision = a.decisionId ? await d.decisions.get(ctx.db, a.decisionId).catch(() => null) : null;
        return { ...a, decision, geo: a.ip ? await d.geo(a.ip) : null };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/decisions',
      permission: 'threats.read',
      query: decisionsQuery,
      summary: 'Decisions (bans), newest first: active, expired, removed or all; search by address, scenario or reason',
      async handler(ctx): Promise<{ items: DecisionView[]; nextBeforeSeq: number | null }> {
        return d.decisions.list(ctx.db, ctx.query);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/decisions',
      permission: 'threats.ban',
      action: 'threats.ban',
      body: banBody,
      summary: 'Ban an address or network by hand (the allowlist still wins: 409 allowlisted)',
      async handler(ctx): Promise<DecisionView> {
        const r = await d.decisions.ban(ctx.db, {
          target: ctx.body.target,
          durationSeconds: ctx.body.durationSeconds ?? 4 * 3600,
          reason: ctx.body.reason,
          scenario: 'manual',
          origin: 'manual',
          simulated: ctx.body.simulated,
          actor: actorRef(ctx.actor),
        });
        if (!r.ok && r.reason === 'allowlisted')
          throw conflict('allowlisted', `${ctx.body.target} is covered by the allowlist entry ${r.allowedBy}: remove that first`);
        if (!r.ok)
          throw conflict(
            'already_banned',
            `${r.decision.value} is already banned until ${new Date(r.decision.until).toISOString()}`,
          );
        ctx.audit.target(r.decision.value);
        ctx.status(201);
        return d.decisions.get(ctx.db, r.decision.id);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/threats/decisions/:id',
      permission: 'threats.ban',
      action: 'threats.unban',
      params: idParams,
      summary: 'Unban: end a decision now (bouncers drop it at their next pull)',
      async handler(ctx): Promise<DecisionView> {
        const r = await d.decisions.unban(ctx.db, ctx.params.id, actorRef(ctx.actor));
        ctx.audit.target(r.value);
        d.forget(r.value);
        return r;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/unban',
      permission: 'threats.ban',
      action: 'threats.unban',
      body: unbanValueBody,
      summary: 'Unban an address or network: end every active decision on exactly that value',
      async handler(ctx): Promise<{ removed: DecisionView[] }> {
        const removed = await d.decisions.unbanValue(ctx.db, ctx.body.target, actorRef(ctx.actor));
        ctx.audit.target(ctx.body.target);
        for (const r of removed) d.forget(r.value);
        return { removed };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/allowlist',
      permission: 'threats.read',
      query: noQuery,
      summary: 'Networks that are never banned: from the configuration and added here',
      async handler(ctx): Promise<{ items: AllowlistEntry[] }> {
        return { items: await d.allowlist.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/allowlist',
      permission: 'threats.write',
      action: 'threats.allowlist.create',
      body: allowlistBody,
      summary: 'Allowlist a network (own networks, monitoring probes, customers’ offices); it always wins over bans',
      async handler(ctx): Promise<AllowlistEntry> {
        const e = await d.allowlist.add(ctx.db, ctx.body, actorRef(ctx.actor), ctx.audit);
        ctx.status(201);
        return e;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/threats/allowlist/:id',
      permission: 'threats.write',
      action: 'threats.allowlist.delete',
      params: idParams,
      summary: 'Remove an allowlist entry',
      async handler(ctx): Promise<undefined> {
        await d.allowlist.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/stats',
      permission: 'threats.read',
      query: noQuery,
      summary: 'Ingestion and detection figures of this process: lines, parse failures, drops, lag, buckets, suppressed alerts',
      async handler(): Promise<{ engine: Record<string, unknown> | null }> {
        return Promise.resolve({ engine: d.stats() });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/threats/ingest',
      permission: 'threats.ingest',
      action: 'threats.ingest',
      query: ingestQuery,
      body: z.string().max(16 * 1024 * 1024),
      summary:
        'Bulk log ingestion: text/plain (one line per log line) or application/x-ndjson ({"line": …} per row); 503 with Retry-After when the queue is full (nothing taken)',
      // Framing and waiting for room in the queue happen before the request's transaction (never holding it).
      async prepare(ctx): Promise<HttpIngestResult> {
        const ndjson = (ctx.req.headers['content-type'] ?? '').startsWith('application/x-ndjson');
        const r = d.ingest(ctx.body, ndjson ? 'ndjson' : 'lines', ctx.query.type, ctx.req.ip);
        if (!r)
          throw new AppError(
            'unavailable',
            'ingest_not_here',
            'this process does not receive logs: with NATS only collector processes do, else the engine',
          );
        return r;
      },
      async handler(
        ctx,
      ): Promise<{ accepted: number; rejected: number; errors: { line: number; reason: string }[]; truncated: number }> {
        const r = ctx.prepared;
        if (r.status === 'busy') {
          void ctx.reply.header('Retry-After', String(r.retryAfterSeconds));
          throw new AppError(
            'unavailable',
            'ingest_queue_full',
            'the detector is behind: nothing was taken, send the batch again',
            {
              retryAfter: r.retryAfterSeconds,
            },
          );
        }
        ctx.audit.detail({ lines: r.accepted, rejected: r.rejected, truncated: r.truncated });
        ctx.status(202);
        return Promise.resolve({ accepted: r.accepted, rejected: r.rejected, errors: r.errors, truncated: r.truncated });
      },
    }),
  ];
}
