import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { validateTopology } from '../core/topology/validate.ts';
import type { MeasurementInput } from '../core/series.ts';
import type { Db } from '../store/db.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { insertMeteringVersions } from '../store/metering.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { expectProblem } from './api-problem.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';

const H = 3_600_000;
const M = 60_000;
/** The status is read at 12:30; its data window is [09T12:00, 10T12:00). */
const AS_OF = '2026-03-10T12:30:00Z';
const WINDOW_END = Date.parse('2026-03-10T12:00:00Z');
const WINDOW_START = WINDOW_END - 24 * H;
const at = (iso: string) => new Date(iso);

//   grid ── north ── a (10-min SCADA), b (hourly)
//        └─ south ── c (hourly, silent for the last 3 hours), m (15-min metering)
//   ws (weather station, not listed)
const TOPOLOGY = {
  timeZone: 'UTC',
  weatherStations: ['ws'],
  nodes: [
    { id: 'grid', kind: 'load', unit: 'MW', name: 'The grid' },
    { id: 'north', parent: 'grid', kind: 'load', unit: 'MW' },
    { id: 'south', parent: 'grid', kind: 'load', unit: 'MW' },
    { id: 'a', parent: 'north', kind: 'load', unit: 'MW' },
    { id: 'b', parent: 'north', kind: 'load', unit: 'MW' },
    { id: 'c', parent: 'south', kind: 'load', unit: 'MW' },
    { id: 'm', parent: 'south', kind: 'load', unit: 'MW' },
  ],
};
const ALL = ['grid', 'north', 'south', 'a', 'b', 'c', 'm'];

