import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCsvFile } from '../ingest/csv/ingest-csv.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import { flushAggregates, flushAllAggregates } from '../store/aggregates.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';
import { bucketsOf, createSeries, localDay, rng, utcBin, type Point } from './aggregates-fixtures.ts';

/**
 * A bulk import with deferred aggregates (what `gridcast ingest csv` does): the batch commits with
 * one dirty range mark per series and grain, queries answer exactly from the raw points, live
 * writes re-mark buckets inside (and at the start of) those ranges, and a flush then stores
 * exactly the aggregates an import refreshing them in its transaction stores.
 */
const SERIES = [
  { id: 'bulk-paris', unit: 'MW', timeZone: 'Europe/Paris' },
  { id: 'bulk-kolkata', unit: 'MWh', timeZone: 'Asia/Kolkata' },
];
const ZONE = Object.fromEntries(SERIES.map((s) => [s.id, s.timeZone]));
const from = Date.parse('2026-03-28T00:00:00Z');
const to = Date.parse('2026-03-30T12:00:00Z'); // across the Paris spring-forward of 29 March

const random = rng(7);
const points: Point[] = [];
for (let t = from; t <= to; t += 120_000) {
  for (const s of SERIES) {
    points.push({ seriesId: s.id, ts: t, value: Math.round(random() * 1e6) / 1e3, quality: random() < 0.05 ? 'suspect' : 'ok', method: null });
  }
}
// Live points written after the import: odd minutes, so new keys. The first opens the hour and
// the Paris day where the import's range marks start (same mark keys); the second falls inside.
const live: Point[] = [
  { seriesId: 'bulk-paris', ts: Date.parse('2026-03-28T00:01:00Z'), value: 12.5, quality: 'ok', method: null },
  { seriesId: 'bulk-paris', ts: Date.parse('2026-03-29T10:03:00Z'), value: 1234.5, quality: 'ok', method: null },
];

const dir = mkdtempSync(join(tmpdir(), 'gridcast-deferred-'));
const file = join(dir, 'bulk.csv');
writeFileSync(file, `series_id,ts,value,quality\n${points.map((p) => `${p.seriesId},${new Date(p.ts).toISOString()},${p.value},${p.quality}`).join('\n')}\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GRAINS = ['5m', '1h', '1d'] as const;
const range = { from: new Date('2026-03-27T00:00:00Z'), to: new Date('2026-03-31T00:00:00Z') };

/** Independent computation of what the queries must return. */
function expected(all: Point[], seriesId: string, grain: (typeof GRAINS)[number], energy: boolean) {
  const own = all.filter((p) => p.seriesId === seriesId).sort((a, b) => a.ts - b.ts);
  const startOf = grain === '5m' ? utcBin(300_000) : grain === '1h' ? utcBin(3_600_000) : localDay(ZONE[seriesId]);
  return [...bucketsOf(own, startOf).values()].map((b) => [b.start, energy ? b.sum : b.avg, b.p95, b.n, b.min, b.max, b.quality]);
}

const answers = async (db: Db, seriesId: string, grain: (typeof GRAINS)[number]) =>
  (await queryMeasurements(db, { seriesId, grain, ...range })).map((r) => [r.ts.getTime(), r.value, r.p95, r.n, r.min, r.max, r.quality]);

const stored = async (db: Db) => {
  const out: unknown[] = [];
  for (const g of GRAINS) out.push((await db.query(`SELECT * FROM measurements_${g} ORDER BY series_id, bucket`)).rows);
  return out;
};

const flushAll = async (db: Db) => {
  let n = 0;
  for (let k; (k = await flushAggregates(db)) > 0; ) n += k;
  return n;
};

const writeLive = (db: Db) =>
  db.transaction((tx) => insertMeasurements(tx, live.map((p) => ({ seriesId: p.seriesId, ts: new Date(p.ts), value: p.value }))));

describe.each(backends)('bulk import with deferred aggregates on %s', (kind) => {
  let inline: Db;
  let deferred: Db;
  beforeAll(async () => {
    [inline, deferred] = [await freshDb(kind), await freshDb(kind)];
    for (const db of [inline, deferred]) await createSeries(db, SERIES);
    expect((await ingestCsvFile(ingestStore(inline), file)).status).toBe('committed');
    expect((await ingestCsvFile(ingestStore(deferred), file, { deferAggregates: true })).status).toBe('committed');
  });
  afterAll(async () => {
    await inline?.close();
    await deferred?.close();
  });

  const checkQueries = async (all: Point[]) => {
    for (const s of SERIES) {
      for (const g of GRAINS) {
        const want = expected(all, s.id, g, s.unit === 'MWh');
        expect(await answers(deferred, s.id, g)).toEqual(want);
        expect(await answers(inline, s.id, g)).toEqual(want);
      }
    }
  };

  it('commits the rows with one range mark per series and grain, and nothing stored yet', async () => {
    const { rows } = await deferred.query<{ grain: string; n: number }>('SELECT grain, count(*)::int AS n FROM aggregates_dirty GROUP BY grain ORDER BY grain');
    expect(rows).toEqual([
      { grain: '1d', n: 2 },
      { grain: '1h', n: 2 },
      { grain: '5m', n: 2 },
    ]);
    expect(await stored(deferred)).toEqual([[], [], []]);
  });

  it('answers every grain exactly before the aggregates are stored', () => checkQueries(points));

  it('a live write on top of the marked ranges keeps every answer exact', async () => {
    await writeLive(inline);
    await writeLive(deferred);
    // The live mark sharing a key with a range mark must not shrink the range.
    const { rows } = await deferred.query<{ end: Date }>(
      `SELECT bucket_end AS end FROM aggregates_dirty WHERE series_id = 'bulk-paris' AND grain = '1h' AND bucket = '2026-03-28T00:00:00Z'`,
    );
    expect(rows[0].end.toISOString()).toBe('2026-03-30T13:00:00.000Z');
    await checkQueries([...points, ...live]);
  });

  it('the flush stores exactly what an import refreshing in its transaction stores, and clears the marks', async () => {
    // As `gridcast ingest csv` stores them: on PostgreSQL, concurrent transactions over parts of the series.
    expect(await flushAllAggregates(deferred)).toBeGreaterThan(0);
    await flushAll(inline);
    expect((await deferred.query<{ n: number }>('SELECT count(*)::int AS n FROM aggregates_dirty')).rows[0].n).toBe(0);
    const got = await stored(deferred);
    expect((got[0] as unknown[]).length).toBe(expected([...points, ...live], 'bulk-paris', '5m', false).length * 2);
    expect(got).toEqual(await stored(inline));
    await checkQueries([...points, ...live]);
  });
});
