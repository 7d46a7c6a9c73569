import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECONCILIATION_METHODS } from '../core/config.ts';
import type { ForecastRow } from '../core/forecast-run.ts';
import { ingestSchedules, scheduleJsonBatch } from '../ingest/schedules/schedules.service.ts';
import { reproduceRun, runForecast } from '../forecast/run/service.ts';
import type { Db } from '../store/db.ts';
import { readForecasts, readRun } from '../store/forecasts.repository.ts';
import { scheduleRepository } from '../store/schedules.repository.ts';
import { reproduceDeps, runDeps } from '../bin/lib/run-deps.ts';
import { inlineGroups } from '../forecast/run/workers.ts';
import { backends, freshDb } from './db.ts';
import { AS_OF_MARCH, coherenceViolations, forecastConfig, seedGrid, ss3 } from './fixtures/runs/grid.ts';

const H = 3_600_000;
/** The steelworks behind ss2 stops from 06:00 to 16:00 Paris time on 2025-03-30 (the day-ahead day of AS_OF_MARCH). */
const FROM = new Date('2025-03-30T04:00:00Z');
const TO = new Date('2025-03-30T14:00:00Z');
const ISSUED = '2025-03-27T09:00:00Z';
const inOutage = (r: ForecastRow) => r.grain === '1h' && r.targetTs >= FROM && r.targetTs < TO;
const hourly = (rows: ForecastRow[], id: string) => rows.filter((r) => r.seriesId === id && r.grain === '1h');

