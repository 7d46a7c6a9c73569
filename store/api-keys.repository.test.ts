import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, freshDb } from '../test/db.ts';
import type { Db } from './db.ts';
import { apiKeysRepository } from './api-keys.repository.ts';
import { ApiKeyService } from '../api/auth/api-key.service.ts';

describe.each(backends)('api keys in the store (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('creates, verifies, lists and revokes a key with the real hash', async () => {
    const keys = new ApiKeyService(apiKeysRepository(db));
    const { key, info } = await keys.create({ name: 'grid-ops', role: 'operator' });
    const { rows } = await db.query<{ hash: string; salt: string }>('SELECT hash, salt FROM api_keys WHERE id = $1', [info.id]);
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].salt).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(rows)).not.toContain(key.slice(17));
    expect(await keys.verify(key)).toEqual({ keyId: info.id, name: 'grid-ops', role: 'operator' });
    const [listed] = (await keys.list()).filter((k) => k.id === info.id);
    expect(listed.lastUsedAt).toBeInstanceOf(Date);
    expect(listed).not.toHaveProperty('hash');
    await expect(keys.create({ name: 'grid-ops', role: 'viewer' })).rejects.toMatchObject({ code: 'APIKEY_NAME_TAKEN' });
    await keys.revoke('grid-ops');
    expect(await keys.verify(key)).toBeNull();
    // A fresh service (another instance) reads the revocation from the store.
    expect(await new ApiKeyService(apiKeysRepository(db)).verify(key)).toBeNull();
    await expect(keys.create({ name: 'grid-ops', role: 'viewer' })).resolves.toBeDefined();
  });

  it('revokes by id before name, one key at a time', async () => {
    const repo = apiKeysRepository(db);
    await repo.insert({ id: 'aaaaaaaaaaaa', name: 'first', role: 'viewer', salt: '00', hash: '00' });
    await repo.insert({ id: 'bbbbbbbbbbbb', name: 'aaaaaaaaaaaa', role: 'viewer', salt: '00', hash: '00' });
    expect((await repo.revoke('aaaaaaaaaaaa', new Date()))?.name).toBe('first');
    expect((await repo.revoke('aaaaaaaaaaaa', new Date()))?.id).toBe('bbbbbbbbbbbb');
    expect(await repo.revoke('aaaaaaaaaaaa', new Date())).toBeNull();
    expect(await repo.countActive('viewer')).toBe(1);
  });
});
