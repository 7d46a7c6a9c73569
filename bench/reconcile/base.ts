/**
 * Base (unreconciled) day-ahead forecasts of every node of the GEFCom2012 hierarchy at the same
 * origins, with what reconciliation needs besides them: the actuals and the model's in-sample
 * residuals just before each origin (MinT's covariance). Each series is stored under
 * .bench-out/reconcile/ as soon as it is done, so a re-run (or a second process) refits nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Forecaster, FittedForecaster, Series } from '../../core/types.ts';
import { runBacktest, type BacktestInput } from '../../forecast/backtest/driver.ts';
import { placeOrigins } from '../../forecast/backtest/origins.ts';
import { forecasterFor } from '../../bin/lib/models.ts';

export const HORIZON = 24;
export const QUANTILES = [0.1, 0.5, 0.9];

export interface BasePlan {
  model: string;
  origins: number;
  /** Days between origins. */
  everyDays: number;
  refitEvery: number;
  /** Days of in-sample residuals kept before each origin. */
  residualDays: number;
}

export interface OriginBase {
  originMs: number;
  mean: number[];
  quantiles: Record<string, number[]>;
  actual: (number | null)[];
  /** The fitted model's in-sample residuals over the `residualDays` days before the origin (null where missing). */
  residuals: (number | null)[];
  fitMs: number;
  refitted: boolean;
  fallbackReason?: string;
}

export interface SeriesBase {
  seriesId: string;
  plan: BasePlan;
  origins: OriginBase[];
  wallMs: number;
}

/** Same origins for every node (reconciliation needs aligned forecasts): placed on the system series, which shares its time index with the zones. */
export function originIndices(system: Series, plan: BasePlan): number[] {
  const perDay = Math.round(86_400 / system.stepSec);
  return placeOrigins({ startMs: system.start.getTime(), stepSec: system.stepSec, length: system.values.length, horizon: HORIZON, count: plan.origins, originStepSteps: plan.everyDays * perDay, timeZone: system.timeZone, minHistory: 365 * perDay });
}

const dirOf = (outDir: string, p: BasePlan) => join(outDir, `base-${p.model}-o${p.origins}x${p.everyDays}d-refit${p.refitEvery}-res${p.residualDays}d`);
const orNull = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

export function readBase(outDir: string, plan: BasePlan, id: string): SeriesBase | undefined {
  const file = join(dirOf(outDir, plan), `${id}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SeriesBase) : undefined;
}

/**
 * Remembers the latest fitted or conditioned model, so the residuals of the model that made each
 * origin's forecast can be read right after that origin.
 */
function tracking(f: Forecaster): { forecaster: Forecaster; latest: () => FittedForecaster | undefined } {
  let latest: FittedForecaster | undefined;
  const wrap = (fitted: FittedForecaster): FittedForecaster => {
    latest = fitted;
    return {
      spec: fitted.spec,
      predict: fitted.predict.bind(fitted),
      residuals: fitted.residuals.bind(fitted),
      toArtifact: fitted.toArtifact.bind(fitted),
      ...(fitted.condition ? { condition: async (h, c) => wrap(await fitted.condition!(h, c)) } : {}),
    };
  };
  return { forecaster: { spec: f.spec, capabilities: f.capabilities, fit: async (h, c) => wrap(await f.fit(h, c)) }, latest: () => latest };
}

/** Runs (or reads back) the base forecasts of one series. */
export async function baseOf(outDir: string, plan: BasePlan, input: BacktestInput, origins: number[], log: (m: string) => void): Promise<SeriesBase> {
  const id = input.series.id;
  const stored = readBase(outDir, plan, id);
  if (stored) return stored;
  const started = Date.now();
  const { forecaster, latest } = tracking(forecasterFor(plan.model, {}, { holidays: 'US' }));
  const keep = plan.residualDays * Math.round(86_400 / input.series.stepSec);
  const residuals: (number | null)[][] = [];
  const results = await runBacktest(forecaster, input, {
    horizon: HORIZON,
    origins,
    quantiles: QUANTILES,
    refitEvery: plan.refitEvery,
    onOrigin(done, total) {
      const r = latest()?.residuals().get(id);
      const tail = new Array<number | null>(keep).fill(null);
      // The residuals cover the history given to the model, which ends just before the origin.
      if (r) r.subarray(Math.max(0, r.length - keep)).forEach((v, k, a) => (tail[keep - a.length + k] = Number.isFinite(v) ? v : null));
      residuals.push(tail);
      log(`${id}: origin ${done}/${total} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    },
  });
  const out: SeriesBase = {
    seriesId: id,
    plan,
    origins: results.map((r, k) => ({
      originMs: r.origin.getTime(),
      mean: Array.from(r.forecast.mean),
      quantiles: Object.fromEntries(Object.entries(r.forecast.quantiles).map(([l, v]) => [l, Array.from(v)])),
      actual: orNull(r.actual),
      residuals: residuals[k],
      fitMs: r.fitMs,
      refitted: r.refitted,
      ...(r.forecast.fallbackReason ? { fallbackReason: r.forecast.fallbackReason } : {}),
    })),
    wallMs: Date.now() - started,
  };
  const dir = dirOf(outDir, plan);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(out));
  return out;
}

export const OUT_DIR = resolve(import.meta.dirname, '../../.bench-out/reconcile');
