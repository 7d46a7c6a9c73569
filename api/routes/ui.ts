import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
// Everything the page loads comes from this server: no CDN, no inline script. uPlot sets element
// styles through the CSSOM, which style-src does not restrict; canvases export as blob: for the CSV/PNG downloads.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const asset = (file: string): Asset => {
  const body = readFileSync(file);
  const ext = file.slice(file.lastIndexOf('.'));
  return { body, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
};

/** The dashboard's files: ui/index.html, ui/style.css and the ES modules under ui/src (no tests, no screenshots), by URL path. */
export function uiAssets(dir = UI_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.js') || name.endsWith('.css') || name.endsWith('.svg')) out.set(`/ui/${relative(dir, p).split(sep).join('/')}`, asset(p));
    }
  };
  walk(join(dir, 'src'));
  out.set('/ui/style.css', asset(join(dir, 'style.css')));
  // uPlot comes from node_modules (an npm dependency), served as it was installed: no build step.
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
  out.set('/ui/vendor/uPlot.esm.js', asset(join(uplot, 'uPlot.esm.js')));
  out.set('/ui/vendor/uPlot.min.css', asset(join(uplot, 'uPlot.min.css')));
  out.set('/', asset(join(dir, 'index.html')));
  return out;
}

/**
 * The operator dashboard (ui/): static files, public like /docs because they hold no data — the
 * page reads everything through /api/v1 with the key the user types in. Read once at start; each
 * answer carries an ETag so a browser revalidates instead of downloading again. Hidden from the
 * OpenAPI document (they are not an API).
 */
export const uiRoutes = (assets = uiAssets()): FastifyPluginAsync =>
  async function ui(app) {
    const opts = { config: { public: true }, schema: { hide: true } } as const;
    const send = (a: Asset) => async (req: FastifyRequest, reply: FastifyReply) => {
      reply.header('ETag', a.etag).header('Cache-Control', 'no-cache').header('X-Content-Type-Options', 'nosniff');
      if (a.type.startsWith('text/html')) reply.header('Content-Security-Policy', CSP).header('Referrer-Policy', 'no-referrer');
      if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
      return reply.type(a.type).send(a.body);
    };
    for (const [path, a] of assets) app.get(path, opts, send(a));
    app.get('/ui', opts, async (_req, reply) => reply.redirect('/'));
    app.get('/ui/', opts, async (_req, reply) => reply.redirect('/'));
  };
