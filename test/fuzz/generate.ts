import { seededRandom } from '../../core/random.ts';

/**
 * Bad requests generated from the app's OpenAPI document: for each mutating operation a valid
 * request is built from its schemas (with real values for fields the schema cannot know, such as
 * a stored series id), then one mutation of a class is applied. Seeded: the same seed gives the
 * same requests, so a failure is reproduced by its seed and index.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = {
  type?: string | string[];
  enum?: Json[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  default?: Json;
  description?: string;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** A mutating operation of the OpenAPI document. */
export interface Operation {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path, e.g. /api/v1/models/{name}/versions/{version}/promote. */
  path: string;
  role: string;
  parameters: Parameter[];
  /** The JSON body's schema; absent when the operation takes no body. */
  body?: Schema;
  /** The body's media types (application/json, text/csv). */
  consumes: string[];
}

export const MUTATION_CLASSES = [
  'wrong-type', 'missing-required', 'extra-field', 'huge', 'deep-nesting', 'bad-encoding', 'content-type', 'malformed-json', 'csv-garbage',
  'injection', 'numeric-extreme', 'bad-date', 'bad-auth', 'bad-path', 'bad-query',
] as const;
export type MutationClass = (typeof MUTATION_CLASSES)[number];

export type Auth = 'ok' | 'none' | 'malformed' | 'unknown-key' | 'weak-role';

/** One generated request, ready for app.inject (the body is raw bytes: the generator controls every byte). */
export interface FuzzRequest {
  cls: MutationClass;
  /** What was mutated, for the report of a failure. */
  what: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  auth: Auth;
  payload?: string | Buffer;
  /** The client address (requests with unknown keys come from a few addresses, so the per-address lockout hits only those). */
  remoteAddress?: string;
}

/** The mutating operations of an OpenAPI 3.1 document (every POST/PUT/PATCH/DELETE). */
export function mutatingOperations(doc: unknown): Operation[] {
  const d = doc as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(d.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const m = method.toUpperCase();
      if (m !== 'POST' && m !== 'PUT' && m !== 'PATCH' && m !== 'DELETE') continue;
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content ?? {};
      out.push({
        method: m,
        path,
        role: String(op['x-role'] ?? 'viewer'),
        parameters: ((op.parameters as Parameter[] | undefined) ?? []).map((p) => ({ ...p, required: p.required === true })),
        ...(content['application/json'] ? { body: content['application/json'].schema } : {}),
        consumes: Object.keys(content),
      });
    }
  }
  return out;
}

// ---- valid values -------------------------------------------------------------------------------

const T0 = Date.parse('2025-01-19T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Fields whose valid values the schema cannot tell (ids of stored things, times, units). */
const BY_NAME: Record<string, Json> = {
  series_id: 'feeder.a', station_id: 'ws.a', from_node: 'feeder.a', to_node: 'feeder.b', unit: 'MW', variable: 'temperature',
  ts: iso(T0), interval_start: iso(T0), interval_end: iso(T0 + 3_600_000), start: iso(T0 + 86_400_000), end: iso(T0 + 2 * 86_400_000),
  issued_at: iso(T0 - 3_600_000), received_at: iso(T0), asOf: iso(T0), value: 42.5, share: 0.5, interval_sec: 3600, p10: 40, p90: 45, sd: 2,
  source: 'fuzz', ref: 'SO-1', reason: 'fuzz', comment: 'seen', name: 'fuzz-key', root: 'grid', status: 'provisional', series: ['feeder.a'],
};

const OPTIONAL_USED = ['ts'];
const TIME_FIELDS = new Set(['ts', 'interval_start', 'interval_end', 'start', 'end', 'issued_at', 'received_at', 'asOf']);

/** A valid value of `schema` (the first branch of a union that is not the CSV text). */
export function example(schema: Schema, name?: string): Json {
  if (schema.anyOf || schema.oneOf) {
    const branches = (schema.anyOf ?? schema.oneOf)!;
    const pick = branches.find((b) => b.type === 'array' || b.type === 'object') ?? branches[0];
    return example(pick, name);
  }
  if (schema.enum) return name === 'status' && schema.enum.includes('planned') ? 'planned' : schema.enum[0];
  if (name !== undefined && name in BY_NAME) return BY_NAME[name];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const o: Record<string, Json> = {};
      for (const k of schema.required ?? []) o[k] = example(schema.properties?.[k] ?? {}, k);
      // Optional fields a valid request needs in practice (a schedule's interval).
      for (const k of OPTIONAL_USED) if (schema.properties?.[k] && !(k in o)) o[k] = example(schema.properties[k], k);
      return o;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => example(schema.items ?? {}));
    case 'string':
      return 'fuzz';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'fuzz';
  }
}

