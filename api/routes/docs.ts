import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { problemCodes, titleOf } from '../problem.ts';

const file = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');

// The problem codes are written into the page, so `/docs#problem-CODE` (every problem's `type`) works without a key.
const page = () =>
  file('index.html').replace(
    '<!--PROBLEMS-->',
    problemCodes()
      .map(({ code, status }) => `<tr id="problem-${code}"><td><code>${code}</code></td><td>${status} ${titleOf(status)}</td></tr>`)
      .join('\n'),
  );

/**
 * GET /docs: the API described for people. Public: the page holds no data; it reads the OpenAPI
 * document with the key the reader types in. Hidden from the OpenAPI document (it is not an API).
 */
export const docsRoutes: FastifyPluginAsync = async (app) => {
  const html = page();
  const js = file('docs.js');
  const css = file('docs.css');
  const opts = { config: { public: true }, schema: { hide: true } } as const;
  app.get('/docs', opts, async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
  app.get('/docs/docs.js', opts, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(js));
  app.get('/docs/docs.css', opts, async (_req, reply) => reply.type('text/css; charset=utf-8').send(css));
};
