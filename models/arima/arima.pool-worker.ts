import { servePool } from '../../core/worker-pool.ts';
import { fitWasmBatch } from './wasm-fit.ts';

void servePool(fitWasmBatch);
