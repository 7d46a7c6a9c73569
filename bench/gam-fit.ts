/**
 * GAM fit time and a quick accuracy self-check on the real data (GEFCom2012 or BigDEAL 2022).
 *
 *   node bin/run-ts.mjs bench/gam-fit.ts [--dataset gefcom2012] [--series system]
 *        [--train-from 2004-01-01] [--test-year 2007] [--no-log] [--gcv] [--params '{"hourKnots":13}']
 *        [--export features.csv]
 *
 * Fits on [train-from, test-year) and predicts the whole test year with the actual temperatures.
 * For a GAM alone (coefficients fixed, features from calendar and weather only) that is the same
 * as day-ahead forecasts from daily origins; the backtest engineer runs the full rolling-origin
 * evaluation (refits, ARIMA on residuals, forecast weather).
 * --export writes the feature table (train and test rows, with a `test` flag) so R mgcv can be
 * fitted on exactly the same features.
 */

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import type { Series } from '../core/types.ts';
import { buildFeatures, parseGamParams } from '../models/gam/load-formula.ts';
import { createGamForecaster, gamSummary, type GamForecasterParams } from '../models/gam/gam-forecaster.ts';
import { bigdeal2022, gefcom2012, sharedDataDir } from './datasets.ts';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'gefcom2012' },
    series: { type: 'string', default: 'system' },
    'train-from': { type: 'string', default: '2004-01-01' },
    'test-year': { type: 'string', default: '2007' },
    'no-log': { type: 'boolean', default: false },
    gcv: { type: 'boolean', default: false },
    params: { type: 'string', default: '{}' },
    summary: { type: 'boolean', default: false },
    export: { type: 'string' },
  },
});

const dir = sharedDataDir();
const cases = args.dataset === 'gefcom2012' ? gefcom2012(dir) : bigdeal2022(dir).filter((c) => c.weather === 'observed');
const c = cases.find((x) => x.seriesId === args.series);
if (!c) throw new Error(`no series '${args.series}' in ${args.dataset}`);
const s = c.input.series;
const temp = c.input.future!.temperature;
const stepMs = s.stepSec * 1000;
const idx = (iso: string) => Math.round((Date.parse(`${iso}T00:00:00Z`) - s.start.getTime()) / stepMs);
const from = Math.max(0, idx(args['train-from']!));
const cut = idx(`${args['test-year']}-01-01`);
const end = Math.min(s.values.length, idx(`${Number(args['test-year']) + 1}-01-01`));
const slice = (a: Float64Array, i: number, j: number) => a.slice(i, j);
const history: Series = { ...s, start: new Date(s.start.getTime() + from * stepMs), values: slice(s.values, from, cut), timeZone: 'UTC' };
const params: Partial<GamForecasterParams> = {
  calendar: { country: 'US' },
  logTarget: !args['no-log'],
  criterion: args.gcv ? 'GCV' : 'REML',
  ...JSON.parse(args.params!),
};

const t0 = performance.now();
const fitted = await createGamForecaster(params).fit([history], new Map([[s.id, { future: { temperature: slice(temp, from, cut) } }]]));
const fitMs = performance.now() - t0;
const t1 = performance.now();
const [fc] = await fitted.predict(end - cut, new Map([[s.id, { future: { temperature: slice(temp, cut, end) } }]]), [0.1, 0.5, 0.9]);
const predictMs = performance.now() - t1;

let ape = 0;
let ae = 0;
let se = 0;
let n = 0;
let covered = 0;
for (let i = 0; i < fc.mean.length; i++) {
  const a = s.values[cut + i];
  if (!Number.isFinite(a) || a === 0) continue;
  const e = a - fc.mean[i];
  ape += Math.abs(e / a);
  ae += Math.abs(e);
  se += e * e;
  if (a >= fc.quantiles['0.1'][i] && a <= fc.quantiles['0.9'][i]) covered++;
  n++;
}
const [sum] = gamSummary(fitted);
console.log(`| dataset | series | train rows | EDF | fit s | predict s | MAPE % | MAE | RMSE | P10–P90 coverage |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|`);
console.log(
  `| ${args.dataset} | ${s.id} | ${sum.n} | ${(fitted.toArtifact().metrics?.edf ?? 0).toFixed(1)} | ${(fitMs / 1000).toFixed(2)} | ${(predictMs / 1000).toFixed(2)} | ${((100 * ape) / n).toFixed(2)} | ${(ae / n).toFixed(0)} | ${Math.sqrt(se / n).toFixed(0)} | ${((100 * covered) / n).toFixed(1)} % |`,
);
if (args.summary) console.log(`smoothing-parameter iterations ${sum.iterations}, converged ${sum.converged}`);
if (args.summary) for (const sm of sum.smooths) console.log(`${sm.label.padEnd(24)} edf ${sm.edf.toFixed(2).padStart(6)}  λ ${sm.lambda.map((l) => l.toExponential(2)).join(', ')}`);


if (args.export) {
  const p = parseGamParams(params);
  const t = buildFeatures(history.start.getTime(), s.stepSec, end - from, 'UTC', p, undefined, slice(temp, from, end), undefined);
  const names = Object.keys(t.columns);
  const lines = [['y', 'test', ...names].join(',')];
  for (let i = 0; i < end - from; i++) lines.push([s.values[from + i], from + i >= cut ? 1 : 0, ...names.map((k) => t.columns[k][i])].join(','));
  writeFileSync(args.export, lines.join('\n') + '\n');
  console.log(`features written to ${args.export}`);
}
