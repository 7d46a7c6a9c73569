import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';

/**
 * What /metrics reads from the store at scrape time (store/metrics.repository.ts). Each read is
 * one query on a small table or an indexed range (the last day), so a scrape stays cheap however
 * long the history grows.
 */
export interface MetricsSource {
  /** Ingest batches started in the last 24 h. */
  ingestBatches(): Promise<Array<{ source: string; kind: string; status: string; batches: number; rows: number }>>;
  /** Job runs scheduled in the last 24 h. */
  jobRuns(): Promise<Array<{ job: string; status: string; runs: number }>>;
  /** The last finished run of each job (of the last 24 h), with its duration. */
  lastJobRuns(): Promise<Array<{ job: string; status: string; seconds: number }>>;
  /** Forecast runs issued (by origin) in the last 24 h. */
  forecastRuns(): Promise<Array<{ horizon: string; status: string; runs: number }>>;
  /** Deadline fallback runs (published because the model run could not make its deadline) with an origin in the last 24 h. */
  deadlineFallbackRuns(): Promise<Array<{ horizon: string; runs: number }>>;
  /** Series served by a fallback model in the latest successful run of each horizon. */
  latestRunFallbacks(): Promise<Array<{ horizon: string; runId: number; series: number }>>;
  /** Events of each kind ever appended to the event log (append-only, so the counts only grow). */
  eventCounts(): Promise<Array<{ kind: string; events: number }>>;
  /** The store's connections: a pg pool's counts; PGlite has no pool, only its kind. */
  pool(): { kind: 'pg' | 'pglite'; total?: number; idle?: number; waiting?: number };
}

const DAY = '24h';

/** A registry of this app (not prom-client's global one, so apps built in one process do not mix). */
export function registerMetrics(app: FastifyInstance, source?: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    latency.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  if (!source) return registry;

  /** A gauge set at each scrape from the rows one store read returns. */
  const fromStore = <R, L extends string>(
    name: string, help: string, labelNames: readonly L[], read: () => Promise<R[]>, labels: (r: R) => Record<L, string>, value: (r: R) => number,
  ) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      async collect() {
        this.reset();
        for (const r of await read()) this.set(labels(r), value(r));
      },
    });
  const batchLabels = (r: { source: string; kind: string; status: string }) => ({ source: r.source, kind: r.kind, status: r.status });

  fromStore('gridcast_ingest_batches', `Ingest batches started in the last ${DAY}, by source, kind and status (rejected = refused, nothing written)`,
    ['source', 'kind', 'status'], () => source.ingestBatches(), batchLabels, (r) => r.batches);
  fromStore('gridcast_ingest_rows', `Rows of the ingest batches started in the last ${DAY}, by source, kind and status`,
    ['source', 'kind', 'status'], () => source.ingestBatches(), batchLabels, (r) => r.rows);
  fromStore('gridcast_job_runs', `Job runs scheduled in the last ${DAY}, by job and status (running, succeeded, failed, late, missed)`,
    ['job', 'status'], () => source.jobRuns(), (r) => ({ job: r.job, status: r.status }), (r) => r.runs);
  fromStore('gridcast_job_last_run_duration_seconds', 'Duration of the last finished run of each job (forecast-<horizon> jobs are the forecast runs)',
    ['job', 'status'], () => source.lastJobRuns(), (r) => ({ job: r.job, status: r.status }), (r) => r.seconds);
  fromStore('gridcast_forecast_runs', `Forecast runs with an origin in the last ${DAY}, by horizon and status`,
    ['horizon', 'status'], () => source.forecastRuns(), (r) => ({ horizon: r.horizon, status: r.status }), (r) => r.runs);
  fromStore('gridcast_forecast_fallback_series', 'Series forecast by a fallback model in the latest successful run of each horizon',
    ['horizon', 'run_id'], () => source.latestRunFallbacks(), (r) => ({ horizon: r.horizon, run_id: String(r.runId) }), (r) => r.series);
  // A counter, not a gauge: the event log is append-only, so each kind's count only grows, and
  // rate()/increase() over it give alarms per hour. Read from the store so every instance agrees.
  new Counter({
    name: 'gridcast_events_total', help: 'Events appended to the monitoring event log, by kind (rupture, fallback-on, drift, deadline-missed, retrain-proposal, promotion, …)',
    labelNames: ['kind'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const r of await source.eventCounts()) this.inc({ kind: r.kind }, r.events);
    },
  });
  fromStore('gridcast_forecast_deadline_fallback_runs', `Fallback runs published for a deadline the model run could not make, origin in the last ${DAY}, by horizon (late and missed runs: gridcast_job_runs status late, missed)`,
    ['horizon'], () => source.deadlineFallbackRuns(), (r) => ({ horizon: r.horizon }), (r) => r.runs);
  new Gauge({
    name: 'gridcast_store_connections', help: 'Store connections of the pg pool by state (total, idle, waiting clients); absent on PGlite',
    labelNames: ['state'] as const, registers: [registry],
    collect() {
      this.reset();
      const p = source.pool();
      for (const state of ['total', 'idle', 'waiting'] as const) if (p[state] !== undefined) this.set({ state }, p[state]);
    },
  });
  new Gauge({
    name: 'gridcast_store_info', help: 'The store backend: pg (PostgreSQL pool) or pglite (embedded, one connection)',
    labelNames: ['kind'] as const, registers: [registry],
    collect() {
      this.reset();
      this.set({ kind: source.pool().kind }, 1);
    },
  });
  return registry;
}
