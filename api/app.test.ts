import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg, openPglite, type Db } from '../store/db.ts';
import { backends } from '../test/db.ts';
import { testApp } from '../test/api-app.ts';
import { HealthResponse } from './routes/health.ts';
import { ApiKeyService } from './auth/api-key.service.ts';
import { fakeApiKeyRepository } from '../test/fake-api-keys.ts';

// /health and unknown paths need no key: a service over an empty in-memory repository is enough here.
const noKeys = { apiKeys: new ApiKeyService(fakeApiKeyRepository()), audit: async () => {} };

describe.each(backends)('GET /health (%s)', (kind) => {
  let db: Db;
  // /health only needs the store to answer: an unmigrated connection keeps this test quick.
  beforeAll(async () => {
    db = kind === 'pg' ? await openPg(process.env.TEST_DATABASE_URL!, 1) : await openPglite();
  });
  afterAll(async () => {
    await db.close().catch(() => {});
  });

  const app = (lastIngestAt: Date | null) =>
    testApp({
      ...noKeys,
      health: {
        dbKind: db.kind,
        pingDb: async () => {
          await db.query('SELECT 1');
        },
        lastIngestAt: () => lastIngestAt,
        sources: () => [{ name: 'mqtt', committedPoints: 12 }],
      },
    });

  it('reports the store, the last ingest and the sources', async () => {
    const a = await app(new Date('2026-03-01T10:00:00Z'));
    const res = await a.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    const body = HealthResponse.parse(res.json());
    expect(body).toMatchObject({ status: 'ok', db: { kind, ok: true }, lastIngestAt: '2026-03-01T10:00:00.000Z', sources: [{ name: 'mqtt', committedPoints: 12 }] });
    await a.close();
  });

  it('logs /health polls at debug and other requests at info', async () => {
    const lines: Array<{ level: number; msg: string; url?: string; req?: { url: string } }> = [];
    const stream = { write: (l: string) => void lines.push(JSON.parse(l)) };
    const at = async (level: string) => {
      lines.length = 0;
      const a = await testApp({ ...noKeys, logger: { level, stream }, health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] } });
      await a.inject({ method: 'GET', url: '/health' });
      await a.inject({ method: 'GET', url: '/elsewhere' });
      await a.close();
      return lines.filter((l) => /request/.test(l.msg)).map((l) => [l.level, l.msg, l.url ?? l.req?.url ?? '']);
    };
    expect(await at('info')).toEqual([
      [30, 'incoming request', '/elsewhere'],
      [30, 'request completed', ''],
    ]);
    expect(await at('debug')).toEqual([
      [20, 'incoming request', '/health'],
      [20, 'request completed', ''],
      [30, 'incoming request', '/elsewhere'],
      [30, 'request completed', ''],
    ]);
  });

  it('hides the details of unexpected errors behind one 500', async () => {
    const a = await app(null);
    a.get('/boom', { config: { public: true } }, async () => {
      throw new Error('secret internals');
    });
    const res = await a.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toEqual({ type: '/docs#problem-INTERNAL', title: 'Internal Server Error', status: 500, detail: 'Internal error; see the server log.', code: 'INTERNAL', instance: '/boom' });
    expect(res.body).not.toContain('secret');
    await a.close();
  });

  // Last: it closes the store.
  it('answers 503 with the reason when the store does not answer', async () => {
    const a = await app(null);
    await db.close();
    const res = await a.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'degraded', db: { kind, ok: false, error: expect.any(String) }, lastIngestAt: null });
    await a.close();
  });
});
