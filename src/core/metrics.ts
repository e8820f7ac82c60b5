import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client';

/** One Prometheus registry per app instance (tests build many apps in one process). */
export function createMetrics(): {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'skjold_' });
  const httpRequests = new Counter({
    name: 'skjold_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'skjold_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration };
}
