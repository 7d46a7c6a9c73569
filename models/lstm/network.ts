import { GridcastError } from '../../core/errors.ts';
import type { Layout } from './windows.ts';

/**
 * The network: day blocks → LSTM(units) → concat(horizon inputs) → dense(hidden, relu)
 * → concat(horizon inputs) → dense(horizon). The second concat gives the head a linear path
 * from the weekly lag, last-day profile and temperatures, so the recurrent part only has to learn
 * corrections. Weights follow the Keras/tfjs layout (kernel [in, out], LSTM gates i, f, c, o).
 */
export interface Weights {
  lstmKernel: Float64Array;
  lstmRecurrent: Float64Array;
  lstmBias: Float64Array;
  hiddenKernel: Float64Array;
  hiddenBias: Float64Array;
  outKernel: Float64Array;
  outBias: Float64Array;
}

export const WEIGHT_NAMES = ['lstmKernel', 'lstmRecurrent', 'lstmBias', 'hiddenKernel', 'hiddenBias', 'outKernel', 'outBias'] as const;

export interface Sizes {
  units: number;
  hidden: number;
}

export function weightShapes(L: Layout, z: Sizes): Record<keyof Weights, number[]> {
  const u = z.units;
  return {
    lstmKernel: [L.seqFeatures, 4 * u],
    lstmRecurrent: [u, 4 * u],
    lstmBias: [4 * u],
    hiddenKernel: [u + L.staticFeatures, z.hidden],
    hiddenBias: [z.hidden],
    outKernel: [z.hidden + L.staticFeatures, L.horizon],
    outBias: [L.horizon],
  };
}

export function checkWeights(w: Weights, L: Layout, z: Sizes): void {
  const shapes = weightShapes(L, z);
  for (const name of WEIGHT_NAMES) {
    const want = shapes[name].reduce((a, b) => a * b, 1);
    if (!(w[name] instanceof Float64Array) || w[name].length !== want) {
      throw new GridcastError('ARTIFACT_STATE', `lstm weight '${name}' has ${w[name]?.length} values, expected ${want}; the artifact does not match its parameters`, { name });
    }
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Forward pass of one sample in plain JS, so a fitted or reloaded model forecasts without
 * loading tfjs, and an artifact gives the same numbers wherever it is read.
 */
export function forward(w: Weights, L: Layout, z: Sizes, seq: Float32Array, seqOff: number, stat: Float32Array, statOff: number, out: Float64Array): void {
  const u = z.units;
  const F = L.seqFeatures;
  const S = L.staticFeatures;
  const h = new Float64Array(u);
  const c = new Float64Array(u);
  const gates = new Float64Array(4 * u);
  for (let step = 0; step < L.days; step++) {
    const x = seqOff + step * F;
    gates.set(w.lstmBias);
    for (let i = 0; i < F; i++) {
      const xi = seq[x + i];
      if (xi === 0) continue;
      const row = i * 4 * u;
      for (let j = 0; j < 4 * u; j++) gates[j] += xi * w.lstmKernel[row + j];
    }
    for (let i = 0; i < u; i++) {
      const hi = h[i];
      const row = i * 4 * u;
      for (let j = 0; j < 4 * u; j++) gates[j] += hi * w.lstmRecurrent[row + j];
    }
    for (let j = 0; j < u; j++) {
      const ig = sigmoid(gates[j]);
      const fg = sigmoid(gates[u + j]);
      const cc = Math.tanh(gates[2 * u + j]);
      const og = sigmoid(gates[3 * u + j]);
      c[j] = fg * c[j] + ig * cc;
      h[j] = og * Math.tanh(c[j]);
    }
  }
  const hid = Float64Array.from(w.hiddenBias);
  const addDense = (acc: Float64Array, kernel: Float64Array, input: ArrayLike<number>, from: number, n: number, rowOff: number) => {
    const width = acc.length;
    for (let i = 0; i < n; i++) {
      const xi = input[from + i];
      if (xi === 0) continue;
      const row = (rowOff + i) * width;
      for (let j = 0; j < width; j++) acc[j] += xi * kernel[row + j];
    }
  };
  addDense(hid, w.hiddenKernel, h, 0, u, 0);
  addDense(hid, w.hiddenKernel, stat, statOff, S, u);
  for (let j = 0; j < hid.length; j++) if (hid[j] < 0) hid[j] = 0;
  out.set(w.outBias);
  addDense(out, w.outKernel, hid, 0, z.hidden, 0);
  addDense(out, w.outKernel, stat, statOff, S, z.hidden);
}
