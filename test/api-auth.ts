import type { Db } from '../store/db.ts';
import type { Role } from '../api/auth/roles.ts';
import { apiKeyService } from '../bin/lib/app-deps.ts';

const keys = new WeakMap<Db, Map<Role, Promise<Record<string, string>>>>();

/**
 * Headers that authenticate a request as `role` on an app built over `db`: a real key created in
 * `db` with the real repository, once per database and role.
 */
export function authAs(db: Db, role: Role): Promise<Record<string, string>> {
  let byRole = keys.get(db);
  if (!byRole) keys.set(db, (byRole = new Map()));
  let headers = byRole.get(role);
  if (!headers) {
    headers = apiKeyService(db)
      .create({ name: `test-${role}`, role })
      .then(({ key }) => ({ authorization: `Bearer ${key}` }));
    byRole.set(role, headers);
  }
  return headers;
}
