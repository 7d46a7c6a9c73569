import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { serializerCompiler, validatorCompiler, hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiLimitsSchema, type ApiLimits } from '../core/config.ts';
import { GridcastError, isGridcastError } from '../core/errors.ts';
import { healthRoutes, type HealthSource } from './routes/health.ts';
import { authenticate } from './auth/hook.ts';
import type { ApiKeyService } from './auth/api-key.service.ts';
import { auditMutations, type AuditSink } from './audit.ts';
import { registerMetrics, type MetricsSource } from './metrics.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { docsRoutes } from './routes/docs.ts';
import { apiKeyRoutes } from './routes/v1/apikeys.ts';
import { sessionRoutes } from './routes/v1/session.ts';
import { uiRoutes } from './routes/ui.ts';
import { documentErrors, openApiRoutes, registerOpenApi } from './openapi.ts';
import { problem, PROBLEM_CONTENT_TYPE, statusOf } from './problem.ts';
import { clientError, routerError } from './client-error.ts';
import type { ReadServices } from './read-services.ts';
import type { WriteServices } from './write-services.ts';
import { ingestRoutes } from './routes/v1/ingest.ts';
import { scheduleRoutes } from './routes/v1/schedules.ts';
import { registryRoutes } from './routes/v1/registry.ts';
import { promotionRoutes } from './routes/v1/promotion.ts';
import { runTriggerRoutes } from './routes/v1/run-trigger.ts';
import { actualsRoutes } from './routes/v1/actuals.ts';
import { forecastsRoutes } from './routes/v1/forecasts.ts';
import { jobsRoutes } from './routes/v1/jobs.ts';
import { runsRoutes } from './routes/v1/runs.ts';
import { topologyRoutes } from './routes/v1/topology.ts';
import { eventAckRoutes, eventsRoutes } from './routes/v1/events.ts';
import { driftRoutes } from './routes/v1/drift.ts';
import { accuracyRoutes } from './routes/v1/accuracy.ts';
import { nodeStatusRoutes } from './routes/v1/node-status.ts';
import { plannedReadRoutes, plannedWriteRoutes } from './routes/v1/planned.ts';

export interface AppDeps {
  health: HealthSource;
  /** Verifies the Bearer key of every non-public request. */
  apiKeys: ApiKeyService;
  /** Where mutating /api/v1 requests are recorded (the audit log). */
  audit: AuditSink;
  /** Store-side numbers of /metrics; without it /metrics has the HTTP and process metrics only. */
  metrics?: MetricsSource;
  /** Body, time and connection limits (config.api); the defaults of ApiLimitsSchema without it. */
  limits?: ApiLimits;
  /** Requests per minute per API key (per client IP without a key); limits.rateLimitPerMinute without it. */
  rateLimitPerMinute?: number;
  /** The read routes of /api/v1 (topology, actuals, forecasts, runs, jobs, events, drift, accuracy, node status); absent, they are not served. */
  reads?: ReadServices;
  /** The write routes of /api/v1 (ingest, POST /runs, acknowledgements) and the registry; absent, they are not served. */
  writes?: WriteServices;
  logger?: FastifyServerOptions['logger'];
}

// Polled every few seconds by load balancers, monitors and Prometheus: their requests log at debug, not info.
const POLLED = new Set(['/health', '/metrics']);

class QuietPolls extends LogController {
  private polled = (req: FastifyRequest) => POLLED.has(req.url.split('?')[0]);
  override incomingRequest(req: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.polled(req)) req.log.debug({ req }, 'incoming request');
    else super.incomingRequest(req, reply, metadata);
  }
  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.polled(req) && !error) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    else super.requestCompleted(error, req, reply, metadata);
  }
}

/** Fastify's own request errors (bad JSON, a body over the limit, an unknown content type) as gridcast codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'REQUEST_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'REQUEST_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'REQUEST_INVALID',
};

const path = (req: FastifyRequest) => req.url.split('?')[0];

/**
 * The first place in a request's parsed parts holding U+0000 (a key or string value, or a NUL byte of
 * a text/csv body), e.g. `body[3].series_id`; null when there is none. Iterative: a body may be nested 100,000 deep.
 */
export function nulIn(parts: Record<string, unknown>): string | null {
  const stack: Array<[unknown, string]> = Object.entries(parts).map(([k, v]) => [v, k]);
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return at;
    } else if (Buffer.isBuffer(v)) {
      if (v.includes(0)) return `${at} (byte ${v.indexOf(0)})`;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return `${at} (a key)`;
        stack.push([x, `${at}.${k}`]);
      }
    }
  }
  return null;
}

