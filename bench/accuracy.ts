/**
 * Day-ahead accuracy of gridcast's models against baselines on the real data (see
 * /work/shared/data/README.md; results on GEFCom2012 cite Hong, Pinson & Fan, IJF 30(2), 2014).
 *
 * "Day-ahead" here: at each origin (local midnight) the model sees the load strictly before the
 * origin and forecasts the next 24 hourly values; temperatures over those 24 h are observed ones
 * ("perfect" weather) or, for BigDEAL, the published forecasts.
 *
 * Environment: GRIDCAST_SHARED_DATA (data folder), BENCH_ORIGINS (28), BENCH_ZONE_ORIGINS (28),
 * BENCH_MODELS (comma list of seasonal-naive,hong-vanilla,gam,gam-arima,gam-arima+kalman,auto,auto-mlpol,auto-choose,auto-best,auto-realised,lstm,r;
 * auto is the default, combine 'evidence': the preferred candidate unless another, or the mixture,
 * is better by a one-sided Diebold–Mariano test on the validation days; auto-mlpol the ML-Poly
 * mixture of its validated candidates; auto-choose the mixture where its online validation score
 * beats following the leader's, else the single best; auto-best the single best of the same validation;
 * auto-realised auto with its bands calibrated on the realised weather, weatherErrorSd 0),
 * BENCH_REFIT_EVERY (7: refit every 7th origin, conditioned in between), BENCH_ZONE_REFIT_EVERY (7),
 * BENCH_ZONES (1: run the 20 zones), BENCH_ZONE_MODELS, BENCH_LSTM_BUDGET (30 s of training),
 * BENCH_PARAMS (JSON { gam, gamArima, auto } parameters, for tuning), BENCH_SERIES (ids to run),
 * BENCH_RESULTS (folder under .bench-out for the stored results, default results), BENCH_PART (all | headline | zones:
 * several processes can share the work), BENCH_REPORT_ONLY=1 (render the table from the stored results).
 * Every measured case is stored in .bench-out/results/ as it completes; the table is rendered from there.
 *
 * Run: node bin/run-ts.mjs bench/accuracy.ts   (writes .bench-out/accuracy.md). A full run is
 * long on 2 cores (about an hour): split it over processes with BENCH_PART/BENCH_SERIES sharing
 * BENCH_RESULTS, then render with BENCH_REPORT_ONLY=1.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Forecaster, FittedForecaster } from '../core/types.ts';
import { buildForecaster, createAutoForecaster, type ModelRef } from '../models/auto.ts';
import { createGamArimaForecaster } from '../models/gam-arima.ts';
import { createGamForecaster } from '../models/gam/gam-forecaster.ts';
import { createLstmForecaster } from '../models/lstm/forecaster.ts';
import { createSeasonalNaiveForecaster } from '../models/fallback/seasonal-naive.ts';
import { runBacktest } from '../forecast/backtest/driver.ts';
import { placeOrigins } from '../forecast/backtest/origins.ts';
import { scoreBacktest, type BacktestScore } from '../forecast/backtest/score.ts';
import { createHongVanillaForecaster } from './baselines/hong-vanilla.ts';
import { bigdeal2022, gefcom2012, sharedDataDir, type BenchCase } from './datasets.ts';
import { memoForecaster } from './memo.ts';
import { rscriptAvailable, runReference } from './r/run-reference.ts';
import { autoNote, averageScores, renderTable, winLoss, type BenchRow } from './report.ts';

const HORIZON = 24;
const int = (name: string, d: number) => (process.env[name] ? Number.parseInt(process.env[name]!, 10) : d);
const ORIGINS = int('BENCH_ORIGINS', 28);
const ZONE_ORIGINS = int('BENCH_ZONE_ORIGINS', 28);
const REFIT_EVERY = int('BENCH_REFIT_EVERY', 7);
const ZONE_REFIT_EVERY = int('BENCH_ZONE_REFIT_EVERY', 7);
const LSTM_BUDGET = int('BENCH_LSTM_BUDGET', 30);
const RUN_ZONES = process.env.BENCH_ZONES !== '0';
const PART = process.env.BENCH_PART ?? 'all';
const REPORT_ONLY = process.env.BENCH_REPORT_ONLY === '1';
const OUT_DIR = resolve(import.meta.dirname, '../.bench-out');
const RESULTS_DIR = resolve(OUT_DIR, process.env.BENCH_RESULTS ?? 'results');
/** Comma list of series ids to run (default all), e.g. for a tuning run on one series. */
const SERIES = process.env.BENCH_SERIES?.split(',');
const MODELS = (process.env.BENCH_MODELS ?? 'seasonal-naive,hong-vanilla,gam,gam-arima,auto,lstm,r').split(',').map((s) => s.trim());
const TUNING = JSON.parse(process.env.BENCH_PARAMS ?? '{}') as { gam?: Record<string, unknown>; gamArima?: Record<string, unknown>; auto?: Record<string, unknown> };
/** Both datasets are US utilities: US federal holidays in the GAM's calendar. */
const GAM_PARAMS = { calendar: { country: 'US' }, ...TUNING.gam };
const GAM_ARIMA_PARAMS = { ...TUNING.gamArima };
const PRIMARY = { kind: 'gam-arima', params: { ...GAM_ARIMA_PARAMS, base: { kind: 'gam', params: GAM_PARAMS } } };
/** Models run on the 20 zones (the LSTM's training is kept to the headline series for time). */
// auto is left out of the zones by default: its rule picks gam-arima for every zone (years of history, weather).
const ZONE_MODELS = (process.env.BENCH_ZONE_MODELS ?? 'seasonal-naive,hong-vanilla,gam,gam-arima').split(',');
/**
 * The LSTM is trained once, before the first origin, and only conditioned on the new days at the
 * later origins; the others are refitted every REFIT_EVERY origins and conditioned in between.
 */
