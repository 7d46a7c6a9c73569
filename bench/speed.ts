/**
 * Fit-path speed: `gridcast backtest --model gam-arima` against R mgcv `bam(discrete = TRUE)` +
 * `auto.arima`, the same 28 day-ahead origins, back to back in one run (timings on a shared
 * machine are noisy; the ratio of two runs measured together is what counts).
 *
 *   npm run bench:speed [-- --origins 28] [--only gridcast|r] [--refit-every K] [--series sim,gefcom]
 *
 * Series: three years of the simulated grid at 30-minute steps with temperature (see
 * bench/speed/half-hourly.ts: the shared data is hourly only). gridcast runs exactly what the CLI
 * runs (forecasterFor('gam-arima') with the CLI's defaults, runBacktest, origins from
 * placeOrigins at local midnight, Europe/Paris, FR holidays). R (bench/r/speed-reference.R) fits
 * gridcast's own feature table with seven smooths, refitting the GAM at every origin, and
 * auto.arima on the last 42 days of residuals (the gam-arima window). Reading files is outside R's
 * timer; gridcast's time includes feature construction, as the CLI's does.
 * --series gefcom (or sim,gefcom) runs the hourly GEFCom2012 system case (US holidays, UTC; needs
 * GRIDCAST_SHARED_DATA), same settings.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Series } from '../core/types.ts';
import { forecasterFor } from '../bin/lib/models.ts';
import { runBacktest, type OriginResult } from '../forecast/backtest/driver.ts';
import { placeOrigins } from '../forecast/backtest/origins.ts';
import { scoreBacktest } from '../forecast/backtest/score.ts';
import { DEFAULT_GAM_ARIMA } from '../models/gam-arima.ts';
import { buildFeatures, parseGamParams } from '../models/gam/load-formula.ts';
import { stepsPerDay } from '../models/timeindex.ts';
import { gefcom2012, sharedDataDir } from './datasets.ts';
import { rscriptAvailable } from './r/run-reference.ts';
import { HALF_HOURLY, halfHourlySeries } from './speed/half-hourly.ts';

const { values: args } = parseArgs({
  options: {
    origins: { type: 'string', default: '28' },
    only: { type: 'string' },
    'refit-every': { type: 'string', default: '1' },
    series: { type: 'string', default: 'sim' },
  },
});
const ORIGINS = Number(args.origins);
const REFIT_EVERY = Number(args['refit-every']);

interface Case {
  name: string;
  series: Series;
  temperature: Float64Array;
  holidays: string;
}

interface Side {
  wallSec: number;
  /** CPU seconds (user + system) of the process, worker threads included: steadier than wall time on a shared machine. */
  cpuSec: number;
  gamFits: number;
  arimaFits: number;
  mape: number;
}

async function runGridcast(c: Case, origins: number[], horizon: number): Promise<Side> {
  const forecaster = forecasterFor('gam-arima', {}, { holidays: c.holidays });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const results: OriginResult[] = await runBacktest(forecaster, { series: c.series, future: { temperature: c.temperature } }, { horizon, origins, refitEvery: REFIT_EVERY });
  const wallSec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const refits = results.filter((r) => r.refitted).length;
  // Every origin fits an ARIMA: at a refit, and at a conditioning (refitArimaOnCondition).
  return { wallSec, cpuSec, gamFits: refits, arimaFits: DEFAULT_GAM_ARIMA.refitArimaOnCondition ? results.length : refits, mape: scoreBacktest(results).mape ?? Number.NaN };
}

