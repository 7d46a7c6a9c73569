import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { insertMeteringVersions } from '../store/metering.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';

const T0 = new Date('2026-03-01T00:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

describe.each(backends)('insertMeasurements, the live write path (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.query(`INSERT INTO series (id, kind, unit, time_zone) VALUES ('s1', 'load', 'MW', 'Europe/Paris')`);
  });
  beforeEach(() => db.exec('TRUNCATE measurements, measurements_5m, measurements_1h, measurements_1d, metering, weather_obs, weather_fc, aggregates_dirty'));
  afterAll(() => db.close());

  // Revisions are append-only and outlive the TRUNCATE between cases: each case reads its own (received since it began).
  let caseStart: Date;
  beforeEach(async () => {
    caseStart = await now();
  });
  // PGlite's clock ticks in milliseconds: step past the instant read, so later writes are later.
  const now = async () => {
    const t = (await db.query<{ t: Date }>(`SELECT clock_timestamp() AS t`)).rows[0].t;
    await new Promise((r) => setTimeout(r, 5));
    return t;
  };
  const revisionsOf = async (ts: Date) =>
    (await db.query(`SELECT value, quality FROM measurement_revisions WHERE series_id = 's1' AND ts = $1 AND superseded_at >= $2 ORDER BY superseded_at`, [ts, caseStart])).rows;
  const stored = async () =>
    (await db.query<{ ts: Date; value: number; quality: string; method: string | null }>(
      `SELECT ts, value, quality, method FROM measurements WHERE series_id = 's1' ORDER BY ts`,
    )).rows;

  it('re-sending the same points changes nothing', async () => {
    const pts = [0, 1, 2].map((i) => ({ seriesId: 's1', ts: at(i), value: 10 + i }));
    expect(await db.transaction((tx) => insertMeasurements(tx, pts))).toEqual({ written: 3, revised: 0, revisions: [] });
    const before = await stored();
    expect(await db.transaction((tx) => insertMeasurements(tx, pts))).toEqual({ written: 0, revised: 0, revisions: [] });
    expect(await stored()).toEqual(before);
    expect(await revisionsOf(at(0))).toEqual([]);
  });

  it('keeps a corrected value as a revision: the latest is served, the first stays readable as of before', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 16000 }]));
    const before = await now();
    const r = await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(1), value: 1 }, { seriesId: 's1', ts: at(0), value: 17000 }]));
    expect(r).toMatchObject({ written: 2, revised: 1, revisions: [{ seriesId: 's1', ts: at(0), oldValue: 16000, newValue: 17000, ord: 1 }] });
    expect((await stored())[0]).toMatchObject({ value: 17000, quality: 'ok' });
    expect(await revisionsOf(at(0))).toEqual([{ value: 16000, quality: 'ok' }]);
    const asOf = (t: Date) => queryMeasurements(db, { seriesId: 's1', from: at(0), to: at(5), grain: 'raw', asOf: t });
    expect((await asOf(before)).map((p) => p.value)).toEqual([16000]);
    expect((await asOf(await now())).map((p) => p.value)).toEqual([17000, 1]);
    const fiveMin = await queryMeasurements(db, { seriesId: 's1', from: at(0), to: at(5), grain: '5m', asOf: before });
    expect(fiveMin.map((b) => [b.value, b.n])).toEqual([[16000, 1]]);
  });

  it('refuses a revision with onConflict reject, naming the point, and writes nothing', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 5 }]));
    await expect(
      db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(1), value: 6 }, { seriesId: 's1', ts: at(0), value: 7 }], null, 'reject')),
    ).rejects.toMatchObject({ code: 'VALUE_CONFLICT', message: expect.stringContaining('point 1: s1') });
    expect(await stored()).toEqual([{ ts: at(0), value: 5, quality: 'ok', method: null }]);
  });

  it('keeps a suspect mark when the same value comes again as ok; a sender flagging a point suspect is a revision', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 5 }, { seriesId: 's1', ts: at(1), value: 6 }]));
    await db.query(`UPDATE measurements SET quality = 'suspect' WHERE ts = $1`, [at(0)]); // as validation marks a spike
    const again = await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 5 }]));
    expect(again).toEqual({ written: 0, revised: 0, revisions: [] });
    const flagged = await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(1), value: 6, quality: 'suspect' }]));
    expect(flagged.revised).toBe(1);
    expect((await stored()).map((p) => p.quality)).toEqual(['suspect', 'suspect']);
    expect(await revisionsOf(at(1))).toEqual([{ value: 6, quality: 'ok' }]);
  });

  it('never lets anything change or delete a revision', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 5 }]));
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 6 }]));
    await expect(db.query(`UPDATE measurement_revisions SET value = 0`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM measurement_revisions`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE measurement_revisions`)).rejects.toThrow(/append-only/);
  });

  it('keeps a measured point over an imputed one and replaces an imputed point by the measured value (kept as a revision)', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(0), value: 5 }]));
    await db.transaction((tx) =>
      insertMeasurements(tx, [
        { seriesId: 's1', ts: at(0), value: 99, quality: 'imputed', method: 'locf' },
        { seriesId: 's1', ts: at(1), value: 6, quality: 'imputed', method: 'locf' },
      ]),
    );
    expect(await stored()).toEqual([
      { ts: at(0), value: 5, quality: 'ok', method: null },
      { ts: at(1), value: 6, quality: 'imputed', method: 'locf' },
    ]);
    const r = await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 's1', ts: at(1), value: 7.25, quality: 'suspect' }]));
    expect(r.written).toBe(1);
    expect((await stored())[1]).toEqual({ ts: at(1), value: 7.25, quality: 'suspect', method: null });
    expect(r.revised).toBe(0);
    expect(await revisionsOf(at(1))).toEqual([{ value: 6, quality: 'imputed' }]);
  });

  it('accepts a point repeated within one call, preferring the measured one', async () => {
    const r = await db.transaction((tx) =>
      insertMeasurements(tx, [
        { seriesId: 's1', ts: at(0), value: 1, quality: 'imputed', method: 'profile' },
        { seriesId: 's1', ts: at(0), value: 2 },
        { seriesId: 's1', ts: at(0), value: 3, quality: 'imputed', method: 'profile' },
      ]),
    );
    expect(r.written).toBe(1);
    expect(await stored()).toEqual([{ ts: at(0), value: 2, quality: 'ok', method: null }]);
  });

  it('keeps the 5-minute aggregate in step with the written points', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [0, 1, 2].map((m) => ({ seriesId: 's1', ts: at(m), value: 10 * m }))));
    const { rows } = await db.query<{ n: number; avg: number }>(`SELECT n, avg FROM measurements_5m WHERE series_id = 's1'`);
    expect(rows).toEqual([{ n: 3, avg: 10 }]);
  });

  it('appends metering versions in order of receipt, and a re-sent version changes nothing', async () => {
    const base = { seriesId: 's1', intervalStart: at(0), intervalSec: 900 };
    const prov = { ...base, value: 4.5, status: 'provisional' as const, receivedAt: at(20) };
    const valid = { ...base, value: 4.75, status: 'validated' as const, receivedAt: at(3 * 24 * 60) };
    expect(await db.transaction((tx) => insertMeteringVersions(tx, [valid, prov]))).toEqual({ written: 2 });
    expect(await db.transaction((tx) => insertMeteringVersions(tx, [prov]))).toEqual({ written: 0 });
    const r = await db.transaction((tx) => insertMeteringVersions(tx, [{ ...base, value: 4.7, status: 'imputed', method: 'profile' }]));
    expect(r).toEqual({ written: 1 });
    const { rows } = await db.query(`SELECT version, status, value, method FROM metering ORDER BY version`);
    expect(rows).toEqual([
      { version: 1, status: 'provisional', value: 4.5, method: null },
      { version: 2, status: 'validated', value: 4.75, method: null },
      { version: 3, status: 'imputed', value: 4.7, method: 'profile' },
    ]);
  });

  it('stores weather observations and forecasts as issued, idempotently', async () => {
    const t0 = await now();
    const obs = { stationId: 'w1', variable: 'temperature', ts: at(0), value: 3.5 };
    const fc = { stationId: 'w1', variable: 'temperature', issuedAt: at(0), targetTs: at(60), value: 4 };
    const w = (written: number, revised = 0) => expect.objectContaining({ written, revised });
    expect(await db.transaction((tx) => insertWeatherObs(tx, [obs, obs]))).toEqual(w(1));
    expect(await db.transaction((tx) => insertWeatherObs(tx, [obs]))).toEqual(w(0));
    expect(await db.transaction((tx) => insertWeatherObs(tx, [{ ...obs, value: 3.25 }]))).toEqual(w(1, 1));
    expect(await db.transaction((tx) => insertWeatherForecasts(tx, [fc, { ...fc, issuedAt: at(30), value: 4.5 }]))).toEqual(w(2));
    expect(await db.transaction((tx) => insertWeatherForecasts(tx, [fc]))).toEqual(w(0));
    expect(await db.transaction((tx) => insertWeatherForecasts(tx, [{ ...fc, value: 5 }]))).toEqual(w(1, 1));
    expect((await db.query(`SELECT value FROM weather_obs`)).rows).toEqual([{ value: 3.25 }]);
    expect((await db.query(`SELECT issued_at, ts, value FROM weather_revisions WHERE station_id = 'w1' AND superseded_at >= $1 ORDER BY 1 NULLS FIRST`, [t0])).rows).toEqual([
      { issued_at: null, ts: at(0), value: 3.5 },
      { issued_at: at(0), ts: at(60), value: 4 },
    ]);
    expect((await db.query(`SELECT issued_at, value FROM weather_fc ORDER BY issued_at`)).rows).toEqual([
      { issued_at: at(0), value: 5 },
      { issued_at: at(30), value: 4.5 },
    ]);
  });
});
