import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { freshDb } from '../../test/db.ts';
import { authAs } from '../../test/api-auth.ts';
import { storeAppDeps } from '../../bin/lib/app-deps.ts';
import type { Db } from '../../store/db.ts';
import { testApp } from '../../test/api-app.ts';

/** The few DOM calls docs.js makes, recorded as a tree whose text can be read back. */
class Node {
  children: Array<Node | string> = [];
  attrs: Record<string, string> = {};
  textContent = '';
  className = '';
  value = '';
  listeners: Record<string, (e: { preventDefault(): void }) => void> = {};
  setAttribute(k: string, v: string) { this.attrs[k] = v; }
  append(...c: Array<Node | string>) { this.children.push(...c); }
  replaceChildren(...c: Array<Node | string>) { this.children = c; }
  addEventListener(type: string, f: (e: { preventDefault(): void }) => void) { this.listeners[type] = f; }
  scrollIntoView() {}
  text(): string { return [this.textContent, ...this.children.map((c) => (typeof c === 'string' ? c : c.text()))].join(' '); }
  ids(): string[] { return [this.attrs.id ?? '', ...this.children.flatMap((c) => (typeof c === 'string' ? [] : c.ids()))].filter(Boolean); }
}

// No browser on the test machines: the page's script runs in a VM against the real app.
describe('the /docs page script', () => {
  let db: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await freshDb('pglite');
    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] } });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  async function page(storedKey?: string) {
    const nodes: Record<string, Node> = {};
    const storage: Record<string, string> = storedKey ? { 'gridcast.apiKey': storedKey } : {};
    const requests: Array<Record<string, string>> = [];
    const answered: Array<Promise<unknown>> = [];
    const script = (await app.inject({ url: '/docs/docs.js' })).body;
    vm.runInNewContext(script, {
      document: { getElementById: (id: string) => (nodes[id] ??= new Node()), createElement: () => new Node() },
      sessionStorage: { getItem: (k: string) => storage[k] ?? null, setItem: (k: string, v: string) => (storage[k] = v), removeItem: (k: string) => delete storage[k] },
      location: { hash: '' },
      fetch: async (url: string, init: { headers: Record<string, string> }) => {
        requests.push(init.headers);
        const res = app.inject({ url, headers: init.headers });
        answered.push(res);
        return res.then((r) => ({ ok: r.statusCode < 300, status: r.statusCode, statusText: '', json: async () => r.json() }));
      },
    });
    // The script renders a few awaits after its fetch answers; a macrotask later it is done.
    await Promise.all(answered);
    await new Promise((r) => setTimeout(r, 20));
    return { nodes, storage, requests };
  }

  it('asks for a key, then renders every operation of the document with its role and schemas', async () => {
    const empty = await page();
    expect(empty.nodes.status.textContent).toMatch(/^Give an API key/);
    expect(empty.requests).toEqual([]);

    const { authorization } = await authAs(db, 'viewer');
    const { nodes, requests } = await page(authorization.slice('Bearer '.length));
    expect(requests).toEqual([{ authorization }]);
    expect(nodes.status.textContent).toBe('');
    expect(nodes.version.textContent).toMatch(/OpenAPI 3\.1\.0$/);
    const text = nodes.paths.text();
    for (const op of ['GET /metrics', 'GET /api/v1/openapi.json', 'POST /api/v1/apikeys', 'DELETE /api/v1/apikeys/{key}']) {
      expect(nodes.toc.text()).toContain(op);
    }
    expect(text).toContain('role admin');
    expect(text).toContain('"enum": [\n        "viewer",');
    // Referenced components are shown inline, not as a bare $ref.
    expect(text).toContain('"revokedAt"');
    expect(nodes.paths.ids()).toContain('op-delete-/api/v1/apikeys/{key}');
  });

  it('says why when the key is refused', async () => {
    const { nodes } = await page('gck_000000000000_' + 'A'.repeat(43));
    expect(nodes.status.textContent).toMatch(/^401: The API key is not valid/);
    expect(nodes.status.className).toBe('error');
  });
});
