import type { FastifyInstance } from 'fastify';

/** Listens on host:port (port 0 picks a free one) and returns the address actually bound. */
export async function listen(app: FastifyInstance, opts: { host: string; port: number }): Promise<{ url: string; port: number }> {
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { url: `http://${opts.host}:${port}`, port };
}