describe.each(backends)('forecast runs with schedules (%s)', (kind) => {
  let db: Db;
  const config = forecastConfig();
  // In this thread: seven seasonal-naive series need no worker threads, and the test stays fast.
  const deps = () => ({ ...runDeps(db, config), workers: inlineGroups });
  const again = () => ({ ...reproduceDeps(db), workers: inlineGroups });
  const free = new Map<string, ForecastRow[]>();
  beforeAll(async () => {
    db = await freshDb(kind);
    await seedGrid(db, { climate: false });
    // Without schedules first: what each method gives.
    for (const method of RECONCILIATION_METHODS) {
      const s = await runForecast(deps(), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method });
      free.set(method, await readForecasts(db, s.runId));
    }
    await ingestSchedules(
      scheduleRepository(db),
      scheduleJsonBatch('outage', [{ series_id: 'ss2', interval_start: FROM.toISOString(), interval_end: TO.toISOString(), value: 5, unit: 'MW', issued_at: ISSUED, source: 'steelworks', reason: 'maintenance', p10: 4, p90: 7 }]),
    );
  }, 120_000);
  afterAll(() => db?.close());
  const runIds = new Map<string, number>();

  it.each(RECONCILIATION_METHODS)('%s: the scheduled hours are the schedule exactly, the region follows, the hierarchy stays coherent', async (method) => {
    const s = await runForecast(deps(), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method });
    runIds.set(method, s.runId);
    const rows = await readForecasts(db, s.runId);
    const run = await readRun(db, s.runId);
    const outage = hourly(rows, 'ss2').filter(inOutage);
    expect(outage).toHaveLength(10);
    for (const r of outage) {
      expect(r.mean).toBe(5);
      expect(r.baseMean).toBe(5);
      expect(r.quantiles['0.1']).toBeCloseTo(4, 9);
      expect(r.quantiles['0.5']).toBeCloseTo(5, 9);
      expect(r.quantiles['0.9']).toBeCloseTo(7, 9);
      expect([r.model, r.modelVersion, r.fallbackReason]).toEqual(['schedule', `steelworks@${new Date(ISSUED).toISOString()}`, null]);
    }
    // Outside the outage ss2 is the model's, as without the schedule under bottom-up.
    const before = free.get(method)!;
    const outside = hourly(rows, 'ss2').filter((r) => !inOutage(r));
    expect(outside.every((r) => r.model !== 'schedule')).toBe(true);
    if (method === 'bottom-up') for (const r of outside) expect(r.mean).toBe(hourly(before, 'ss2').find((b) => b.targetTs.getTime() === r.targetTs.getTime())!.mean);
    // The region and the grid go down by about the planned drop (ss2 is ~30 MW at these hours).
    for (const r of outage) {
      const at = (list: ForecastRow[], id: string) => list.find((x) => x.seriesId === id && x.grain === '1h' && x.targetTs.getTime() === r.targetTs.getTime())!;
      const drop = at(before, 'ss2').mean - 5;
      expect(drop).toBeGreaterThan(15);
      expect(at(before, 'north').mean - at(rows, 'north').mean).toBeGreaterThan(0.5 * drop);
      expect(at(before, 'grid').mean - at(rows, 'grid').mean).toBeGreaterThan(0.5 * drop);
      // Coherence with the schedule held: the other child of north takes what is left.
      expect(at(rows, 'ss1').mean).toBeCloseTo(at(rows, 'north').mean - 5, 9);
    }
    expect(coherenceViolations(rows, run.settings.nodes).violations).toEqual([]);
    for (const r of rows) expect(r.quantiles['0.1']).toBeLessThanOrEqual(r.quantiles['0.9']);
    // The day is partly scheduled: flagged, labelled with the model.
    const day = rows.find((r) => r.seriesId === 'ss2' && r.grain === '1d')!;
    expect(day.flags).toContain('partly-scheduled');
    expect(run.settings.schedules).toEqual({ ss2: [{ source: 'steelworks', issuedAt: new Date(ISSUED).toISOString(), from: FROM.toISOString(), to: TO.toISOString(), hours: 10, uncertainty: 'declared' }] });
  });

  it('a revision issued after a run does not change that run: it reproduces identically; the next run uses the revision', async () => {
    const id = runIds.get('mint-shrink')!;
    await ingestSchedules(
      scheduleRepository(db),
      scheduleJsonBatch('revision', [{ series_id: 'ss2', interval_start: FROM.toISOString(), interval_end: TO.toISOString(), value: 12, unit: 'MW', issued_at: new Date().toISOString(), source: 'steelworks', reason: 'partial restart', sd: 1 }]),
    );
    const r = await reproduceRun(again(), id);
    expect(r).toMatchObject({ identical: true, maxAbsDiff: 0, rowsDiffering: 0 });
    const next = await runForecast(deps(), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method: 'mint-shrink' });
    const rows = await readForecasts(db, next.runId);
    expect(hourly(rows, 'ss2').filter(inOutage).map((x) => x.mean)).toEqual(new Array(10).fill(12));
    expect((await readRun(db, next.runId)).settings.schedules!.ss2[0]).toMatchObject({ uncertainty: 'declared', hours: 10 });
    // Reproducing the first run again still gives the first schedule.
    expect((await reproduceRun(again(), id)).identical).toBe(true);
  });

  it('without declared uncertainty, the bands are the empirical quantiles of the past schedule-vs-actual errors', async () => {
    // ss3's operator sent hourly plans over the last 10 days of history, rounded to the MW: errors within ±0.5.
    const end = Math.floor(AS_OF_MARCH.getTime() / H) * H;
    const past = Array.from({ length: 240 }, (_, k) => {
      const t = end - (240 - k) * H;
      return { series_id: 'ss3', ts: new Date(t).toISOString(), value: Math.round(ss3(t)), unit: 'MW', issued_at: new Date(t - 24 * H).toISOString(), source: 'ops' };
    });
    const ahead = { series_id: 'ss3', interval_start: FROM.toISOString(), interval_end: TO.toISOString(), value: 41, unit: 'MW', issued_at: ISSUED, source: 'ops' };
    await ingestSchedules(scheduleRepository(db), scheduleJsonBatch('ss3', [...past, ahead]));
    const s = await runForecast(deps(), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method: 'bottom-up' });
    const rows = hourly(await readForecasts(db, s.runId), 'ss3').filter(inOutage);
    for (const r of rows) {
      expect(r.mean).toBe(41);
      expect(r.quantiles['0.1'] - 41).toBeGreaterThanOrEqual(-0.5);
      expect(r.quantiles['0.1'] - 41).toBeLessThan(0);
      expect(r.quantiles['0.9'] - 41).toBeLessThanOrEqual(0.5);
      expect(r.quantiles['0.9'] - 41).toBeGreaterThan(0);
    }
    expect((await readRun(db, s.runId)).settings.schedules!.ss3).toEqual([expect.objectContaining({ source: 'ops', uncertainty: 'empirical', hours: 10 })]);
  });
});
