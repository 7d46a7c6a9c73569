import { DateTime } from 'luxon';
import { GridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type Series } from '../../core/types.ts';
import { choleskyJittered, cholSolve } from '../../core/linalg.ts';

/**
 * Hong's "vanilla" multiple linear regression benchmark (Hong 2010; GEFCom2012 benchmark, Hong,
 * Pinson & Fan, IJF 2014), fitted by ordinary least squares on the history before the origin:
 *
 *   load = β0 + β1·trend + β2·Month + β3·Weekday×Hour
 *        + β4·T + β5·T² + β6·T³ + (T + T² + T³)·Month + (T + T² + T³)·Hour
 *
 * Month, Weekday×Hour and Hour are class dummies; T is the temperature (standardised on the
 * training history, which spans the same polynomial). The model is a point forecaster: its P10/P90
 * here are the empirical quantiles of its in-sample residuals over the last year, added by us
 * so that pinball and coverage can be scored (not part of the published benchmark).
 */

const MONTHS = 12;
const HOURS = 24;
const WEEKDAYS = 7;
// intercept, trend, 11 months, 167 weekday×hour cells, T..T³, 3×11 T·month, 3×23 T·hour
const P = 1 + 1 + (MONTHS - 1) + (WEEKDAYS * HOURS - 1) + 3 + 3 * (MONTHS - 1) + 3 * (HOURS - 1);
const HOURS_PER_YEAR = 8766;

interface Calendar {
  month: Uint8Array;
  weekday: Uint8Array;
  hour: Uint8Array;
}

function calendar(startMs: number, stepSec: number, n: number, zone: string): Calendar {
  const month = new Uint8Array(n);
  const weekday = new Uint8Array(n);
  const hour = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ms = startMs + i * stepSec * 1000;
    // Shift to local wall time, then read it with the (fast) UTC getters.
    const local = new Date(zone === 'UTC' ? ms : ms + DateTime.fromMillis(ms, { zone }).offset * 60_000);
    month[i] = local.getUTCMonth();
    weekday[i] = (local.getUTCDay() + 6) % 7;
    hour[i] = local.getUTCHours();
  }
  return { month, weekday, hour };
}

/** Column indices and values of the non-zero entries of one row (the design is very sparse). */
function row(trend: number, month: number, weekday: number, hour: number, t: number, idx: Int32Array, val: Float64Array): number {
  let k = 0;
  const put = (i: number, v: number) => {
    idx[k] = i;
    val[k++] = v;
  };
  put(0, 1);
  put(1, trend);
  let base = 2;
  if (month > 0) put(base + month - 1, 1);
  base += MONTHS - 1;
  const cell = weekday * HOURS + hour;
  if (cell > 0) put(base + cell - 1, 1);
  base += WEEKDAYS * HOURS - 1;
  const pow = [t, t * t, t * t * t];
  for (let d = 0; d < 3; d++) put(base + d, pow[d]);
  base += 3;
  if (month > 0) for (let d = 0; d < 3; d++) put(base + d * (MONTHS - 1) + month - 1, pow[d]);
  base += 3 * (MONTHS - 1);
  if (hour > 0) for (let d = 0; d < 3; d++) put(base + d * (HOURS - 1) + hour - 1, pow[d]);
  return k;
}

interface Fit {
  beta: Float64Array;
  tMean: number;
  tSd: number;
  firstMs: number;
  nextMs: number;
  stepSec: number;
  zone: string;
  id: string;
  residuals: Float64Array;
  /** Sorted in-sample residuals of the last year. */
  sortedErrors: Float64Array;
}

const temperatureOf = (c: Covariates | undefined) => c?.future?.temperature ?? c?.past?.temperature;