// ---- hostile values -----------------------------------------------------------------------------

export const INJECTIONS = [
  "' OR '1'='1", "'; DROP TABLE series; --", "1; SELECT pg_sleep(5)--", "\\'; DELETE FROM measurements; --", '$$; DROP TABLE audit_log; $$',
  '../../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd', '/dev/zero', 'C:\\Windows\\win.ini', 'file:///etc/passwd', '\\\\server\\share',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '\u0000', 'a\u0000b', '\r\nX-Injected: 1', '\u001b[31mred', '\u202eevil', '\uffff', '\ud800', '\udfff\ud800', '\u0085\u2028\u2029',
  '%s%s%s%n', '${jndi:ldap://x/a}', '{{7*7}}', '<script>alert(1)</script>', '=cmd|\' /C calc\'!A0', '😀'.repeat(50), 'null', 'undefined', 'NaN', '',
  ' ', '\t', 'ﬀ', 'İ', 'ß'.repeat(300),
];

const NUMBER_TEXTS = ['1e309', '-1e309', '1e308', '-0', '0', '-1', '9007199254740993', '1e20', '123456789012345678901234567890', '5e-324', '1e-400', '2147483648', '-2147483649', '1.5'];
const NUMBER_STRINGS = ['NaN', 'Infinity', '-Infinity', '1e309', '0x10', '1_000', ' 1', '1,5', '--1', '+1', '1e', '.', '٣'];
export const BAD_DATES = [
  '2025-02-30T00:00:00Z', '2025-13-01T00:00:00Z', '2025-01-01', '2025-01-01T00:00:00', '0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z', '+275760-09-13T00:00:00.001Z', '9999-12-31T23:59:59Z', '1970-01-01T00:00:00Z', '1900-01-01T00:00:00Z',
  '2025-01-01T24:00:00Z', '2025-01-01T00:00:60Z', '2025-01-01T00:00:00+25:00', '2025-03-30T02:30:00+01:00', 'yesterday', '', '1e10',
  '2025-W01', '2025-03-30T02:30:00 Europe/Paris', '2025-01-01T00:00:00.123456789Z', '20250101T000000Z', '2025-01-01T00:00:00z',
];
const BAD_PATH = ['%00', '%ff', '%E0%A4%A', '..%2f..%2fetc', '%2e%2e', ' ', '%20', 'a%2Fb', '1;DROP', '-1', '0', '1.5', '1e3', 'NaN', '0x1', '2147483648', '99999999999999999999', '9007199254740993', '%F0%9F%98%80', '%C0%AF', '__proto__', 'constructor'];

