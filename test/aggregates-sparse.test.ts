import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushAggregates, markAggregates, refreshAggregates } from '../store/aggregates.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import type { MeasurementInput } from '../core/series.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const hourly = (hours: number, from = T0): MeasurementInput[] =>
  Array.from({ length: hours }, (_, i) => ({ seriesId: 'h', ts: new Date(from + i * H), value: 100 + (i % 24) + i / 1000 }));
const tenMin = (from: number, n: number): MeasurementInput[] =>
  Array.from({ length: n }, (_, i) => ({ seriesId: 'h', ts: new Date(from + i * 600_000), value: 50 + i }));

/**
 * Storage (issue 8, item 17): a grain whose every bucket would hold one raw point is not stored
 * (it would copy the raw table); it is read from the raw points with the same numbers. Once a
 * bucket holds two points the grain is stored, for the whole history of the series.
 */
describe.each(backends)('aggregates of sparse series (%s)', (kind) => {
  let db: Db;
  beforeEach(async () => {
    db = await freshDb(kind);
    await db.query(`INSERT INTO series (id, kind, unit, time_zone) VALUES ('h', 'load', 'MW', 'UTC')`);
  });
  afterEach(() => db.close());

  const rows = async (table: string) => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE series_id = 'h'`)).rows[0].n);
  const grains = async () => (await db.query<{ grain: string }>(`SELECT grain FROM aggregate_grains WHERE series_id = 'h' ORDER BY grain`)).rows.map((r) => r.grain);
  const read = (grain: '5m' | '1h' | '1d', days: number) =>
    queryMeasurements(db, { seriesId: 'h', from: new Date(T0), to: new Date(T0 + days * 24 * H), grain });

  it('stores no 5-min or hourly copy of hourly points, and serves those grains from the raw points', async () => {
    const points = hourly(72);
    await db.transaction((tx) => insertMeasurements(tx, points));
    expect([await rows('measurements_5m'), await rows('measurements_1h'), await rows('measurements_1d')]).toEqual([0, 0, 3]);
    expect(await grains()).toEqual([]);
    const byHour = await read('1h', 3);
    expect(byHour.map((b) => [b.ts.getTime(), b.value, b.n])).toEqual(points.map((p) => [p.ts.getTime(), p.value, 1]));
    expect((await read('5m', 3)).map((b) => b.value)).toEqual(points.map((p) => p.value));
    const days = await read('1d', 3);
    expect(days.map((d) => d.n)).toEqual([24, 24, 24]);
  });

  it('starts storing a grain, for the whole history, once a bucket holds two points; the numbers do not change', async () => {
    await db.transaction((tx) => insertMeasurements(tx, hourly(72)));
    const before = await read('1h', 3);
    // Day 4 at 10-min steps: hours now hold six points, 5-min buckets still one.
    await db.transaction((tx) => insertMeasurements(tx, tenMin(T0 + 72 * H, 144)));
    expect(await grains()).toEqual(['1h']);
    expect([await rows('measurements_5m'), await rows('measurements_1h')]).toEqual([0, 72 + 24]);
    const after = await read('1h', 4);
    expect(after.slice(0, 72)).toEqual(before);
    expect(after.slice(72).map((b) => b.n)).toEqual(new Array(24).fill(6));
    expect(after[72].value).toBeCloseTo(50 + 2.5, 12);
  });

  it('decides the same way on the deferred path (dirty marks flushed later)', async () => {
    await db.transaction(async (tx) => {
      const pts = [...hourly(48), ...tenMin(T0 + 48 * H, 12)];
      await insertMeasurements(tx, pts);
      await markAggregates(tx, { seriesIds: ['h'], from: new Date(T0), to: new Date(T0 + 50 * H) });
    });
    while ((await flushAggregates(db)) > 0);
    expect(await grains()).toEqual(['1h']);
    expect(await rows('measurements_1h')).toBe(50);
    expect(await rows('measurements_5m')).toBe(0);
    // A refresh of a range holding only single-point buckets keeps the grain stored.
    await db.transaction((tx) => refreshAggregates(tx, { seriesIds: ['h'], from: new Date(T0), to: new Date(T0 + 24 * H) }));
    expect(await rows('measurements_1h')).toBe(50);
  });

  // The flush finds 5-min pairs in its hourly read; a 5-min mark flushed apart from the hourly
  // mark of its write (limit 1) is read on its own. Both must store the whole 5-min history.
  it.each([5000, 1])('starts storing 5-min buckets on the deferred path once one holds two points (flush limit %i)', async (limit) => {
    const M = 60_000;
    const fiveMin = Array.from({ length: 24 * 12 }, (_, i) => ({ seriesId: 'h', ts: new Date(T0 + i * 5 * M), value: 10 + (i % 7) }));
    await db.transaction((tx) => insertMeasurements(tx, fiveMin));
    expect(await grains()).toEqual(['1h']);
    const from = T0 + 24 * H;
    const late = [0, 1, 2.5, 5, 7.5].map((m, i) => ({ ts: new Date(from + m * M), value: 20 + i }));
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO measurements (series_id, ts, value) SELECT 'h', unnest($1::timestamptz[]), unnest($2::float8[])`, [
        late.map((p) => p.ts),
        late.map((p) => p.value),
      ]);
      await markAggregates(tx, { seriesIds: ['h'], from: late[0].ts, to: late.at(-1)!.ts });
    });
    while ((await flushAggregates(db, limit)) > 0);
    expect(await grains()).toEqual(['1h', '5m']);
    const all = [...fiveMin.map((p) => ({ ts: p.ts.getTime(), value: p.value })), ...late.map((p) => ({ ts: p.ts.getTime(), value: p.value }))];
    const byBucket = new Map<number, number[]>();
    for (const p of all) byBucket.set(Math.floor(p.ts / (5 * M)) * 5 * M, [...(byBucket.get(Math.floor(p.ts / (5 * M)) * 5 * M) ?? []), p.value]);
    const { rows: stored } = await db.query<{ bucket: Date; n: number; sum: number }>(`SELECT bucket, n, sum FROM measurements_5m WHERE series_id = 'h' ORDER BY bucket`);
    expect(stored.map((r) => [r.bucket.getTime(), r.n, r.sum])).toEqual(
      [...byBucket.entries()].sort(([a], [b]) => a - b).map(([b, v]) => [b, v.length, v.reduce((x, y) => x + y, 0)]),
    );
    expect(await rows('aggregates_dirty')).toBe(0);
  });
});
