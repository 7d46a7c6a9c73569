import { join } from 'node:path';
import type { Series } from '../core/types.ts';
import type { BacktestInput } from '../forecast/backtest/driver.ts';
import { placeOrigins } from '../forecast/backtest/origins.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { loadSeriesCsv } from '../bin/lib/load-series.ts';

/**
 * Short, weather-free, day-ahead cases (issue 12): 12 weeks of history before the first of 14
 * daily origins, no covariates. (a) slices of GEFCom2012 system and BigDEAL 2022 loads, hourly;
 * (b) the simulator's national demand (sum of the default grid's substations), half-hourly,
 * Europe/Paris: the shape of the held-back case (12 weeks of half-hourly national demand).
 */
export interface ShortCase {
  dataset: string;
  seriesId: string;
  input: BacktestInput;
  /** Country of the public holidays the GAM (and the R reference) knows. */
  holidays: string;
  origins: number[];
  /** One day of steps. */
  horizon: number;
}

export const SHORT_HISTORY_DAYS = 84;
export const SHORT_ORIGINS = 14;
const DAY_MS = 86_400_000;

function slice(s: Series, fromIso: string, days: number, id: string): Series {
  const i0 = (Date.parse(fromIso) - s.start.getTime()) / (s.stepSec * 1000);
  const n = (days * 86_400) / s.stepSec;
  if (!Number.isInteger(i0) || i0 < 0 || i0 + n > s.values.length) throw new Error(`slice ${fromIso} + ${days} d is outside ${s.id}`);
  return { ...s, id, start: new Date(Date.parse(fromIso)), values: s.values.slice(i0, i0 + n) };
}

function caseOf(dataset: string, s: Series, holidays: string): ShortCase {
  const horizon = 86_400 / s.stepSec;
  const origins = placeOrigins({ startMs: s.start.getTime(), stepSec: s.stepSec, length: s.values.length, horizon, count: SHORT_ORIGINS, timeZone: s.timeZone, minHistory: SHORT_HISTORY_DAYS * horizon });
  return { dataset, seriesId: s.id, input: { series: s }, holidays, origins, horizon };
}

const DAYS = SHORT_HISTORY_DAYS + SHORT_ORIGINS;

/** Windows of the shared data: GEFCom2012 system in winter and summer, each BigDEAL series in spring. */
export function sharedShortCases(dir: string): ShortCase[] {
  const g = loadSeriesCsv(join(dir, 'gefcom2012/load.csv.gz'), { ids: ['system'] }).get('system')!;
  const b = loadSeriesCsv(join(dir, 'bigdeal2022/load.csv.gz'), { ids: ['ldc1', 'ldc2', 'ldc3'] });
  return [
    caseOf('gefcom2012', slice(g, '2006-12-04T00:00:00Z', DAYS, 'system-winter'), 'US'),
    caseOf('gefcom2012', slice(g, '2007-05-07T00:00:00Z', DAYS, 'system-summer'), 'US'),
    ...['ldc1', 'ldc2', 'ldc3'].map((id) => caseOf('bigdeal2022', slice(b.get(id)!, '2018-02-05T00:00:00Z', DAYS, id), 'US')),
  ];
}

/** The simulator's national demand (seed 1, no sensor faults), half-hourly from a local midnight. */
export function simulatedShortCase(fromLocalMidnightUtc = '2024-11-03T23:00:00Z'): ShortCase {
  const sim = createSimulator({ seed: 1, topology: readDefaultGrid(), faults: false });
  const from = Date.parse(fromLocalMidnightUtc);
  const stepSec = 1800;
  const n = (DAYS * DAY_MS) / (stepSec * 1000);
  const values = new Float64Array(n);
  const substations = new Set(sim.topology.nodes.filter((x) => !sim.topology.nodes.some((y) => y.parent === x.id) && x.kind === 'load').map((x) => x.id));
  for (const batch of sim.chunks(new Date(from), new Date(from + n * stepSec * 1000), stepSec, 7 * 86_400)) {
    for (const m of batch.measurements) {
      if (!substations.has(m.seriesId)) continue;
      values[(m.ts.getTime() - from) / (stepSec * 1000)] += m.value;
    }
  }
  return caseOf('simulator', { id: 'national-30min', start: new Date(from), stepSec, values, timeZone: 'Europe/Paris' }, 'FR');
}
