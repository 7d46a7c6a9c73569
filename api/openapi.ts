import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem, PROBLEM_CONTENT_TYPE } from './problem.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const problemResponse = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } });

/**
 * Route-specific error answers for a route's `response` schema, e.g.
 * `response: { 200: Run, ...problemResponses({ 404: 'No run has this id (RUN_NOT_FOUND)' }) }`.
 */
export const problemResponses = (byStatus: Record<number, string>) =>
  Object.fromEntries(Object.entries(byStatus).map(([status, description]) => [status, problemResponse(description)]));

/**
 * Adds the problem+json answers every route can give to its schema, so the OpenAPI document lists
 * them without each route repeating them: 400 when it validates input, 413/415 when it takes a
 * body, 401/403 unless public, 429 (rate limit), any other 4xx and 5xx. A route declares the
 * errors of its own (e.g. 404 for an unknown id) and keeps them.
 */
export function documentErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {}) as Record<string, unknown> & { response?: Record<string, unknown> };
    if (schema.hide) return;
    const response = (schema.response ??= {});
    // A bare `404: Problem` is sent and documented as application/problem+json like the rest.
    for (const [status, r] of Object.entries(response)) if (r === Problem) response[status] = problemResponse(`Problem (${status})`);
    const add = (status: string, description: string) => {
      if (!(status in response)) response[status] = problemResponse(description);
    };
    if (schema.querystring || schema.params || schema.body || schema.headers) add('400', 'The request does not match the schema (REQUEST_INVALID)');
    // Fastify reads the body of any POST, PUT, PATCH or DELETE, with or without a body schema.
    if (schema.body || ['POST', 'PUT', 'PATCH', 'DELETE'].some((m) => ([] as string[]).concat(route.method).includes(m))) {
      add('413', 'The body is over the size limit (BODY_TOO_LARGE); nothing is written');
      add('415', 'The body has a content type the route does not take (UNSUPPORTED_MEDIA_TYPE)');
    }
    if (route.config?.public) {
      schema.security = [];
    } else {
      schema['x-role'] = route.config?.role ?? 'viewer';
      add('401', 'No API key, or an unknown or revoked one (UNAUTHENTICATED); the answer carries WWW-Authenticate: Bearer');
      add('403', "The key's role does not cover the route's role (FORBIDDEN)");
    }
    add('429', 'Over the per-key rate limit (RATE_LIMITED); the answer carries Retry-After');
    add('4xx', 'Another client error; the problem code says which (see /docs#problems)');
    add('5xx', 'A server fault; details are in the server log, not in the answer');
  });
}

/** The OpenAPI 3.1 document, generated from the routes' zod schemas (served by openApiRoutes). */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'gridcast API',
        version: VERSION,
        description:
          'Electricity load forecasts, actuals, ingestion and the model registry. Every route except /health needs `Authorization: Bearer KEY`. ' +
          'Errors are RFC 9457 problem+json bodies; their `type` is `/docs#problem-CODE` and /docs lists every code with its status.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: "An API key (gridcast apikey create); the route's role must be covered by the key's role." },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
}

/** GET /api/v1/openapi.json. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/openapi.json',
    {
      config: { role: 'viewer' },
      schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['docs'], response: { 200: z.looseObject({ openapi: z.literal('3.1.0') }) } },
    },
    async () => app.swagger(),
  );
};
