import { createWriteStream } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import { jsonObjectArg, parseStringArgs } from '../lib/args.ts';
import { usageError } from '../lib/cli.ts';
import { GridcastError } from '../../core/errors.ts';
import { runBacktest, type OriginResult } from '../../forecast/backtest/driver.ts';
import { placeOrigins } from '../../forecast/backtest/origins.ts';
import { scoreBacktest, scoreByHorizon, type BacktestScore } from '../../forecast/backtest/score.ts';
import { loadSeriesCsv } from '../lib/load-series.ts';
import { loadWeatherCsv, pickStations, weatherOnSeries } from '../lib/load-weather.ts';
import { describeWeather } from '../../core/topology/weather.ts';
import { BACKTEST_MODELS, forecasterFor } from '../lib/models.ts';
import { abnormalDaysOf } from '../../models/explain.ts';
import { abnormalDaysOverFits } from '../../forecast/abnormal-days.ts';

export const summary = 'rolling-origin backtest of a model on a CSV series (no database): forecasts CSV + accuracy table';

export const usage = `usage: gridcast backtest --input FILE.csv --series ID --model NAME --horizon H --origins N --out OUT.csv
         [--weather W.csv [--station ID[,ID...]|mean] [--weather-forecast WF.csv]] [--origin-step STEPS]
         [--time-zone ZONE] [--holidays COUNTRY] [--refit-every K] [--params JSON]
  NAME: ${BACKTEST_MODELS.join(', ')}
  --station: stations averaged into the temperature (default: mean of all stations in W.csv)
  Weather must cover every target of every origin: a gap there stops the run with WEATHER_MISSING
  (a backtest that silently fell back would score a different model than the one asked for).
  --weather-forecast: temperatures as forecast before the origin, used over the horizons (else observations);
                      auto calibrates its bands on their RMSE against W.csv over the 28 days before each origin
  --holidays: country whose public holidays the GAM knows, each with its own effect (date-holidays code, e.g. US, FR)
  --refit-every: refit every K origins and condition the fitted model on the new data in between`;

const positiveInt = (name: string) =>
  z
    .string({ error: `--${name} is required` })
    .regex(/^-?\d+$/, `--${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n > 0, `--${name} must be greater than 0`);

const Args = z.object({
  input: z.string({ error: '--input is required' }).min(1),
  series: z.string({ error: '--series is required' }).min(1),
  model: z.enum(BACKTEST_MODELS, { error: `--model must be one of ${BACKTEST_MODELS.join(', ')}` }),
  horizon: positiveInt('horizon'),
  origins: positiveInt('origins'),
  out: z.string({ error: '--out is required' }).min(1),
  weather: z.string().optional(),
  station: z.string().optional(),
  'weather-forecast': z.string().optional(),
  'origin-step': positiveInt('origin-step').optional(),
  'time-zone': z.string().default('UTC'),
  holidays: z.string().regex(/^[A-Z]{2}$/, '--holidays must be a two-letter country code, e.g. US').optional(),
  'refit-every': positiveInt('refit-every').optional(),
  params: jsonObjectArg('params', '{"windowDays":28}'),
});

export async function run(args: string[]): Promise<number> {
  const a = parseStringArgs(args, Args);
  if ((a.station || a['weather-forecast']) && !a.weather) throw usageError('--station and --weather-forecast need --weather');
  // auto validates its candidates over the run's horizon unless told otherwise.
  const params = a.model === 'auto' ? { ...a.params, validation: { horizonSteps: a.horizon, ...(a.params.validation as object | undefined) } } : a.params;
  const forecaster = forecasterFor(a.model, params, a.holidays ? { holidays: a.holidays } : {});
  const series = loadSeriesCsv(a.input, { ids: [a.series], timeZone: a['time-zone'] }).get(a.series)!;

  let future: Record<string, Float64Array> | undefined;
  let futureForecast: Record<string, Float64Array> | undefined;
  let weatherUsed = 'none (no --weather given: the model runs on the calendar alone)';
  if (a.weather) {
    const w = loadWeatherCsv(a.weather);
    const stations = pickStations(w, a.station, a.weather);
    future = { temperature: weatherOnSeries(series, w, stations) };
    const described = (ids: string[]) => describeWeather({ stations: ids.map((station) => ({ station, weight: 1 / ids.length })), from: 'own' });
    weatherUsed = `observed temperature, ${described(stations)} (${a.weather})`;
    if (a['weather-forecast']) {
      const wf = loadWeatherCsv(a['weather-forecast']);
      const fcStations = pickStations(wf, a.station, a['weather-forecast']);
      futureForecast = { temperature: weatherOnSeries(series, wf, fcStations) };
      weatherUsed += `; over the horizons, forecast temperature, ${described(fcStations)} (${a['weather-forecast']})`;
    }
    if (!forecaster.capabilities.futureCovariates) weatherUsed += `, not used: ${a.model} takes no weather`;
  }

  const origins = placeOrigins({
    startMs: series.start.getTime(),
    stepSec: series.stepSec,
    length: series.values.length,
    horizon: a.horizon,
    count: a.origins,
    ...(a['origin-step'] ? { originStepSteps: a['origin-step'] } : {}),
    timeZone: a['time-zone'],
    minHistory: forecaster.capabilities.minHistory,
  });

  const bar = process.stderr.isTTY ? new SingleBar({ format: 'backtest {bar} {value}/{total} origins | {eta}s left', stream: process.stderr }) : undefined;
  bar?.start(origins.length, 0);
  let results: OriginResult[];
  // The days each fit left out of its GAM as abnormal: the fit is not the one asked of every day, so it is said.
  const leftOut = new Map<string, number>();
  let fits = 0;
  let unread: string | undefined;
  try {
    results = await runBacktest(forecaster, { series, ...(future ? { future } : {}), ...(futureForecast ? { futureForecast } : {}) }, {
      horizon: a.horizon,
      origins,
      ...(a['refit-every'] ? { refitEvery: a['refit-every'] } : {}),
      onOrigin: (done) => bar?.update(done),
      onFit: (fitted, refitted) => {
        if (!refitted) return;
        fits++;
        try {
          for (const d of abnormalDaysOf(fitted.toArtifact(), series.id)) leftOut.set(d, (leftOut.get(d) ?? 0) + 1);
        } catch (e) {
          // Reporting must not cost the backtest its scores: the gap is said instead.
          unread ??= (e as Error).message;
        }
      },
    });
  } finally {
    bar?.stop();
  }
  await writeForecasts(a.out, a.model, results, series.id);
  printSummary(series.id, a.model, scoreBacktest(results), results);
  for (const line of abnormalDaysOverFits(leftOut, fits)) console.log(line);
  if (unread) console.log(`abnormal days left out of the GAM's fits: not read from the fitted model (${unread})`);
  console.log(`weather: ${weatherUsed}`);
  return 0;
}

