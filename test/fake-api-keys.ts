import { GridcastError } from '../core/errors.ts';
import type { ApiKeyRepository } from '../api/auth/api-key.service.ts';

type Row = Awaited<ReturnType<ApiKeyRepository['insert']>> & { salt: string; hash: string };

/** An in-memory ApiKeyRepository for unit tests, with the store's rules (active names unique). */
export function fakeApiKeyRepository(): ApiKeyRepository & { rows: Row[] } {
  const rows: Row[] = [];
  const pub = ({ salt: _s, hash: _h, ...r }: Row) => ({ ...r });
  return {
    rows,
    async insert(k) {
      if (rows.some((r) => r.name === k.name && !r.revokedAt)) throw new GridcastError('APIKEY_NAME_TAKEN', `name ${k.name} taken`);
      const row: Row = { ...k, createdAt: new Date(), lastUsedAt: null, revokedAt: null };
      rows.push(row);
      return pub(row);
    },
    async byId(id) {
      const r = rows.find((x) => x.id === id);
      return r ? { ...r } : null;
    },
    async list() {
      return rows.map(pub);
    },
    async revoke(idOrName, at) {
      const r = rows.find((x) => !x.revokedAt && x.id === idOrName) ?? rows.find((x) => !x.revokedAt && x.name === idOrName);
      if (!r) return null;
      r.revokedAt = at;
      return pub(r);
    },
    async touch(id, at) {
      const r = rows.find((x) => x.id === id);
      if (r) r.lastUsedAt = at;
    },
    async countActive(role) {
      return rows.filter((r) => r.role === role && !r.revokedAt).length;
    },
  };
}