const refitEveryOf = (model: string, zone: boolean) => (model === 'lstm' ? Number.MAX_SAFE_INTEGER : zone ? ZONE_REFIT_EVERY : REFIT_EVERY);

type Caches = Map<string, Map<string, Promise<FittedForecaster>>>;
const cacheOf = (caches: Caches, name: string) => {
  let c = caches.get(name);
  if (!c) caches.set(name, (c = new Map()));
  return c;
};

/** The bench's models; fits are shared per series (see memoForecaster), so 'gam' and 'gam-arima' fit the GAM once. */
function forecasterOf(model: string, caches: Caches): Forecaster {
  const gam = () => memoForecaster(createGamForecaster(GAM_PARAMS), cacheOf(caches, 'gam'));
  // auto and auto-best share every candidate's fits (per reference and history) with each other and with 'gam'/'gam-arima'.
  const autoBuild = (ref: ModelRef): Forecaster => {
    if (ref === PRIMARY) return memoForecaster(createGamArimaForecaster(gam(), GAM_ARIMA_PARAMS), cacheOf(caches, 'gam-arima'));
    const same = (params: unknown) => JSON.stringify(params) === JSON.stringify(GAM_PARAMS);
    if (ref.kind === 'gam' && same(ref.params)) return gam();
    const { base, ...rest } = ref.params ?? {};
    const f = ref.kind === 'gam-arima' && (base as { kind?: string })?.kind === 'gam' && same((base as { params?: unknown }).params) ? createGamArimaForecaster(gam(), rest) : buildForecaster(ref);
    return memoForecaster(f, cacheOf(caches, `candidate:${JSON.stringify(ref)}`));
  };
  const make: Record<string, () => Forecaster> = {
    'seasonal-naive': () => createSeasonalNaiveForecaster(),
    'hong-vanilla': () => createHongVanillaForecaster(),
    gam,
    'gam-arima': () => createGamArimaForecaster(gam(), GAM_ARIMA_PARAMS),
    // The same GAM fits, adapted online by the Kalman filter between refits (models/online).
    'gam-arima+kalman': () => createGamArimaForecaster(gam(), { ...GAM_ARIMA_PARAMS, online: 'kalman' }),
    // auto's choice logic runs for real; when it picks the primary, the fit is the one 'gam-arima' made.
    // Its validation candidates on the same GAM (the GAM alone, gam-arima with the ARIMA moved) share the 'gam' fits too.
    auto: () => createAutoForecaster({ primary: PRIMARY, ...TUNING.auto }, autoBuild),
    'auto-mlpol': () => createAutoForecaster({ primary: PRIMARY, ...TUNING.auto, combine: 'mlpol' }, autoBuild),
    'auto-choose': () => createAutoForecaster({ primary: PRIMARY, ...TUNING.auto, combine: 'choose' }, autoBuild),
    'auto-best': () => createAutoForecaster({ primary: PRIMARY, ...TUNING.auto, combine: 'best' }, autoBuild),
    // auto with its bands calibrated on the realised weather (as before weatherErrorSd): the same choice, perfect weather in its calibration.
    'auto-realised': () => createAutoForecaster({ primary: PRIMARY, ...TUNING.auto, validation: { ...(TUNING.auto?.validation as object | undefined), weatherErrorSd: 0 } }, autoBuild),
    lstm: () => createLstmForecaster({ timeBudgetSec: LSTM_BUDGET, backend: 'wasm' }),
  };
  if (!make[model]) throw new Error(`unknown bench model '${model}'`);
  return model === 'gam' ? gam() : memoForecaster(make[model](), cacheOf(caches, model));
}

