import { actorRef } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { createProbeBody, probeIdParams, probeResultsBody } from '../probes/probe.schemas.ts';
import { PROBE_TOKEN_HEADER } from '../probes/probe-token.ts';
import type { Assignments, Probe, ProbesService, ProbeWithToken, ResultsAnswer } from '../probes/probes.service.ts';

/** Probes, as admins manage them. Order matters for the permission walk: the delete comes last. */
export function probesRoutes(d: { probes: ProbesService }): AnyRoute[] {
  const { probes } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/probes',
      permission: 'probes.read',
      summary: 'List remote probes with their location, last call and whether they are silent',
      async handler(ctx): Promise<{ items: Probe[] }> {
        return { items: await probes.list(ctx.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/probes',
      permission: 'probes.write',
      action: 'probes.create',
      body: createProbeBody,
      summary: 'Register a probe for a location; its token (`skp_…`) is in the answer, once',
      async handler(ctx): Promise<ProbeWithToken> {
        const p = await probes.create(ctx.db, ctx.body, actorRef(ctx.actor), ctx.audit);
        ctx.status(201);
        return p;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/probes/:id/rotate',
      permission: 'probes.write',
      action: 'probes.rotate',
      params: probeIdParams,
      summary: 'Give a probe a new token (shown once); the old one stops working at once',
      async handler(ctx): Promise<ProbeWithToken> {
        return probes.rotate(ctx.db, ctx.params.id, ctx.audit);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/probes/:id',
      permission: 'probes.write',
      action: 'probes.delete',
      params: probeIdParams,
      summary: 'Delete a probe; its token stops working',
      async handler(ctx): Promise<undefined> {
        await probes.remove(ctx.db, ctx.params.id, ctx.audit);
        return undefined;
      },
    }),
  ];
}

const tokenOf = (h: string | string[] | undefined) => (typeof h === 'string' ? h : undefined);

/**
 * What a probe calls, with its own token in `X-Skjold-Probe-Token` (checked in the handler: these routes are public to
 * the user authentication). Not written to the audit log (a probe polling every 30 s would add 2,880 entries a day);
 * the call is recorded as the probe's last-seen time instead, and a refused token is audited as any refusal is.
 */
export function probeApiRoutes(d: { probes: ProbesService }): AnyRoute[] {
  const { probes } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/probe/assignments',
      permission: 'public',
      audited: false,
      summary: 'For a probe: the monitors to run from its location (ETag / If-None-Match: 304 when unchanged)',
      async handler(ctx): Promise<Assignments | typeof ctx.reply> {
        const probe = await probes.authenticate(ctx.db, tokenOf(ctx.req.headers[PROBE_TOKEN_HEADER]), {
          ip: ctx.req.ip,
          version: tokenOf(ctx.req.headers['user-agent'])?.slice(0, 50),
        });
        const a = await probes.assignments(ctx.db, probe);
        const etag = `"${a.version}"`;
        void ctx.reply.header('ETag', etag);
        if (ctx.req.headers['if-none-match'] === etag) {
          // The poll interval and server time travel in headers too, so a 304 still corrects the probe's clock.
          void ctx.reply.header('X-Skjold-Server-Time', a.serverTime).header('Cache-Control', 'no-store');
          return ctx.reply.code(304).send();
        }
        return a;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/probe/results',
      permission: 'public',
      audited: false,
      body: probeResultsBody,
      summary: 'For a probe: report a batch of check results (validated item by item; a retried batch is not counted twice)',
      async handler(ctx): Promise<ResultsAnswer> {
        const probe = await probes.authenticate(ctx.db, tokenOf(ctx.req.headers[PROBE_TOKEN_HEADER]), {
          ip: ctx.req.ip,
          version: ctx.body.version,
        });
        return probes.acceptResults(ctx.db, probe, ctx.body);
      },
    }),
  ];
}