/** encodeURIComponent, with a lone surrogate sent as the (invalid) UTF-8 bytes of its code unit. */
const enc = (s: string) =>
  s.replace(/[\ud800-\udfff]/gu, (c) => `\u0001${c.charCodeAt(0).toString(16)}\u0001`).split('\u0001').map((part, i) => (i % 2 ? `%ED%${(0xa0 + ((parseInt(part, 16) >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 + (parseInt(part, 16) & 0x3f)).toString(16).toUpperCase()}` : encodeURIComponent(part))).join('');

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Every place in a JSON value, as a path of keys and indexes (the root is []). */
function places(v: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => places(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) places(x, [...at, k], out);
  return out;
}
const getAt = (v: Json, at: Array<string | number>): Json => at.reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], v);
/** A copy of `v` with the value at `at` replaced by the raw JSON text `raw` (so 1e309, duplicate or __proto__ keys survive). */
function setRaw(v: Json, at: Array<string | number>, raw: string): string {
  if (at.length === 0) return raw;
  const MARK = '"\u0001MARK\u0001"';
  const copy = structuredClone(v);
  const parent = getAt(copy, at.slice(0, -1)) as Record<string | number, Json>;
  parent[at[at.length - 1]] = '\u0001MARK\u0001';
  return JSON.stringify(copy).replace(MARK, () => raw);
}
/** The places holding a scalar; the root when there is none (an empty object). */
function leaves(v: Json): Array<Array<string | number>> {
  const found = places(v).filter((p) => { const x = getAt(v, p); return x === null || typeof x !== 'object'; });
  return found.length > 0 ? found : [[]];
}
const keyOf = (at: Array<string | number>) => [...at].reverse().find((k) => typeof k === 'string');

