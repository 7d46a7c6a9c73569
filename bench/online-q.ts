/**
 * How the online adaptation's Q/σ² ratio should be chosen (models/online): for each ratio on the
 * grid, the criteria computed on the training history — concentrated log-likelihood (viking's
 * choice) and squared error of the predictions from each day's start (gridcast's) — beside the
 * day-ahead MAPE of the adapted GAM on the following days, the GAM fitted once and never refitted
 * (the adaptation alone, no ARIMA). Test period: the last 365 days of each series. The grid runs
 * beyond gridcast's Q_GRID (which stops at 10⁻⁵ because the ARIMA on top follows the fast part).
 *
 *   GRIDCAST_SHARED_DATA=/work/shared/data npm run bench:online-q [-- system,z10,ldc1]
 */
import { createGamForecaster } from '../models/gam/gam-forecaster.ts';
import { concentratedLogLik, kalmanFilter, scaledIdentity } from '../models/online/kalman.ts';
import { dayAdvances, divisors, Q_GRID, regressors } from '../models/online/term-adaptation.ts';
import { bigdeal2022, gefcom2012, sharedDataDir } from './datasets.ts';

const GRID = [0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];
const ids = (process.argv[2] ?? 'system,z10,ldc1').split(',');
const dir = sharedDataDir();
const cases = [...gefcom2012(dir), ...bigdeal2022(dir).filter((c) => c.weather === 'observed')].filter((c) => ids.includes(c.seriesId));
const lines = ['| series | GAM fitted up to | Q/σ² | train log-lik | train day-start RMSE (log) | MAPE % 28 d | MAPE % 365 d | chosen by |', '|---|---|---|---|---|---|---|---|'];
for (const c of cases) {
  const s = c.input.series;
  const temp = c.input.future!.temperature!;
  const n = s.values.length;
  const perDay = 86_400 / s.stepSec;
  const O = n - 365 * perDay;
  const cov = (to: number) => new Map([[s.id, { future: { temperature: temp.slice(0, to) } }]]);
  const gam = await createGamForecaster({ calendar: { country: 'US' } }).fit([{ ...s, values: s.values.slice(0, O) }], cov(O));
  const terms = gam.terms!.history([s], cov(n), Number.NEGATIVE_INFINITY).get(s.id)!;
  const d = terms.labels.length;
  const scales = divisors(terms.values.map((v) => v.subarray(0, O)));
  const X = regressors(terms, scales);
  const y = Float64Array.from(s.values, (v) => (v > 0 ? Math.log(v) : Number.NaN));
  const advance = dayAdvances(s.start.getTime(), s.start.getTime(), s.stepSec, n);
  const mape = (pred: (t: number) => number, days: number) => {
    let e = 0;
    let k = 0;
    for (let t = O; t < O + days * perDay; t++) {
      const v = s.values[t];
      if (v > 0) {
        e += Math.abs(Math.exp(pred(t)) - v) / v;
        k++;
      }
    }
    return ((100 * e) / k).toFixed(2);
  };
  const rows = GRID.map((q) => {
    const start = { theta: Float64Array.from(scales), P: scaledIdentity(d, 1) };
    const train = kalmanFilter(start, X.subarray(0, O * d), y.subarray(0, O), scaledIdentity(d, q), advance.subarray(0, O));
    const all = kalmanFilter(start, X, y, scaledIdentity(d, q), advance);
    return { q, ll: concentratedLogLik(train), mse: train.sumSqAnchor / train.n, m28: mape((t) => all.fromAnchor[t], 28), m365: mape((t) => all.fromAnchor[t], 365) };
  });
  const ml = rows.reduce((a, b) => (b.ll > a.ll ? b : a));
  const ds = rows.reduce((a, b) => (b.mse < a.mse ? b : a));
  const ours = rows.filter((r) => Q_GRID.includes(r.q)).reduce((a, b) => (b.mse < a.mse ? b : a));
  const gamFit = (t: number) => terms.values.reduce((a, v) => a + v[t], 0);
  const upTo = new Date(s.start.getTime() + O * s.stepSec * 1000).toISOString().slice(0, 10);
  lines.push(`| ${c.seriesId} | ${upTo} | GAM alone | | | ${mape(gamFit, 28)} | ${mape(gamFit, 365)} | |`);
  for (const r of rows) {
    const by = [r === ml ? 'max likelihood' : '', r === ds ? 'day-start error' : '', r === ours ? 'gridcast (day-start error, ≤ 1e-5)' : ''].filter(Boolean).join(', ');
    lines.push(`| ${c.seriesId} | ${upTo} | ${r.q} | ${r.ll.toFixed(0)} | ${Math.sqrt(r.mse).toFixed(5)} | ${r.m28} | ${r.m365} | ${by} |`);
  }
  process.stderr.write(`${c.seriesId} done\n`);
}
console.log(`# Online adaptation: choice of Q/σ² (${new Date().toISOString().slice(0, 10)})\n\n${lines.join('\n')}`);
