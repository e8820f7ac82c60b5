import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { AccessPolicy } from './core/auth.ts';
import type { Clock } from './core/clock.ts';
import { systemClock } from './core/clock.ts';
import { coreConfig, loadConfig, type CoreConfig, type LoadOptions } from './core/config.ts';
import { openDatabase, type Database } from './core/db/database.ts';
import { migrate } from './core/db/migrate.ts';
import { AppError } from './core/errors.ts';
import { sendProblem, toAppError } from './core/http/problem.ts';
import { type AnyRoute, type RegisteredRoute, registerRoutes } from './core/http/routes.ts';
import { addSecurityHeaders } from './core/http/security-headers.ts';
import { systemPermissions, systemRoutes } from './core/http/system-routes.ts';
import { loadTls, TLS_CIPHERS, type TlsMaterial } from './core/http/tls.ts';
import { createLogger, type Logger } from './core/logger.ts';
import { createMetrics } from './core/metrics.ts';
import { Gauge, type Registry } from 'prom-client';
import type { SkjoldModule } from './core/module.ts';
import { auditConfig, createAuditModule, type AuditConfig, type AuditModule } from './modules/audit/index.ts';
import { createIdentityModule, identityConfig, type IdentityConfig, type IdentityModule } from './modules/identity/index.ts';
import { createIncidentsModule, incidentsConfig, type IncidentsConfig, type IncidentsModule } from './modules/incidents/index.ts';
import {
  createMonitoringModule,
  monitoringConfig,
  type MonitoringConfig,
  type MonitoringModule,
} from './modules/monitoring/index.ts';
import {
  createOncallModule,
  oncallConfig,
  type OncallConfig,
  type OncallModule,
  type OncallUser,
} from './modules/oncall/index.ts';
import { createThreatsModule, threatsConfig, type ThreatsConfig, type ThreatsModule } from './modules/threats/index.ts';
import { createVulnsModule, vulnsConfig, type VulnsConfig, type VulnsModule } from './modules/vulns/index.ts';
import { accessConfig, createAccessModule, type AccessConfig, type AccessModule } from './modules/access/index.ts';

export const CONFIG_SECTIONS = [
  coreConfig,
  identityConfig,
  auditConfig,
  incidentsConfig,
  monitoringConfig,
  oncallConfig,
  threatsConfig,
  vulnsConfig,
  accessConfig,
] as const;
export interface SkjoldConfig {
  core: CoreConfig;
  identity: IdentityConfig;
  audit: AuditConfig;
  incidents: IncidentsConfig;
  monitoring: MonitoringConfig;
  oncall: OncallConfig;
  threats: ThreatsConfig;
  vulns: VulnsConfig;
  access: AccessConfig;
}

/** Load every module's configuration section; throws ConfigError naming every bad key. */
export function loadSkjoldConfig(opts: LoadOptions = {}): SkjoldConfig {
  return loadConfig(CONFIG_SECTIONS, opts) as unknown as SkjoldConfig;
}

export interface AppOptions {
  config: SkjoldConfig;
  clock?: Clock;
  log?: Logger;
  /** Use HTTPS (always in production; tests using inject() may skip the certificate). */
  tls?: boolean;
}

export interface SkjoldApp {
  app: FastifyInstance;
  database: Database;
  config: SkjoldConfig;
  log: Logger;
  clock: Clock;
  policy: AccessPolicy;
  routes: RegisteredRoute[];
  audit: AuditModule;
  identity: IdentityModule;
  /** Incident management; `incidents.sink` is the SignalSink to hand to modules that raise signals. */
  incidents: IncidentsModule;
  /** Monitors, checks and their scheduler (the scheduler runs only in the `engine` role). */
  monitoring: MonitoringModule;
  /** On-call schedules, who is on call, coverage gaps and calendar feeds. */
  oncall: OncallModule;
  /** Log ingestion, threat intelligence, scenarios, decisions and blocklists. */
  threats: ThreatsModule;
  /** Assets, inventories, advisory feeds, findings with triage and SLA (the feed schedule runs in the `engine` role). */
  vulns: VulnsModule;
  /** Access by need: people, systems, grants, sites and badges, review campaigns. */
  access: AccessModule;
  tls: TlsMaterial | undefined;
  /** Listen on config host:port; resolves with the bound port. */
  listen(): Promise<number>;
  /** Graceful stop: finish in-flight requests, stop modules (audit flushed), close the database. */
  close(): Promise<void>;
}

