import { createServer } from 'node:net';
import { GridcastError } from '../../core/errors.ts';

/**
 * Binds host:port for a moment and lets it go, so `gridcast start` on a busy port stops before it
 * opens, migrates or backfills the store: PORT_IN_USE (another process listens there),
 * PORT_NOT_PERMITTED (a privileged port) or HOST_NOT_AVAILABLE (no such local address).
 * Port 0 (any free port) needs no check.
 */
export function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      const where = { host, port };
      if (e.code === 'EADDRINUSE') {
        reject(new GridcastError('PORT_IN_USE', `port ${port} on ${host} is in use; stop the other process or set PORT=... (or port in the config file) to a free port`, where));
      } else if (e.code === 'EACCES') {
        reject(new GridcastError('PORT_NOT_PERMITTED', `port ${port} on ${host} needs privileges this process does not have; set PORT=... to a port above 1023`, where));
      } else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
        reject(new GridcastError('HOST_NOT_AVAILABLE', `cannot listen on ${host}: it is not an address of this machine; set HOST=... (127.0.0.1, or 0.0.0.0 for every interface)`, where));
      } else reject(e);
    });
    // exclusive: a port held by another process is refused even where cluster workers could share it.
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
