import { serveWorker } from '../../core/worker.ts';
import { fitWasmCandidates } from './wasm-fit.ts';

void serveWorker(fitWasmCandidates);
