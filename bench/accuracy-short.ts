/**
 * Day-ahead accuracy on short, weather-free histories (issue 12): 12 weeks of history, 14 daily
 * origins, no weather (bench/short-cases.ts), for `auto` beside its candidates, seasonal naive and
 * R's reference on the same origins (bench/r/short-reference.R: mgcv gam(load ~ daytype +
 * s(tod, by = daytype, bs = "cc") + s(trend)) + auto.arima on 14 days of residuals, refitted at
 * every origin). Every gridcast model is refitted at every origin too (the CLI's default), built
 * as `gridcast backtest --model NAME --holidays COUNTRY` builds it.
 *
 * `auto` is the default (combine 'evidence': the preferred candidate unless another, or the
 * mixture, is better by a one-sided Diebold–Mariano test on the validation days); `auto-mlpol` the
 * ML-Poly mixture of its validated candidates; `auto-choose` the mixture where its online
 * validation score beats following the leader's, else the single best; `auto-best` the same
 * validation serving the single best candidate. All share one fit per (candidate, history) over
 * the whole backtest (consecutive origins validate on overlapping histories): the same numbers as
 * fitting afresh at each origin, a fraction of the time; the cost of one production fit is timed
 * apart, uncached, at the last origin ("production fit s").
 *
 * Environment: GRIDCAST_SHARED_DATA (data folder; without it only the simulated case runs),
 * BENCH_MODELS (comma list of seasonal-naive, profile-arima, calendar-gam, calendar-gam-arima, auto, auto-mlpol, auto-choose, auto-best, r),
 * BENCH_SERIES (ids), BENCH_PARAMS (JSON { auto, calendarGamArima } parameters, for tuning).
 * Run: npm run bench:accuracy-short (prints the table, writes .bench-out/accuracy-short.md).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Forecaster, FittedForecaster } from '../core/types.ts';
import { runBacktest } from '../forecast/backtest/driver.ts';
import { scoreBacktest, type BacktestScore } from '../forecast/backtest/score.ts';
import { createAutoForecaster, sharingBuilder, type AutoInput, type ModelRef } from '../models/auto.ts';
import { configuredForecaster } from '../models/configured.ts';
import { memoForecaster } from './memo.ts';
import { rscriptAvailable } from './r/run-reference.ts';
import { R_SHORT_LABEL, runShortReference } from './r/run-short-reference.ts';
import { autoNote, renderTable, winLoss, type BenchRow } from './report.ts';
import { sharedShortCases, simulatedShortCase, SHORT_HISTORY_DAYS, SHORT_ORIGINS, type ShortCase } from './short-cases.ts';

const MODELS = (process.env.BENCH_MODELS ?? 'seasonal-naive,profile-arima,calendar-gam,calendar-gam-arima,auto,auto-mlpol,auto-choose,auto-best,r').split(',').map((m) => m.trim());
const SERIES = process.env.BENCH_SERIES?.split(',');
const TUNING = JSON.parse(process.env.BENCH_PARAMS ?? '{}') as { auto?: Record<string, unknown>; calendarGamArima?: Record<string, unknown> };

type Build = (ref: ModelRef) => Forecaster;

/** One fit per (candidate, history) for every `auto` of a case. */
function sharedBuild(): Build {
  const inner = sharingBuilder();
  const caches = new Map<string, Map<string, Promise<FittedForecaster>>>();
  return (ref) => {
    const key = JSON.stringify(ref);
    if (!caches.has(key)) caches.set(key, new Map());
    return memoForecaster(inner(ref), caches.get(key));
  };
}

/** `auto` as `gridcast backtest --model auto --horizon H --holidays C` builds it. */
function autoOf(c: ShortCase, extra: AutoInput = {}): Forecaster {
  return configuredForecaster({ kind: 'auto', params: { ...TUNING.auto, ...extra, validation: { horizonSteps: c.horizon, ...(TUNING.auto?.validation as object | undefined) } } }, c.holidays);
}

/** The `combine` of each variant of `auto` (plain `auto`: the default). */
const VARIANT: Record<string, AutoInput['combine']> = { 'auto-mlpol': 'mlpol', 'auto-choose': 'choose', 'auto-best': 'best' };