/** A succeeded published run whose every node has hourly values from `start`; `fallbacks` label some series. */
async function insertRun(
  db: Db,
  r: { horizon: string; issuedAt: Date; origin: Date; start: Date; hours: number; scheduledAt?: Date; deadline?: Date; fallbacks?: Record<string, string>; settings?: Record<string, unknown> },
): Promise<number> {
  const end = new Date(r.start.getTime() + r.hours * H);
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO forecast_runs (issued_at, origin, horizon, root, window_start, window_end, reconciliation, reconciliation_applied, status,
       scheduled_at, deadline, inputs_hash, model_versions, allocation, settings)
     VALUES ($1, $2, $3, 'grid', $4, $5, 'bottom-up', 'bottom-up', 'succeeded', $6, $7, 'h', $8::jsonb, 'average', $9::jsonb) RETURNING id`,
    [r.issuedAt, r.origin, r.horizon, r.start, end, r.scheduledAt ?? null, r.deadline ?? null,
      JSON.stringify(Object.fromEntries(ALL.map((id) => [id, 'grid@1']))), JSON.stringify({ quantiles: [0.1, 0.5, 0.9], ...r.settings })],
  );
  const id = rows[0].id;
  const fallbacks = r.fallbacks ?? {};
  await db.query(
    `INSERT INTO forecasts (run_id, series_id, grain, target_ts, mean, q, model, model_version, fallback_reason, base_mean)
     SELECT $1, s.id, '1h', $2::timestamptz + k * INTERVAL '1 hour', 10, ARRAY[9, 10, 11]::float8[],
            CASE WHEN f.reason IS NULL THEN 'gam' ELSE 'seasonal-naive' END, 'grid@1', f.reason, 10
     FROM unnest($3::text[]) AS s(id) LEFT JOIN unnest($4::text[], $5::text[]) AS f(id, reason) ON f.id = s.id, generate_series(0, $6 - 1) AS k`,
    [id, r.start, ALL, Object.keys(fallbacks), Object.values(fallbacks), r.hours],
  );
  return id;
}

/** Scores of a run's hourly values: `ape` per series (the same for each hour), two truth versions of the first hour. */
async function insertScores(db: Db, runId: number, start: Date, ape: Record<string, number>): Promise<void> {
  await db.query(
    `INSERT INTO forecast_scores (run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, issued_at, lead_hours,
       forecast, actual, error, ape, quantile_levels, pinball, inside)
     SELECT $1, s.id, '1h', $2::timestamptz + k * INTERVAL '1 hour', $2::timestamptz + INTERVAL '2 days', 'measured', 'day-ahead', 'grid@1', $2, k,
            10, 10, 0, s.ape, ARRAY[0.1, 0.5, 0.9], ARRAY[0, 0, 0]::float8[], true
     FROM unnest($3::text[], $4::float8[]) AS s(id, ape), generate_series(0, 23) AS k`,
    [runId, start, Object.keys(ape), Object.values(ape)],
  );
  // An earlier truth version of the first hour with a far larger error: not the one read.
  await db.query(
    `INSERT INTO forecast_scores (run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, issued_at, lead_hours,
       forecast, actual, error, ape, quantile_levels, pinball, inside)
     SELECT $1, s.id, '1h', $2, $2::timestamptz + INTERVAL '1 day', 'provisional', 'day-ahead', 'grid@1', $2, 0, 10, 5, 5, 1, ARRAY[0.5], ARRAY[0]::float8[], NULL
     FROM unnest($3::text[]) AS s(id)`,
    [runId, start, Object.keys(ape)],
  );
}

describe.each(backends)('GET /api/v1/node-status (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const config = { ...forecastConfig(), timeZone: 'UTC' };
  const get = async (url: string) => app.inject({ method: 'GET', url, headers: await authAs(db, 'viewer') });
  let runs: Record<string, number>;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(db, validateTopology(TOPOLOGY));
    const points: MeasurementInput[] = [];
    for (let t = WINDOW_START - 24 * H; t < WINDOW_END - H; t += 10 * M) {
      const hour = Math.floor((t - WINDOW_START) / H);
      // a: 6 points an hour; hour 3 holds 3 of them; hours 5–6 were imputed (a gap filled by the imputation job).
      if (hour === 3 && (t / M) % 20 !== 0) continue;
      points.push({ seriesId: 'a', ts: new Date(t), value: 5, ...(hour === 5 || hour === 6 ? { quality: 'imputed' as const, method: 'locf' } : {}) });
    }
    for (let t = WINDOW_START - 24 * H; t < WINDOW_END; t += H) {
      points.push({ seriesId: 'b', ts: new Date(t), value: 7 });
      if (t < WINDOW_END - 3 * H) points.push({ seriesId: 'c', ts: new Date(t), value: 9 });
    }
    await db.transaction((tx) => insertMeasurements(tx, points));
    // The last hour of a arrives live, in flushes shorter than an hour: its hourly bucket is only
    // marked dirty, not stored; one point of it is suspect.
    for (let k = 0; k < 6; k += 2) {
      const batch = [0, 1].map((j) => ({ seriesId: 'a', ts: new Date(WINDOW_END - H + (k + j) * 10 * M), value: 5, ...(k + j === 4 ? { quality: 'suspect' as const } : {}) }));
      await db.transaction((tx) => insertMeasurements(tx, batch));
    }
    const dirty = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM aggregates_dirty WHERE series_id = 'a' AND grain = '1h'`);
    expect(dirty.rows[0].n).toBeGreaterThan(0);
    // m: 15-min metering; one interval of hour 20 exists only as an imputed version, hour 22 lacks an interval.
    const intervals = [];
    for (let t = WINDOW_START; t < WINDOW_END; t += 15 * M) {
      const hour = Math.floor((t - WINDOW_START) / H);
      if (hour === 22 && (t - WINDOW_START) % H === 0) continue;
      const imputed = hour === 20 && (t - WINDOW_START) % H === 0;
      intervals.push({ seriesId: 'm', intervalStart: new Date(t), intervalSec: 900, value: 2, status: imputed ? 'imputed' as const : 'provisional' as const });
      if (!imputed && hour === 21) intervals.push({ seriesId: 'm', intervalStart: new Date(t), intervalSec: 900, value: 2.1, status: 'validated' as const });
    }
    await insertMeteringVersions(db, intervals);

    // Day-ahead: yesterday's run (scored), today's on time with b on a fallback.
    const yesterday = await insertRun(db, { horizon: 'day-ahead', issuedAt: at('2026-03-08T08:05:00Z'), origin: at('2026-03-08T08:00:00Z'), start: at('2026-03-09T00:00:00Z'), hours: 24, scheduledAt: at('2026-03-08T08:00:00Z'), deadline: at('2026-03-08T09:00:00Z') });
    await insertScores(db, yesterday, at('2026-03-09T00:00:00Z'), { a: 0.04, b: 0.1, grid: 0.02 });
    const today = await insertRun(db, {
      horizon: 'day-ahead', issuedAt: at('2026-03-09T08:40:00Z'), origin: at('2026-03-09T08:00:00Z'), start: at('2026-03-10T00:00:00Z'), hours: 24,
      scheduledAt: at('2026-03-09T08:00:00Z'), deadline: at('2026-03-09T09:00:00Z'), fallbacks: { b: 'model-failed (gam: TOO_FEW_DATA)' },
    });
    // Not yet ended, and scored only in part: not the MAPE's run.
    await insertScores(db, today, at('2026-03-10T00:00:00Z'), { a: 0.5 });
    // Intraday: the 11:00 tick's model run was over budget; the deadline fallback stands in, labelled on every series.
    const intradayOk = await insertRun(db, { horizon: 'intraday', issuedAt: at('2026-03-10T10:05:00Z'), origin: at('2026-03-10T10:00:00Z'), start: at('2026-03-10T10:00:00Z'), hours: 7, scheduledAt: at('2026-03-10T10:00:00Z'), deadline: at('2026-03-10T10:15:00Z') });
    const intradayFallback = await insertRun(db, {
      horizon: 'intraday', issuedAt: at('2026-03-10T11:12:00Z'), origin: at('2026-03-10T11:00:00Z'), start: at('2026-03-10T11:00:00Z'), hours: 7,
      scheduledAt: at('2026-03-10T11:00:00Z'), deadline: at('2026-03-10T11:15:00Z'),
      fallbacks: Object.fromEntries(ALL.map((id) => [id, 'deadline: the model run did not finish by 2026-03-10T11:12:00.000Z'])), settings: { fallbackReason: 'deadline: the model run did not finish' },
    });
    runs = { yesterday, today, intradayOk, intradayFallback };

    const log = eventsRepository(db);
    // A day-ahead alarm of yesterday's tick, cleared by today's run on time.
    await log.append({ at: at('2026-03-08T08:50:00Z'), kind: 'run-late', severity: 'alarm', detail: { horizon: 'day-ahead', scheduledAt: '2026-03-08T08:00:00.000Z', deadline: '2026-03-08T09:00:00.000Z', reason: 'over-budget' } });
    ids.intradayLate = (await log.append({ at: at('2026-03-10T11:12:00Z'), kind: 'run-late', severity: 'alarm', detail: { horizon: 'intraday', scheduledAt: '2026-03-10T11:00:00.000Z', deadline: '2026-03-10T11:15:00.000Z', reason: 'over-budget' } })).id;
    // a: a rupture closed by its return; c: an open rupture.
    await log.append({ at: at('2026-02-01T10:20:00Z'), kind: 'rupture', severity: 'alarm', seriesId: 'a', modelVersion: 'grid@1' });
    await log.append({ at: at('2026-02-15T10:20:00Z'), kind: 'fallback-off', severity: 'info', seriesId: 'a' });
    ids.rupture = (await log.append({ at: at('2026-03-10T09:20:00Z'), kind: 'rupture', severity: 'alarm', seriesId: 'c', modelVersion: 'grid@1', detail: { reason: 'level shift of -30.0 % confirmed over 6 hours', shift: -0.3, ruptureAt: '2026-03-10T02:00:00.000Z' } })).id;

    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, config) });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers every node with its status, reasons, day-ahead MAPE and latest runs', async () => {
    const res = await get(`/api/v1/node-status?asOf=${AS_OF}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.window).toEqual({ from: '2026-03-09T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', hours: 24 });
    const node = new Map<string, { status: string; statuses: string[]; reasons: Array<Record<string, unknown> & { details: Record<string, unknown> }>; [k: string]: unknown }>(
      body.nodes.map((n: { id: string }) => [n.id, n]),
    );
    expect([...node.keys()]).toEqual(['a', 'b', 'c', 'grid', 'm', 'north', 'south']);
    const codes = (id: string) => node.get(id)!.reasons.map((r) => r.code);

    // Every node: the intraday deadline fallback run (fallback) and the late intraday tick (late-run).
    for (const id of ALL) expect(node.get(id)!.statuses.slice(0, 1)).toEqual([id === 'c' ? 'rupture' : 'late-run']);
    // a: hour 3 with 3 of 6 points, hours 5–6 imputed, the live last hour holds a suspect point.
    expect(node.get('a')!.reasons.filter((r) => r.status === 'partial-data').map((r) => [r.code, r.details.hours])).toEqual([
      ['data-incomplete', 1], ['data-imputed', 2], ['data-suspect', 1],
    ]);
    expect(node.get('a')!.reasons.find((r) => r.code === 'data-incomplete')!.details.expectedPerHour).toBe(6);
    // b: complete hourly data, on a fallback in today's day-ahead run.
    expect(codes('b')).toEqual(['run-late', 'fallback-in-run', 'fallback-in-run']);
    expect(node.get('b')!.reasons.find((r) => r.horizon === 'day-ahead')).toMatchObject({ runId: runs.today, details: { fallbackReason: 'model-failed (gam: TOO_FEW_DATA)' } });
    // c: the open rupture, and silent for the last 3 hours.
    expect(node.get('c')).toMatchObject({ status: 'rupture', statuses: ['rupture', 'late-run', 'fallback', 'partial-data'] });
    expect(node.get('c')!.reasons[0]).toMatchObject({ code: 'open-rupture', eventId: ids.rupture, acknowledged: false, since: '2026-03-10T09:20:00.000Z', details: { shift: -0.3 } });
    expect(node.get('c')!.reasons.find((r) => r.code === 'data-missing')).toMatchObject({ details: { hours: 3, lastSeen: '2026-03-10T08:00:00.000Z' } });
    // m: hour 20 imputed, hour 22 lacks an interval.
    expect(node.get('m')!.reasons.filter((r) => r.status === 'partial-data').map((r) => [r.code, r.details.hours])).toEqual([['data-incomplete', 1], ['data-imputed', 1]]);
    // Roll-ups: through their leaves.
    expect(node.get('north')!.reasons.find((r) => r.code === 'children-partial')).toMatchObject({ details: { count: 1, leaves: 2, series: ['a'] } });
    expect(node.get('grid')!.reasons.find((r) => r.code === 'children-partial')).toMatchObject({ details: { count: 3, leaves: 4, series: ['a', 'c', 'm'] } });
    expect(node.get('grid')).toMatchObject({ name: 'The grid', parent: null, worstBelow: 'rupture' });
    expect(node.get('north')!.worstBelow).toBe('late-run');

    expect(node.get('a')!.dayAheadMape).toEqual({ mape: expect.closeTo(4, 9), n: 24 });
    expect(node.get('grid')!.dayAheadMape).toEqual({ mape: expect.closeTo(2, 9), n: 24 });
    expect(node.get('c')!.dayAheadMape).toBeNull();
    expect(body.dayAheadRun).toEqual({ id: runs.yesterday, windowStart: '2026-03-09T00:00:00.000Z', windowEnd: '2026-03-10T00:00:00.000Z' });
    expect(node.get('m')!.runs).toEqual({ intraday: runs.intradayFallback, 'day-ahead': runs.today, 'week-ahead': null, 'mid-term': null });

    expect(body.horizons.map((h: { horizon: string; late: boolean }) => [h.horizon, h.late])).toEqual([['intraday', true], ['day-ahead', false], ['week-ahead', false], ['mid-term', false]]);
    expect(body.horizons[0]).toMatchObject({
      latestRun: { id: runs.intradayFallback, deadlineFallback: 'deadline: the model run did not finish', deadline: '2026-03-10T11:15:00.000Z' },
      reasons: [{ code: 'run-late', eventId: ids.intradayLate, since: '2026-03-10T11:00:00.000Z', details: { reason: 'over-budget' } }],
    });
    expect(body.counts).toEqual({ rupture: 1, 'late-run': 6, fallback: 0, 'partial-data': 0, ok: 0 });
  });

  it('looks back with asOf, and filters by headline status', async () => {
    // At 09:10 no intraday run was issued yet, the rupture of c not raised yet; m's hour 08:00 holds an imputed interval.
    const before = (await get('/api/v1/node-status?asOf=2026-03-10T09:10:00Z&windowHours=2')).json();
    expect(before.window).toEqual({ from: '2026-03-10T07:00:00.000Z', to: '2026-03-10T09:00:00.000Z', hours: 2 });
    const status = Object.fromEntries(before.nodes.map((n: { id: string; status: string }) => [n.id, n.status]));
    expect(status).toEqual({ a: 'ok', b: 'fallback', c: 'ok', grid: 'partial-data', m: 'partial-data', north: 'ok', south: 'partial-data' });
    expect(before.horizons.slice(0, 2)).toMatchObject([{ horizon: 'intraday', late: false, latestRun: null }, { horizon: 'day-ahead', late: false, latestRun: { id: runs.today } }]);
    expect(before.nodes.find((n: { id: string }) => n.id === 'a').runs).toEqual({ intraday: null, 'day-ahead': runs.today, 'week-ahead': null, 'mid-term': null });

    const ruptures = (await get(`/api/v1/node-status?asOf=${AS_OF}&status=rupture,fallback`)).json();
    expect(ruptures.nodes.map((n: { id: string }) => n.id)).toEqual(['c']);
    expect(ruptures.counts['late-run']).toBe(6);
  });

  it('says which reasons name an acknowledged event', async () => {
    const log = eventsRepository(db);
    await log.acknowledge((await log.get(ids.rupture))!, { at: at('2026-03-10T12:00:00Z'), by: 'apikey:olga', comment: null });
    // Another asOf than the answers above, which the server may reuse for 10 s.
    const c = (await get('/api/v1/node-status?asOf=2026-03-10T12:31:00Z&status=rupture')).json().nodes[0];
    expect(c.reasons[0]).toMatchObject({ code: 'open-rupture', eventId: ids.rupture, acknowledged: true });
    expect(c.reasons.find((r: { code: string }) => r.code === 'run-late')).toMatchObject({ eventId: ids.intradayLate, acknowledged: false });
  });

  it('refuses a bad window, status or time, and needs a key', async () => {
    expectProblem(await get('/api/v1/node-status?windowHours=0'), 'REQUEST_INVALID');
    expectProblem(await get('/api/v1/node-status?windowHours=169'), 'REQUEST_INVALID');
    expect(expectProblem(await get('/api/v1/node-status?status=ok,late'), 'REQUEST_INVALID').detail).toMatch(/unknown status late/);
    expectProblem(await get('/api/v1/node-status?asOf=2026-03-10T10:30'), 'TS_NO_OFFSET');
    expect((await app.inject({ method: 'GET', url: '/api/v1/node-status' })).statusCode).toBe(401);
  });
});