/** Build the whole application: storage, migrations, modules, routes. Nothing listens yet. */
export async function createApp(opts: AppOptions): Promise<SkjoldApp> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.core.logLevel);
  const dataDir = resolve(config.core.dataDir);
  const database = openDatabase({ dataDir, databaseUrl: config.core.databaseUrl });
  const policy = new AccessPolicy();
  const metrics = createMetrics();

  const audit = createAuditModule({ database, clock, log, config: config.audit, dataDir });
  const identity = createIdentityModule({ database, clock, log, config: config.identity, audit: audit.sink, policy, dataDir });
  // Before any module that raises signals: they receive incidents.sink.
  const incidents = createIncidentsModule({ database, clock, log, config: config.incidents, timeZone: config.core.timeZone });
  const monitoring = createMonitoringModule({
    database,
    clock,
    log,
    config: config.monitoring,
    signals: incidents.sink,
    reportCompleteness: (db, c) => incidents.recordCheckCompleteness(db, c),
    openIncidents: (db, components) => incidents.openOnComponents(db, components),
    runEngine: config.core.roles.split(',').some((r) => r.trim() === 'engine'),
  });
  const oncall = createOncallModule({
    database,
    clock,
    log,
    config: config.oncall,
    signals: incidents.sink,
    // Users are read through identity's service, never its tables.
    lookupUsers: async (db, keys, by = 'id') => {
      const wanted = new Set(keys);
      const found = new Map<string, OncallUser>();
      if (wanted.size === 0) return found;
      for (const u of await identity.service.users.list(db)) {
        const k = by === 'username' ? u.username : u.id;
        if (wanted.has(k)) found.set(k, { id: u.id, username: u.username, displayName: u.displayName, disabled: u.disabled });
      }
      return found;
    },
    timeZone: config.core.timeZone,
    runEngine: config.core.roles.split(',').some((r) => r.trim() === 'engine'),
    dataDir,
    incidentEvents: incidents.events,
    timeline: incidents,
    selfUrl: `https://${config.core.host === '0.0.0.0' || config.core.host === '::' ? 'localhost' : config.core.host}:${config.core.port}`,
    incidents: {
      async summary(db, id) {
        try {
          const i = await incidents.service.row(db, id);
          return { summary: i.summary, state: i.state };
        } catch {
          return null;
        }
      },
      async ack(db, id, actor) {
        const i = await incidents.service.row(db, id);
        if (i.state !== 'triggered') return { ok: false, state: i.state, summary: i.summary };
        const r = await incidents.service.ack(db, id, actor);
        return { ok: true, state: r.after.state, summary: r.after.summary };
      },
    },
  });
  const tls =
    opts.tls === false ? undefined : await loadTls({ dataDir, certFile: config.core.tlsCert, keyFile: config.core.tlsKey });
  const threats = createThreatsModule({
    database,
    clock,
    log,
    config: config.threats,
    audit: audit.sink,
    signals: incidents.sink,
    dataDir,
    timeZone: config.core.timeZone,
    runEngine: config.core.roles.split(',').some((r) => r.trim() === 'engine'),
    runCollector: config.core.roles.split(',').some((r) => r.trim() === 'collector'),
    allows: (actor, p) => policy.allows(actor, p),
    tls: tls ? { cert: tls.cert, key: tls.key } : undefined,
  });
  const vulns = createVulnsModule({
    database,
    clock,
    log,
    config: config.vulns,
    audit: audit.sink,
    signals: incidents.sink,
    dataDir,
    runEngine: config.core.roles.split(',').some((r) => r.trim() === 'engine'),
    allows: (actor, p) => policy.allows(actor, p),
  });
  const access = createAccessModule({
    database,
    clock,
    log,
    config: config.access,
    audit: audit.sink,
    signals: incidents.sink,
    dataDir,
    timeZone: config.core.timeZone,
    // Links in review reminder e-mails: the same public URL as links in pages.
    publicUrl:
      config.oncall.publicUrl ??
      `https://${config.core.host === '0.0.0.0' || config.core.host === '::' ? 'localhost' : config.core.host}:${config.core.port}`,
    runEngine: config.core.roles.split(',').some((r) => r.trim() === 'engine'),
    allows: (actor, p) => policy.allows(actor, p),
  });
  const modules: SkjoldModule[] = [audit, identity, incidents, monitoring, oncall, threats, vulns, access];

  const mig = await migrate(database, modules);
  if (mig.error) {
    await database.close();
    throw new Error(`migration failed: ${String((mig.error as Error).message ?? mig.error)}`);
  }
  registerOperationalMetrics(
    metrics.registry,
    database,
    monitoring,
    config.core.roles.split(',').some((r) => r.trim() === 'engine'),
  );

  threats.registerMetrics(metrics.registry);
  vulns.registerMetrics(metrics.registry);

  for (const m of modules) policy.declare(m.permissions);
  policy.declare(systemPermissions);
  const app = Fastify({
    logger: false,
    genReqId: () => randomUUID(),
    bodyLimit: config.core.bodyLimit,
    trustProxy: false,
    return503OnClosing: true,
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            minVersion: 'TLSv1.2' as const,
            ciphers: TLS_CIPHERS,
            honorCipherOrder: true,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;

  // Deny by default: nothing reaches Fastify without a declared permission.
  app.addHook('onRoute', (r) => {
    const config: unknown = r.config;
    const perm = (config as { permission?: string } | undefined)?.permission;
    if (!perm && r.method !== 'HEAD') throw new Error(`route ${String(r.method)} ${r.url} declares no permission`);
  });
  // Uploads and imports (inventories, SBOMs, account lists, badge and login events) may exceed the server-wide limit.
  const largeBodies = new Map<string, number>();
  for (const { largeBodies: l } of modules) for (const url of l?.urls ?? []) if (l) largeBodies.set(url, l.maxBytes);
  app.addHook('onRoute', (r) => {
    const max = largeBodies.get(r.url);
    if (max !== undefined) r.bodyLimit = Math.max(config.core.bodyLimit, max);
  });
  await app.register(cookie);
  // Bulk log ingestion posts NDJSON; it reaches the route as text and is split there, row by row.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // CSV imports (badge events, account lists) reach their route as text and are parsed there, row by row.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const webDist = resolve(join(import.meta.dirname, '..', 'web', 'dist'));
  const haveConsole = existsSync(join(webDist, 'index.html'));
  // The build writes .br and .gz copies of the console's files; each is sent in the encoding the browser accepts, and
  // says so to caches (Vary), since the assets are cached publicly for a year.
  if (haveConsole)
    await app.register(fastifyStatic, {
      root: webDist,
      serve: false,
      preCompressed: true,
      setHeaders: (res) => {
        res.setHeader('Vary', 'Accept-Encoding');
      },
    });
  app.addHook('onSend', addSecurityHeaders);
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler((err, req, reply) => {
    const e = toAppError(err);
    if (e.kind === 'internal') log.error({ err, reqId: req.id }, 'request failed');
    // Requests that fail before routing (malformed JSON, body too large) are still API requests: audit them.
    if (req.url.startsWith('/api/')) {
      void audit.sink
        .append({
          actor: 'anonymous',
          action: 'http.rejected',
          target: req.url.split('?')[0],
          ip: req.ip,
          userAgent: req.headers['user-agent']?.slice(0, 512),
          outcome: 'failed',
          status: reply.statusCode >= 400 ? reply.statusCode : undefined,
          requestId: req.id,
          detail: { code: e.code },
        })
        .catch(() => undefined);
    }
    return sendProblem(reply, e);
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) {
      void audit.sink
        .append({
          actor: 'anonymous',
          action: 'http.not_found',
          target: req.url.split('?')[0]?.slice(0, 512),
          ip: req.ip,
          userAgent: req.headers['user-agent']?.slice(0, 512),
          outcome: 'failed',
          status: 404,
          requestId: req.id,
        })
        .catch(() => undefined);
      return sendProblem(
        reply,
        new AppError('not_found', 'route_not_found', `no API route ${req.method} ${req.url.split('?')[0]}`),
      );
    }
    // A console file that is not there (an old chunk after an upgrade, a typo): a plain 404, never index.html under
    // the script's name, so the console can tell the person to reload.
    if (req.url.startsWith('/assets/')) return sendProblem(reply, new AppError('not_found', 'not_found', 'no such console file'));
    // Console routes are client-side: serve index.html for any other GET.
    if (haveConsole && req.method === 'GET') return reply.type('text/html').sendFile('index.html');
    return sendProblem(reply, new AppError('not_found', 'not_found', 'not found'));
  });

  let ready = false;
  let closed = false;
  const registry: RegisteredRoute[] = [];
  const routeDeps = { database, policy, audit: audit.sink, authenticator: identity.authenticator, clock, log };
  const all: AnyRoute[] = [
    ...modules.flatMap((m) => m.routes()),
    ...systemRoutes({ database, metrics: metrics.registry, registry, haveConsole, isReady: () => ready }),
  ];
  registerRoutes(app, routeDeps, all, registry);

  for (const m of modules) await m.start?.();
  ready = true;

  return {
    app,
    database,
    config,
    log,
    clock,
    policy,
    routes: registry,
    audit,
    identity,
    incidents,
    monitoring,
    oncall,
    threats,
    vulns,
    access,
    tls,
    async listen() {
      await app.listen({ host: config.core.host, port: config.core.port });
      const addr = app.server.address();
      return typeof addr === 'object' && addr ? addr.port : config.core.port;
    },
    async close() {
      if (closed) return;
      closed = true;
      ready = false;
      await app.close();
      for (const m of [...modules].reverse()) await m.stop?.();
      await database.close();
    },
  };
}

