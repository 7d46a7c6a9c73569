import { describe, expect, it } from 'vitest';
import { ApiKeyService, nodeKeyCrypto, VERIFIED_KEY_TTL_MS, type KeyCrypto } from './api-key.service.ts';
import { fakeApiKeyRepository } from '../../test/fake-api-keys.ts';

/** Real randomness and comparison, a fast stand-in for scrypt that counts its calls, and a settable clock. */
function testCrypto() {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const c = {
    ...nodeKeyCrypto,
    hashes: 0,
    hash: async (secret: string, salt: string) => {
      c.hashes++;
      return Buffer.from(`${salt}:${secret}`).toString('hex');
    },
    now: () => new Date(now),
    advance: (ms: number) => void (now += ms),
  };
  return c satisfies KeyCrypto;
}

const setup = () => {
  const repo = fakeApiKeyRepository();
  const crypto = testCrypto();
  return { repo, crypto, keys: new ApiKeyService(repo, crypto) };
};

describe('ApiKeyService', () => {
  it('returns the key once and stores only a salted hash of its secret', async () => {
    const { repo, keys } = setup();
    const { key, info } = await keys.create({ name: 'scada-gw', role: 'operator' });
    expect(key).toMatch(/^gck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ name: 'scada-gw', role: 'operator', revokedAt: null });
    const [row] = repo.rows;
    const secret = key.split('_').slice(2).join('_');
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.id).toBe(key.slice(4, 16));
    expect(await keys.list()).toEqual([expect.not.objectContaining({ hash: expect.anything() })]);
  });

  it('verifies the right key, refuses a wrong, malformed or unknown one', async () => {
    const { keys } = setup();
    const { key, info } = await keys.create({ name: 'ops', role: 'operator' });
    expect(await keys.verify(key)).toEqual({ keyId: info.id, name: 'ops', role: 'operator' });
    const wrong = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(await keys.verify(wrong)).toBeNull();
    expect(await keys.verify('not-a-key')).toBeNull();
    expect(await keys.verify(`gck_000000000000_${key.slice(-43)}`)).toBeNull();
  });

  it('hashes once per key and minute, and records the use', async () => {
    const { keys, crypto, repo } = setup();
    const { key } = await keys.create({ name: 'ops', role: 'viewer' });
    crypto.hashes = 0;
    await keys.verify(key);
    await keys.verify(key);
    expect(crypto.hashes).toBe(1);
    expect(repo.rows[0].lastUsedAt).toEqual(crypto.now());
    crypto.advance(VERIFIED_KEY_TTL_MS + 1);
    await keys.verify(key);
    expect(crypto.hashes).toBe(2);
  });

  it('refuses a key revoked through this service at once, cached or not', async () => {
    const { keys } = setup();
    const { key, info } = await keys.create({ name: 'ops', role: 'viewer' });
    expect(await keys.verify(key)).not.toBeNull();
    expect(await keys.revoke('ops')).toMatchObject({ id: info.id, revokedAt: expect.any(Date) });
    expect(await keys.verify(key)).toBeNull();
    await expect(keys.revoke(info.id)).rejects.toMatchObject({ code: 'APIKEY_NOT_FOUND' });
  });

  it('accepts a key revoked elsewhere until its cache entry expires', async () => {
    const { keys, repo, crypto } = setup();
    const { key } = await keys.create({ name: 'ops', role: 'viewer' });
    await keys.verify(key);
    repo.rows[0].revokedAt = crypto.now();
    expect(await keys.verify(key)).not.toBeNull();
    crypto.advance(VERIFIED_KEY_TTL_MS + 1);
    expect(await keys.verify(key)).toBeNull();
  });

  it('refuses bad names and roles, and a second active key of one name', async () => {
    const { keys } = setup();
    await expect(keys.create({ name: ' ', role: 'viewer' })).rejects.toMatchObject({ code: 'APIKEY_NAME_INVALID' });
    await expect(keys.create({ name: 'a b', role: 'viewer' })).rejects.toMatchObject({ code: 'APIKEY_NAME_INVALID' });
    await expect(keys.create({ name: 'x', role: 'root' as never })).rejects.toMatchObject({ code: 'APIKEY_ROLE_UNKNOWN' });
    await keys.create({ name: 'x', role: 'viewer' });
    await expect(keys.create({ name: 'x', role: 'admin' })).rejects.toMatchObject({ code: 'APIKEY_NAME_TAKEN' });
    await keys.revoke('x');
    await expect(keys.create({ name: 'x', role: 'admin' })).resolves.toBeDefined();
  });

  it('knows whether an active admin key exists', async () => {
    const { keys } = setup();
    expect(await keys.hasActiveAdmin()).toBe(false);
    await keys.create({ name: 'boss', role: 'admin' });
    expect(await keys.hasActiveAdmin()).toBe(true);
    await keys.revoke('boss');
    expect(await keys.hasActiveAdmin()).toBe(false);
  });

  it('hashes with scrypt: the same secret and salt give the same digest, another salt another one', async () => {
    const salt = nodeKeyCrypto.newSalt();
    const a = await nodeKeyCrypto.hash('s3cret', salt);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(nodeKeyCrypto.equal(a, await nodeKeyCrypto.hash('s3cret', salt))).toBe(true);
    expect(nodeKeyCrypto.equal(a, await nodeKeyCrypto.hash('s3cret', nodeKeyCrypto.newSalt()))).toBe(false);
  });
});
