/**
 * LSTM bench on real load: training time, day-ahead MAPE from daily origins (forecasting each
 * origin from the same trained network through condition()) against seasonal naive, and the
 * time per epoch of the wasm and pure-JS cpu tfjs backends.
 *
 *   node bin/run-ts.mjs bench/lstm.ts [--series system] [--global] [--train-end 2008-01-01]
 *        [--origins 56] [--budget 60] [--backends] [--params '{"units":64}']
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Covariates, Series } from '../core/types.ts';
import { loadSeriesCsv } from '../bin/lib/load-series.ts';
import { loadWeatherCsv, pickStations, weatherOnSeries } from '../bin/lib/load-weather.ts';
import { createLstmForecaster } from '../models/lstm/forecaster.ts';
import type { LstmParams } from '../models/lstm/params.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: 'system' },
    global: { type: 'boolean', default: false },
    'train-end': { type: 'string', default: '2008-01-01' },
    origins: { type: 'string', default: '56' },
    budget: { type: 'string', default: '60' },
    backends: { type: 'boolean', default: false },
    /** Extra LstmParams as JSON, e.g. '{"learningRate":0.005}'. */
    params: { type: 'string', default: '{}' },
  },
});

const dir = process.env.GRIDCAST_SHARED_DATA ?? resolve(import.meta.dirname, '../../shared/data');
if (!existsSync(join(dir, 'gefcom2012'))) {
  console.error(`real data not found in ${dir}: set GRIDCAST_SHARED_DATA to the folder holding gefcom2012/`);
  process.exit(2);
}

const H = 24;
const all = loadSeriesCsv(join(dir, 'gefcom2012/load.csv.gz'));
const weather = loadWeatherCsv(join(dir, 'gefcom2012/weather.csv.gz'));
const target = all.get(args.series)!;
if (!target) throw new Error(`series '${args.series}' is not in gefcom2012`);
// Every GEFCom series shares one time index, so one station-mean temperature serves them all.
const temperature = weatherOnSeries(target, weather, pickStations(weather, 'mean', 'weather.csv.gz'));
const cut = (new Date(`${args['train-end']}T00:00:00Z`).getTime() - target.start.getTime()) / (target.stepSec * 1000);
const pool = args.global ? [...all.values()] : [target];
const head = (s: Series, n: number): Series => ({ ...s, values: s.values.slice(0, n) });
const covUpTo = (n: number) => new Map<string, Covariates>(pool.map((s) => [s.id, { future: { temperature: temperature.slice(0, n) } }]));

function mape(actual: ArrayLike<number>, forecast: ArrayLike<number>): { sum: number; n: number } {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    if (Number.isFinite(actual[i]) && actual[i] !== 0) {
      sum += Math.abs((actual[i] - forecast[i]) / actual[i]);
      n++;
    }
  }
  return { sum, n };
}

async function fitTimed(params: Partial<LstmParams>) {
  const started = performance.now();
  const fitted = await createLstmForecaster(params).fit(pool.map((s) => head(s, cut)), covUpTo(cut));
  return { fitted, seconds: (performance.now() - started) / 1000 };
}

const { fitted, seconds } = await fitTimed({ timeBudgetSec: Number(args.budget), backend: 'wasm', calendar: { country: 'US' }, ...(JSON.parse(args.params!) as Partial<LstmParams>) });
const artifact = fitted.toArtifact();
const training = (artifact.state as { training: Record<string, unknown> }).training;

const acc = { lstm: { sum: 0, n: 0 }, naiveWeek: { sum: 0, n: 0 }, naiveDay: { sum: 0, n: 0 } };
let inside = 0;
let covered = 0;
let conditionMs = 0;
const origins = Number(args.origins);
for (let k = 0; k < origins; k++) {
  const t = cut + k * 24;
  if (t + H > target.values.length) break;
  const actual = target.values.subarray(t, t + H);
  const started = performance.now();
  const moved = await fitted.condition!([head(target, t)], new Map([[target.id, { future: { temperature: temperature.slice(0, t) } }]]));
  const [f] = await moved.predict(H, new Map([[target.id, { future: { temperature: temperature.slice(t, t + H) } }]]));
  conditionMs += performance.now() - started;
  for (const [name, fc] of [
    ['lstm', f.mean],
    ['naiveWeek', target.values.subarray(t - 168, t - 168 + H)],
    ['naiveDay', target.values.subarray(t - 24, t)],
  ] as const) {
    const m = mape(actual, fc);
    acc[name].sum += m.sum;
    acc[name].n += m.n;
  }
  for (let h = 0; h < H; h++) {
    if (!Number.isFinite(actual[h])) continue;
    covered++;
    if (actual[h] >= f.quantiles['0.1'][h] && actual[h] <= f.quantiles['0.9'][h]) inside++;
  }
}

const pct = (x: { sum: number; n: number }) => ((100 * x.sum) / x.n).toFixed(2);
console.log(`\nGEFCom2012 '${target.id}' (Hong, Pinson & Fan, IJF 30(2), 2014), trained before ${args['train-end']} on ${pool.length} series, ${origins} daily origins, H=${H}, observed temperature (station mean)`);
console.table({
  lstm: { 'MAPE %': pct(acc.lstm), 'P10-P90 coverage %': ((100 * inside) / covered).toFixed(1) },
  'seasonal naive (week)': { 'MAPE %': pct(acc.naiveWeek) },
  'seasonal naive (day)': { 'MAPE %': pct(acc.naiveDay) },
});
console.table({
  training: {
    'fit s (wall, incl. worker start)': seconds.toFixed(1),
    'train loop s': (artifact.metrics!.trainSeconds as number).toFixed(1),
    backend: training.backend,
    epochs: training.epochs,
    'best epoch': training.bestEpoch,
    'stopped by': training.stoppedBy,
    'condition+predict ms/origin': (conditionMs / origins).toFixed(1),
  },
});

if (args.backends) {
  // Same work on both backends: 2 epochs, no early stop, so the ratio is the per-epoch speed.
  const rows: Record<string, Record<string, string>> = {};
  for (const backend of ['wasm', 'cpu'] as const) {
    const r = await fitTimed({ backend, maxEpochs: 2, patience: 10, timeBudgetSec: 3600, calendar: { country: 'US' } });
    rows[backend] = { 's per epoch (2048 windows)': ((r.fitted.toArtifact().metrics!.trainSeconds as number) / 2).toFixed(2), 'fit s (wall)': r.seconds.toFixed(1) };
  }
  console.table(rows);
}
