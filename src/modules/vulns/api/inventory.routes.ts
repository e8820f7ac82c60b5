import type { FastifyReply } from 'fastify';
import { actorRef } from '../../../core/auth.ts';
import { AppError } from '../../../core/errors.ts';
import { problemOf } from '../../../core/http/problem.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import {
  InventoryRejected,
  type InventoryService,
  type ParsedUpload,
  type UploadResult,
  parseAgentUpload,
  parseSbomUpload,
} from '../inventory.service.ts';
import { idParams, inventoryUploadBody, noQuery, sbomBody } from './vulns.schemas.ts';

/** URLs whose body may be larger than the server-wide limit (up to `maxUploadBytes`): app.ts raises it for them. */
export const UPLOAD_ROUTES = ['/api/v1/vulns/inventory', '/api/v1/vulns/assets/:id/sbom'] as const;

type Parsed = { ok: true; upload: ParsedUpload } | { ok: false; error: InventoryRejected };

/**
 * A refused upload: 422 problem JSON naming the line, its text and the reason. Sent by hand because the house error
 * kinds stop at 400 for invalid input; the request's transaction has written nothing.
 */
function unprocessable(reply: FastifyReply, e: InventoryRejected): FastifyReply {
  const p = problemOf(e, reply.request.url.split('?')[0], reply.request.id);
  return reply
    .code(422)
    .type('application/problem+json')
    .send({ ...p, status: 422, title: 'Unprocessable upload', line: e.line, text: e.text, reason: e.reason });
}

function parseWith(parse: (text: string) => ParsedUpload, text: string, max: number): Parsed {
  if (Buffer.byteLength(text, 'utf8') > max)
    throw new AppError('too_large', 'upload_too_large', `the upload is larger than the limit of ${max} bytes`);
  try {
    return { ok: true, upload: parse(text) };
  } catch (e) {
    if (e instanceof InventoryRejected) return { ok: false, error: e };
    throw e;
  }
}

/** Host inventories from the agent (text/plain) and SBOMs for services and applications (JSON). */
export function inventoryRoutes(d: { inventory: InventoryService; maxUploadBytes: number }): AnyRoute[] {
  const { inventory, maxUploadBytes } = d;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/vulns/inventory',
      permission: 'vulns.report',
      action: 'vulns.inventory.report',
      query: noQuery,
      body: inventoryUploadBody,
      summary:
        'A host agent’s inventory (text/plain, `skjold-inventory 1`): registers the host on first report, snapshots and re-matches it; a malformed upload is refused whole (422 with the line) and the previous snapshot stays',
      // Parsing (tens of milliseconds for thousands of packages) runs before the request's transaction.
      async prepare(ctx): Promise<Parsed> {
        return Promise.resolve(parseWith(parseAgentUpload, ctx.body, maxUploadBytes));
      },
      async handler(ctx): Promise<UploadResult | FastifyReply> {
        const p = ctx.prepared;
        if (!p.ok) {
          ctx.audit.detail({ code: p.error.code, line: p.error.line, reason: p.error.reason });
          ctx.status(422);
          return unprocessable(ctx.reply, p.error);
        }
        const r = await inventory.recordHostReport(ctx.db, p.upload, actorRef(ctx.actor), ctx.audit);
        ctx.audit.detail({ snapshotId: r.snapshotId, packages: r.packages, identical: r.identical, registered: r.registered });
        ctx.status(201);
        return r;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/vulns/assets/:id/sbom',
      permission: 'vulns.report',
      action: 'vulns.inventory.sbom',
      params: idParams,
      query: noQuery,
      body: sbomBody,
      summary: 'A CycloneDX or SPDX JSON SBOM for a service or application: snapshots and re-matches it (422 when unreadable)',
      async prepare(ctx): Promise<Parsed> {
        return Promise.resolve(parseWith(parseSbomUpload, JSON.stringify(ctx.body), maxUploadBytes));
      },
      async handler(ctx): Promise<UploadResult | FastifyReply> {
        const p = ctx.prepared;
        if (!p.ok) {
          ctx.audit.detail({ code: p.error.code, reason: p.error.reason });
          ctx.status(422);
          return unprocessable(ctx.reply, p.error);
        }
        const r = await inventory.recordSbom(ctx.db, ctx.params.id, p.upload, actorRef(ctx.actor), ctx.audit);
        ctx.audit.detail({ snapshotId: r.snapshotId, packages: r.packages, identical: r.identical });
        ctx.status(201);
        return r;
      },
    }),
  ];
}
