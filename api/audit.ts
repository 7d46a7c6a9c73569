import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';

/** One API request as the audit log records it (the composition root writes it with store/audit.repository.ts). */
export interface ApiAuditEntry {
  /** The key's name. */
  actor: string;
  /** e.g. 'POST /api/v1/runs' (the route, not the concrete URL). */
  action: string;
  entity: 'api-request';
  /** The concrete path, e.g. /api/v1/models/load/versions/3/promote. */
  entityId: string;
  details: { keyId: string; role: string; method: string; route: string; params: unknown; query: unknown; status: number; requestId: string };
}

export type AuditSink = (entry: ApiAuditEntry) => Promise<void>;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating /api/v1 request that reached its handler is written to the audit log with its
 * response status, before the response leaves: a client that got an answer can find the entry. A
 * request refused earlier (401, 403, 429, a body that failed validation) changed nothing and is
 * not audited. A failed audit write is logged; it does not turn a done change into an error.
 */
export function auditMutations(app: FastifyInstance, sink: AuditSink): void {
  const reached = new WeakSet<FastifyRequest>();
  // The handler itself marks the request: route-level hooks (the rate limit's) run after app-level
  // ones, so only the handler knows that every check before it passed.
  app.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method);
    if (!route.url.startsWith('/api/v1/') || !methods.some((m) => MUTATING.has(m))) return;
    const handler = route.handler as (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) => unknown;
    route.handler = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      if (req.principal) reached.add(req);
      return handler.call(this, req, reply);
    } as RouteHandlerMethod;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!reached.has(req) || !req.principal) return payload;
    reached.delete(req);
    const route = req.routeOptions.url!;
    try {
      await sink({
        actor: req.principal.name,
        action: `${req.method} ${route}`,
        entity: 'api-request',
        entityId: req.url.split('?')[0],
        details: {
          keyId: req.principal.keyId, role: req.principal.role, method: req.method, route,
          params: req.params ?? {}, query: req.query ?? {}, status: reply.statusCode, requestId: req.id,
        },
      });
    } catch (err) {
      req.log.error({ err }, 'audit log write failed');
    }
    return payload;
  });
}
