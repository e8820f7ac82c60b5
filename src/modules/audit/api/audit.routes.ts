import { Readable } from 'node:stream';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { AuditService } from '../audit.service.ts';
import {
  checkpointsQuerySchema,
  consistencyQuerySchema,
  exportQuerySchema,
  noQuerySchema,
  proofQuerySchema,
  searchQuerySchema,
  seqParamsSchema,
} from './audit.schemas.ts';

/** The audit log's HTTP API under /api/v1/audit. */
export function auditRoutes(service: AuditService): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/entries',
      permission: 'audit.read',
      summary: 'Search the audit log by actor, action, target, outcome and time; keyset pages, newest first',
      query: searchQuerySchema,
      handler: (ctx) => service.search(ctx.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/entries/:seq',
      permission: 'audit.read',
      summary: 'One audit entry with its leaf hash',
      params: seqParamsSchema,
      query: noQuerySchema,
      handler: (ctx) => {
        ctx.audit.target(`audit:${ctx.params.seq}`);
        return service.entry(ctx.params.seq);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/entries/:seq/proof',
      permission: 'audit.read',
      summary: 'RFC 6962 inclusion proof of an entry against a signed checkpoint',
      params: seqParamsSchema,
      query: proofQuerySchema,
      handler: (ctx) => {
        ctx.audit.target(`audit:${ctx.params.seq}`);
        return service.inclusion(ctx.params.seq, ctx.query.treeSize);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/checkpoints',
      permission: 'audit.read',
      summary: 'Signed checkpoints, newest first',
      query: checkpointsQuerySchema,
      handler: (ctx) => service.checkpoints(ctx.query.cursor, ctx.query.limit),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/consistency',
      permission: 'audit.read',
      summary: 'RFC 6962 consistency proof between two checkpoints',
      query: consistencyQuerySchema,
      handler: (ctx) => service.consistency(ctx.query.from, ctx.query.to),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/audit/verify',
      permission: 'audit.verify',
      summary: 'Recompute the whole audit log and check it against the stored hashes and signed checkpoints',
      query: noQuerySchema,
      // Before the request's transaction: on SQLite that transaction holds the write lock, and the audit
      // writer must keep committing while a long verification reads (over its own read-only connections).
      prepare: () => service.verify(),
      handler(ctx) {
        const result = ctx.prepared;
        ctx.audit.detail(
          result.ok
            ? { ok: true, entries: result.entries, root: result.root }
            : { ok: false, firstBadSeq: result.firstBadSeq, problem: result.problem },
        );
        return Promise.resolve(result);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/export',
      permission: 'audit.export',
      summary: 'Export entries with signed checkpoints and range proofs as JSON lines, for offline verification',
      query: exportQuerySchema,
      async handler(ctx) {
        const out = await service.export(ctx.query);
        ctx.audit.detail({ firstSeq: out.first, lastSeq: out.last });
        void ctx.reply
          .type('application/x-ndjson; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="skjold-audit-${out.first}-${out.last}.jsonl"`);
        // Returned (not sent) so the request's audit record is still written.
        return Readable.from(out.lines);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit/public-key',
      permission: 'audit.read',
      summary: 'The Ed25519 public key that signs audit checkpoints (PEM) and its key id',
      query: noQuerySchema,
      handler: () => Promise.resolve(service.publicKey()),
    }),
  ];
}
