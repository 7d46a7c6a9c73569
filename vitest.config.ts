import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,store,ingest,models,forecast,monitoring,jobs,api,bin,test}/**/*.test.ts'],
    // Storage and worker-thread tests are I/O and wasm heavy: two forks match the 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
