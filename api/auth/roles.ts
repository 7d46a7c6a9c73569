/**
 * Roles of API keys. A role's routes are open to the roles that cover it: admin covers every
 * role; operator and data-scientist each cover viewer.
 */
export const ROLES = ['viewer', 'operator', 'data-scientist', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const COVERS: Record<Role, readonly Role[]> = {
  viewer: ['viewer'],
  operator: ['operator', 'viewer'],
  'data-scientist': ['data-scientist', 'viewer'],
  admin: ROLES,
};

/** Whether a key with role `held` may call a route that needs `needed`. */
export const covers = (held: Role, needed: Role): boolean => COVERS[held].includes(needed);

/** Who called: the API key that authenticated the request. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that is not public. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The least role a key needs for this route (default viewer). */
    role?: Role;
    /** Open without a key (only /health). */
    public?: boolean;
  }
}
