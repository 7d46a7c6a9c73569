import type { LayersModel, SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import { GridcastError } from '../../core/errors.ts';
import type { CalendarSpec } from '../features/calendar.ts';
import { loadTf, type Tf } from './backend.ts';
import { WEIGHT_NAMES, type Weights } from './network.ts';
import type { LstmParams } from './params.ts';
import { seededRandom } from '../../core/random.ts';
import { buildFrame, layoutOf, writeSample, type Frame, type Layout, type TempNorm } from './windows.ts';

export interface TrainSeries {
  id: string;
  startMs: number;
  timeZone?: string;
  /** Observed load (NaN = missing): targets come from here. */
  values: Float64Array;
  /** The same with gaps filled: inputs come from here. */
  filled: Float64Array;
  temperature?: Float64Array;
}

export interface TrainInput {
  params: LstmParams;
  stepSec: number;
  tempNorm: TempNorm;
  /** params.calendar with its holidays resolved (see resolveCalendar). */
  calendar: CalendarSpec;
  series: TrainSeries[];
}

/** Residuals of the first forecast step over the validation tail, from index `offset` (NaN where an origin was unusable). */
export interface ResidualTail {
  id: string;
  length: number;
  offset: number;
  values: Float64Array;
}

export interface TrainOutput {
  weights: Weights;
  backend: string;
  epochs: number;
  bestEpoch: number;
  stoppedBy: 'patience' | 'maxEpochs' | 'timeBudget';
  trainMs: number;
  /** Mean squared error of the normalised validation targets at the best epoch. */
  valLoss: number;
  /** Validation errors (actual − forecast, in units of each window's scale) per series and horizon step. */
  valErrors: { id: string; byStep: Float64Array[] }[];
  residuals: ResidualTail[];
}

/** (series index, origin) pairs packed in one array. */
export interface Origins {
  train: Int32Array;
  val: Int32Array;
}

/**
 * Origins whose H targets are all observed and whose input window is at least half observed.
 * Training targets end before the validation tail starts, so early stopping sees unseen hours.
 */
export function sampleOrigins(series: TrainSeries[], L: Layout, validationDays: number): Origins {
  const valSteps = validationDays * L.perDay;
  const train: number[] = [];
  const val: number[] = [];
  series.forEach((s, k) => {
    const n = s.values.length;
    const seen = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) seen[i + 1] = seen[i] + (Number.isFinite(s.values[i]) ? 1 : 0);
    const usable = (t: number) => seen[t + L.horizon] - seen[t] === L.horizon && 2 * (seen[t] - seen[t - L.window]) >= L.window;
    for (let t = L.window; t + L.horizon <= n; t++) {
      const inVal = t >= n - valSteps;
      if (!inVal && t + L.horizon > n - valSteps) continue;
      if (usable(t)) (inVal ? val : train).push(k, t);
    }
  });
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}

interface Batch {
  seq: Float32Array;
  stat: Float32Array;
  target: Float32Array;
  scale: Float64Array;
}

function buildBatch(frames: Frame[], series: TrainSeries[], L: Layout, pairs: Int32Array, drop: (i: number) => boolean): Batch {
  const n = pairs.length / 2;
  const seqSize = L.days * L.seqFeatures;
  const b: Batch = {
    seq: new Float32Array(n * seqSize),
    stat: new Float32Array(n * L.staticFeatures),
    target: new Float32Array(n * L.horizon),
    scale: new Float64Array(n * 2),
  };
  for (let i = 0; i < n; i++) {
    const k = pairs[2 * i];
    const t = pairs[2 * i + 1];
    const { m, s } = writeSample(frames[k], t, L, b.seq, i * seqSize, b.stat, i * L.staticFeatures, drop(i));
    const v = series[k].values;
    for (let h = 0; h < L.horizon; h++) b.target[i * L.horizon + h] = (v[t + h] - m) / s;
    b.scale[2 * i] = m;
    b.scale[2 * i + 1] = s;
  }
  return b;
}