async function runR(c: Case, origins: number[], horizon: number): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-speed-'));
  try {
    const s = c.series;
    const p = parseGamParams({ calendar: { country: c.holidays } });
    const t = buildFeatures(s.start.getTime(), s.stepSec, s.values.length, s.timeZone ?? 'UTC', p, undefined, c.temperature, undefined).columns;
    const names = ['hour', 'dayType', 'hourGroup', 'doy', 'trend', 'temp', 'temp_s6h', 'temp_s24h', 'temp_s72h'];
    const cell = (v: number) => (Number.isFinite(v) ? String(v) : 'NA');
    const lines = [['y', ...names].join(',')];
    for (let i = 0; i < s.values.length; i++) lines.push([cell(s.values[i]), ...names.map((k) => cell(t[k][i]))].join(','));
    writeFileSync(join(dir, 'features.csv'), lines.join('\n'));
    writeFileSync(join(dir, 'origins.csv'), ['origin', ...origins.map((o) => String(o + 1))].join('\n'));
    const script = new URL('./r/speed-reference.R', import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('Rscript', [script, join(dir, 'features.csv'), join(dir, 'origins.csv'), join(dir, 'out.csv'), String(horizon), String(DEFAULT_GAM_ARIMA.windowDays), String(stepsPerDay(s.stepSec))], { maxBuffer: 1 << 24 }, (err, out, stderr) =>
        err ? reject(new Error(`Rscript failed: ${stderr || err.message}`)) : resolve(out),
      );
    });
    const wallSec = Number(/wall_sec ([\d.]+)/.exec(stdout)?.[1]);
    const cpuSec = Number(/cpu_sec ([\d.]+)/.exec(stdout)?.[1]);
    const rows = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    let ape = 0;
    let n = 0;
    for (const [origin, step, mean] of rows) {
      const a = s.values[origin - 1 + step - 1];
      if (!Number.isFinite(a) || a === 0) continue;
      ape += Math.abs((a - mean) / a);
      n++;
    }
    return { wallSec, cpuSec, gamFits: origins.length, arimaFits: origins.length, mape: (100 * ape) / n };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function casesToRun(): Case[] {
  const wanted = new Set(args.series!.split(','));
  const out: Case[] = [];
  if (wanted.has('sim')) {
    const t0 = performance.now();
    const { series, temperature } = halfHourlySeries();
    console.error(`half-hourly series built in ${((performance.now() - t0) / 1000).toFixed(1)} s (${series.values.length} steps)`);
    out.push({ name: `simulated nation, 30 min, 3 years (seed ${HALF_HOURLY.seed})`, series, temperature, holidays: HALF_HOURLY.holidays });
  }
  if (wanted.has('gefcom')) {
    const g = gefcom2012(sharedDataDir()).find((x) => x.seriesId === 'system')!;
    out.push({ name: 'GEFCom2012 system, hourly, 4.5 years', series: { ...g.input.series, timeZone: 'UTC' }, temperature: g.input.future!.temperature, holidays: 'US' });
  }
  return out;
}

const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const rows: string[] = [];
for (const c of casesToRun()) {
  const horizon = stepsPerDay(c.series.stepSec);
  const minHistory = forecasterFor('gam-arima', {}, { holidays: c.holidays }).capabilities.minHistory;
  const origins = placeOrigins({ startMs: c.series.start.getTime(), stepSec: c.series.stepSec, length: c.series.values.length, horizon, count: ORIGINS, timeZone: c.series.timeZone ?? 'UTC', minHistory });
  const g = args.only === 'r' ? undefined : await runGridcast(c, origins, horizon);
  if (g) console.error(`gridcast: ${f(g.wallSec, 1)} s wall, ${f(g.cpuSec, 1)} s CPU`);
  const r = args.only === 'gridcast' || !rscriptAvailable() ? undefined : await runR(c, origins, horizon);
  if (r) console.error(`R: ${f(r.wallSec, 1)} s wall, ${f(r.cpuSec, 1)} s CPU`);
  rows.push(
    `| ${c.name} | ${origins.length} | ${f(g?.wallSec ?? NaN, 1)} | ${f(r?.wallSec ?? NaN, 1)} | ${g && r ? f(g.wallSec / r.wallSec) : '—'} | ${f(g?.cpuSec ?? NaN, 1)} | ${f(r?.cpuSec ?? NaN, 1)} | ${g && r ? f(g.cpuSec / r.cpuSec) : '—'} | ${g?.gamFits ?? '—'} / ${r?.gamFits ?? '—'} | ${g?.arimaFits ?? '—'} / ${r?.arimaFits ?? '—'} | ${f(g?.mape ?? NaN)} | ${f(r?.mape ?? NaN)} |`,
  );
}
console.log(`| series | origins | gridcast wall s | R wall s | wall ratio | gridcast CPU s | R CPU s | CPU ratio | GAM fits gridcast / R | ARIMA fits gridcast / R | MAPE % gridcast | MAPE % R |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|`);
for (const r of rows) console.log(r);
