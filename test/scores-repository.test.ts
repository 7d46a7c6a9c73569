import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccuracyBy, ForecastScore } from '../core/scores.ts';
import type { Db } from '../store/db.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeScores } from './fakes/scores.ts';
import { insertRun } from './fixtures/scored-run.ts';
import { rng } from './aggregates-fixtures.ts';

const H = 3_600_000;
const T0 = new Date('2026-03-28T00:00:00Z');

/** Two days of scores of two series over three runs, some near zero, some re-scored with a later truth. */
function scores(runs: number[]): ForecastScore[] {
  const r = rng(7);
  const out: ForecastScore[] = [];
  for (const [i, runId] of runs.entries()) {
    for (const seriesId of ['a', 'b']) {
      for (let h = 0; h < 48; h++) {
        const targetTs = new Date(T0.getTime() + h * H);
        const actual = 50 + 50 * r();
        for (const revision of h % 7 === 0 ? [0, 1] : [0]) {
          const forecast = actual * (0.8 + 0.4 * r()) + revision;
          const near = h % 11 === 0;
          out.push({
            runId, seriesId, grain: '1h', targetTs, truthVersion: new Date(targetTs.getTime() + (revision + 1) * 24 * H), truthStatus: revision ? 'validated' : 'provisional',
            horizon: i === 2 ? 'intraday' : 'day-ahead', modelVersion: `grid@${i + 1}`, issuedAt: new Date(T0.getTime() - (10 + 12 * i) * H),
            leadHours: h + 10 + 12 * i, forecast, actual, error: forecast - actual, ape: near ? null : Math.abs((forecast - actual) / actual),
            quantileLevels: [0.1, 0.9], pinball: [r(), r()], inside: h % 5 === 0 ? null : r() > 0.2,
          });
        }
      }
    }
  }
  return out;
}

// The accuracy aggregates of the store and of the unit tests' fake agree on the same scores.
describe.each(backends)('scores repository against the fake (%s)', (kind) => {
  let db: Db;
  let rows: ForecastScore[];
  beforeAll(async () => {
    db = await freshDb(kind);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await insertRun(db, { seriesId: 'a', issuedAt: T0, start: T0, means: [1] }));
    rows = scores(runs);
    expect(await scoresRepository(db).insert(rows)).toBe(rows.length);
    expect(await scoresRepository(db).insert(rows.slice(0, 10))).toBe(0);
  });
  afterAll(() => db?.close());

  it.each(['series', 'lead', 'day'] as AccuracyBy[])('aggregates by %s alike', async (by) => {
    const fake = fakeScores();
    await fake.insert(rows);
    for (const q of [{}, { seriesId: 'b' }, { horizon: 'intraday' as const }, { modelVersion: 'grid@2' }]) {
      const query = { from: new Date(T0.getTime() + 5 * H), to: new Date(T0.getTime() + 40 * H), by, timeZone: 'Europe/Paris', ...q };
      const [real, expected] = [await scoresRepository(db).accuracy(query), await fake.accuracy(query)];
      expect(real.length).toBeGreaterThan(0);
      expect(real.map((r) => [r.seriesId, r.horizon, r.leadFrom, r.leadTo, r.day, r.n, r.nApe])).toEqual(expected.map((r) => [r.seriesId, r.horizon, r.leadFrom, r.leadTo, r.day, r.n, r.nApe]));
      for (const [i, r] of real.entries()) {
        for (const k of ['mape', 'maeNearZero', 'mae', 'meanActual', 'bias', 'pinball', 'coverage'] as const) {
          const e = expected[i][k];
          if (e === null) expect(r[k], k).toBeNull();
          else expect(r[k], k).toBeCloseTo(e, 9);
        }
      }
    }
  });
});
