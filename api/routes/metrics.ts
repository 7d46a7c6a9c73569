import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';

/** GET /metrics: Prometheus exposition of this app's registry (api/metrics.ts); a viewer key reads it. */
export const metricsRoutes = (registry: Registry): FastifyPluginAsync =>
  async function metrics(app) {
    app.get(
      '/metrics',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['monitoring'],
          response: { 200: { description: 'Prometheus text exposition', content: { [registry.contentType]: { schema: z.string() } } } },
        },
      },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  };
