import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { GridcastError } from './errors.ts';

const TSX_API = import.meta.resolve('tsx/esm/api');

/**
 * Runs a worker module (a .ts file that answers one `workerData` message with one
 * postMessage) and resolves with its answer. The worker is terminated on timeout, or when
 * `signal` aborts (WORKER_ABORTED: a shutdown does not wait for a long fit), so a hung
 * synchronous library (the arima wasm, a long training) can never block the caller.
 * TypeScript workers get tsx's loader, since gridcast runs from source.
 */
export function runWorker<T>(moduleUrl: URL, data: unknown, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  const path = fileURLToPath(moduleUrl);
  return new Promise<T>((resolve, reject) => {
    const worker = path.endsWith('.ts')
      ? // Node 20 does not apply loader hooks to a worker's entry module, so a JS bootstrap registers tsx first.
        new Worker(
          `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); })`,
          { eval: true, workerData: data },
        )
      : new Worker(path, { workerData: data });
    let settled = false;
    const onAbort = () => finish(() => reject(new GridcastError('WORKER_ABORTED', `${path}: cancelled`)));
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(
      () => finish(() => reject(new GridcastError('WORKER_TIMEOUT', `${path} did not answer within ${timeoutMs} ms`))),
      timeoutMs,
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (msg: { ok: boolean; value?: T; error?: { code?: string; message: string } }) =>
      finish(() =>
        msg.ok ? resolve(msg.value as T) : reject(new GridcastError(msg.error?.code ?? 'WORKER_FAILED', msg.error?.message ?? 'worker failed')),
      ),
    );
    worker.once('error', (e) => finish(() => reject(new GridcastError('WORKER_FAILED', `${path}: ${e.message}`))));
    worker.once('exit', (code) =>
      finish(() => reject(new GridcastError('WORKER_FAILED', `${path} exited with code ${code} before answering`))),
    );
  });
}

/** Inside a worker module: answer the parent with fn(workerData), or with the error. */
export async function serveWorker<I, O>(fn: (input: I) => O | Promise<O>): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  try {
    parentPort!.postMessage({ ok: true, value: await fn(workerData as I) });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort!.postMessage({ ok: false, error: { code: err.code, message: err.message ?? String(e) } });
  }
}
