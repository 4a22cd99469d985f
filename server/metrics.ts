// GET /metrics in Prometheus' text format (prom-client): requests by route and status, push items
// by outcome, pulled records by kind, the PostgreSQL pool's use, readiness, and Node's own figures
// (event-loop lag among them). One registry per app, so that several servers in one process (tests)
// count apart. It says nothing secret, but it is for the operator: keep it off the public side of
// the reverse proxy (docs/deploy-server.md).

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PullResponse, PushResponse } from '../contract/sync-protocol.ts';
import type { Readiness } from './readiness.ts';
import type { ServerDatabase } from './storage/database.ts';

export interface MetricsOptions {
  sdb: ServerDatabase;
  readiness: Readiness;
}

export function registerMetrics(app: FastifyInstance, { sdb, readiness }: MetricsOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const requests = new Counter({
    name: 'desk_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'desk_http_request_duration_seconds',
    help: 'Time to answer, by route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pushItems = new Counter({
    name: 'desk_push_items_total',
    help: 'Pushed items, by record kind and outcome (applied, duplicate, rejected)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const pulled = new Counter({
    name: 'desk_pulled_records_total',
    help: 'Records sent to devices by pulls, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'desk_db_pool_connections',
    help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = sdb.poolStats();
      if (!stats) return;
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  new Gauge({
    name: 'desk_ready',
    help: '1 once the database is reached and migrated, else 0',
    registers: [registry],
    collect() {
      this.set(readiness.ready ? 1 : 0);
    },
  });

  // A route pattern, never the raw URL: unknown addresses would make a label per probe.
  const routeOf = (request: { routeOptions: { url?: string | undefined } }) => request.routeOptions.url ?? 'unmatched';

  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    durations.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  // The answer as an object, before it is turned into JSON: what was pushed and pulled.
  app.addHook('preSerialization', async (request, reply, payload) => {
    if (reply.statusCode !== 200) return payload;
    const route = routeOf(request);
    if (route === '/v1/push') {
      for (const result of (payload as PushResponse).results ?? []) pushItems.inc({ kind: result.kind, outcome: result.outcome });
    } else if (route === '/v1/changes') {
      for (const change of (payload as PullResponse).changes ?? []) pulled.inc({ kind: change.kind });
    }
    return payload;
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