/**
 * What an on-call engineer graphs and alerts on besides HTTP: the scheduler's lag, the paging outbox by state and open
 * incidents by state. Computed when Prometheus scrapes (a few indexed counts), so nothing runs between scrapes.
 */
function registerOperationalMetrics(registry: Registry, database: Database, monitoring: MonitoringModule, engine: boolean): void {
  if (engine)
    new Gauge({
      name: 'skjold_monitoring_scheduling_lag_seconds',
      help: 'How late checks started against their slot (recent p50, p99 and max)',
      labelNames: ['quantile'] as const,
      registers: [registry],
      collect() {
        const s = monitoring.engine.stats();
        this.set({ quantile: '0.5' }, s.lagP50Ms / 1000);
        this.set({ quantile: '0.99' }, s.lagP99Ms / 1000);
        this.set({ quantile: '1' }, s.lagMaxMs / 1000);
      },
    });
  new Gauge({
    name: 'skjold_paging_pages',
    help: 'Pages in the durable outbox by state (pending and sending should stay near zero; failed reached nobody)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await database.db
        .selectFrom('oncall_outbox')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('state')
        .execute();
      for (const st of ['pending', 'sending', 'sent', 'failed', 'cancelled']) this.set({ state: st }, 0);
      for (const r of rows) this.set({ state: r.state }, Number(r.n));
    },
  });
  new Gauge({
    name: 'skjold_incidents_open',
    help: 'Incidents not resolved, by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const rows = await database.db
        .selectFrom('incidents_incidents')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('state', '<>', 'resolved')
        .groupBy('state')
        .execute();
      for (const st of ['triggered', 'acknowledged']) this.set({ state: st }, 0);
      for (const r of rows) this.set({ state: r.state }, Number(r.n));
    },
  });
}
