/**
 * Day-ahead accuracy of gridcast's models against baselines on the real data (see
 * /work/shared/data/README.md; results on GEFCom2012 cite Hong, Pinson & Fan, IJF 30(2), 2014).
 *
 * "Day-ahead" here: at each origin (local midnight) the model sees the load strictly before the
 * origin and forecasts the next 24 hourly values; temperatures over those 24 h are observed ones
 * ("perfect" weather) or, for BigDEAL, the published forecasts.
 *
 * Environment: GRIDCAST_SHARED_DATA (data folder), BENCH_ORIGINS (28), BENCH_ZONE_ORIGINS (28),
 * BENCH_MODELS (comma list of seasonal-naive,hong-vanilla,gam,gam-arima,auto,lstm,r),
 * BENCH_REFIT_EVERY (1: refit at every origin), BENCH_ZONES (1: run the 20 zones), BENCH_ZONE_MODELS,
 * BENCH_PARAMS (JSON { model: params } passed to the models, for tuning).
 *
 * Run: node bin/run-ts.mjs bench/accuracy.ts   (writes .bench-out/accuracy.md)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Forecaster } from '../core/types.ts';
import { runBacktest, type OriginResult } from '../forecast/backtest/driver.ts';
import { placeOrigins } from '../forecast/backtest/origins.ts';
import { scoreBacktest, type BacktestScore } from '../forecast/backtest/score.ts';
import { forecasterFor } from '../bin/lib/models.ts';
import { createHongVanillaForecaster } from './baselines/hong-vanilla.ts';
import { bigdeal2022, gefcom2012, sharedDataDir, type BenchCase } from './datasets.ts';
import { rscriptAvailable, runReference } from './r/run-reference.ts';
import { averageScores, renderTable, type BenchRow } from './report.ts';

const HORIZON = 24;
const int = (name: string, d: number) => (process.env[name] ? Number.parseInt(process.env[name]!, 10) : d);
const ORIGINS = int('BENCH_ORIGINS', 28);
const ZONE_ORIGINS = int('BENCH_ZONE_ORIGINS', 28);
const REFIT_EVERY = int('BENCH_REFIT_EVERY', 1);
const RUN_ZONES = process.env.BENCH_ZONES !== '0';
const MODELS = (process.env.BENCH_MODELS ?? 'seasonal-naive,hong-vanilla,gam,gam-arima,auto,lstm,r').split(',').map((s) => s.trim());
const PARAMS = JSON.parse(process.env.BENCH_PARAMS ?? '{}') as Record<string, Record<string, unknown>>;
/**
 * The LSTM is trained once, before the first origin, and only conditioned on the new days at the
 * later origins (its training takes a minute); every other model is refitted per BENCH_REFIT_EVERY.
 */
const refitEveryOf = (model: string) => (model === 'lstm' ? Number.MAX_SAFE_INTEGER : REFIT_EVERY);
/** Models run on the 20 zones too (the LSTM's minute of training per series is kept for the headline series). */
const ZONE_MODELS = (process.env.BENCH_ZONE_MODELS ?? 'seasonal-naive,hong-vanilla,gam,gam-arima,auto').split(',');
/** Days between origins: 28 origins over the last year of GEFCom2012, over Jan–Oct 2018 for BigDEAL. */
const EVERY_DAYS: Record<string, number> = { gefcom2012: 13, bigdeal2022: 11 };

function originsFor(c: BenchCase, count: number): number[] {
  const s = c.input.series;
  const every = EVERY_DAYS[c.dataset] * Math.round(86_400 / s.stepSec);
  return placeOrigins({ startMs: s.start.getTime(), stepSec: s.stepSec, length: s.values.length, horizon: HORIZON, count, originStepSteps: every, timeZone: s.timeZone, minHistory: 365 * 24 });
}

function forecasterOf(model: string): Forecaster {
  if (model === 'hong-vanilla') return createHongVanillaForecaster();
  return forecasterFor(model, PARAMS[model] ?? {});
}

const isLevelCase = (c: BenchCase) => c.dataset === 'gefcom2012' && c.seriesId !== 'system';

