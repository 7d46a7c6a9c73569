import { serveWorker } from '../../core/worker.ts';
import { train } from './train.ts';

void serveWorker(train);
