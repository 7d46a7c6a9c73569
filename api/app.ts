import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isGridcastError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../store/db.ts';
import { healthRoutes, type HealthSource } from './routes/health.ts';
import { ingestRoutes } from './routes/v1/ingest.ts';
import { registryRoutes } from './routes/v1/registry.ts';
import { runTriggerRoutes } from './routes/v1/run-trigger.ts';
import type { ReadServices } from './read-services.ts';
import { actualsRoutes } from './routes/v1/actuals.ts';
import { forecastsRoutes } from './routes/v1/forecasts.ts';
import { jobsRoutes } from './routes/v1/jobs.ts';
import { runsRoutes } from './routes/v1/runs.ts';
import { topologyRoutes } from './routes/v1/topology.ts';

export interface AppDeps {
  health: HealthSource;
  /** The read routes of /api/v1 (topology, actuals, forecasts, runs, jobs); absent, they are not served. */
  reads?: ReadServices;
  logger?: FastifyServerOptions['logger'];
  /** The store and configuration the /api/v1 routes serve; without them only /health is served. */
  db?: Db;
  config?: Config;
}

// Polled every few seconds by load balancers and monitors: their requests log at debug, not info.
const POLLED = new Set(['/health']);

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

/**
 * Builds the fastify app without listening (api/server.ts listens; tests use app.inject).
 * Every route validates with zod schemas. One error handler: a GridcastError is the client's
 * to fix and is returned with its code; anything else is logged and answered as an opaque 500.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, logController: new QuietPolls() });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send({ code: 'REQUEST_INVALID', message: err.message, details: { issues: err.validation } });
    }
    // fastify's own client errors (413 body too large, 415 media type…) keep their status.
    const client = err as { statusCode?: unknown; code?: string; message?: string };
    if (typeof client.statusCode === 'number' && client.statusCode >= 400 && client.statusCode < 500) {
      return reply.code(client.statusCode).send({ code: client.code, message: client.message, details: {} });
    }
    if (isGridcastError(err)) {
      const status = /_NOT_FOUND$/.test(err.code) ? 404 : 400;
      return reply.code(status).send({ code: err.code, message: err.message, details: err.details });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ code: 'INTERNAL', message: 'Internal error; see the server log.' });
  });
  await app.register(healthRoutes(deps.health));
  if (deps.db && deps.config) {
    const { db, config } = deps;
    await app.register(ingestRoutes({ db, bodyLimitBytes: config.api.bodyLimitBytes }), { prefix: '/api/v1' });
    await app.register(runTriggerRoutes({ db, config }), { prefix: '/api/v1' });
    await app.register(registryRoutes({ db }), { prefix: '/api/v1' });
  }
  if (deps.reads) {
    const r = deps.reads;
    for (const routes of [topologyRoutes(r.topology), actualsRoutes(r.actuals), forecastsRoutes(r.runs), runsRoutes(r.runs), jobsRoutes(r.jobs)]) {
      await app.register(routes, { prefix: '/api/v1' });
    }
  }
  return app;
}
