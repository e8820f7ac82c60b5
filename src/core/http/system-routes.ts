import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Permission, PermissionSpec } from '../auth.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { openApiDocument } from './openapi.ts';
import { type AnyRoute, type RegisteredRoute, defineRoute } from './routes.ts';

export const systemPermissions: Record<Permission, PermissionSpec> = {
  'metrics.read': { roles: ['admin', 'operator'], description: 'Scrape Prometheus metrics' },
  'system.read': { roles: ['admin', 'security-officer', 'operator', 'viewer'], description: 'Read the API description' },
};

/**
 * Console files carry a content hash in their names: cached for a year and never asked about again. The console page
 * (index.html) keeps @fastify/static's default, `public, max-age=0`: revalidated on every load, so an upgrade is seen.
 */
const ASSET_CACHE = { maxAge: 365 * 86_400_000, immutable: true };

export interface SystemDeps {
  database: Database;
  metrics: Registry;
  registry: RegisteredRoute[];
  haveConsole: boolean;
  isReady(): boolean;
}

/** Health, readiness, metrics, the route listing, and the console's static files. */
export function systemRoutes(d: SystemDeps): AnyRoute[] {
  const routes: AnyRoute[] = [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      permission: 'public',
      audited: false,
      summary: 'Liveness: the process answers',
      handler: () => Promise.resolve({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      permission: 'public',
      audited: false,
      summary: 'Readiness: the database answers and the server is not shutting down',
      async handler(ctx) {
        if (!d.isReady()) throw new AppError('unavailable', 'shutting_down', 'shutting down');
        try {
          await sql`SELECT 1`.execute(d.database.db);
        } catch {
          throw new AppError('unavailable', 'database_unavailable', 'the database does not answer');
        }
        ctx.status(200);
        return { status: 'ready', database: d.database.dialect };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      permission: 'metrics.read',
      audited: false,
      summary: 'Prometheus metrics (scrape with an API token holding metrics.read)',
      async handler(ctx) {
        const text = await d.metrics.metrics();
        return ctx.reply.type(d.metrics.contentType).send(text);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/openapi.json',
      permission: 'system.read',
      summary: 'OpenAPI 3.1 description of this API',
      handler: () => Promise.resolve(openApiDocument(d.registry, '0.1.0')),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/routes',
      permission: 'system.read',
      summary: 'Every API route with the permission it requires',
      handler: () =>
        Promise.resolve({
          items: d.registry.map(({ method, url, permission, summary }) => ({ method, url, permission, summary })),
        }),
    }),
  ];
  if (d.haveConsole) {
    routes.push(
      defineRoute({
        method: 'GET',
        url: '/',
        permission: 'public',
        audited: false,
        summary: 'The console',
        handler: (ctx) => Promise.resolve(ctx.reply.type('text/html').sendFile('index.html')),
      }),
      defineRoute({
        method: 'GET',
        url: '/assets/*',
        permission: 'public',
        audited: false,
        summary: 'Console assets',
        handler: (ctx) => {
          const rest = (ctx.req.params as { '*': string })['*'];
          return Promise.resolve(ctx.reply.sendFile(`assets/${rest}`, ASSET_CACHE));
        },
      }),
    );
  }
  return routes;
}