function fitOne(s: Series, cov: Covariates | undefined): Fit {
  const temp = temperatureOf(cov);
  if (!temp || temp.length !== s.values.length) {
    throw new GridcastError('MISSING_COVARIATE', `hong-vanilla needs a temperature covariate aligned with series '${s.id}'`, { seriesId: s.id });
  }
  if (s.stepSec !== 3600) throw new GridcastError('UNSUPPORTED_STEP', 'hong-vanilla is defined on hourly data', { stepSec: s.stepSec });
  const n = s.values.length;
  const zone = s.timeZone ?? 'UTC';
  let tSum = 0;
  let tSq = 0;
  let tN = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(temp[i]) && Number.isFinite(s.values[i])) {
      tSum += temp[i];
      tSq += temp[i] * temp[i];
      tN++;
    }
  }
  if (tN < P) throw new GridcastError('HISTORY_TOO_SHORT', `hong-vanilla needs at least ${P} hours with load and temperature for '${s.id}', got ${tN}`, { seriesId: s.id });
  const tMean = tSum / tN;
  const tSd = Math.sqrt(Math.max(1e-12, tSq / tN - tMean * tMean));
  const cal = calendar(s.start.getTime(), s.stepSec, n, zone);
  const XtX = new Float64Array(P * P);
  const Xty = new Float64Array(P);
  const idx = new Int32Array(32);
  const val = new Float64Array(32);
  for (let i = 0; i < n; i++) {
    const y = s.values[i];
    if (!Number.isFinite(y) || !Number.isFinite(temp[i])) continue;
    const k = row(i / HOURS_PER_YEAR, cal.month[i], cal.weekday[i], cal.hour[i], (temp[i] - tMean) / tSd, idx, val);
    for (let a = 0; a < k; a++) {
      Xty[idx[a]] += val[a] * y;
      for (let b = 0; b < k; b++) XtX[idx[a] * P + idx[b]] += val[a] * val[b];
    }
  }
  // Columns the history never touched (e.g. a month absent from it) get coefficient 0.
  for (let j = 0; j < P; j++) if (XtX[j * P + j] === 0) XtX[j * P + j] = 1;
  const beta = cholSolve(choleskyJittered(XtX, P).l, P, Xty);
  const residuals = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s.values[i]) || !Number.isFinite(temp[i])) continue;
    const k = row(i / HOURS_PER_YEAR, cal.month[i], cal.weekday[i], cal.hour[i], (temp[i] - tMean) / tSd, idx, val);
    let f = 0;
    for (let a = 0; a < k; a++) f += beta[idx[a]] * val[a];
    residuals[i] = s.values[i] - f;
  }
  const recent = residuals.subarray(Math.max(0, n - 8760)).filter(Number.isFinite).sort();
  return { beta, tMean, tSd, firstMs: s.start.getTime(), nextMs: s.start.getTime() + n * s.stepSec * 1000, stepSec: s.stepSec, zone, id: s.id, residuals, sortedErrors: recent };
}

const quantileOf = (sorted: Float64Array, q: number) => {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(sorted.length - 1, lo + 1)] - sorted[lo]) * (pos - lo);
};

export function createHongVanillaForecaster(): Forecaster {
  const spec = { kind: 'hong-vanilla', version: 1, params: {} };
  return {
    spec,
    capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: 8760 },
    async fit(history, covariates) {
      return fittedOf(spec, history.map((s) => fitOne(s, covariates?.get(s.id))));
    },
  };
}

function fittedOf(spec: Forecaster['spec'], fits: Fit[]): FittedForecaster {
  return {
    spec,
    // Coefficients kept, forecasts moved to the end of the longer history (the trend runs on).
    async condition(history) {
      const moved = fits.map((f) => {
        const s = history.find((h) => h.id === f.id);
        if (!s || s.start.getTime() !== f.firstMs) throw new GridcastError('CONDITION_MISMATCH', `hong-vanilla: condition() needs series '${f.id}' from the same start`, { seriesId: f.id });
        return { ...f, nextMs: s.start.getTime() + s.values.length * s.stepSec * 1000 };
      });
      return fittedOf(spec, moved);
    },
    async predict(horizon, cov, quantiles = [...DEFAULT_QUANTILES]): Promise<Forecast[]> {
      return fits.map((f) => {
        const temp = temperatureOf(cov?.get(f.id));
        if (!temp || temp.length !== horizon) throw new GridcastError('MISSING_COVARIATE', `hong-vanilla needs ${horizon} temperatures to forecast '${f.id}'`, { seriesId: f.id });
        const cal = calendar(f.nextMs, f.stepSec, horizon, f.zone);
        const idx = new Int32Array(32);
        const val = new Float64Array(32);
        const offset = (f.nextMs - f.firstMs) / (f.stepSec * 1000);
        const mean = new Float64Array(horizon);
        for (let h = 0; h < horizon; h++) {
          const k = row((offset + h) / HOURS_PER_YEAR, cal.month[h], cal.weekday[h], cal.hour[h], (temp[h] - f.tMean) / f.tSd, idx, val);
          for (let a = 0; a < k; a++) mean[h] += f.beta[idx[a]] * val[a];
        }
        const q: Record<string, Float64Array> = {};
        for (const l of quantiles) {
          const e = quantileOf(f.sortedErrors, l);
          q[String(l)] = Float64Array.from(mean, (m) => m + e);
        }
        return { seriesId: f.id, start: new Date(f.nextMs), stepSec: f.stepSec, mean, quantiles: q, model: 'hong-vanilla' };
      });
    },
    residuals: () => new Map(fits.map((f) => [f.id, f.residuals])),
    toArtifact: () => {
      throw new GridcastError('NOT_SUPPORTED', 'hong-vanilla is a benchmark baseline and is not stored as an artifact');
    },
  };
}
