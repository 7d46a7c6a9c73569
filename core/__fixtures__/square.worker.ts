import { serveWorker } from '../worker.ts';

// Test worker: squares a number, hangs on 'hang', throws on negatives.
await serveWorker((x: number | 'hang') => {
  if (x === 'hang') for (;;);
  if (x < 0) throw Object.assign(new Error('negative input'), { code: 'NEGATIVE' });
  return x * x;
});
