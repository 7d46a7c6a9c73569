import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GridcastError } from '../../core/errors.ts';
import type { LstmParams } from './params.ts';

export type Tf = typeof import('@tensorflow/tfjs');

/** Native TensorFlow bindings, used when the operator installed one; never a dependency. */
const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * Loads tfjs on the fastest backend available (inside the training worker only). The wasm
 * binaries are read from the installed package, since npm may skip the package's install scripts
 * and no CDN is reachable from a grid operator's network.
 */
export async function loadTf(kind: LstmParams['backend']): Promise<{ tf: Tf; backend: string }> {
  const tf = await import('@tensorflow/tfjs');
  if (kind === 'auto') {
    for (const name of NATIVE) {
      try {
        await import(name);
        if (await tf.setBackend('tensorflow')) return { tf, backend: `tensorflow (${name})` };
      } catch {
        // not installed: the next candidate is tried
      }
    }
  }
  if (kind !== 'cpu') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      wasm.setWasmPaths(`${dir}/`);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: 'wasm' };
      }
    } catch (e) {
      if (kind === 'wasm') throw new GridcastError('LSTM_BACKEND', `the tfjs wasm backend did not load (${(e as Error).message}); reinstall @tensorflow/tfjs-backend-wasm or use backend 'cpu'`);
    }
    if (kind === 'wasm') throw new GridcastError('LSTM_BACKEND', "the tfjs wasm backend did not initialise; reinstall @tensorflow/tfjs-backend-wasm or use backend 'cpu'");
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}