function forecasterOf(model: string, c: ShortCase, build: Build): Forecaster {
  const calendarGam = { kind: 'gam', params: { temperature: 'none', calendar: { country: c.holidays } } };
  switch (model) {
    case 'seasonal-naive':
      return configuredForecaster({ kind: 'seasonal-naive', params: { period: 'week' } });
    case 'profile-arima':
      return configuredForecaster({ kind: 'gam-arima', params: { base: 'profile' } });
    case 'calendar-gam':
      return configuredForecaster(calendarGam);
    case 'calendar-gam-arima':
      return configuredForecaster({ kind: 'gam-arima', params: { base: calendarGam, windowDays: 14, ...TUNING.calendarGamArima } });
    case 'auto':
    case 'auto-mlpol':
    case 'auto-choose':
    case 'auto-best':
      return createAutoForecaster(autoOf(c, model === 'auto' ? {} : { combine: VARIANT[model] }).spec.params as AutoInput, build);
    default:
      throw new Error(`unknown bench model '${model}'`);
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);
  const dir = process.env.GRIDCAST_SHARED_DATA;
  const cases = [...(dir && existsSync(resolve(dir, 'gefcom2012')) ? sharedShortCases(dir) : []), simulatedShortCase()].filter((c) => !SERIES || SERIES.includes(c.seriesId));
  const useR = MODELS.includes('r') && rscriptAvailable();
  const rows: BenchRow[] = [];
  const byCase = new Map<string, Map<string, BacktestScore>>();
  for (const c of cases) {
    const scores = new Map<string, BacktestScore>();
    byCase.set(c.seriesId, scores);
    const build = sharedBuild();
    for (const model of MODELS.filter((m) => m !== 'r' || useR)) {
      const started = Date.now();
      const label = model === 'r' ? R_SHORT_LABEL : model;
      try {
        const results = model === 'r' ? await runShortReference(c) : await runBacktest(forecasterOf(model, c, build), c.input, { horizon: c.horizon, origins: c.origins });
        const score = scoreBacktest(results);
        scores.set(model, score);
        let chose = model.startsWith('auto') ? autoNote(score.producedBy) : undefined;
        if (model === 'auto') {
          // What one run pays: a fresh `auto` fitted on the history before the last origin.
          const last = c.origins[c.origins.length - 1];
          const t = Date.now();
          await autoOf(c).fit([{ ...c.input.series, values: c.input.series.values.slice(0, last) }]);
          chose += `; production fit ${((Date.now() - t) / 1000).toFixed(0)} s`;
        }
        rows.push({ dataset: c.dataset, series: c.seriesId, weather: 'none', model: label, score, ...(chose ? { note: chose } : {}) });
        log(`${c.seriesId} ${label}: MAPE ${score.mape?.toFixed(2)} cov ${score.coverage?.toFixed(0)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      } catch (e) {
        rows.push({ dataset: c.dataset, series: c.seriesId, weather: 'none', model: label, error: String((e as Error).message).slice(0, 200) });
        log(`${c.seriesId} ${label}: FAILED ${(e as Error).message}`);
      }
    }
  }
  const table = renderTable(rows);
  const wins = winLoss(byCase, MODELS.filter((m) => m !== 'seasonal-naive' && (m !== 'r' || useR)), (m) => (m === 'r' ? R_SHORT_LABEL : m));
  const text = [
    `# Short weather-free histories, day-ahead (${new Date().toISOString()})`,
    '',
    `${SHORT_HISTORY_DAYS} days of history before the first of ${SHORT_ORIGINS} daily origins (local midnight), horizon one day, no weather; every model refitted at every origin. fit s/origin: wall time on a shared 2-core machine.`,
    '',
    table,
    '',
    '## Against seasonal naive (MAPE per series)',
    '',
    wins,
    '',
    `Run time: ${((Date.now() - t0) / 60000).toFixed(1)} min.`,
  ].join('\n');
  console.log(text);
  const out = resolve(import.meta.dirname, '../.bench-out');
  mkdirSync(out, { recursive: true });
  if (!SERIES && !process.env.BENCH_MODELS) writeFileSync(resolve(out, 'accuracy-short.md'), `${text}\n`);
}

await main();
