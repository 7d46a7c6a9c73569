import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

/** What /health reports, supplied by the composition root (bin/commands/start.ts). */
export interface HealthSource {
  dbKind: 'pg' | 'pglite';
  /** Resolves when the store answers a trivial query. */
  pingDb(): Promise<void>;
  /** Time of the last committed ingest batch of this instance (live sources and backfill). */
  lastIngestAt(): Date | null;
  /** One entry per running data source, e.g. { name: 'mqtt', ...counters }. */
  sources(): Array<{ name: string } & Record<string, unknown>>;
}

export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  db: z.object({ kind: z.enum(['pg', 'pglite']), ok: z.boolean(), error: z.string().optional() }),
  lastIngestAt: z.string().nullable(),
  sources: z.array(z.looseObject({ name: z.string() })),
  uptimeSec: z.number(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

const startedAt = Date.now();

/** GET /health: 200 when the store answers, 503 (same body) when it does not, so load balancers can act on it. */
export const healthRoutes = (source: HealthSource): FastifyPluginAsyncZod =>
  async function health(app) {
    app.get(
      '/health',
      { config: { public: true }, schema: { summary: 'Liveness and ingest status', tags: ['health'], response: { 200: HealthResponse, 503: HealthResponse } } },
      async (_req, reply) => {
        let dbError: string | undefined;
        try {
          await source.pingDb();
        } catch (e) {
          dbError = (e as Error).message;
        }
        const body: HealthResponse = {
          status: dbError ? 'degraded' : 'ok',
          db: { kind: source.dbKind, ok: !dbError, ...(dbError && { error: dbError }) },
          lastIngestAt: source.lastIngestAt()?.toISOString() ?? null,
          sources: source.sources(),
          uptimeSec: Math.round((Date.now() - startedAt) / 1000),
        };
        return reply.code(dbError ? 503 : 200).send(body);
      },
    );
  };
