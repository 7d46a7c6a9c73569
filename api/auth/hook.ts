import type { FastifyInstance } from 'fastify';
import { GridcastError } from '../../core/errors.ts';
import type { ApiKeyService } from './api-key.service.ts';
import { covers } from './roles.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Every route needs `Authorization: Bearer KEY` of a role that covers the route's `config.role`
 * (viewer when unset), unless the route is `config.public`. Answers 401 with `WWW-Authenticate:
 * Bearer` for a missing, unknown or revoked key and 403 for a key whose role is too weak; sets
 * `request.principal` otherwise. Unknown paths reach the 404 handler without a key: a 404 tells
 * nothing a client could not read in the public /docs.
 */
export function authenticate(app: FastifyInstance, keys: ApiKeyService): void {
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    if (req.is404 || config.public) return;
    const header = req.headers.authorization;
    const presented = header ? BEARER.exec(header)?.[1] : undefined;
    const principal = presented ? await keys.verify(presented) : null;
    if (!principal) {
      reply.header('WWW-Authenticate', header ? 'Bearer realm="gridcast", error="invalid_token"' : 'Bearer realm="gridcast"');
      throw header
        ? new GridcastError('UNAUTHENTICATED', 'The API key is not valid (unknown, mistyped or revoked); send Authorization: Bearer KEY with an active key.')
        : new GridcastError('UNAUTHENTICATED', "This route needs an API key: send Authorization: Bearer KEY (create one with 'gridcast apikey create').");
    }
    req.principal = principal;
    const needed = config.role ?? 'viewer';
    if (!covers(principal.role, needed)) {
      throw new GridcastError('FORBIDDEN', `The key '${principal.name}' has the role ${principal.role}; ${req.method} ${req.routeOptions.url} needs ${needed} or a role that covers it.`, {
        role: principal.role, needed,
      });
    }
  });
}
