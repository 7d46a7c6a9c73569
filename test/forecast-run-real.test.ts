import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { reproduceRun } from '../forecast/run/service.ts';
import type { Db } from '../store/db.ts';
import { latestRun, readForecasts } from '../store/forecasts.repository.ts';
import type { ForecastRow, RunRecord } from '../core/forecast-run.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { backends } from './db.ts';
import { coherenceViolations, dailyViolations } from './fixtures/runs/grid.ts';
import { reproduceDeps } from '../bin/lib/run-deps.ts';

/**
 * A day-ahead run on GEFCom2012 (Hong, Pinson & Fan, IJF 2014) through the real CLI: hierarchy.json
 * (system → z1…z20), a year of hourly load of the 21 series (the reported system total is the
 * top of the hierarchy, measured on its own), a GAM per series fitted in the run on that year, and
 * MinT with shrinkage on the GAMs' residuals.
 * GEFCom has no weather forecasts and hierarchy.json names no station, so this run has no
 * weather at all: nothing is passed off as a forecast. z3 and z7 are the same series, which
 * makes the residual covariance singular: MinT must still give finite, coherent numbers.
 */
const exec = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const H = 3_600_000;
const AS_OF = '2008-06-20T12:00:00Z';
const HISTORY_DAYS = 365;
const FROM = Date.parse(AS_OF) - (HISTORY_DAYS + 1) * 24 * H;
const ZONES = Array.from({ length: 20 }, (_, i) => `z${i + 1}`);
const utcHours = (day: Date) => Array.from({ length: 24 }, (_, h) => new Date(day.getTime() + h * H));

describe.skipIf(!process.env.GRIDCAST_SHARED_DATA).each(backends)('a day-ahead run on GEFCom2012 on %s', (kind) => {
  const data = join(process.env.GRIDCAST_SHARED_DATA ?? '', 'gefcom2012');
  const dir = mkdtempSync(join(tmpdir(), 'gefcom-run-'));
  let store: Awaited<ReturnType<typeof cliStore>>;
  let db: Db;
  let run: RunRecord;
  let rows: ForecastRow[];
  const timings: Record<string, number> = {};
  const gridcast = async (...args: string[]) => {
    const t = Date.now();
    const out = await exec('node', [CLI, ...args], { env: { ...process.env, ...store.env, GRIDCAST_CONFIG: join(dir, 'config.json') } });
    timings[args[0]] = Date.now() - t;
    return out;
  };

  beforeAll(async () => {
    store = await cliStore(kind);
    const lines = gunzipSync(readFileSync(join(data, 'load.csv.gz'))).toString('utf8').split('\n');
    const subset = lines.filter((l, i) => i > 0 && l && Date.parse(l.split(',')[1]) >= FROM && Date.parse(l.split(',')[1]) < Date.parse(AS_OF));
    writeFileSync(join(dir, 'load.csv'), [lines[0], ...subset].join('\n') + '\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ forecast: { defaultModel: { kind: 'gam' }, historyDays: HISTORY_DAYS, holidays: 'US' } }));
    await gridcast('topology', 'load', join(data, 'hierarchy.json'));
    await gridcast('ingest', 'csv', join(dir, 'load.csv'));
    const made = await gridcast('forecast', '--horizon', 'day-ahead', '--as-of', AS_OF, '--method', 'mint-shrink');
    expect(made.stdout).toContain('run 1 stored: day-ahead from 2008-06-21T00:00:00.000Z to 2008-06-22T00:00:00.000Z');
    db = await store.open();
    run = (await latestRun(db, 'day-ahead'))!;
    rows = await readForecasts(db, run.id);
  }, 240_000);
  afterAll(async () => {
    await db?.close();
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
    console.log(`GEFCom2012 day-ahead run on ${kind}: ${JSON.stringify(timings)} ms`);
  });

  it('stores every series of the hierarchy, 24 hours and one day each, all finite, by MinT', () => {
    expect(run.reconciliationApplied).toMatch(/^mint-shrink \(lambda [0-9.]+, 1440 residual steps\); bands: joint residuals \(1000 paths of 1440 residual steps\)$/);
    expect(Object.keys(run.modelVersions).sort()).toEqual(['system', ...ZONES].sort());
    for (const id of ['system', ...ZONES]) {
      expect(rows.filter((r) => r.seriesId === id && r.grain === '1h')).toHaveLength(24);
      expect(rows.filter((r) => r.seriesId === id && r.grain === '1d')).toHaveLength(1);
    }
    for (const r of rows) for (const v of [r.mean, r.baseMean, ...Object.values(r.quantiles)]) expect(Number.isFinite(v)).toBe(true);
    // The identical zones get the same base forecast and the same reconciled one.
    const at = (id: string) => rows.filter((r) => r.seriesId === id).map((r) => r.mean);
    expect(at('z3')).toEqual(at('z7'));
  });

  it('the zones sum to the system within 1e-6 relative, for the mean (sampled bands: not the quantiles), hourly and daily', () => {
    const { violations, checks } = coherenceViolations(rows, run, 1e-6);
    expect(violations).toEqual([]);
    expect(checks).toBe(25);
    // The GAMs fit log(load), so the base forecasts of the zones did not add up to the system's.
    const baseGap = rows
      .filter((r) => r.grain === '1h' && r.seriesId === 'system')
      .map((s) => Math.abs(s.baseMean - rows.filter((z) => z.grain === '1h' && z.seriesId !== 'system' && z.targetTs.getTime() === s.targetTs.getTime()).reduce((a, z) => a + z.baseMean, 0)));
    expect(Math.max(...baseGap)).toBeGreaterThan(100);
  });

  it('hourly values average to the daily ones (kW), and the run reproduces identically', async () => {
    expect(dailyViolations(rows, utcHours)).toEqual([]);
    const r = await reproduceRun(reproduceDeps(db), run.id);
    expect(r).toMatchObject({ identical: true, maxAbsDiff: 0, rowsDiffering: 0, values: 21 * 25 });
  });
});
