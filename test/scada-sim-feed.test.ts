import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { createIngestBuffer } from '../ingest/scada/buffer.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { silentLog } from '../core/log.ts';
import { backfillSimulated, startLiveFeed } from '../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { FORECAST_HOURS } from '../ingest/simulator/weather-forecast.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { backends, freshDb } from './db.ts';

describe.each(backends)('simulated telemetry feed (%s)', (kind) => {
  let db: Db;
  const topology = readDefaultGrid();
  const sim = createSimulator({ seed: 7, topology, faults: false });
  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(db, topology);
  });
  afterAll(() => db.close());

  it('backfills whole days once: a restart skips them', async () => {
    const now = new Date('2026-03-11T12:00:00Z');
    const first = await backfillSimulated(db, sim, { seed: 7, days: 3, stepSec: 3600, now, log: silentLog });
    expect(first.skippedChunks).toBe(0);
    const n = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements')).rows[0].n;
    expect(n).toBe(first.points);
    expect(n).toBeGreaterThanOrEqual(3 * 24 * sim.seriesIds.length);
    const again = await backfillSimulated(db, sim, { seed: 7, days: 3, stepSec: 3600, now, log: silentLog });
    expect(again.points).toBe(0);
    expect(again.skippedChunks).toBeGreaterThan(0);
    const weather = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM weather_obs');
    expect(weather.rows[0].n).toBeGreaterThan(0);
  });

  it('stores the weather forecasts issued over the backfill, idempotently', async () => {
    const forecasts = () =>
      db.query<{ n: number; late: number; last: Date; reach: Date; sum: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE issued_at > target_ts)::int AS late, max(issued_at) AS last,
           max(target_ts) AS reach, sum(value)::float8 AS sum FROM weather_fc`,
      );
    const now = new Date('2026-03-11T12:00:00Z');
    // The backfill starts at the UTC midnight before now - 3 days.
    const expected = sim.weatherForecasts(new Date('2026-03-08T00:00:00Z'), new Date(now.getTime() + 1));
    const first = (await forecasts()).rows[0];
    expect(first.n).toBe(expected.length);
    expect(first.n).toBeGreaterThanOrEqual(3 * 4 * sim.stationIds.length * FORECAST_HOURS);
    expect(first.late).toBe(0);
    // The issue at `now` itself is written: runs at this origin see the days ahead.
    expect(first.last).toEqual(now);
    expect(first.reach.getTime()).toBe(now.getTime() + (FORECAST_HOURS - 1) * 3_600_000);
    expect(first.sum).toBeCloseTo(expected.reduce((a, f) => a + f.value, 0), 3);

    // A later restart rewrites the current day: the same forecasts, plus only the issues since.
    await backfillSimulated(db, sim, { seed: 7, days: 3, stepSec: 3600, now: new Date(now.getTime() + 3_600_000), log: silentLog });
    expect((await forecasts()).rows[0]).toEqual(first);
    await backfillSimulated(db, sim, { seed: 7, days: 3, stepSec: 3600, now: new Date(now.getTime() + 6 * 3_600_000), log: silentLog });
    const later = (await forecasts()).rows[0];
    expect(later.n).toBe(first.n + sim.stationIds.length * FORECAST_HOURS);
    expect(later.late).toBe(0);
  });

  it('writes a forecast issue live once its time has passed', async () => {
    const issue = Math.floor(Date.now() / 21_600_000) * 21_600_000;
    const since = new Date(issue - 60_000);
    const buffer = createIngestBuffer({ commit: dbCommitter(db, 'simulator'), log: silentLog, source: 'simulator', flushMs: 20 });
    const feed = startLiveFeed({ db, sim, stepSec: 3600, tickMs: 60_000, log: silentLog, since, target: { buffer } });
    await feed.stop();
    await buffer.close();
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM weather_fc WHERE issued_at = $1', [new Date(issue)]);
    expect(r.rows[0].n).toBe(sim.stationIds.length * FORECAST_HOURS);
  });

  it('writes live ticks straight through the ingest buffer when there is no broker', async () => {
    const buffer = createIngestBuffer({ commit: dbCommitter(db, 'simulator'), log: silentLog, source: 'simulator', flushMs: 20 });
    const since = new Date(Math.floor(Date.now() / 10_000) * 10_000 - 60_000);
    const feed = startLiveFeed({ db, sim, stepSec: 10, tickMs: 60_000, log: silentLog, since, target: { buffer } });
    await feed.stop();
    await buffer.close();
    expect(feed.stats()).toMatchObject({ ticks: 1, mode: 'direct' });
    const r = await db.query<{ n: number; series: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT series_id)::int AS series FROM measurements WHERE ts >= $1`,
      [since],
    );
    expect(r.rows[0]).toEqual({ n: feed.stats().points, series: sim.seriesIds.length });
    expect(r.rows[0].n).toBeGreaterThanOrEqual(6 * sim.seriesIds.length);
  });

  // Last: it writes another seed's history into the shared store.
  it('ends where the live feed starts, and stops between days when asked', async () => {
    const now = new Date('2026-03-11T12:03:20Z');
    const stop = new AbortController();
    stop.abort();
    await expect(backfillSimulated(db, sim, { seed: 8, days: 3, stepSec: 300, now, log: silentLog, signal: stop.signal })).rejects.toMatchObject({ code: 'BACKFILL_ABORTED' });
    const done = await backfillSimulated(db, sim, { seed: 8, days: 1, stepSec: 300, now, log: silentLog });
    // The live feed starts at the end: the last 5-min step before now.
    expect(done.end).toEqual(new Date('2026-03-11T12:00:00Z'));
  });
});
