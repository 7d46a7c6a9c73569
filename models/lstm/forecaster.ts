import { GridcastError } from '../../core/errors.ts';
import type { Covariates, FittedForecaster, Forecast, Forecaster, ForecasterSpec, ModelArtifact, Series } from '../../core/types.ts';
import { runWorker } from '../../core/worker.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from '../artifact.ts';
import { requireHorizon } from '../fallback/history.ts';
import { addQuantiles, checkLevels, errorQuantiles, type ErrorQuantiles } from '../quantiles/empirical.ts';
import { stepsPerDay } from '../timeindex.ts';
import { checkWeights, forward, type Weights } from './network.ts';
import { resolveParams, type LstmParams } from './params.ts';
import type { ResidualTail, TrainInput, TrainOutput } from './train.ts';
import type { CalendarSpec } from '../features/calendar.ts';
import { buildFrame, fillGaps, layoutOf, resolveCalendar, writeSample, type Layout, type TempNorm } from './windows.ts';

const KIND = 'lstm';
const VERSION = 1;
const TEMPERATURE = 'temperature';
/** Time for the worker to start, load tfjs and score the validation tail, on top of the training budget. */
const WORKER_SLACK_MS = 120_000;
/** Validation windows per horizon step a series needs for its own error table. */
const MIN_SERIES_ERRORS = 100;

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) { out.set(p, k); k += p.length; }
  return out;
}

/** What a series needs to be forecast: the filled load and the temperature of the last window. */
interface Tail {
  id: string;
  start: Date;
  timeZone?: string;
  values: Float64Array;
  temperature: Float64Array;
}

interface State {
  stepSec: number;
  weights: Weights;
  tempNorm: TempNorm;
  /** params.calendar with the public holidays written out as days. */
  calendar: CalendarSpec;
  /** False when no training series had temperature: the network never learnt what it means. */
  usesTemperature: boolean;
  /** Validation errors in units of each window's scale, per horizon step, pooled over the series. */
  errors: ErrorQuantiles;
  /**
   * The same for each training series with enough validation windows: a zone's scaled errors
   * can be twice the total's, so pooled bands alone would be too wide for one and too narrow for
   * the other. A series not seen in training gets the pooled table.
   */
  seriesErrors: { id: string; errors: ErrorQuantiles }[];
  tails: Tail[];
  residuals: ResidualTail[];
  training: { backend: string; epochs: number; bestEpoch: number; stoppedBy: string };
}

/**
 * Temperature of a series over its history, per the covariate convention (aligned with the
 * history); undefined when the series has none, which the network treats as "unknown".
 */
function historyTemperature(s: Series, covariates: Map<string, Covariates> | undefined): Float64Array | undefined {
  const c = covariates?.get(s.id);
  const t = c?.future?.[TEMPERATURE] ?? c?.past?.[TEMPERATURE];
  if (t && t.length !== s.values.length) {
    throw new GridcastError('COVARIATE_LENGTH', `lstm: covariate '${TEMPERATURE}' of series '${s.id}' has ${t.length} values, expected ${s.values.length} (one per history step)`, {
      seriesId: s.id,
      length: t.length,
      expected: s.values.length,
    });
  }
  return t;
}

function checkStep(history: Series[], stepSec?: number): number {
  const step = stepSec ?? history[0]?.stepSec;
  for (const s of history) {
    if (s.stepSec !== step) {
      throw new GridcastError('STEP_MISMATCH', `lstm: series '${s.id}' has a step of ${s.stepSec} s but the network works on ${step} s; fit one network per step length`, { seriesId: s.id, stepSec: s.stepSec, expected: step });
    }
  }
  return step;
}

function prepare(s: Series, covariates: Map<string, Covariates> | undefined, L: Layout): { filled: Float64Array; temperature?: Float64Array } {
  if (s.values.length < L.window) {
    throw new GridcastError('HISTORY_TOO_SHORT', `lstm needs at least ${L.window} steps of history for series '${s.id}' but got ${s.values.length}; use the shallow-history or sharing-key fallback`, {
      seriesId: s.id,
      kind: KIND,
      minHistory: L.window,
      length: s.values.length,
    });
  }
  return { filled: fillGaps(s.values, L.perDay, s.id), temperature: historyTemperature(s, covariates) };
}

