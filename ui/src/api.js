// @ts-check
// The dashboard's only way to the server: /api/v1 over HTTP with the key the user typed in. The key
// lives in this tab's sessionStorage (shared with the /docs page), is sent as a Bearer header and
// never put in a URL.

export const KEY_STORAGE = 'gridcast.apiKey';

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {unknown} [details] */
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const getKey = () => sessionStorage.getItem(KEY_STORAGE);
/** @param {string} key */
export const setKey = (key) => sessionStorage.setItem(KEY_STORAGE, key);
export const clearKey = () => sessionStorage.removeItem(KEY_STORAGE);

/** @param {string} path @param {Record<string, string | number | boolean | undefined | null>} [params] */
export function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `/api/v1${path}${s ? `?${s}` : ''}`;
}

/**
 * @param {string} method @param {string} path @param {Record<string, any>} [params] @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function call(method, path, params, body) {
  const key = getKey();
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url(path, params), { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }), cache: 'no-store' });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new ApiError(res.status, json?.code ?? 'HTTP_' + res.status, json?.detail ?? res.statusText, json?.details);
    // A key refused by the server (revoked meanwhile): back to the login.
    if (res.status === 401) window.dispatchEvent(new CustomEvent('gridcast:unauthenticated', { detail: err }));
    throw err;
  }
  return json;
}

/** @param {string} path @param {Record<string, any>} [params] */
export const get = (path, params) => call('GET', path, params);
/** @param {string} path @param {unknown} body */
export const post = (path, body) => call('POST', path, undefined, body);

/**
 * Every page of a cursor-paged list, concatenated.
 * @param {string} path @param {Record<string, any>} params @param {string} field the array in each page
 * @param {number} [maxPages]
 */
export async function getAll(path, params, field, maxPages = 100) {
  /** @type {any[]} */
  const out = [];
  let cursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await get(path, { ...params, ...(cursor && { cursor }) });
    out.push(...page[field]);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/** The value of a promise, or `fallback` when the API answers with one of `codes` (e.g. no run yet). @template T @param {Promise<T>} p @param {string[]} codes @param {T} fallback */
export async function unless(p, codes, fallback) {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && codes.includes(e.code)) return fallback;
    throw e;
  }
}
