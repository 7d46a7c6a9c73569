import { threadId } from 'node:worker_threads';
import { servePool } from '../worker-pool.ts';

// Test pool worker: squares a number (with the thread that did it), hangs on 'hang', throws on negatives.
await servePool((x: number | 'hang') => {
  if (x === 'hang') for (;;);
  if (x < 0) throw Object.assign(new Error('negative input'), { code: 'NEGATIVE' });
  return { square: x * x, threadId };
});
