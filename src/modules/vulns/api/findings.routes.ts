import { actorRef, type Actor, type Permission } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { FindingsService, MetricsView } from '../findings.service.ts';
import type { FindingDetail, FindingsPage } from '../findings.store.ts';
import { exportQuery, findingParams, findingsQuery, metricsQuery, triageBody } from './findings.schemas.ts';
import { noQuery } from './vulns.schemas.ts';

/**
 * Findings: the list with filters and the counts of what the view leaves out, one finding with its history, triage,
 * patching metrics and VEX exports (issue 5 items 9–13).
 */
export function findingsRoutes(d: { findings: FindingsService; allows: (actor: Actor, p: Permission) => boolean }): AnyRoute[] {
  const { findings } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/findings',
      permission: 'vulns.read',
      query: findingsQuery,
      summary: 'Findings: by default what needs action (open, fix available or KEV, not triaged away), with counts of the rest',
      handler: (ctx): Promise<FindingsPage> => findings.list(ctx.db, ctx.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/findings/:id',
      permission: 'vulns.read',
      params: findingParams,
      query: noQuery,
      summary: 'One finding: asset, vendor statement, priority with its inputs and reasons, SLA, history',
      handler: (ctx): Promise<FindingDetail> => findings.get(ctx.db, ctx.params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/vulns/findings/:id/triage',
      permission: 'vulns.triage',
      action: 'vulns.findings.triage',
      params: findingParams,
      body: triageBody,
      summary:
        'Triage a finding: not_affected needs a justification; risk_accepted needs vulns.accept and an expiry; resolved awaits verification',
      async handler(ctx): Promise<FindingDetail> {
        // Accepting a risk moves SLA deadlines: the approver (the signed-in actor) must hold vulns.accept too.
        await findings.triage(
          ctx.db,
          ctx.params.id,
          ctx.body,
          {
            ref: actorRef(ctx.actor),
            name: ctx.actor.type === 'user' || ctx.actor.type === 'token' ? ctx.actor.username : undefined,
            mayAccept: d.allows(ctx.actor, 'vulns.accept'),
          },
          ctx.audit,
        );
        ctx.audit.detail({ state: ctx.body.state });
        return findings.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/metrics',
      permission: 'vulns.read',
      query: metricsQuery,
      summary: 'Patching metrics: time to detect and to patch (p50/p90), SLA compliance, open by age and priority, weekly trend',
      handler: (ctx): Promise<MetricsView> => findings.metrics(ctx.db, ctx.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/vulns/export',
      permission: 'vulns.read',
      query: exportQuery,
      summary: 'Export findings as CycloneDX 1.6 VEX or OpenVEX v0.2.0 (one asset, or one side: provider or customer)',
      async handler(ctx): Promise<unknown> {
        const out = await findings.export(ctx.db, ctx.query);
        void ctx.reply
          .header('Content-Type', out.contentType)
          .header('Content-Disposition', `attachment; filename="${out.filename}"`);
        ctx.audit.detail({ format: ctx.query.format, asset: ctx.query.asset, operatedBy: ctx.query.operatedBy });
        return out.document;
      },
    }),
  ];
}
