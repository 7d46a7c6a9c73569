import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { GridcastError } from './errors.ts';

const TSX_API = import.meta.resolve('tsx/esm/api');

/**
 * Long-lived workers that answer many requests, for work cheaper than starting a worker (a tsx
 * loader and a wasm compile cost ~0.2 s of CPU; a day's ARIMA order search by CSS ~0.1 s). As
 * runWorker: each request has a timeout, and a worker that misses it is terminated (it may be stuck
 * in synchronous code); the next request starts a fresh one. A worker serves one request at a time,
 * so concurrent requests get workers of their own; at most `maxIdle` stay waiting, unref'd (an idle
 * worker never keeps the process alive).
 */
export interface WorkerPool {
  run<T>(data: unknown, timeoutMs: number): Promise<T>;
  /** Terminates the idle workers (busy ones end with their request). */
  close(): Promise<void>;
}

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: { code?: string; message: string };
}

export function workerPool(moduleUrl: URL, maxIdle = 1): WorkerPool {
  const path = fileURLToPath(moduleUrl);
  const idle: Worker[] = [];
  const start = () =>
    path.endsWith('.ts')
      ? // As runWorker: Node 20 applies no loader hooks to a worker's entry module, so a JS bootstrap registers tsx first.
        new Worker(`import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); })`, { eval: true })
      : new Worker(path);
  return {
    run<T>(data: unknown, timeoutMs: number): Promise<T> {
      const worker = idle.pop() ?? start();
      worker.ref();
      return new Promise<T>((resolve, reject) => {
        let settled = false;
        const finish = (reuse: boolean, fn: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
          if (reuse && idle.length < maxIdle) {
            worker.unref();
            idle.push(worker);
          } else {
            void worker.terminate();
          }
          fn();
        };
        const onMessage = (msg: Reply) =>
          finish(true, () => (msg.ok ? resolve(msg.value as T) : reject(new GridcastError(msg.error?.code ?? 'WORKER_FAILED', msg.error?.message ?? 'worker failed'))));
        const onError = (e: Error) => finish(false, () => reject(new GridcastError('WORKER_FAILED', `${path}: ${e.message}`)));
        const onExit = (code: number) => finish(false, () => reject(new GridcastError('WORKER_FAILED', `${path} exited with code ${code} before answering`)));
        const timer = setTimeout(() => finish(false, () => reject(new GridcastError('WORKER_TIMEOUT', `${path} did not answer within ${timeoutMs} ms`))), timeoutMs);
        worker.on('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.postMessage(data);
      });
    },
    async close() {
      await Promise.all(idle.splice(0).map((w) => w.terminate()));
    },
  };
}

/** Inside a pool's worker module: answer every message with fn(message), or with its error. */
export async function servePool<I, O>(fn: (input: I) => O | Promise<O>): Promise<void> {
  const { parentPort } = await import('node:worker_threads');
  parentPort!.on('message', async (input: I) => {
    try {
      parentPort!.postMessage({ ok: true, value: await fn(input) });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      parentPort!.postMessage({ ok: false, error: { code: err.code, message: err.message ?? String(e) } });
    }
  });
}
