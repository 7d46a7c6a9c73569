import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiKeyService } from '../auth/api-key.service.ts';
import { fakeApiKeyRepository } from '../../test/fake-api-keys.ts';
import { testApp } from '../../test/api-app.ts';

// The dashboard's files and GET /api/v1/session, on an app without a store (in-memory keys).
describe('the dashboard routes', () => {
  let app: FastifyInstance;
  let viewer: string;
  beforeAll(async () => {
    const keys = new ApiKeyService(fakeApiKeyRepository());
    viewer = (await keys.create({ name: 'wall-screen', role: 'viewer' })).key;
    app = await testApp({ apiKeys: keys, audit: async () => {}, health: { dbKind: 'pglite', pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] } });
  });
  afterAll(() => app?.close());

  it('serves the page at / with a CSP that allows this server only, and its modules and uPlot without a key', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'/);
    expect(page.body).not.toMatch(/https?:\/\//);
    for (const src of [...page.body.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1])) {
      const res = await app.inject({ method: 'GET', url: src });
      expect(res.statusCode, src).toBe(200);
    }
    const main = await app.inject({ method: 'GET', url: '/ui/src/main.js' });
    expect(main.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await app.inject({ method: 'GET', url: '/ui/src/main.js', headers: { 'if-none-match': String(main.headers.etag) } })).statusCode).toBe(304);
    // Every module the page imports is served (a missing file would break the page silently).
    const imports = new Set<string>();
    const follow = async (url: string) => {
      if (imports.has(url)) return;
      imports.add(url);
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      // JSDoc type imports (in comments) are for tsc, not the browser.
      const code = res.body.replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of code.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) await follow(new URL(m[1], `http://x${url}`).pathname);
    };
    await follow('/ui/src/main.js');
    expect(imports.has('/ui/vendor/uPlot.esm.js')).toBe(true);
    expect(imports.size).toBeGreaterThan(10);
    expect((await app.inject({ method: 'GET', url: '/ui/src/api-types.ts' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/ui/../package.json' })).statusCode).toBe(404);
  });

  it('tells a key its role at GET /api/v1/session, and needs one', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${viewer}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ keyId: expect.stringMatching(/^[0-9a-f]{12}$/), name: 'wall-screen', role: 'viewer' });
  });
});
