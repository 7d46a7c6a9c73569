import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeps } from '../bin/lib/run-deps.ts';
import { loadRunInputs } from '../forecast/inputs.ts';
import { runForecast } from '../forecast/run/service.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import type { Db } from '../store/db.ts';
import { readForecasts, readRun } from '../store/forecasts.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { insertMeteringVersions, type MeteringInput } from '../store/metering.repository.ts';
import { querySeries } from '../store/query.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { createSeries } from './aggregates-fixtures.ts';
import { backends, freshDb } from './db.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';
import { insertRun } from './fixtures/scored-run.ts';

const H = 3_600_000;
const config = forecastConfig();
const ZONE = 'Europe/Paris';

/** A day-ahead run of the small grid issued at `asOf`, on every stored value timed before its origin (as a replay by timestamps reads them). */
const runAt = (db: Db, asOf: Date) =>
  runForecast(runDeps(db, config, undefined, { now: () => asOf, inputs: { load: (req) => loadRunInputs(db, { ...req, asOf: undefined }) } }), { horizon: 'day-ahead', asOf });

interface ScoreRow {
  series_id: string;
  grain: string;
  target_ts: Date;
  actual: number;
  forecast: number;
  error: number;
  ape: number | null;
  lead_hours: number;
  truth_version: Date;
  truth_status: string;
}
const scoresOf = async (db: Db, runId: number, grain?: string) =>
  (
    await db.query<ScoreRow>(
      `SELECT series_id, grain, target_ts, actual, forecast, error, ape, lead_hours, truth_version, truth_status FROM forecast_scores
       WHERE run_id = $1 AND ($2::text IS NULL OR grain = $2) ORDER BY series_id, grain, target_ts, truth_version`,
      [runId, grain ?? null],
    )
  ).rows;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Daily (1d) forecast values — a reconciled run's local days, made from its hours — are scored
 * against the day's actual made the same way from the hourly actuals, with their own grain.
 */
describe.each(backends)('daily values scored against daily actuals (%s)', (kind) => {
  let db: Db;
  let dayRun: number;
  let dstRun: number;
  // Read by timestamps: the grid's data was stored now, long after the days it covers.
  const service = () =>
    createAccuracyService({ scores: scoresRepository(db), timeZone: ZONE, lookbackDays: 45, settleMinutes: 30, nearZeroFraction: 0.05, knownBy: 'timestamps' });

  beforeAll(async () => {
    db = await freshDb(kind);
    await seedGrid(db, { climate: false });
    // Issued on 27 March for the local day of 28 March (2025-03-27T23:00Z → 2025-03-28T23:00Z), whose actuals are stored.
    dayRun = (await runAt(db, new Date('2025-03-27T10:00:00Z'))).runId;
    // Issued on 29 March for 30 March, the 23-hour spring-forward day (2025-03-29T23:00Z → 2025-03-30T22:00Z): no actuals yet.
    dstRun = (await runAt(db, AS_OF_MARCH)).runId;
  }, 180_000);
  afterAll(() => db?.close());

  it('scores each local day once its last hour is settled, against the mean of its hourly actuals, the stored daily value', async () => {
    const nodes = (await readRun(db, dayRun)).settings.nodes.map((n) => n.id);
    const svc = service();
    // 23:20Z: the day's last hour (22:00Z) ended 20 minutes ago, less than the 30 to settle: hours only.
    await svc.scoreNew(new Date('2025-03-28T23:20:00Z'));
    expect(await scoresOf(db, dayRun, '1d')).toEqual([]);
    expect(await scoresOf(db, dayRun, '1h')).toHaveLength(23 * nodes.length);
    // 23:30Z: the last hour and every node's day.
    expect(await svc.scoreNew(new Date('2025-03-28T23:30:00Z'))).toEqual({ scored: 2 * nodes.length });
    const days = await scoresOf(db, dayRun, '1d');
    expect(days.map((d) => d.series_id).sort()).toEqual([...nodes].sort());
    const hours = await scoresOf(db, dayRun, '1h');
    const values = await readForecasts(db, dayRun, { grain: '1d' });
    for (const d of days) {
      const own = hours.filter((h) => h.series_id === d.series_id);
      expect(own).toHaveLength(24);
      expect(d.target_ts).toEqual(new Date('2025-03-27T23:00:00Z'));
      expect(d.lead_hours).toBe(13);
      expect(d.truth_status).toBe('measured');
      expect(d.truth_version).toEqual(new Date(Math.max(...own.map((h) => h.truth_version.getTime()))));
      // MW: the day is the mean of its hours, for the actual as for the forecast (temporal reconciliation).
      expect(d.actual).toBeCloseTo(mean(own.map((h) => h.actual)), 9);
      expect(d.forecast).toBe(values.find((v) => v.seriesId === d.series_id)!.mean);
      expect(d.error).toBeCloseTo(mean(own.map((h) => h.error)), 9);
      expect(d.ape).toBeCloseTo(Math.abs(d.error / d.actual), 12);
      // The day's actual is what the store serves as that series' daily value (its 1d aggregate, or a roll-up's sum).
      const served = await querySeries(db, { seriesId: d.series_id, from: { instant: d.target_ts }, to: { instant: new Date('2025-03-28T23:00:00Z') }, grain: '1d' });
      expect(served.rows).toHaveLength(1);
      expect(d.actual).toBeCloseTo(served.rows[0].value!, 9);
    }
    // Idempotent: nothing new, nothing scored.
    expect(await svc.scoreNew(new Date('2025-03-28T23:45:00Z'))).toEqual({ scored: 0 });
  });

  it('scores a 23-hour day on its 23 hours, and not a day missing an hour', async () => {
    const start = Date.parse('2025-03-29T23:00:00Z');
    const csv = (series: string, skip: number | null) =>
      Array.from({ length: 23 }, (_, h) => h)
        .filter((h) => h !== skip)
        .map((h) => `${series},${new Date(start + h * H).toISOString()},${40 + h},ok,2025-03-30T23:00:00Z`)
        .join('\n') + '\n';
    await db.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], csv('ss2', null) + csv('ss3', 7));
    // ss2: its 23 hours and its day; ss3 and the roll-up south above it: 22 hours each, no day. The others have no actuals.
    expect(await service().scoreNew(new Date('2025-03-30T22:30:00Z'))).toEqual({ scored: 23 + 1 + 22 + 22 });
    const days = await scoresOf(db, dstRun, '1d');
    expect(days.map((d) => [d.series_id, d.target_ts.toISOString()])).toEqual([['ss2', '2025-03-29T23:00:00.000Z']]);
    expect(days[0].actual).toBeCloseTo(40 + 11, 9);
    expect(days[0].truth_version).toEqual(new Date('2025-03-30T23:00:00Z'));
  });

  it('re-scores a day when one of its hours is revised, and reads each grain apart', async () => {
    // Scored by receipt now (the data was received now): the truth versions are the same, nothing new.
    const live = createAccuracyService({ scores: scoresRepository(db), timeZone: ZONE, lookbackDays: 3650, settleMinutes: 30, nearZeroFraction: 0.05 });
    expect(await live.scoreNew(new Date())).toEqual({ scored: 0 });
    const ts = new Date('2025-03-28T09:00:00Z');
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 'ss2', ts, value: 99 }]));
    // The revised hour and its day, with the new truth version; the earlier scores kept.
    expect(await live.scoreNew(new Date())).toEqual({ scored: 2 });
    const ss2 = (await scoresOf(db, dayRun)).filter((s) => s.series_id === 'ss2');
    expect(ss2.filter((s) => s.grain === '1d')).toHaveLength(2);
    expect(ss2.filter((s) => s.grain === '1h' && s.target_ts.getTime() === ts.getTime())).toHaveLength(2);

    const window = { from: '2025-03-28', to: '2025-03-29', seriesId: 'ss2', by: 'series' as const };
    const both = await live.read(window);
    expect(both.rows.map((r) => [r.grain, r.n])).toEqual([['1h', 24], ['1d', 1]]);
    const daily = await live.read({ ...window, grain: '1d' });
    expect(daily.rows).toEqual([expect.objectContaining({ seriesId: 'ss2', horizon: 'day-ahead', grain: '1d', n: 1 })]);
    // The latest day score: the actual with the revised hour.
    const hours = (await scoresOf(db, dayRun, '1h')).filter((s) => s.series_id === 'ss2');
    const latest = new Map(hours.map((h) => [h.target_ts.getTime(), h.actual]));
    expect(daily.rows[0].meanActual).toBeCloseTo(mean([...latest.values()]), 9);
    expect(latest.get(ts.getTime())).toBe(99);
  });
});