/** `count` pairs: all of them shuffled when there are fewer, else drawn with replacement. */
function draw(pairs: Int32Array, count: number, rand: () => number): Int32Array {
  const n = pairs.length / 2;
  const idx = new Int32Array(Math.min(n, count));
  if (n <= count) {
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
  } else {
    for (let i = 0; i < count; i++) idx[i] = Math.floor(rand() * n);
  }
  const out = new Int32Array(idx.length * 2);
  idx.forEach((p, i) => { out[2 * i] = pairs[2 * p]; out[2 * i + 1] = pairs[2 * p + 1]; });
  return out;
}

function buildModel(tf: Tf, L: Layout, p: LstmParams) {
  const seqIn = tf.input({ shape: [L.days, L.seqFeatures] });
  const statIn = tf.input({ shape: [L.staticFeatures] });
  const init = (k: number) => tf.initializers.glorotUniform({ seed: p.seed * 7 + k });
  const state = tf.layers
    .lstm({ units: p.units, recurrentActivation: 'sigmoid', kernelInitializer: init(1), recurrentInitializer: init(2), name: 'lstm' })
    .apply(seqIn) as SymbolicTensor;
  const joined = tf.layers.concatenate().apply([state, statIn]) as SymbolicTensor;
  const hidden = tf.layers.dense({ units: p.hidden, activation: 'relu', kernelInitializer: init(3), name: 'hidden' }).apply(joined) as SymbolicTensor;
  const head = tf.layers.concatenate().apply([hidden, statIn]) as SymbolicTensor;
  const out = tf.layers.dense({ units: L.horizon, kernelInitializer: init(4), name: 'out' }).apply(head) as SymbolicTensor;
  const model = tf.model({ inputs: [seqIn, statIn], outputs: out });
  model.compile({ optimizer: tf.train.adam(p.learningRate), loss: 'meanSquaredError' });
  return model;
}

/** Runs inside the worker: the whole training, from raw arrays to plain weights and errors. */
export async function train(input: TrainInput): Promise<TrainOutput> {
  const p = input.params;
  const L = layoutOf(input.stepSec, p);
  const origins = sampleOrigins(input.series, L, p.validationDays);
  if (origins.train.length === 0 || origins.val.length === 0) {
    throw new GridcastError('HISTORY_TOO_SHORT', `lstm needs, in at least one series, ${L.window + L.horizon} steps of observed history before its last ${p.validationDays} validation days; pass longer series or lower lookbackDays/validationDays`, {
      trainOrigins: origins.train.length / 2,
      valOrigins: origins.val.length / 2,
    });
  }
  const { tf, backend } = await loadTf(p.backend);
  const frames = input.series.map((s) => buildFrame(s.filled, s.temperature, input.tempNorm, s.startMs, input.stepSec, s.timeZone, input.calendar));
  const rand = seededRandom(p.seed);
  const noDrop = () => false;
  const checkPairs = draw(origins.val, p.maxValSamples, rand);
  const check = buildBatch(frames, input.series, L, checkPairs, noDrop);
  const tensors = (b: Batch) => {
    const n = b.target.length / L.horizon;
    return {
      x: [tf.tensor3d(b.seq, [n, L.days, L.seqFeatures]), tf.tensor2d(b.stat, [n, L.staticFeatures])],
      y: tf.tensor2d(b.target, [n, L.horizon]),
    };
  };
  const checkT = tensors(check);
  const model = buildModel(tf, L, p);
  const valLossNow = () =>
    tf.tidy(() => {
      const pred = model.predict(checkT.x) as Tensor;
      return tf.losses.meanSquaredError(checkT.y, pred).dataSync()[0];
    });

  const started = performance.now();
  let best = Number.POSITIVE_INFINITY;
  let bestWeights: Float32Array[] = [];
  let bestEpoch = 0;
  let stale = 0;
  let epoch = 0;
  let stoppedBy: TrainOutput['stoppedBy'] = 'maxEpochs';
  while (epoch < p.maxEpochs) {
    epoch++;
    const pairs = draw(origins.train, p.samplesPerEpoch, rand);
    const hide = Float64Array.from({ length: pairs.length / 2 }, () => rand());
    const b = tensors(buildBatch(frames, input.series, L, pairs, (i) => hide[i] < p.tempDropout || !input.series[pairs[2 * i]].temperature));
    await model.fit(b.x, b.y, { epochs: 1, batchSize: p.batchSize, shuffle: false, verbose: 0 });
    tf.dispose([...b.x, b.y]);
    const loss = valLossNow();
    if (!Number.isFinite(loss)) throw new GridcastError('LSTM_DIVERGED', `lstm training diverged at epoch ${epoch}; lower learningRate`, { epoch, learningRate: p.learningRate });
    if (loss < best) {
      best = loss;
      bestWeights = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
      bestEpoch = epoch;
      stale = 0;
    } else if (++stale >= p.patience) {
      stoppedBy = 'patience';
      break;
    }
    const elapsed = performance.now() - started;
    if (epoch < p.maxEpochs && elapsed + elapsed / epoch > p.timeBudgetSec * 1000) {
      stoppedBy = 'timeBudget';
      break;
    }
  }
  const trainMs = performance.now() - started;
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(bestWeights[i], w.shape)));
  tf.dispose(checkT.x.concat(checkT.y));

  const weights = readWeights(model);
  const { valErrors, residuals } = scoreValidation(tf, model, frames, input.series, L, origins.val);
  model.dispose();
  return { weights, backend, epochs: epoch, bestEpoch, stoppedBy, trainMs, valLoss: best, valErrors, residuals };
}

