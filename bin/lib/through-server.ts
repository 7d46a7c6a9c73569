import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config.ts';
import { GridcastError, isGridcastError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { openStore } from '../../store/open.ts';
import { storeOwner } from '../../store/store-lock.ts';
import { adminKeyPath } from './bootstrap-key.ts';

/**
 * Read commands over a running server. An embedded store takes one process at a time, so while
 * `gridcast start` holds it, `query`, `forecast show` and `models` read through its REST API: the
 * server records its URL in the store's lock file once it listens, and the command authenticates
 * with GRIDCAST_API_KEY or else the store's admin.key (whoever reads the data dir owns the store
 * anyway). Both paths end in the same formatting code, so they print the same bytes.
 */

export type Query = Record<string, string | number | undefined>;

export interface ServerApi {
  readonly url: string;
  /** GET /api/v1{path}: the JSON body, or the problem answered, thrown as the GridcastError it was. */
  get<T>(path: string, query?: Query): Promise<T>;
}

/** Where a client on this host reaches a server listening on `host`: a wildcard address is reached on loopback. */
export function loopbackUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * Runs a read on the store, or, when the embedded store is held by a running server, through the
 * server's API (saying so on stderr). Anything else that stops the store from opening is thrown as is.
 */
export async function readStoreOrServer<T>(
  config: Config,
  viaStore: (db: Db) => Promise<T>,
  viaServer: (api: ServerApi) => Promise<T>,
  note: (text: string) => void = (t) => process.stderr.write(t),
): Promise<T> {
  let db: Db;
  try {
    db = await openStore(config);
  } catch (e) {
    if (config.databaseUrl || !isGridcastError(e) || e.code !== 'STORE_LOCKED') throw e;
    const api = serverApi(config, e);
    note(`gridcast: note: the store is held by a running gridcast: read through its API at ${api.url}\n`);
    return viaServer(api);
  }
  try {
    return await viaStore(db);
  } finally {
    await db.close();
  }
}

/** The API of the server holding the store, or `locked` with what to do when there is none to use. */
function serverApi(config: Config, locked: GridcastError): ServerApi {
  const owner = storeOwner(config.dataDir);
  const cannot = (why: string) =>
    new GridcastError('STORE_LOCKED', `${locked.message} ${why}`, { ...locked.details, ...(owner?.url ? { url: owner.url } : {}) });
  if (!owner?.url) throw cannot('That process serves no API to read through (gridcast start does, once it listens).');
  const key = config.apiKey ? { key: config.apiKey, from: 'the environment (GRIDCAST_API_KEY)' } : adminKey(config.dataDir);
  if (!key) {
    throw cannot(
      `The server at ${owner.url} can answer this command, but no API key is at hand: set GRIDCAST_API_KEY to a key with the viewer role (gridcast apikey create), or make ${adminKeyPath(config.dataDir)} readable by this user.`,
    );
  }
  return httpApi(owner.url, key);
}

function adminKey(dataDir: string): { key: string; from: string } | null {
  const path = adminKeyPath(dataDir);
  try {
    const key = readFileSync(path, 'utf8').trim();
    return key ? { key, from: path } : null;
  } catch {
    return null;
  }
}

interface Problem {
  code?: string;
  detail?: string;
  status?: number;
}

function httpApi(url: string, key: { key: string; from: string }): ServerApi {
  return {
    url,
    async get<T>(path: string, query: Query = {}): Promise<T> {
      const target = new URL(`/api/v1${path}`, url);
      for (const [k, v] of Object.entries(query)) if (v !== undefined) target.searchParams.set(k, String(v));
      let res: Response;
      try {
        res = await fetch(target, { headers: { authorization: `Bearer ${key.key}`, accept: 'application/json' } });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new GridcastError('STORE_LOCKED', `The store is held by a gridcast server at ${url}, which does not answer (${cause?.code ?? cause?.message ?? (e as Error).message}). Run this command again once it is up, or stopped.`, { url });
      }
      const body: unknown = await res.json().catch(() => null);
      if (res.ok) return body as T;
      const p = (body ?? {}) as Problem;
      const auth = res.status === 401 || res.status === 403 ? ` (API key from ${key.from})` : '';
      throw new GridcastError(p.code ?? `HTTP_${res.status}`, `${p.detail ?? res.statusText}${auth}`, { url: target.href, status: res.status });
    },
  };
}