describe.each(backends)('daily values of an energy series (%s)', (kind) => {
  let db: Db;
  const DAY = new Date('2026-01-10T00:00:00Z');
  const MEANS = Array.from({ length: 24 }, (_, h) => 40 + 10 * Math.sin((h * Math.PI) / 12));
  const provisional = MEANS.map((m, h) => m * (1 + 0.02 * Math.cos(h)));
  const quarters = (hourly: number[], status: MeteringInput['status'], receivedAt: Date, hours: number): MeteringInput[] =>
    hourly.slice(0, hours).flatMap((v, h) =>
      [0, 1, 2, 3].map((k) => ({ seriesId: 'm1', intervalStart: new Date(DAY.getTime() + h * H + k * 900_000), intervalSec: 900, value: v / 4, status, receivedAt })),
    );
  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [{ id: 'm1', unit: 'MWh' }]);
  });
  afterAll(() => db?.close());

  it('scores the day against the sum of its hours of metered energy, re-scored when some are validated', async () => {
    const run = await insertRun(db, { seriesId: 'm1', issuedAt: new Date('2026-01-09T10:00:00Z'), start: DAY, means: MEANS, daily: { timeZone: 'UTC', unit: 'MWh' } });
    const svc = createAccuracyService({ scores: scoresRepository(db), timeZone: 'UTC', lookbackDays: 45, settleMinutes: 30, nearZeroFraction: 0.05 });
    await insertMeteringVersions(db, quarters(provisional, 'provisional', new Date('2026-01-11T01:00:00Z'), 24));
    expect(await svc.scoreNew(new Date('2026-01-11T02:00:00Z'))).toEqual({ scored: 24 + 1 });
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    let [day] = await scoresOf(db, run, '1d');
    expect(day).toMatchObject({ truth_status: 'provisional', lead_hours: 14 });
    expect(day.forecast).toBeCloseTo(sum(MEANS), 9);
    expect(day.actual).toBeCloseTo(sum(provisional), 9);
    // Six hours validated (5 % higher) days later: the day gets a second score, still provisional as a whole.
    await insertMeteringVersions(db, quarters(provisional.map((v) => v * 1.05), 'validated', new Date('2026-01-17T09:00:00Z'), 6));
    expect(await svc.scoreNew(new Date('2026-01-17T12:00:00Z'))).toEqual({ scored: 6 + 1 });
    const days = await scoresOf(db, run, '1d');
    expect(days).toHaveLength(2);
    day = days[1];
    expect(day).toMatchObject({ truth_status: 'provisional', truth_version: new Date('2026-01-17T09:00:00Z') });
    expect(day.actual).toBeCloseTo(sum(provisional) + 0.05 * sum(provisional.slice(0, 6)), 9);
  });
});
