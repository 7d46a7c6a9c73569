import { describe, expect, it } from 'vitest';
import { workerPool } from './worker-pool.ts';

const square = new URL('./__fixtures__/square.pool-worker.ts', import.meta.url);
type Answer = { square: number; threadId: number };

describe('workerPool', () => {
  it('answers successive requests from one worker, and errors with their code without losing it', async () => {
    const pool = workerPool(square);
    const a = await pool.run<Answer>(3, 20_000);
    await expect(pool.run(-1, 20_000)).rejects.toMatchObject({ code: 'NEGATIVE' });
    const b = await pool.run<Answer>(4, 20_000);
    expect([a.square, b.square]).toEqual([9, 16]);
    expect(b.threadId).toBe(a.threadId);
    await pool.close();
  });

  it('gives concurrent requests workers of their own', async () => {
    const pool = workerPool(square);
    const [a, b] = await Promise.all([pool.run<Answer>(2, 20_000), pool.run<Answer>(5, 20_000)]);
    expect([a.square, b.square]).toEqual([4, 25]);
    expect(a.threadId).not.toBe(b.threadId);
    await pool.close();
  });

  it('terminates a worker that misses its timeout; the next request gets a fresh one', async () => {
    const pool = workerPool(square);
    const first = await pool.run<Answer>(1, 20_000);
    await expect(pool.run('hang', 1_500)).rejects.toMatchObject({ code: 'WORKER_TIMEOUT' });
    const next = await pool.run<Answer>(6, 20_000);
    expect(next.square).toBe(36);
    expect(next.threadId).not.toBe(first.threadId);
    await pool.close();
  });
});
