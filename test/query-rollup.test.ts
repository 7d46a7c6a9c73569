import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';
import { createSeries, writePoints } from './aggregates-fixtures.ts';

/**
 * nation → { north → { a, b }, c }. a, b, c are measured every 15 min from 00:00 to 02:00 UTC;
 * b misses 01:00–01:15, and c's 01:45 point is imputed.
 */
function file(): string {
  const lines: string[] = [];
  for (let i = 0; i < 8; i++) {
    const ts = new Date(Date.parse('2026-02-02T00:00:00Z') + i * 900_000).toISOString();
    lines.push(`a,${ts},${100 + i},ok,`);
    if (i !== 4) lines.push(`b,${ts},${200 + i},ok,`);
    lines.push(i === 7 ? `c,${ts},${300 + i},imputed,locf` : `c,${ts},${300 + i},ok,`);
  }
  return lines.join('\n');
}

describe.each(backends)('roll-up and flags on %s', (kind) => {
  let db: Db;
  const range = { from: new Date('2026-02-02T00:00:00Z'), to: new Date('2026-02-03T00:00:00Z') };

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [
      { id: 'nation', unit: 'MW' },
      { id: 'north', unit: 'MW', parentId: 'nation' },
      { id: 'a', unit: 'MW', parentId: 'north' },
      { id: 'b', unit: 'MW', parentId: 'north' },
      { id: 'c', unit: 'MW', parentId: 'nation' },
    ]);
    await writePoints(db, file());
  });
  afterAll(() => db?.close());

  it('a parent without data is the sum of its children, flagged derived', async () => {
    const rows = await queryMeasurements(db, { ...range, seriesId: 'north', grain: 'raw' });
    expect(rows[0]).toMatchObject({ seriesId: 'north', value: 300, quality: 'derived' });
    expect(rows).toHaveLength(8);
    const hourly = await queryMeasurements(db, { ...range, seriesId: 'nation', grain: '1h' });
    // Hour 0: mean of a (100..103) + mean of b (200..203) + mean of c (300..303).
    expect(hourly[0]).toMatchObject({ value: 101.5 + 201.5 + 301.5, quality: 'derived', method: null });
    expect(hourly[0]).toMatchObject({ partial: false, n: 2, expected: 2 });
  });

  it('a bucket a child lacks is flagged, with no partial sum', async () => {
    const rows = await queryMeasurements(db, { ...range, seriesId: 'nation', grain: 'raw' });
    const gap = rows.find((r) => r.ts.toISOString() === '2026-02-02T01:00:00.000Z')!;
    expect(gap).toMatchObject({ value: null, partial: true, missing: ['b'] });
    const five = await queryMeasurements(db, { ...range, seriesId: 'north', grain: '5m' });
    expect(five.filter((r) => r.partial).map((r) => [r.ts.toISOString(), r.value, r.missing])).toEqual([
      ['2026-02-02T01:00:00.000Z', null, ['b']],
    ]);
  });

  it('imputed points come back flagged with their method, and so do the buckets and roll-ups holding them', async () => {
    const raw = await queryMeasurements(db, { ...range, seriesId: 'c', grain: 'raw' });
    expect(raw[7]).toMatchObject({ ts: new Date('2026-02-02T01:45:00Z'), quality: 'imputed', method: 'locf' });
    expect(raw.slice(0, 7).every((r) => r.quality === 'ok' && r.method === null)).toBe(true);
    const hour = await queryMeasurements(db, { ...range, seriesId: 'c', grain: '1h' });
    expect(hour.map((r) => [r.quality, r.method])).toEqual([
      ['ok', null],
      ['imputed', 'locf'],
    ]);
    const nation = await queryMeasurements(db, { ...range, seriesId: 'nation', grain: '1h' });
    expect(nation[1]).toMatchObject({ quality: 'imputed', method: 'locf' });
  });

  it('a metering child with an incomplete hour makes the parent hour unknown', async () => {
    await createSeries(db, [
      { id: 'meters', unit: 'MWh' },
      { id: 'ma', unit: 'MWh', parentId: 'meters' },
      { id: 'mb', unit: 'MWh', parentId: 'meters' },
    ]);
    const lines = [0, 1, 2, 3].flatMap((i) => {
      const ts = new Date(Date.parse('2026-02-02T00:00:00Z') + i * 900_000).toISOString();
      return i === 2 ? [`ma,${ts},900,1,validated,1`] : [`ma,${ts},900,1,validated,1`, `mb,${ts},900,2,validated,1`];
    });
    await db.copyCsv('metering', ['series_id', 'interval_start', 'interval_sec', 'value', 'status', 'version'], lines.join('\n') + '\n');
    const [hour] = await queryMeasurements(db, { ...range, seriesId: 'meters', grain: '1h' });
    expect(hour).toMatchObject({ value: null, partial: true, missing: ['mb'] });
  });

  it('refuses an unknown series', async () => {
    await expect(queryMeasurements(db, { ...range, seriesId: 'nope', grain: '1h' })).rejects.toMatchObject({ code: 'SERIES_NOT_FOUND' });
  });
});