function tailOf(s: Series, filled: Float64Array, temperature: Float64Array | undefined, L: Layout): Tail {
  const from = s.values.length - L.window;
  return {
    id: s.id,
    start: new Date(s.start.getTime() + from * s.stepSec * 1000),
    ...(s.timeZone ? { timeZone: s.timeZone } : {}),
    values: filled.slice(from),
    temperature: temperature ? temperature.slice(from) : new Float64Array(L.window).fill(Number.NaN),
  };
}

function temperatureNorm(temps: (Float64Array | undefined)[]): TempNorm {
  let n = 0;
  let sum = 0;
  let ss = 0;
  for (const t of temps) if (t) for (const x of t) if (Number.isFinite(x)) { n++; sum += x; ss += x * x; }
  if (n < 2) return { mean: 0, sd: 1 };
  const mean = sum / n;
  return { mean, sd: Math.max(Math.sqrt(Math.max(0, ss / n - mean * mean)), 1e-6) };
}

class LstmFitted implements FittedForecaster<LstmParams> {
  private readonly layout: Layout;

  constructor(
    readonly spec: ForecasterSpec<LstmParams>,
    private readonly state: State,
    private readonly window: { start: string; end: string },
    private readonly hash: string,
    private readonly metrics: Record<string, number>,
  ) {
    this.layout = layoutOf(state.stepSec, spec.params);
    checkWeights(state.weights, this.layout, spec.params);
  }

  /** New tails (any series, seen in training or not) under the same weights. */
  async condition(history: Series[], covariates?: Map<string, Covariates>): Promise<LstmFitted> {
    checkStep(history, this.state.stepSec);
    const tails = history.map((s) => {
      const { filled, temperature } = prepare(s, covariates, this.layout);
      return tailOf(s, filled, temperature, this.layout);
    });
    return new LstmFitted(this.spec, { ...this.state, tails }, this.window, this.hash, this.metrics);
  }

  async predict(horizon: number, covariates?: Map<string, Covariates>, quantiles?: number[]): Promise<Forecast[]> {
    requireHorizon(KIND, horizon);
    const levels = checkLevels(quantiles);
    return this.state.tails.map((tail) => this.predictOne(tail, horizon, covariates?.get(tail.id)?.future?.[TEMPERATURE], levels));
  }

  /**
   * The head gives H steps; a longer horizon feeds its own forecasts back as history, H steps
   * at a time (the error table's last row then stands for every later step).
   */
  private predictOne(tail: Tail, horizon: number, future: Float64Array | undefined, levels: number[]): Forecast {
    const L = this.layout;
    const { weights, tempNorm, usesTemperature, stepSec } = this.state;
    const errors = this.state.seriesErrors.find((e) => e.id === tail.id)?.errors ?? this.state.errors;
    if (future && future.length !== horizon) {
      throw new GridcastError('COVARIATE_LENGTH', `lstm: covariate '${TEMPERATURE}' of series '${tail.id}' has ${future.length} values, expected ${horizon} (one per forecast step)`, {
        seriesId: tail.id,
        length: future.length,
        expected: horizon,
      });
    }
    const blocks = Math.ceil(horizon / L.horizon);
    const total = L.window + blocks * L.horizon;
    const y = new Float64Array(total);
    y.set(tail.values);
    const temperature = new Float64Array(total).fill(Number.NaN);
    if (usesTemperature) {
      temperature.set(tail.temperature);
      if (future) temperature.set(future, L.window);
    }
    const frame = buildFrame(y, temperature, tempNorm, tail.start.getTime(), stepSec, tail.timeZone, this.state.calendar);
    const seq = new Float32Array(L.days * L.seqFeatures);
    const stat = new Float32Array(L.staticFeatures);
    const out = new Float64Array(L.horizon);
    const mean = new Float64Array(horizon);
    const bands: Record<string, Float64Array> = {};
    for (let b = 0; b < blocks; b++) {
      const t = L.window + b * L.horizon;
      const { m, s } = writeSample(frame, t, L, seq, 0, stat, 0);
      forward(weights, L, this.spec.params, seq, 0, stat, 0, out);
      for (let h = 0; h < L.horizon; h++) y[t + h] = m + s * out[h];
      const q = addQuantiles(out, errors, levels, { rowOf: (k) => b * L.horizon + k });
      for (let h = 0; h < L.horizon && b * L.horizon + h < horizon; h++) {
        const k = b * L.horizon + h;
        mean[k] = y[t + h];
        for (const [key, curve] of Object.entries(q)) (bands[key] ??= new Float64Array(horizon))[k] = m + s * curve[h];
      }
    }
    const start = new Date(tail.start.getTime() + L.window * stepSec * 1000);
    return { seriesId: tail.id, start, stepSec, mean, quantiles: bands, model: KIND };
  }