function readWeights(model: LayersModel): Weights {
  const values = [model.getLayer('lstm'), model.getLayer('hidden'), model.getLayer('out')].flatMap((layer) => layer.getWeights().map((w) => Float64Array.from(w.dataSync())));
  return Object.fromEntries(WEIGHT_NAMES.map((name, i) => [name, values[i]])) as unknown as Weights;
}

/** Forecasts from every validation origin: error quantiles per step and step-1 residuals. */
function scoreValidation(tf: Tf, model: LayersModel, frames: Frame[], series: TrainSeries[], L: Layout, val: Int32Array) {
  const valErrors: number[][][] = series.map(() => Array.from({ length: L.horizon }, () => []));
  const residuals = series.map((s) => ({ id: s.id, length: s.values.length, offset: -1, values: [] as number[] }));
  const chunk = 1024;
  for (let from = 0; from < val.length; from += 2 * chunk) {
    const pairs = val.subarray(from, Math.min(val.length, from + 2 * chunk));
    const b = buildBatch(frames, series, L, pairs, () => false);
    const n = pairs.length / 2;
    const pred = tf.tidy(() =>
      (model.predict([tf.tensor3d(b.seq, [n, L.days, L.seqFeatures]), tf.tensor2d(b.stat, [n, L.staticFeatures])]) as Tensor).dataSync(),
    );
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < L.horizon; h++) valErrors[pairs[2 * i]][h].push(b.target[i * L.horizon + h] - pred[i * L.horizon + h]);
      const r = residuals[pairs[2 * i]];
      const t = pairs[2 * i + 1];
      if (r.offset < 0) r.offset = t;
      // Origins of a series come in increasing order; skipped (unobserved) ones leave NaN gaps.
      while (r.offset + r.values.length < t) r.values.push(Number.NaN);
      r.values.push(b.scale[2 * i + 1] * (b.target[i * L.horizon] - pred[i * L.horizon]));
    }
  }
  return {
    valErrors: series.map((s, k) => ({ id: s.id, byStep: valErrors[k].map((e) => Float64Array.from(e)) })).filter((e) => e.byStep[0].length > 0),
    residuals: residuals.filter((r) => r.offset >= 0).map((r) => ({ ...r, values: Float64Array.from(r.values) })),
  };
}