/**
 * Builds the fastify app without listening (api/server.ts listens; tests use app.inject).
 * Every route validates with zod schemas and needs an API key of its role (auth/hook.ts) unless
 * it is public. One error handler answers every failure as RFC 9457 problem+json: a coded error
 * with the status of its code (problem.ts), anything else as an opaque 500 whose details go to the log.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.limits ?? ApiLimitsSchema.parse({});
  const app = Fastify({
    logger: deps.logger ?? false,
    logController: new QuietPolls(),
    // The routes that take a batch (ingest, schedules, transfers) raise it to limits.bodyLimitBytes.
    bodyLimit: limits.commandBodyLimitBytes,
    connectionTimeout: limits.socketIdleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks both timeouts on this tick (30 s by default): a quarter of the headers timeout keeps the bound close to the setting.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    clientErrorHandler: clientError,
    // Refusals of the router, before any route: a URL that does not decode, a path segment over maxParamLength (100).
    frameworkErrors: (err, req, reply) => routerError(err, req as FastifyRequest, reply as FastifyReply),
  });
  app.server.maxConnections = limits.maxConnections;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const send = (code: string, detail: string, details?: Record<string, unknown>) =>
      reply.code(statusOf(code)).type(PROBLEM_CONTENT_TYPE).send(problem(code, detail, path(req), details));
    if (hasZodFastifySchemaValidationErrors(err)) {
      return send('REQUEST_INVALID', `The request does not match the route's schema: ${err.message}`, { issues: err.validation });
    }
    if (isGridcastError(err)) {
      const status = statusOf(err.code);
      if (status >= 500) req.log.error({ err, code: err.code, details: err.details }, 'request failed');
      return send(err.code, err.message, err.details);
    }
    const fastifyCode = err.code && FASTIFY_CODES[err.code];
    if (fastifyCode === 'BODY_TOO_LARGE') {
      const limitBytes = req.routeOptions.bodyLimit;
      return send(fastifyCode, `The body is over this route's limit of ${limitBytes} bytes (api.bodyLimitBytes for batches, api.commandBodyLimitBytes for the other routes); nothing was written.`, { limitBytes });
    }
    if (fastifyCode) return send(fastifyCode, err.message);
    // Fastify's other refusals of a request (a bad URL, a wrong content type header) are the client's.
    if (err.code?.startsWith('FST_ERR_') && err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return send('REQUEST_INVALID', err.message);
    req.log.error({ err }, 'request failed');
    return send('INTERNAL', 'Internal error; see the server log.');
  });
  // A refusal sent before the body was read (401, 413, 415…) closes the connection: node would otherwise
  // read and discard the rest of the body, as long as the client keeps sending it.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && !req.raw.complete) reply.header('connection', 'close');
    return payload;
  });
  // PostgreSQL text cannot hold U+0000: refused here with the place named, for every route, instead of failing in the store.
  app.addHook('preValidation', async (req) => {
    const where = nulIn({ params: req.params, query: req.query, body: req.body });
    if (where) throw new GridcastError('REQUEST_INVALID', `The request has a NUL character (U+0000) in ${where}: no text gridcast stores can hold it.`, { where });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem('ROUTE_NOT_FOUND', `No route ${req.method} ${path(req)}; GET /docs lists the API.`, path(req))),
  );

  documentErrors(app);
  await registerOpenApi(app);
  authenticate(app, deps.apiKeys);
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? limits.rateLimitPerMinute,
    timeWindow: 60_000,
    // After the auth hook, so a key's requests count against the key wherever they come from.
    hook: 'preHandler',
    keyGenerator: (req) => (req.principal ? `key:${req.principal.keyId}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) =>
      new GridcastError('RATE_LIMITED', `Over the limit of ${ctx.max} requests per minute; retry in ${Math.ceil(ctx.ttl / 1000)} s.`, {
        limitPerMinute: ctx.max, retryAfterSec: Math.ceil(ctx.ttl / 1000),
      }),
  });
  auditMutations(app, deps.audit);
  const registry = registerMetrics(app, deps.metrics);

  // Routes come after the hooks above: their onRoute hooks document, rate-limit and audit each route.
  await app.register(healthRoutes(deps.health));
  await app.register(metricsRoutes(registry));
  await app.register(docsRoutes);
  await app.register(openApiRoutes, { prefix: '/api/v1' });
  await app.register(apiKeyRoutes(deps.apiKeys), { prefix: '/api/v1' });
  await app.register(sessionRoutes, { prefix: '/api/v1' });
  await app.register(uiRoutes());
  if (deps.writes) {
    const w = deps.writes;
    await app.register(ingestRoutes({ ingest: w.ingest, bodyLimitBytes: w.bodyLimitBytes }), { prefix: '/api/v1' });
    await app.register(scheduleRoutes({ schedules: w.schedules, bodyLimitBytes: w.bodyLimitBytes }), { prefix: '/api/v1' });
    await app.register(runTriggerRoutes(w.runs), { prefix: '/api/v1' });
    await app.register(registryRoutes(w.registry), { prefix: '/api/v1' });
    await app.register(promotionRoutes(w.registry), { prefix: '/api/v1' });
    await app.register(eventAckRoutes(w.alarms), { prefix: '/api/v1' });
    await app.register(plannedWriteRoutes(w.transfers, w.bodyLimitBytes), { prefix: '/api/v1' });
  }
  if (deps.reads) {
    const r = deps.reads;
    for (const routes of [topologyRoutes(r.topology), actualsRoutes(r.actuals), forecastsRoutes(r.runs), runsRoutes(r.runs), jobsRoutes(r.jobs), eventsRoutes(r.events, r.proposals), driftRoutes(r.drift), accuracyRoutes(r.accuracy), nodeStatusRoutes(r.nodeStatus), plannedReadRoutes(r.planned)]) {
      await app.register(routes, { prefix: '/api/v1' });
    }
  }
  return app;
}