async function main(): Promise<void> {
  const dir = sharedDataDir();
  const t0 = Date.now();
  const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);
  log(`loading ${dir}`);
  const cases = [...gefcom2012(dir), ...bigdeal2022(dir)].filter((c) => RUN_ZONES || !isLevelCase(c));
  log(`${cases.length} cases loaded`);

  // R runs in its own process on the other core, one job at a time, on the headline series only.
  const useR = MODELS.includes('r') && rscriptAvailable();
  const rJobs = new Map<BenchCase, Promise<OriginResult[]>>();
  if (useR) {
    let chain: Promise<unknown> = Promise.resolve();
    for (const c of cases.filter((x) => !isLevelCase(x))) {
      const job = chain.then(() => runReference(c.input, originsFor(c, ORIGINS), HORIZON, { refitEvery: REFIT_EVERY }));
      chain = job.catch(() => undefined);
      rJobs.set(c, job);
    }
  }

  const scores = new Map<string, { c: BenchCase; model: string; score?: BacktestScore; error?: string }>();
  const key = (c: BenchCase, model: string) => `${c.dataset}/${c.seriesId}/${c.weather}/${model}`;
  for (const model of MODELS.filter((m) => m !== 'r')) {
    for (const c of cases.filter((x) => !isLevelCase(x) || ZONE_MODELS.includes(model))) {
      const origins = originsFor(c, isLevelCase(c) ? ZONE_ORIGINS : ORIGINS);
      const started = Date.now();
      try {
        const results = await runBacktest(forecasterOf(model), c.input, { horizon: HORIZON, origins, refitEvery: refitEveryOf(model) });
        const score = scoreBacktest(results);
        scores.set(key(c, model), { c, model, score });
        log(`${key(c, model)}: MAPE ${score.mape?.toFixed(2) ?? '—'} cov ${score.coverage?.toFixed(0)} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
      } catch (e) {
        const msg = (e as { code?: string }).code ? `${(e as { code: string }).code}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
        scores.set(key(c, model), { c, model, error: msg });
        log(`${key(c, model)}: FAILED ${msg}`);
      }
    }
  }
  for (const [c, job] of rJobs) {
    try {
      const score = scoreBacktest(await job);
      scores.set(key(c, 'r'), { c, model: 'R bam+auto.arima', score });
      log(`${key(c, 'r')}: MAPE ${score.mape?.toFixed(2)}`);
    } catch (e) {
      scores.set(key(c, 'r'), { c, model: 'R bam+auto.arima', error: String((e as Error).message).slice(0, 200) });
    }
  }

  const rows: BenchRow[] = [];
  const zoneRows: BenchRow[] = [];
  const modelNames = [...MODELS.filter((m) => m !== 'r'), ...(useR ? ['r'] : [])];
  const headline = cases.filter((c) => !isLevelCase(c));
  for (const c of headline.filter((x) => x.dataset === 'gefcom2012')) {
    for (const m of modelNames) rows.push(rowOf(scores.get(key(c, m)), c, m));
    if (RUN_ZONES) {
      for (const m of modelNames.filter((x) => ZONE_MODELS.includes(x))) {
        const zs = cases.filter(isLevelCase).map((z) => ({ id: z.seriesId, s: scores.get(key(z, m)) }));
        const ok = zs.filter((z) => z.s?.score).map((z) => ({ id: z.id, score: z.s!.score! }));
        const failed = zs.filter((z) => !z.s?.score).map((z) => z.id);
        const avg = ok.length ? averageScores(ok) : undefined;
        rows.push({ dataset: 'gefcom2012', series: 'zones (mean of 20)', weather: 'observed', model: m === 'r' ? 'R bam+auto.arima' : m, ...(avg ? avg : {}), ...(failed.length ? { error: `on ${failed.join(',')}` } : {}) });
        for (const z of zs) zoneRows.push(rowOf(z.s, cases.find((x) => x.seriesId === z.id)!, m));
      }
    }
  }
  for (const c of headline.filter((x) => x.dataset === 'bigdeal2022')) for (const m of modelNames) rows.push(rowOf(scores.get(key(c, m)), c, m));

  const zoneOriginsNote = RUN_ZONES ? `, zones ${ZONE_ORIGINS} origins` : ', zones not run';
  const header = [
    `# gridcast day-ahead accuracy (${new Date().toISOString()})`,
    '',
    `Day-ahead = the 24 hourly values from local midnight, the model seeing load strictly before the origin. Origins: the last ${ORIGINS} local midnights ${EVERY_DAYS.gefcom2012} days apart for GEFCom2012 (last year of data${zoneOriginsNote}), ${EVERY_DAYS.bigdeal2022} days apart for BigDEAL 2022 (Jan–Oct 2018). Refit every ${REFIT_EVERY} origin(s). Temperature: mean of all stations. MAPE is replaced by MAE where actuals are zero. pinball % = mean pinball loss over P10/P50/P90 divided by the mean actual. Hong's vanilla P10/P90 are its in-sample residual quantiles (not part of the published benchmark). GEFCom2012 data: Hong, Pinson & Fan, IJF 30(2), 2014.`,
    '',
  ].join('\n');
  const table = renderTable(rows);
  const zoneTable = zoneRows.length ? `\n\n## GEFCom2012 zones\n\n${renderTable(zoneRows)}` : '';
  const elapsed = `\n\nTotal run time: ${((Date.now() - t0) / 60000).toFixed(1)} min.`;
  console.log(`${header}\n${table}${zoneTable}${elapsed}`);
  const outDir = resolve(import.meta.dirname, '../.bench-out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resolve(outDir, 'accuracy.md'), `${header}\n${table}${zoneTable}${elapsed}\n`);
}

function rowOf(s: { score?: BacktestScore; error?: string } | undefined, c: BenchCase, m: string): BenchRow {
  const model = m === 'r' ? 'R bam+auto.arima' : m;
  const produced = s?.score && m === 'auto' ? `chose ${Object.entries(s.score.producedBy).map(([k, n]) => `${k} ×${n}`).join(', ')}` : undefined;
  return {
    dataset: c.dataset,
    series: c.seriesId,
    weather: c.weather,
    model,
    ...(s?.score ? { score: s.score } : {}),
    ...(s?.error ? { error: s.error } : !s ? { error: 'not run' } : {}),
    ...(produced ? { note: produced } : {}),
  };
}

await main();