function toCsv(rows: Json): string {
  const list = (Array.isArray(rows) ? rows : [rows]) as Array<Record<string, Json>>;
  const cols = Object.keys(list[0] ?? {});
  const cell = (x: Json) => (typeof x === 'string' && /[",\n]/.test(x) ? `"${x.replaceAll('"', '""')}"` : String(x));
  return [cols.join(','), ...list.map((row) => cols.map((c) => cell(row[c])).join(','))].join('\n') + '\n';
}

/** Limits the generator stays near (bodies just over them, and some far over). */
export interface Limits {
  /** The body limit of `op` in bytes. */
  bodyLimit: (op: Operation) => number;
}

/**
 * The generator of one operation: `next()` gives its i-th bad request. `pathValue` names a stored
 * entity for each path parameter so the unmutated parts of a request are valid.
 */
export function requestGenerator(op: Operation, opts: { seed: number; pathValue: (path: string, param: string) => string; limits: Limits }) {
  const r = seededRandom(opts.seed);
  const base = op.body ? example(op.body) : undefined;
  const csv = op.consumes.includes('text/csv');
  const limit = opts.limits.bodyLimit(op);
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const query = op.parameters.filter((p) => p.in === 'query');
  const classes = MUTATION_CLASSES.filter((c) => (op.body ? true : !['wrong-type', 'missing-required', 'extra-field', 'deep-nesting', 'bad-date', 'malformed-json'].includes(c)));

  const url = (overrides: Record<string, string> = {}, qs = '') => {
    const p = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => overrides[name] ?? enc(opts.pathValue(op.path, name)));
    return qs ? `${p}?${qs}` : p;
  };
  const json = (payload: string | Buffer, what: string, cls: MutationClass, extra: Partial<FuzzRequest> = {}): FuzzRequest => ({
    cls, what, method: op.method, url: url(), headers: { 'content-type': 'application/json' }, auth: 'ok', payload, ...extra,
  });
  const baseText = base === undefined ? undefined : JSON.stringify(base);

  function mutate(cls: MutationClass): FuzzRequest {
    switch (cls) {
      case 'wrong-type': {
        const at = pick(r, places(base!));
        const raw = pick(r, ['123', '-1', 'true', 'false', 'null', '"str"', '[]', '{}', '[1,2]', '{"a":1}', '[[]]', '[{}]', '0.5']);
        return json(setRaw(base!, at, raw), `${JSON.stringify(at)} := ${raw}`, cls);
      }
      case 'missing-required': {
        const objects = places(base!).filter((p) => { const x = getAt(base!, p); return x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length > 0; });
        if (objects.length === 0 || r() < 0.2) {
          const raw = pick(r, ['{}', '[]', '[{}]', 'null', '']);
          return json(raw, `body := ${raw || '(empty)'}`, cls);
        }
        const at = pick(r, objects);
        const copy = structuredClone(base!);
        const obj = getAt(copy, at) as Record<string, Json>;
        const key = pick(r, Object.keys(obj));
        delete obj[key];
        return json(JSON.stringify(copy), `drop ${JSON.stringify([...at, key])}`, cls);
      }
      case 'extra-field': {
        const objects = places(base!).filter((p) => { const x = getAt(base!, p); return x !== null && typeof x === 'object' && !Array.isArray(x); });
        const name = pick(r, ['__proto__', 'constructor', 'prototype', 'extra', 'toString', 'hasOwnProperty', '$where', '', 'valueOf', 'SERIES_ID', 'series_id ']);
        const value = pick(r, ['{"polluted":true}', '{"prototype":{"polluted":true}}', '1', '"x"', 'null', '[]', 'true']);
        if (objects.length === 0) return json(`{${JSON.stringify(name)}:${value}}`, `body := {${name}}`, cls);
        const at = pick(r, objects);
        const inner = JSON.stringify(getAt(base!, at));
        const withExtra = inner === '{}' ? `{${JSON.stringify(name)}:${value}}` : `{${JSON.stringify(name)}:${value},${inner.slice(1)}`;
        return json(setRaw(base!, at, withExtra), `${JSON.stringify(at)}.${name} := ${value}`, cls);
      }
      case 'huge': {
        // Under, just over and far over the route's limit; the declared length alone for the far ones.
        const size = pick(r, [1_000, 50_000, Math.min(limit - 1_000, 500_000), limit + 1, limit * 4]);
        // Past a few MB only the declared length is over the limit: the server must refuse on it alone.
        if (size > 2_000_000) {
          return json(baseText ?? '{}', `content-length: ${size} declared`, cls, { headers: { 'content-type': 'application/json', 'content-length': String(size) } });
        }
        if (base !== undefined && r() < 0.5 && Array.isArray(base)) {
          const item = JSON.stringify(base[0]);
          const n = Math.max(1, Math.floor(size / (item.length + 1)));
          return json(`[${Array(n).fill(item).join(',')}]`, `${n} rows`, cls);
        }
        const at = base === undefined ? [] : pick(r, leaves(base));
        const s = JSON.stringify(pick(r, ['a', 'é', '\u0000', '😀', ' ']).repeat(Math.max(1, Math.floor(size / 2))));
        if (base === undefined) return json(s, `body := string of ${size}`, cls);
        if (r() < 0.3) {
          const arr = `[${Array(Math.max(1, Math.floor(size / 4))).fill('1').join(',')}]`;
          return json(setRaw(base, at, arr), `${JSON.stringify(at)} := array of ${Math.floor(size / 4)}`, cls);
        }
        return json(setRaw(base, at, s), `${JSON.stringify(at)} := string of ~${size}`, cls);
      }
      case 'deep-nesting': {
        const depth = pick(r, [100, 1_000, 10_000, 100_000]);
        const nested = r() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        const at = pick(r, places(base!));
        return json(setRaw(base!, at, nested), `${JSON.stringify(at)} := depth ${depth}`, cls);
      }
      case 'bad-encoding': {
        const text = baseText ?? '{}';
        const variant = int(r, 0, 6);
        const bad = [Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80])];
        const insideString = () => {
          const i = text.indexOf('"', text.indexOf(':')) + 1;
          return Buffer.concat([Buffer.from(text.slice(0, i)), pick(r, bad), Buffer.from(text.slice(i))]);
        };
        const bodies: Array<[string, Buffer, string]> = [
          ['invalid UTF-8 in a string', insideString(), 'application/json'],
          ['UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'application/json'],
          ['UTF-16LE body', Buffer.from(`\ufeff${text}`, 'utf16le'), 'application/json; charset=utf-16'],
          ['latin1 charset', Buffer.from(text.replace('fuzz', 'fuzzé'), 'latin1'), 'application/json; charset=iso-8859-1'],
          ['NUL bytes', Buffer.concat([Buffer.from(text), Buffer.from([0, 0, 0])]), 'application/json'],
          ['raw bytes', Buffer.from(Array.from({ length: int(r, 1, 512) }, () => int(r, 0, 255))), 'application/json'],
          ['charset=utf-7', Buffer.from(text), 'application/json; charset=utf-7'],
        ];
        const [what, payload, type] = bodies[variant];
        return json(payload, what, cls, { headers: { 'content-type': type } });
      }
      case 'content-type': {
        const type = pick(r, [
          '', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/jsonx', 'application/json;;;',
          'text/csv', 'application/problem+json', '*/*', 'application', 'application/json; charset=', 'APPLICATION/JSON', 'text/csv; charset=utf-16', 'application/octet-stream',
        ]);
        const body = pick(r, [baseText ?? '', base === undefined ? 'a,b\n1,2\n' : toCsv(base), 'name=x&role=admin', '<a/>']);
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        return json(body, `content-type ${JSON.stringify(type)}`, cls, { headers });
      }
      case 'malformed-json': {
        const t = baseText!;
        const raw = pick(r, [
          t.slice(0, int(r, 0, t.length - 1)), `${t.slice(0, -1)},${t.slice(-1)}`, t.replaceAll('"', "'"), `${t}${t}`, `${t} garbage`, `/* c */${t}`,
          'NaN', 'Infinity', 'undefined', '{"a":}', '[,]', '{"a" 1}', '"unterminated', '\u0000', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}',
          t.replace(/:/, '::'), '{}}', '[[[', ' ', '\n',
        ]);
        return json(raw, `malformed ${JSON.stringify(raw.slice(0, 40))}`, cls);
      }
      case 'csv-garbage': {
        const good = base === undefined ? 'a\n1\n' : toCsv(base);
        const [header, ...rows] = good.split('\n');
        const garbage = pick(r, [
          ['wrong header', `nope,${header}\n${rows.join('\n')}`],
          ['header only', `${header}\n`],
          ['empty', ''],
          ['missing column', good.replace(/,[^,\n]*\n/, '\n')],
          ['extra columns', good.replace(/\n/g, ',x,y\n')],
          ['unbalanced quote', good.replace(/\n(.)/, '\n"$1')],
          ['NUL bytes', good.replace(/,/, ',\u0000')],
          ['one long line', `${header}\n${'x'.repeat(Math.min(limit + 10, 1_000_000))}\n`],
          ['many columns', `${header}${',c'.repeat(20_000)}\n${rows.join('\n')}`],
          ['BOM and CR', `\ufeff${good.replace(/\n/g, '\r')}`],
          ['semicolons', good.replace(/,/g, ';')],
          ['formula injection', good.replace(/fuzz/, '=cmd|\' /C calc\'!A0')],
          ['gzip magic', '\u001f\u008b\u0008garbage'],
          ['binary', Array.from({ length: 200 }, () => String.fromCharCode(int(r, 0, 255))).join('')],
          ['5k rows of garbage', `${header}\n${Array.from({ length: 5_000 }, (_, i) => `${i},??,${i}`).join('\n')}\n`],
          ['quoted newline', good.replace(/fuzz/, '"fu\nzz"')],
        ] as const);
        return { ...json(garbage[1], `csv: ${garbage[0]}`, cls), headers: { 'content-type': csv ? 'text/csv' : pick(r, ['text/csv', 'application/json']) } };
      }
      case 'injection': {
        const value = pick(r, INJECTIONS);
        const where = int(r, 0, 3);
        if (where === 0 && pathParams.length > 0) {
          const p = pick(r, pathParams);
          return { ...json(baseText ?? '', `path ${p.name} := ${JSON.stringify(value)}`, cls), url: url({ [p.name]: enc(value) }), ...(base === undefined && { payload: undefined, headers: {} }) };
        }
        if (where === 1 && query.length > 0) {
          const q = pick(r, query);
          return { ...json(baseText ?? '', `query ${q.name} := ${JSON.stringify(value)}`, cls), url: url({}, `${q.name}=${enc(value)}`) };
        }
        if (where === 2 && op.parameters.some((p) => p.in === 'header')) {
          // Header values cannot hold CR, LF or NUL; the rest goes as sent.
          const v = value.replace(/[\r\n\u0000]/g, '') || 'x';
          return json(baseText ?? '', `idempotency-key := ${JSON.stringify(v)}`, cls, { headers: { 'content-type': 'application/json', 'idempotency-key': Buffer.from(v, 'utf8').toString('latin1') } });
        }
        if (base === undefined) return { ...json('', `path := ${JSON.stringify(value)}`, cls), url: url(Object.fromEntries(pathParams.map((p) => [p.name, enc(value)]))), payload: undefined, headers: {} };
        const strings = leaves(base).filter((p) => typeof getAt(base, p) === 'string');
        const at = strings.length > 0 ? pick(r, strings) : pick(r, leaves(base));
        return json(setRaw(base, at, JSON.stringify(value)), `${JSON.stringify(at)} := ${JSON.stringify(value)}`, cls);
      }
      case 'numeric-extreme': {
        if ((base === undefined || r() < 0.3) && pathParams.length > 0) {
          const p = pick(r, pathParams);
          const v = pick(r, [...NUMBER_TEXTS, ...NUMBER_STRINGS].map(enc));
          return { ...json(baseText ?? '', `path ${p.name} := ${v}`, cls), url: url({ [p.name]: v }), ...(base === undefined && { payload: undefined, headers: {} }) };
        }
        if (base === undefined) return { ...json('', 'no body', cls), payload: undefined, headers: {} };
        const at = pick(r, leaves(base));
        const raw = r() < 0.6 ? pick(r, NUMBER_TEXTS) : JSON.stringify(pick(r, NUMBER_STRINGS));
        return json(setRaw(base, at, raw), `${JSON.stringify(at)} := ${raw}`, cls);
      }
      case 'bad-date': {
        const times = leaves(base!).filter((p) => TIME_FIELDS.has(String(keyOf(p))));
        const at = times.length > 0 ? pick(r, times) : pick(r, leaves(base!));
        const v = r() < 0.9 ? JSON.stringify(pick(r, BAD_DATES)) : pick(r, ['1735689600', '1735689600000', 'null', '[]']);
        return json(setRaw(base!, at, v), `${JSON.stringify(at)} := ${v}`, cls);
      }
      case 'bad-auth': {
        const auth = pick(r, ['none', 'malformed', 'unknown-key', 'weak-role'] as const);
        return { ...json(baseText ?? '', `auth ${auth}`, cls, { auth, remoteAddress: `10.0.0.${int(r, 1, 4)}` }), ...(base === undefined && { payload: undefined, headers: {} }) };
      }
      case 'bad-path': {
        if (pathParams.length === 0) return { ...json(baseText ?? '', 'trailing path', cls), url: `${url()}${pick(r, ['/', '/x', '%00', '/..', '//', '?a=%ff', '#x'])}` };
        const p = pick(r, pathParams);
        const v = r() < 0.1 ? 'x'.repeat(int(r, 1_000, 20_000)) : pick(r, BAD_PATH);
        return { ...json(baseText ?? '', `path ${p.name} := ${v.slice(0, 40)}`, cls), url: url({ [p.name]: v }), ...(base === undefined && { payload: undefined, headers: {} }) };
      }
      case 'bad-query': {
        const q = pick(r, [
          'onConflict=garbage', 'onConflict=revise&onConflict=reject', 'onConflict[]=revise', 'onConflict=', 'onConflict=%ff', `x=${'y'.repeat(5_000)}`,
          '__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'a=1&a=2&a=3', '%zz=1', '&&&=&&', 'onConflict=REVISE',
        ]);
        return { ...json(baseText ?? '', `query ${q.slice(0, 40)}`, cls), url: url({}, q), ...(base === undefined && { payload: undefined, headers: {} }) };
      }
    }
  }

  return {
    op,
    next(): FuzzRequest {
      return mutate(pick(r, classes));
    },
  };
}
