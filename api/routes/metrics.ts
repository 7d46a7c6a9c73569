import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/** GET /metrics: Prometheus exposition of this app's registry (api/metrics.ts); a viewer key reads it. */
export const metricsRoutes = (registry: Registry): FastifyPluginAsync =>
  async function metrics(app) {
    app.get(
      '/metrics',
      { config: { role: 'viewer' }, schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['monitoring'], produces: [registry.contentType] } },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  };