/** Days between origins: 28 origins over the last year of GEFCom2012, over Jan–Oct 2018 for BigDEAL. */
const EVERY_DAYS: Record<string, number> = { gefcom2012: 13, bigdeal2022: 11 };

function originsFor(c: BenchCase, count: number): number[] {
  const s = c.input.series;
  // Fewer origins (zones) are spread over the same period, further apart.
  const every = Math.round((EVERY_DAYS[c.dataset] * ORIGINS) / count) * Math.round(86_400 / s.stepSec);
  return placeOrigins({ startMs: s.start.getTime(), stepSec: s.stepSec, length: s.values.length, horizon: HORIZON, count, originStepSteps: every, timeZone: s.timeZone, minHistory: 365 * 24 });
}

const isLevelCase = (c: BenchCase) => c.dataset === 'gefcom2012' && c.seriesId !== 'system';

async function main(): Promise<void> {
  const dir = sharedDataDir();
  const t0 = Date.now();
  const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);
  log(`loading ${dir}`);
  const cases = [...gefcom2012(dir), ...bigdeal2022(dir)].filter((c) => RUN_ZONES || !isLevelCase(c));
  log(`${cases.length} cases loaded`);

  const key = (c: BenchCase, model: string) => `${c.dataset}/${c.seriesId}/${c.weather}/${model}`;
  const groups = new Map<string, BenchCase[]>();
  const inPart = (c: BenchCase) => !REPORT_ONLY && (PART === 'all' || (PART === 'zones') === isLevelCase(c)) && (!SERIES || SERIES.includes(c.seriesId));
  // Headline series first, zones after: a run cut short still has the numbers the targets are about.
  for (const c of [...cases.filter((x) => !isLevelCase(x)), ...cases.filter(isLevelCase)].filter(inPart)) {
    groups.set(`${c.dataset}/${c.seriesId}`, [...(groups.get(`${c.dataset}/${c.seriesId}`) ?? []), c]);
  }

  // R runs in its own process beside ours, one series at a time (both weather variants from one fit).
  const useR = MODELS.includes('r') && !REPORT_ONLY && PART !== 'zones' && rscriptAvailable();
  if (useR && !REPORT_ONLY && PART !== 'zones') {
    let chain: Promise<unknown> = Promise.resolve();
    for (const group of groups.values()) {
      if (isLevelCase(group[0])) continue;
      const job = chain.then(() => runReference(group.map((c) => c.input), originsFor(group[0], ORIGINS), HORIZON, { refitEvery: REFIT_EVERY }));
      job.then(
        (byVariant) =>
          group.forEach((c, k) => {
            const score = scoreBacktest(byVariant[k]);
            store(key(c, 'r'), { score });
            log(`${key(c, 'r')}: MAPE ${score.mape?.toFixed(2)} cov ${score.coverage?.toFixed(0)}`);
          }),
        (e) => {
          for (const c of group) {
            store(key(c, 'r'), { error: String((e as Error).message).slice(0, 300) });
          }
          log(`R ${group[0].dataset}/${group[0].seriesId} FAILED ${String((e as Error).message).slice(0, 300)}`);
        },
      );
      chain = job.catch(() => undefined);
    }
    rDone = chain;
  }

  for (const group of groups.values()) {
    // Fits are shared within one series only, and dropped with it.
    const caches: Caches = new Map();
    for (const model of MODELS.filter((m) => m !== 'r')) {
      for (const c of group.filter((x) => !isLevelCase(x) || ZONE_MODELS.includes(model))) {
        const zone = isLevelCase(c);
        const origins = originsFor(c, zone ? ZONE_ORIGINS : ORIGINS);
        const started = Date.now();
        try {
          const results = await runBacktest(forecasterOf(model, caches), c.input, { horizon: HORIZON, origins, refitEvery: refitEveryOf(model, zone) });
          const score = scoreBacktest(results);
          store(key(c, model), { score });
          log(`${key(c, model)}: MAPE ${score.mape?.toFixed(2) ?? '—'} cov ${score.coverage?.toFixed(0)} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
        } catch (e) {
          const msg = (e as { code?: string }).code ? `${(e as { code: string }).code}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
          store(key(c, model), { error: msg });
          log(`${key(c, model)}: FAILED ${msg}`);
        }
      }
    }
    report(cases, load(cases, key), key, useR, t0, false);
  }
  await rDone;
  report(cases, load(cases, key), key, useR || REPORT_ONLY, t0, true);
}

