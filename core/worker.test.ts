import { describe, expect, it } from 'vitest';
import { runWorker } from './worker.ts';

const square = new URL('./__fixtures__/square.worker.ts', import.meta.url);

describe('runWorker', () => {
  it('returns the worker answer', async () => {
    expect(await runWorker<number>(square, 7, 20_000)).toBe(49);
  });
  it('carries the worker error code', async () => {
    await expect(runWorker(square, -1, 20_000)).rejects.toMatchObject({ code: 'NEGATIVE' });
  });
  it('terminates a hung worker at the timeout', async () => {
    await expect(runWorker(square, 'hang', 1_500)).rejects.toMatchObject({ code: 'WORKER_TIMEOUT' });
  });
  it('terminates a worker when its signal aborts (a shutdown does not wait for it)', async () => {
    const stop = new AbortController();
    const answer = runWorker(square, 'hang', 600_000, stop.signal);
    stop.abort();
    await expect(answer).rejects.toMatchObject({ code: 'WORKER_ABORTED' });
    await expect(runWorker(square, 7, 20_000, stop.signal)).rejects.toMatchObject({ code: 'WORKER_ABORTED' });
  });
});
