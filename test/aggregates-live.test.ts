import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { flushAggregates } from '../store/aggregates.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';
import { bucketsOf, createSeries, localDay, parsePoints, utcBin, writePoints } from './aggregates-fixtures.ts';

const ZONE = 'Europe/Paris';

/**
 * A live feed: a 3-hour backfill, then one point per batch every 2 minutes across an hour change
 * and the local midnight of Paris (22:00Z in summer). Short batches only mark their hourly and
 * daily buckets; queries must still give the exact numbers, before and after a flush.
 */
const start = Date.parse('2026-07-01T19:00:00Z');
const backfill: string[] = [];
for (let t = start; t < start + 3 * 3.6e6; t += 60_000) backfill.push(`live,${new Date(t).toISOString()},${(t / 60_000) % 97},ok,`);
const ticks: string[] = [];
for (let t = start + 3 * 3.6e6; t < start + 3.5 * 3.6e6; t += 120_000) ticks.push(`live,${new Date(t).toISOString()},${(t / 60_000) % 89},ok,`);
const POINTS = parsePoints([...backfill, ...ticks].join('\n'));
const range = { seriesId: 'live', from: new Date('2026-06-30T00:00:00Z'), to: new Date('2026-07-03T00:00:00Z') };

describe.each(backends)('aggregates of a live feed on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [{ id: 'live', unit: 'MW', timeZone: ZONE }]);
    await writePoints(db, backfill.join('\n'));
    for (const tick of ticks) await writePoints(db, tick);
  });
  afterAll(() => db?.close());

  const expected = async () => {
    const hours = [...bucketsOf(POINTS, utcBin(3.6e6)).values()].map((b) => [b.start, b.avg, b.p95, b.n]);
    const days = [...bucketsOf(POINTS, localDay(ZONE)).values()].map((b) => [b.start, b.avg, b.p95, b.n]);
    const got = async (grain: '1h' | '1d') =>
      (await queryMeasurements(db, { ...range, grain })).map((r) => [r.ts.getTime(), r.value, r.p95, r.n]);
    expect(await got('1h')).toEqual(hours);
    expect(await got('1d')).toEqual(days);
  };

  it('marks the buckets of short batches and still answers exactly', async () => {
    const { rows } = await db.query<{ grain: string; n: number }>('SELECT grain, count(*)::int AS n FROM aggregates_dirty GROUP BY grain ORDER BY grain');
    // The 3-hour backfill (shorter than a day) marks the Paris day of 1 July; ticks from 22:00Z
    // to 22:28Z mark hour 22:00Z and the Paris day of 2 July, which starts at 22:00Z.
    expect(rows).toEqual([
      { grain: '1d', n: 2 },
      { grain: '1h', n: 1 },
    ]);
    await expected();
  });

  it('a flush stores the marked buckets, clears the marks, and changes no number', async () => {
    expect(await flushAggregates(db)).toBe(3);
    expect(await flushAggregates(db)).toBe(0);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurements_1d WHERE series_id = 'live'`);
    expect(rows[0].n).toBe(2);
    await expected();
  });
});
