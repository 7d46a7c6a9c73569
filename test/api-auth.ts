import type { Db } from '../store/db.ts';
import type { Role } from '../api/auth/roles.ts';

/**
 * Headers that authenticate a request as `role` on an app built over `db`.
 * Until API keys exist this is empty; it becomes a real key created in `db`.
 */
export async function authAs(_db: Db, _role: Role): Promise<Record<string, string>> {
  return {};
}