const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : String(Number(v.toPrecision(10))));

/** The model column names the requested model, and the model that produced the forecast when it differs. */
export const modelLabel = (requested: string, produced: string) => (requested === produced ? requested : `${requested}:${produced}`);

async function writeForecasts(file: string, model: string, results: OriginResult[], seriesId: string): Promise<void> {
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', (e) => reject(new GridcastError('WRITE_FAILED', `cannot write '${file}': ${e.message}`, { file })));
  });
  out.write('series_id,model,origin,ts,step,mean,p10,p50,p90\n');
  for (const r of results) {
    const f = r.forecast;
    const label = modelLabel(model, f.model);
    const origin = r.origin.toISOString();
    for (let k = 0; k < f.mean.length; k++) {
      const ts = new Date(f.start.getTime() + k * f.stepSec * 1000).toISOString();
      out.write(`${seriesId},${label},${origin},${ts},${k + 1},${num(f.mean[k])},${num(f.quantiles['0.1']?.[k])},${num(f.quantiles['0.5']?.[k])},${num(f.quantiles['0.9']?.[k])}\n`);
    }
  }
  out.end();
  await done;
}

const fmt = (v: number | null, d = 2) => (v === null ? '—' : v.toFixed(d));

function printSummary(seriesId: string, model: string, s: BacktestScore, results: OriginResult[]): void {
  const first = results[0].origin.toISOString();
  const last = results[results.length - 1].origin.toISOString();
  console.log(`${results.length} origins from ${first} to ${last}, ${s.n} targets scored${s.skipped ? `, ${s.skipped} without actual` : ''}`);
  const head = ['series', 'model', 'MAPE %', 'MAE', 'RMSE', 'pinball', 'pinball %', 'P10-P90 cov %', 'fit ms/origin'];
  const row = [seriesId, model, s.mape === null ? `— (${s.mapeUndefined}; see MAE)` : fmt(s.mape), fmt(s.mae, 3), fmt(s.rmse, 3), fmt(s.pinball, 3), fmt(s.pinballPct), fmt(s.coverage, 1), s.fitMs.toFixed(0)];
  const w = head.map((h, i) => Math.max(h.length, row[i].length));
  console.log(head.map((h, i) => h.padEnd(w[i])).join('  '));
  console.log(row.map((c, i) => c.padEnd(w[i])).join('  '));
  const blocks = scoreByHorizon(results, Math.max(1, Math.ceil(results[0].actual.length / 4)));
  console.log(`by horizon: ${blocks.map((b) => `steps ${b.from}-${b.to} ${b.score.mape === null ? `MAE ${fmt(b.score.mae, 3)}` : `MAPE ${fmt(b.score.mape)} %`}`).join(', ')}`);
  const produced = Object.entries(s.producedBy).map(([k, n]) => `${k} ×${n}`).join(', ');
  console.log(`produced by: ${produced}`);
  for (const [reason, n] of Object.entries(s.fallbacks)) console.log(`fallback at ${n} origin(s): ${reason}`);
}
