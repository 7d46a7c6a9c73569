import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunInputs } from '../forecast/inputs.ts';
import type { Db } from '../store/db.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { backends, freshDb } from './db.ts';

/**
 * Station s1 observed hourly; a forecast issued every day at 06:00Z (the run's time of day), 2 °C
 * too warm over its next 48 h, and one at 18:00Z, 7 °C too cold. What a daily 06:00 run read for an
 * hour is the 06:00 forecast of the day before: the 18:00 ones were issued after that run.
 */
const H = 3_600_000;
const D = 24 * H;
const ORIGIN = Date.parse('2025-03-20T06:00:00Z');
const obsAt = (t: number) => 8 + 4 * Math.sin(t / 1e7);

async function seed(db: Db, forecastDays: number): Promise<void> {
  await db.query(`INSERT INTO series (id, parent_id, kind, unit, time_zone, weather_station) VALUES ('s1', NULL, 'weather', 'degC', 'UTC', NULL), ('g', NULL, 'load', 'MW', 'UTC', '"s1"')`);
  const obs = [];
  for (let t = ORIGIN - 30 * D; t < ORIGIN + 2 * D; t += H) obs.push({ stationId: 's1', variable: 'temperature', ts: new Date(t), value: obsAt(t) });
  await insertWeatherObs(db, obs);
  const fc = [];
  for (let k = 1; k <= forecastDays; k++) {
    for (const [issued, error] of [[ORIGIN - k * D, 2], [ORIGIN - k * D + 12 * H, -7]] as const) {
      for (let t = issued; t < issued + 48 * H; t += H) fc.push({ stationId: 's1', variable: 'temperature', issuedAt: new Date(issued), targetTs: new Date(t), value: obsAt(t) + error });
    }
  }
  await insertWeatherForecasts(db, fc);
}

describe.each(backends)("the weather forecasts' measured error in a run's inputs on %s", (kind) => {
  const dbs: Db[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.close();
  });
  const open = async (forecastDays: number) => {
    const db = await freshDb(kind);
    dbs.push(db);
    await seed(db, forecastDays);
    return db;
  };
  let db10: Db;
  beforeAll(async () => {
    db10 = await open(10);
  });

  it('is the RMSE of what a daily run at this time of day read, against the observations', async () => {
    const r = await loadRunInputs(db10, { seriesIds: ['g'], origin: new Date(ORIGIN), historyDays: 20, horizonSteps: 24 });
    expect(r.fitCovariates.get('g')!.horizonErrorSd!.temperature).toBeCloseTo(2, 9);
    expect(r.predictCovariates.get('g')!.horizonErrorSd!.temperature).toBeCloseTo(2, 9);
  });

  it('is not given below a week of forecasts, nor from forecasts received after the as-of time', async () => {
    const db5 = await open(5);
    const r = await loadRunInputs(db5, { seriesIds: ['g'], origin: new Date(ORIGIN), historyDays: 20, horizonSteps: 24 });
    expect(r.fitCovariates.get('g')!.horizonErrorSd).toBeUndefined();
    const before = await loadRunInputs(db10, { seriesIds: ['g'], origin: new Date(ORIGIN), historyDays: 20, horizonSteps: 24, asOf: new Date('2020-01-01T00:00:00Z') });
    expect(before.fitCovariates.get('g')!.horizonErrorSd).toBeUndefined();
  });
});
