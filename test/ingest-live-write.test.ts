import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { backends, freshDb } from './db.ts';

const T0 = new Date('2026-03-01T00:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

describe.each(backends)('insertMeasurements, the live write path (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.query(`INSERT INTO series (id, kind, unit, time_zone) VALUES ('s1', 'load', 'MW', 'Europe/Paris')`);
  });
  beforeEach(() => db.exec('TRUNCATE measurements, measurements_5m, measurements_1h, measurements_1d'));
  afterAll(() => db.close());

  const stored = async () =>
    (await db.query<{ ts: Date; value: number; quality: string; method: string | null }>(
      `SELECT ts, value, quality, method FROM measurements WHERE series_id = 's1' ORDER BY ts`,
    )).rows;

  it('re-sending the same points changes nothing', async () => {
    const pts = [0, 1, 2].map((i) => ({ seriesId: 's1', ts: at(i), value: 10 + i }));
    expect(await db.transaction((tx) => insertMeasurements(tx, pts))).toEqual({ written: 3 });
    const before = await stored();
    expect(await db.transaction((tx) => insertMeasurements(tx, pts))).toEqual({ written: 0 });
    expect(await stored()).toEqual(before);
  });

  it('keeps a measured point over an imputed one and replaces an imputed point by the measured value', async () => {
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

  it('keeps the hourly aggregate in step with the written points', async () => {
    await db.transaction((tx) => insertMeasurements(tx, [0, 10, 20].map((m) => ({ seriesId: 's1', ts: at(m), value: m }))));
    const { rows } = await db.query<{ n: number; avg: number }>(`SELECT n, avg FROM measurements_1h WHERE series_id = 's1'`);
    expect(rows).toEqual([{ n: 3, avg: 10 }]);
  });
});
