import type { FastifyInstance } from 'fastify';
import { GridcastError } from '../../core/errors.ts';
import type { ApiKeyService } from './api-key.service.ts';
import { covers } from './roles.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Invalid keys one client IP may present per minute before it is answered 429 without a check. */
export const FAILED_KEYS_PER_MINUTE = 20;
const WINDOW_MS = 60_000;
// Past this many client IPs the oldest windows are dropped, so a flood of addresses cannot grow the map without bound.
const MAX_TRACKED_IPS = 10_000;

/**
 * Counts invalid keys per client IP. Checking a key costs one scrypt (50–100 ms of a CPU), and the
 * per-key rate limit runs only once a key is known, so guessed keys are limited here, before the hash.
 */
function failedAttempts() {
  const now = () => Date.now();
  const byIp = new Map<string, { count: number; resetAt: number }>();
  return {
    blockedFor(ip: string): number {
      const w = byIp.get(ip);
      if (!w || w.resetAt <= now()) return 0;
      return w.count >= FAILED_KEYS_PER_MINUTE ? Math.ceil((w.resetAt - now()) / 1000) : 0;
    },
    add(ip: string): void {
      const w = byIp.get(ip);
      if (w && w.resetAt > now()) w.count++;
      else {
        byIp.delete(ip);
        if (byIp.size >= MAX_TRACKED_IPS) byIp.delete(byIp.keys().next().value!);
        byIp.set(ip, { count: 1, resetAt: now() + WINDOW_MS });
      }
    },
  };
}

/**
 * Every route needs `Authorization: Bearer KEY` of a role that covers the route's `config.role`
 * (viewer when unset), unless the route is `config.public`. Answers 401 with `WWW-Authenticate:
 * Bearer` for a missing, unknown or revoked key and 403 for a key whose role is too weak; sets
 * `request.principal` otherwise. A client IP that presented FAILED_KEYS_PER_MINUTE invalid keys is
 * answered 429 for the rest of the minute, except with a key verified in the last minute.
 * Unknown paths reach the 404 handler without a key: a 404 tells nothing a client could not read
 * in the public /docs.
 */
export function authenticate(app: FastifyInstance, keys: ApiKeyService): void {
  const failures = failedAttempts();
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    if (req.is404 || config.public) return;
    const header = req.headers.authorization;
    const presented = header ? BEARER.exec(header)?.[1] : undefined;
    let principal = presented ? keys.cached(presented) : null;
    if (presented && !principal) {
      const blockedSec = failures.blockedFor(req.ip);
      if (blockedSec > 0) {
        reply.header('Retry-After', String(blockedSec));
        throw new GridcastError('RATE_LIMITED', `Too many requests with invalid API keys from ${req.ip}; retry in ${blockedSec} s.`, { retryAfterSec: blockedSec });
      }
      principal = await keys.verify(presented);
      if (!principal) failures.add(req.ip);
    }
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
