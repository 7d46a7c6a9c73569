import type { FastifyInstance } from 'fastify';
import type { Db } from '../../store/db.ts';
import { countChanges, tableRowCounts } from '../../store/table-counts.repository.ts';
import { requestGenerator, type Auth, type FuzzRequest, type Limits, type MutationClass, type Operation } from './generate.ts';

/** A request that broke a rule, with what reproduces it (seed, endpoint, index). */
export interface Failure {
  rule: '5xx' | 'not-problem' | 'rows-changed' | 'prototype-polluted';
  index: number;
  cls: MutationClass;
  what: string;
  url: string;
  status: number;
  detail: string;
}

export interface EndpointReport {
  endpoint: string;
  requests: number;
  ok: number;
  /** 4xx answers by problem code. */
  rejected: Map<string, number>;
  serverErrors: number;
  /** Rejected requests after which a table other than the audit log had another row count. */
  rowChanges: number;
  /** Requests by mutation class. */
  byClass: Map<MutationClass, number>;
  /** Milliseconds spent by mutation class (request and checks). */
  msByClass: Map<MutationClass, number>;
  failures: Failure[];
}

/**
 * Counts the requests that passed every check before their handler (auth, validation, limits): only
 * those can have written anything. Call on the app before it is ready.
 */
export function trackHandlers(app: FastifyInstance): { reached: () => number } {
  let n = 0;
  app.addHook('preHandler', async () => {
    n++;
  });
  return { reached: () => n };
}

export interface FuzzOptions {
  app: Pick<FastifyInstance, 'inject'>;
  /** trackHandlers of the app. */
  handlers: { reached: () => number };
  db: Db;
  operations: Operation[];
  perEndpoint: number;
  seed: number;
  /** Authorization headers of a key of `role`. */
  keyOf: (role: string) => Record<string, string>;
  pathValue: (path: string, param: string) => string;
  limits: Limits;
  /** Called after each endpoint (progress). */
  onEndpoint?: (r: EndpointReport) => void;
  /** Called every 1,000 requests of an endpoint (progress). */
  onProgress?: (r: EndpointReport) => void;
}

const hash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);
const MAX_FAILURES_KEPT = 20;
const CHECK_EVERY = 25;

function authHeaders(auth: Auth, role: string, keyOf: FuzzOptions['keyOf']): Record<string, string> {
  switch (auth) {
    case 'ok':
      return keyOf(role);
    case 'none':
      return {};
    case 'malformed':
      return { authorization: 'Basic dXNlcjpwYXNz' };
    case 'unknown-key':
      return { authorization: `Bearer gck_0123456789ab_${'x'.repeat(43)}` };
    case 'weak-role':
      return role === 'viewer' ? {} : keyOf('viewer');
  }
}

/**
 * Sends `perEndpoint` generated bad requests to every operation and checks each answer: never a
 * 5xx; every 4xx a problem+json with a code and its status; after a 4xx every table has the row
 * count it had before (the audit log may gain the entry of a request that reached its handler);
 * Object.prototype never gains a property. A 2xx (a mutation that stayed valid) is counted, and the
 * row counts are read again after it.
 */
export async function fuzzEndpoints(o: FuzzOptions): Promise<EndpointReport[]> {
  const reports: EndpointReport[] = [];
  for (const op of o.operations) {
    const endpoint = `${op.method} ${op.path}`;
    const gen = requestGenerator(op, { seed: o.seed ^ hash(endpoint), pathValue: o.pathValue, limits: o.limits });
    const rep: EndpointReport = { endpoint, requests: 0, ok: 0, rejected: new Map(), serverErrors: 0, rowChanges: 0, byClass: new Map(), msByClass: new Map(), failures: [] };
    const fail = (f: Failure) => {
      if (rep.failures.length < MAX_FAILURES_KEPT) rep.failures.push(f);
    };
    let before = await tableRowCounts(o.db);
    let handled = o.handlers.reached();
    let unreached = 0;
    for (let i = 0; i < o.perEndpoint; i++) {
      const started = performance.now();
      const req: FuzzRequest = gen.next();
      rep.requests++;
      rep.byClass.set(req.cls, (rep.byClass.get(req.cls) ?? 0) + 1);
      const res = await o.app.inject({
        method: req.method as 'POST',
        url: req.url,
        headers: { ...req.headers, ...authHeaders(req.auth, op.role, o.keyOf) },
        ...(req.payload !== undefined && { payload: req.payload }),
        ...(req.remoteAddress && { remoteAddress: req.remoteAddress }),
      });
      const at = { index: i, cls: req.cls, what: req.what, url: req.url.slice(0, 200), status: res.statusCode };
      const status = res.statusCode;
      if (status >= 500) {
        rep.serverErrors++;
        fail({ rule: '5xx', ...at, detail: res.body.slice(0, 300) });
      } else if (status >= 400) {
        let code: unknown;
        try {
          const body = JSON.parse(res.body) as { code?: unknown; status?: unknown };
          code = body.status === status ? body.code : undefined;
        } catch {
          code = undefined;
        }
        if (!String(res.headers['content-type'] ?? '').startsWith('application/problem+json') || typeof code !== 'string') {
          fail({ rule: 'not-problem', ...at, detail: `${res.headers['content-type']}: ${res.body.slice(0, 200)}` });
          code = `(not problem+json ${status})`;
        }
        rep.rejected.set(code as string, (rep.rejected.get(code as string) ?? 0) + 1);
      } else {
        rep.ok++;
      }
      // Counting every table takes longer than most requests: the counts are read after each request
      // that reached its handler, and after every CHECK_EVERY-th other one (which must change nothing at all).
      const reached = o.handlers.reached() > handled;
      handled = o.handlers.reached();
      if (reached || ++unreached % CHECK_EVERY === 0) {
        const after = await tableRowCounts(o.db);
        if (status >= 400) {
          const { audit_log: audited = 0, ...changed } = countChanges(before, after);
          if (Object.keys(changed).length > 0 || audited > (reached ? 1 : 0) || audited < 0) {
            rep.rowChanges++;
            fail({ rule: 'rows-changed', ...at, detail: JSON.stringify({ ...changed, audit_log: audited }) });
          }
        }
        before = after;
      }
      if (Object.getOwnPropertyNames(Object.prototype).includes('polluted') || ({} as Record<string, unknown>).polluted !== undefined) {
        fail({ rule: 'prototype-polluted', ...at, detail: 'Object.prototype.polluted is set' });
        delete (Object.prototype as Record<string, unknown>).polluted;
      }
      rep.msByClass.set(req.cls, (rep.msByClass.get(req.cls) ?? 0) + performance.now() - started);
      if (rep.requests % 1000 === 0) o.onProgress?.(rep);
    }
    reports.push(rep);
    o.onEndpoint?.(rep);
  }
  return reports;
}

/** The reports as one markdown table: an endpoint a row, its 4xx answers by code. */
export function reportTable(reports: EndpointReport[]): string {
  const lines = ['| endpoint | requests | 2xx | 4xx by code | 5xx | row-count changes after a 4xx |', '|---|---:|---:|---|---:|---:|'];
  for (const r of reports) {
    const codes = [...r.rejected].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
    lines.push(`| ${r.endpoint} | ${r.requests} | ${r.ok} | ${codes} | ${r.serverErrors} | ${r.rowChanges} |`);
  }
  return lines.join('\n');
}