  /**
   * History-length arrays per training series: the error of the first forecast step from every
   * origin of the validation tail (out of sample), NaN before it and at its last H−1 steps.
   */
  residuals(): Map<string, Float64Array> {
    return new Map(
      this.state.residuals.map((r) => {
        const full = new Float64Array(r.length).fill(Number.NaN);
        full.set(r.values, r.offset);
        return [r.id, full];
      }),
    );
  }

  toArtifact(): ModelArtifact {
    return makeArtifact(this.spec, this.window, this.hash, this.state, this.metrics);
  }
}

/**
 * One LSTM network for all series given to fit() (a global model): every window is scaled by
 * its own last-week mean and spread, so series of any size share the weights and a series never
 * seen in training can be forecast after condition(). Inputs: the last `lookbackDays` days of load,
 * temperature and non-working-day flags; over the horizon the same slots a week and a day earlier,
 * temperature, Saturday/Sunday/holiday/bridge-day flags (holidays from params.calendar); the hour and
 * weekday of the origin. Holidays are resolved at fit time for the training years and the 10 after.
 * Quantiles come from the validation-tail errors per step.
 * A series without temperature (or with NaN in it) gets the forecast the network learnt for
 * "temperature unknown" (training hides the temperature of a share `tempDropout` of windows).
 */
export function createLstmForecaster(params: Partial<LstmParams> = {}): Forecaster<LstmParams> {
  const p = resolveParams(params);
  const spec: ForecasterSpec<LstmParams> = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    capabilities: {
      futureCovariates: true,
      probabilistic: true,
      global: true,
      // Measured for hourly steps; fit() checks the real layout of the series it gets.
      minHistory: (p.lookbackDays + p.validationDays + 1) * 24 + p.horizon,
    },
    async fit(history, covariates) {
      const window = trainWindow(history);
      const stepSec = checkStep(history);
      const L = layoutOf(stepSec, p);
      const prepared = history.map((s) => prepare(s, covariates, L));
      const tempNorm = temperatureNorm(prepared.map((x) => x.temperature));
      const calendar = resolveCalendar(p.calendar, Date.parse(window.start), Date.parse(window.end));
      const input: TrainInput = {
        params: p,
        stepSec,
        tempNorm,
        calendar,
        series: history.map((s, i) => ({
          id: s.id,
          startMs: s.start.getTime(),
          ...(s.timeZone ? { timeZone: s.timeZone } : {}),
          values: s.values,
          filled: prepared[i].filled,
          ...(prepared[i].temperature ? { temperature: prepared[i].temperature } : {}),
        })),
      };
      const out = await runWorker<TrainOutput>(new URL('./train.worker.ts', import.meta.url), input, p.timeBudgetSec * 1000 + WORKER_SLACK_MS);
      const state: State = {
        stepSec,
        weights: out.weights,
        tempNorm,
        calendar,
        usesTemperature: prepared.some((x) => x.temperature !== undefined),
        errors: errorQuantiles(Array.from({ length: p.horizon }, (_, h) => concat(out.valErrors.map((e) => e.byStep[h])))),
        seriesErrors: out.valErrors.filter((e) => e.byStep[0].length >= MIN_SERIES_ERRORS).map((e) => ({ id: e.id, errors: errorQuantiles(e.byStep) })),
        tails: history.map((s, i) => tailOf(s, prepared[i].filled, prepared[i].temperature, L)),
        residuals: out.residuals,
        training: { backend: out.backend, epochs: out.epochs, bestEpoch: out.bestEpoch, stoppedBy: out.stoppedBy },
      };
      const metrics = { trainSeconds: out.trainMs / 1000, epochs: out.epochs, bestEpoch: out.bestEpoch, valLoss: out.valLoss, stepsPerDay: stepsPerDay(stepSec) };
      return new LstmFitted(spec, state, window, dataHash(history, covariates), metrics);
    },
  };
}

export function lstmFromArtifact(a: ModelArtifact): FittedForecaster<LstmParams> {
  const state = openArtifact<State>(a, KIND, VERSION);
  const params = resolveParams(a.spec.params as Partial<LstmParams>);
  return new LstmFitted({ kind: KIND, version: VERSION, params }, state, a.trainWindow, a.dataHash, a.metrics ?? {});
}