const fileOf = (k: string) => resolve(RESULTS_DIR, `${k.replace(/[^a-z0-9-]+/gi, '_')}.json`);

function store(k: string, r: { score?: BacktestScore; error?: string }): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(fileOf(k), JSON.stringify({ key: k, ...r, at: new Date().toISOString() }));
}

/** Every stored result of these cases, whichever process measured it. */
function load(cases: BenchCase[], key: (c: BenchCase, m: string) => string): Scores {
  const out: Scores = new Map();
  if (!existsSync(RESULTS_DIR)) return out;
  const byKey = new Map(readdirSync(RESULTS_DIR).map((f) => JSON.parse(readFileSync(resolve(RESULTS_DIR, f), 'utf8')) as { key: string; score?: BacktestScore; error?: string }).map((r) => [r.key, r]));
  for (const c of cases) {
    for (const m of [...MODELS, 'r']) {
      const r = byKey.get(key(c, m));
      if (r) out.set(key(c, m), { c, model: m, ...(r.score ? { score: r.score } : {}), ...(r.error ? { error: r.error } : {}) });
    }
  }
  return out;
}

let rDone: Promise<unknown> = Promise.resolve();

type Scores = Map<string, { c: BenchCase; model: string; score?: BacktestScore; error?: string }>;

/** Renders the table from whatever has been measured so far and writes it to .bench-out/accuracy.md. */
function report(cases: BenchCase[], scores: Scores, key: (c: BenchCase, m: string) => string, useR: boolean, t0: number, final: boolean): void {
  const rows: BenchRow[] = [];
  const zoneRows: BenchRow[] = [];
  const modelNames = [...MODELS.filter((m) => m !== 'r'), ...(useR ? ['r'] : [])];
  const headline = cases.filter((c) => !isLevelCase(c));
  const row = (c: BenchCase, m: string) => {
    const r = rowOf(scores.get(key(c, m)), c, m);
    // The forecast-weather variant reuses the observed variant's fits: show what those fits cost.
    const observed = c.weather === 'forecast' ? scores.get(key({ ...c, weather: 'observed' }, m))?.score : undefined;
    return observed && r.score ? { ...r, score: { ...r.score, fitMs: observed.fitMs } } : r;
  };
  for (const c of headline.filter((x) => x.dataset === 'gefcom2012')) {
    for (const m of modelNames) rows.push(row(c, m));
    if (RUN_ZONES) {
      for (const m of modelNames.filter((x) => ZONE_MODELS.includes(x))) {
        const zs = cases.filter(isLevelCase).map((z) => ({ id: z.seriesId, s: scores.get(key(z, m)) }));
        const ok = zs.filter((z) => z.s?.score).map((z) => ({ id: z.id, score: z.s!.score! }));
        const failed = zs.filter((z) => !z.s?.score).map((z) => z.id);
        const avg = ok.length ? averageScores(ok) : undefined;
        rows.push({ dataset: 'gefcom2012', series: `zones (mean of ${ok.length})`, weather: 'observed', model: m, ...(avg ? avg : {}), ...(failed.length ? { error: `or not run on ${failed.join(',')}` } : {}) });
        for (const z of zs) zoneRows.push(row(cases.find((x) => x.seriesId === z.id)!, m));
      }
    }
  }
  for (const c of headline.filter((x) => x.dataset === 'bigdeal2022')) for (const m of modelNames) rows.push(row(c, m));

  const zoneOriginsNote = RUN_ZONES ? `; zones: ${ZONE_ORIGINS} origins ${Math.round((EVERY_DAYS.gefcom2012 * ORIGINS) / ZONE_ORIGINS)} days apart` : '; zones not run';
  const header = [
    `# gridcast day-ahead accuracy (${new Date().toISOString()}${final ? '' : ', partial'})`,
    '',
    `Day-ahead = the 24 hourly values from local midnight, the model seeing load strictly before the origin. Origins: the last ${ORIGINS} local midnights ${EVERY_DAYS.gefcom2012} days apart for GEFCom2012 (last year of data${zoneOriginsNote}), ${EVERY_DAYS.bigdeal2022} days apart for BigDEAL 2022 (Jan–Oct 2018). Models refitted every ${REFIT_EVERY} origins (zones: ${ZONE_REFIT_EVERY}) and conditioned on the new data in between (same schedule for the R reference's GAM; the ARIMA of gam-arima, auto and the R reference is refitted at every origin); the LSTM is trained once before the first origin (${LSTM_BUDGET} s budget) and conditioned after. Temperature: mean of all stations. MAPE is replaced by MAE where actuals are zero. pinball % = mean pinball loss over P10/P50/P90 divided by the mean actual. Hong's vanilla P10/P90 are its in-sample residual quantiles (not part of the published benchmark). fit s/origin: wall time per origin (fits and conditionings averaged) on a shared, heavily loaded 2-core machine; the GAM fit is shared, so it is counted once in the gam row and not again in gam-arima/auto, and BigDEAL's forecast-weather rows reuse the observed rows' fits. GEFCom2012 data: Hong, Pinson & Fan, IJF 30(2), 2014.`,
    '',
  ].join('\n');
  const table = renderTable(rows);
  // Per case (series × weather variant, zones included when run): MAPE against seasonal naive's.
  const byCase = new Map<string, Map<string, BacktestScore>>();
  for (const v of scores.values()) {
    if (!v.score) continue;
    const id = `${v.c.dataset}/${v.c.seriesId}/${v.c.weather}`;
    if (!byCase.has(id)) byCase.set(id, new Map());
    byCase.get(id)!.set(v.model, v.score);
  }
  const wins = MODELS.includes('seasonal-naive') ? `\n\n## Against seasonal naive (MAPE per series and weather variant)\n\n${winLoss(byCase, modelNames.filter((m) => m !== 'seasonal-naive'), (m) => (m === 'r' ? 'R bam+auto.arima' : m))}` : '';
  const zoneTable = zoneRows.length ? `\n\n## GEFCom2012 zones\n\n${renderTable(zoneRows)}` : '';
  const elapsed = REPORT_ONLY ? '' : `\n\nRun time so far: ${((Date.now() - t0) / 60000).toFixed(1)} min.`;
  if (final) console.log(`${header}\n${table}${wins}${zoneTable}${elapsed}`);
  mkdirSync(OUT_DIR, { recursive: true });
  if ((PART === 'all' && !SERIES) || REPORT_ONLY) writeFileSync(resolve(OUT_DIR, 'accuracy.md'), `${header}\n${table}${wins}${zoneTable}${elapsed}\n`);
}

function rowOf(s: { score?: BacktestScore; error?: string } | undefined, c: BenchCase, m: string): BenchRow {
  const model = m === 'r' ? 'R bam+auto.arima' : m;
  const produced = s?.score && m.startsWith('auto') ? autoNote(s.score.producedBy) : undefined;
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
