import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ApiKeyService } from '../../api/auth/api-key.service.ts';
import { GridcastError, isGridcastError } from '../../core/errors.ts';
import type { Log } from '../../core/log.ts';

export const BOOTSTRAP_KEY_NAME = 'admin-bootstrap';
export const adminKeyPath = (dataDir: string) => resolve(join(dataDir, 'admin.key'));

/**
 * The first key of a store: while `gridcast start` holds the embedded store, `gridcast apikey
 * create` cannot open it, so a start without any active admin key creates one and writes it to
 * `<dataDir>/admin.key` (mode 0600). The key itself is never logged, only the file's path.
 * Returns the path when a key was written.
 */
export async function ensureAdminKey(keys: ApiKeyService, dataDir: string, log: Log): Promise<string | null> {
  if (await keys.hasActiveAdmin()) return null;
  let key: string;
  try {
    ({ key } = await keys.create({ name: BOOTSTRAP_KEY_NAME, role: 'admin' }));
  } catch (e) {
    // Another instance on the same PostgreSQL made it between our check and our insert: its file holds it.
    if (isGridcastError(e) && e.code === 'APIKEY_NAME_TAKEN') return null;
    throw e;
  }
  const path = adminKeyPath(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (e) {
    // A key nobody can read would stop every later start from making one: take it back.
    await keys.revoke(BOOTSTRAP_KEY_NAME);
    throw new GridcastError(
      'ADMIN_KEY_UNWRITABLE',
      `No admin API key exists and the first one cannot be written to ${path} (${(e as Error).message}). Make ${dataDir} writable, or create an admin key with 'gridcast apikey create --name NAME --role admin' (with gridcast stopped when the store is embedded).`,
      { path },
    );
  }
  log.info({ path }, 'no active admin API key: created one and wrote it to this file (readable by this user only)');
  return path;
}
