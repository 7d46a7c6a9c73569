import { GridcastError } from '../core/errors.ts';
import type { Queryable } from './db.ts';

/** An API key as stored, without its hash: what `apikey list` and the API show. */
export interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A key with the scrypt hash and salt of its secret (hex), for verification only. */
export interface ApiKeySecretRow extends ApiKeyRow {
  salt: string;
  hash: string;
}

interface DbRow {
  id: string;
  name: string;
  role: string;
  salt: string;
  hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const fromDb = (r: DbRow): ApiKeySecretRow => ({
  id: r.id,
  name: r.name,
  role: r.role,
  salt: r.salt,
  hash: r.hash,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const withoutSecret = ({ salt: _s, hash: _h, ...row }: ApiKeySecretRow): ApiKeyRow => row;

const UNIQUE_VIOLATION = '23505';

/** The API key table behind api/auth/api-key.service.ts. */
export const apiKeysRepository = (q: Queryable) => ({
  async insert(k: { id: string; name: string; role: string; salt: string; hash: string }): Promise<ApiKeyRow> {
    try {
      const { rows } = await q.query<DbRow>(
        'INSERT INTO api_keys (id, name, role, salt, hash) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [k.id, k.name, k.role, k.salt, k.hash],
      );
      return withoutSecret(fromDb(rows[0]));
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new GridcastError('APIKEY_NAME_TAKEN', `An active API key is already named '${k.name}'; choose another name or revoke that key first.`, { name: k.name });
      }
      throw e;
    }
  },

  async byId(id: string): Promise<ApiKeySecretRow | null> {
    const { rows } = await q.query<DbRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
    return rows[0] ? fromDb(rows[0]) : null;
  },

  /** Every key, oldest first, revoked ones included. */
  async list(): Promise<ApiKeyRow[]> {
    const { rows } = await q.query<DbRow>('SELECT * FROM api_keys ORDER BY created_at, id');
    return rows.map((r) => withoutSecret(fromDb(r)));
  },

  /** Revokes the active key with this id or name; null when there is none. */
  async revoke(idOrName: string, at: Date): Promise<ApiKeyRow | null> {
    const { rows } = await q.query<DbRow>(
      // An id matches before a name, so a name that happens to equal another key's id revokes one key.
      `UPDATE api_keys SET revoked_at = $2 WHERE id = (
         SELECT id FROM api_keys WHERE revoked_at IS NULL AND (id = $1 OR name = $1) ORDER BY (id = $1) DESC LIMIT 1)
       RETURNING *`,
      [idOrName, at],
    );
    return rows[0] ? withoutSecret(fromDb(rows[0])) : null;
  },

  async touch(id: string, at: Date): Promise<void> {
    await q.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, at]);
  },

  async countActive(role: string): Promise<number> {
    const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE role = $1 AND revoked_at IS NULL', [role]);
    return rows[0].n;
  },
});
