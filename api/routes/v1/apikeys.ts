import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../../auth/roles.ts';
import { KeyName, type ApiKeyInfo, type ApiKeyService } from '../../auth/api-key.service.ts';
import { problemResponses } from '../../openapi.ts';

const ApiKey = z
  .object({
    id: z.string().describe('Public id, the 12 hex digits after gck_ in the key'),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });

const CreatedApiKey = ApiKey.extend({ key: z.string().describe('The key itself: shown only in this answer') }).meta({ id: 'CreatedApiKey' });

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const shown = (k: ApiKeyInfo) => ({ ...k, createdAt: k.createdAt.toISOString(), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) });

/** /api/v1/apikeys: what `gridcast apikey` does, for admins, while a server holds the embedded store. */
export const apiKeyRoutes = (keys: ApiKeyService): FastifyPluginAsyncZod =>
  async function apikeys(app) {
    app.get(
      '/apikeys',
      { config: { role: 'admin' }, schema: { summary: 'List API keys (never their secrets)', tags: ['apikeys'], response: { 200: z.array(ApiKey) } } },
      async () => (await keys.list()).map(shown),
    );
    app.post(
      '/apikeys',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Create an API key; the key is in this answer only',
          tags: ['apikeys'],
          body: z.object({ name: KeyName, role: z.enum(ROLES) }),
          response: { 201: CreatedApiKey, ...problemResponses({ 409: 'An active key has this name (APIKEY_NAME_TAKEN)' }) },
        },
      },
      async (req, reply) => {
        const { key, info } = await keys.create(req.body);
        return reply.code(201).send({ ...shown(info), key });
      },
    );
    app.delete(
      '/apikeys/:key',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Revoke an API key by id or name',
          tags: ['apikeys'],
          params: z.object({ key: z.string().min(1).describe('The id or the name of an active key') }),
          response: { 200: ApiKey, ...problemResponses({ 404: 'No active key has this id or name (APIKEY_NOT_FOUND)' }) },
        },
      },
      async (req) => shown(await keys.revoke(req.params.key)),
    );
  };
