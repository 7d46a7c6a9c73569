import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiKeyService } from '../api/auth/api-key.service.ts';
import { fakeApiKeyRepository } from './fake-api-keys.ts';
import { testApp } from './api-app.ts';
import { Problem } from '../api/problem.ts';
import { GridcastError } from '../core/errors.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every test file of the project, and the test helpers beside them. */
function testSources(dir = ''): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : testSources(path);
    return /\.test\.tsx?$/.test(e.name) || (path.startsWith('test/') && /\.tsx?$/.test(e.name)) ? [path] : [];
  });
}

describe('testApp: every injected answer is checked against the OpenAPI document', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({
      apiKeys: new ApiKeyService(fakeApiKeyRepository()),
      audit: async () => {},
      health: { dbKind: 'pglite', pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] },
    });
    // Test-only public routes whose handlers break what they declare.
    const opts = { config: { public: true as const }, schema: { response: { 200: z.object({ n: z.number() }) } } };
    app.get('/contract/ok', opts, async (_req, reply) => reply.type('application/json').send('{"n":1}'));
    app.get('/contract/raw', opts, async (_req, reply) => reply.type('application/json').send('{"n":"one"}'));
    app.get('/contract/status', { ...opts, schema: { response: { 200: z.object({ n: z.number() }) } as Record<number, unknown> } }, async (_req, reply) => reply.code(202).send({ n: 1 }));
    app.get('/contract/type', opts, async (_req, reply) => reply.type('text/plain').send('1'));
    app.get('/contract/not-json', opts, async (_req, reply) => reply.type('application/json').send('{n:1'));
    const conflict = { config: { public: true as const }, schema: { response: { 409: Problem } } };
    app.get('/contract/bad-problem', conflict, async (_req, reply) => reply.code(409).type('application/problem+json').send('{"detail":"no code"}'));
    app.get('/contract/undeclared-404', conflict, async () => {
      throw new GridcastError('RUN_NOT_FOUND', 'no such run');
    });
    app.get('/contract/empty', { ...opts, schema: { response: { 200: z.object({ n: z.number() }) } as Record<number, unknown> } }, async (_req, reply) => reply.code(204).send());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('passes an answer the document declares, pre-serialized or not', async () => {
    expect((await app.inject({ url: '/contract/ok' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('fails an answer whose body breaks its schema, even sent as a raw string', async () => {
    await expect(app.inject({ url: '/contract/raw' })).rejects.toThrow(/GET \/contract\/raw 200: .*must be number/);
  });

  it('fails an answer with a status the operation does not declare', async () => {
    await expect(app.inject({ url: '/contract/status' })).rejects.toThrow(/GET \/contract\/status documents status 202/);
    await expect(app.inject({ url: '/contract/empty' })).rejects.toThrow(/GET \/contract\/empty documents status 204/);
  });

  it('fails an answer whose content type is not documented, or whose JSON is not JSON', async () => {
    await expect(app.inject({ url: '/contract/type' })).rejects.toThrow(/documents text\/plain \(has application\/json\)/);
    await expect(app.inject({ url: '/contract/not-json' })).rejects.toThrow(/says application\/json but its body is not JSON/);
  });

  it('fails a client error the route does not declare by its number, though the 4XX range documents any', async () => {
    await expect(app.inject({ url: '/contract/undeclared-404' })).rejects.toThrow(/GET \/contract\/undeclared-404 documents status 404/);
  });

  it('fails a problem answer that is not a problem', async () => {
    await expect(app.inject({ url: '/contract/bad-problem' })).rejects.toThrow(/GET \/contract\/bad-problem 409: .*required/);
  });
});

// A test that built the app with buildApp itself would skip the check.
it('every test builds the app through testApp', () => {
  const direct = testSources().filter((f) => f !== 'test/api-app.ts' && /\bbuildApp\s*\(/.test(readFileSync(join(ROOT, f), 'utf8')));
  expect(direct).toEqual([]);
});
