import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { GridcastError } from '../../core/errors.ts';
import { ROLES, type Principal, type Role } from './roles.ts';

/** An API key as listed: never its secret. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

type StoredKey = Omit<ApiKeyInfo, 'role'> & { role: string };

/** Where keys are kept (store/api-keys.repository.ts; an in-memory fake in the unit tests). */
export interface ApiKeyRepository {
  insert(k: { id: string; name: string; role: string; salt: string; hash: string }): Promise<StoredKey>;
  byId(id: string): Promise<(StoredKey & { salt: string; hash: string }) | null>;
  list(): Promise<StoredKey[]>;
  revoke(idOrName: string, at: Date): Promise<StoredKey | null>;
  touch(id: string, at: Date): Promise<void>;
  countActive(role: string): Promise<number>;
}

/** Randomness, hashing and time, so the service is tested without waiting on scrypt or the clock. */
export interface KeyCrypto {
  /** Hex; random and public. */
  newId(): string;
  /** URL-safe; random and secret. */
  newSecret(): string;
  newSalt(): string;
  /** Hex digest of the secret with the salt (slow on purpose). */
  hash(secret: string, salt: string): Promise<string>;
  /** Constant-time comparison of two hex digests. */
  equal(a: string, b: string): boolean;
  now(): Date;
}

const SCRYPT_KEYLEN = 32;

export const nodeKeyCrypto: KeyCrypto = {
  newId: () => randomBytes(6).toString('hex'),
  newSecret: () => randomBytes(32).toString('base64url'),
  newSalt: () => randomBytes(16).toString('hex'),
  hash: (secret, salt) =>
    new Promise((resolve, reject) =>
      scrypt(secret, Buffer.from(salt, 'hex'), SCRYPT_KEYLEN, (err, key) => (err ? reject(err) : resolve(key.toString('hex')))),
    ),
  equal: (a, b) => {
    const x = Buffer.from(a, 'hex');
    const y = Buffer.from(b, 'hex');
    return x.length === y.length && timingSafeEqual(x, y);
  },
  now: () => new Date(),
};

export const KeyName = z
  .string()
  .trim()
  .min(1, 'a key name is required')
  .max(100)
  .regex(/^[\w.@-]+$/, 'a key name holds letters, digits and . _ @ - only');

/** `gck_<id>_<secret>`: the id finds the one row to check, so a wrong key costs one scrypt, not one per key. */
const KEY_FORMAT = /^gck_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * How long a verified key is trusted without asking the store again. A key revoked through this
 * process is dropped from the cache at once; another instance (or the CLI on PostgreSQL) revoking
 * it leaves it usable here for at most this long.
 */
export const VERIFIED_KEY_TTL_MS = 60_000;

const asRole = (role: string): Role | null => ((ROLES as readonly string[]).includes(role) ? (role as Role) : null);

const info = (k: StoredKey): ApiKeyInfo => {
  const role = asRole(k.role);
  if (!role) throw new GridcastError('APIKEY_ROLE_UNKNOWN', `API key ${k.id} has the unknown role '${k.role}'.`, { id: k.id });
  return { id: k.id, name: k.name, role, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt };
};

/** Creates, lists, revokes and verifies API keys; secrets are returned once, at creation, and stored hashed. */
export class ApiKeyService {
  // Keyed by the presented key itself: it lives in this process's memory only, like the request that carried it.
  private verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly crypto: KeyCrypto = nodeKeyCrypto,
  ) {}

  /** The new key (`key`, to hand over once) and its listed form. */
  async create(input: { name: string; role: Role }): Promise<{ key: string; info: ApiKeyInfo }> {
    const name = KeyName.safeParse(input.name);
    if (!name.success) throw new GridcastError('APIKEY_NAME_INVALID', `Invalid key name '${input.name}': ${name.error.issues[0].message}.`, { name: input.name });
    if (!asRole(input.role)) throw new GridcastError('APIKEY_ROLE_UNKNOWN', `Unknown role '${input.role}'; the roles are ${ROLES.join(', ')}.`, { role: input.role });
    const id = this.crypto.newId();
    const secret = this.crypto.newSecret();
    const salt = this.crypto.newSalt();
    const stored = await this.repo.insert({ id, name: name.data, role: input.role, salt, hash: await this.crypto.hash(secret, salt) });
    return { key: `gck_${id}_${secret}`, info: info(stored) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.repo.list()).map(info);
  }

  async revoke(idOrName: string): Promise<ApiKeyInfo> {
    const revoked = await this.repo.revoke(idOrName, this.crypto.now());
    if (!revoked) throw new GridcastError('APIKEY_NOT_FOUND', `No active API key has the id or name '${idOrName}' (see 'gridcast apikey list').`, { key: idOrName });
    for (const [k, v] of this.verified) if (v.principal.keyId === revoked.id) this.verified.delete(k);
    return info(revoked);
  }

  /** The principal of a key verified in the last minute, without asking the store or hashing. */
  cached(presented: string): Principal | null {
    const hit = this.verified.get(presented);
    if (hit && hit.until > this.crypto.now().getTime()) return hit.principal;
    this.verified.delete(presented);
    return null;
  }

  /** Who the presented key belongs to; null when it is malformed, unknown, wrong or revoked. */
  async verify(presented: string): Promise<Principal | null> {
    const hit = this.cached(presented);
    if (hit) return hit;
    const now = this.crypto.now().getTime();
    const m = KEY_FORMAT.exec(presented);
    if (!m) return null;
    const row = await this.repo.byId(m[1]);
    if (!row || row.revokedAt) return null;
    if (!this.crypto.equal(await this.crypto.hash(m[2], row.salt), row.hash)) return null;
    const role = asRole(row.role);
    if (!role) return null;
    const principal: Principal = { keyId: row.id, name: row.name, role };
    await this.repo.touch(row.id, new Date(now));
    this.verified.set(presented, { principal, until: now + VERIFIED_KEY_TTL_MS });
    return principal;
  }

  /** Whether some active key can manage keys (`gridcast start` creates one when none can). */
  async hasActiveAdmin(): Promise<boolean> {
    return (await this.repo.countActive('admin')) > 0;
  }
}
