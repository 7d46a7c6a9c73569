import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../../auth/roles.ts';

export const SessionView = z.object({
  keyId: z.string().describe('Public id of the key (the 12 hex digits after gck_)'),
  name: z.string(),
  role: z.enum(ROLES).describe('What the key may do: the dashboard offers only the actions of this role.'),
});
export type SessionView = z.infer<typeof SessionView>;

/** GET /session: who the presented key is, so a client (the dashboard) can show what its role allows. */
export const sessionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/session',
    { config: { role: 'viewer' }, schema: { summary: 'The API key of this request: its name and role', tags: ['apikeys'], response: { 200: SessionView } } },
    async (req) => {
      const p = req.principal!;
      return { keyId: p.keyId, name: p.name, role: p.role };
    },
  );
};
