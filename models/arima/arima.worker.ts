import { serveWorker } from '../../core/worker.ts';
import { fitWasmBatch } from './wasm-fit.ts';

void serveWorker(fitWasmBatch);
