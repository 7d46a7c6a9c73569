import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';
import { createSeries } from './aggregates-fixtures.ts';

const PROVISIONAL_AT = new Date('2026-01-10T01:00:00Z');
const VALIDATED_AT = new Date('2026-01-17T09:00:00Z');

/** 15-min energy of 2026-01-10 00:00–02:00 UTC: provisional for 8 intervals, validated later for the first 6. */
function meteringCsv(): string {
  const lines: string[] = [];
  for (let i = 0; i < 8; i++) {
    const start = new Date(Date.parse('2026-01-10T00:00:00Z') + i * 900_000).toISOString();
    lines.push(`m1,${start},900,${10 + i},provisional,1,,${PROVISIONAL_AT.toISOString()}`);
    if (i < 6) lines.push(`m1,${start},900,${20 + i},validated,2,,${VALIDATED_AT.toISOString()}`);
  }
  // A later provisional resend of the first interval must not beat the validated value.
  lines.push(`m1,2026-01-10T00:00:00Z,900,99,provisional,3,,2026-01-18T00:00:00Z`);
  return lines.join('\n') + '\n';
}

describe.each(backends)('metering versions on %s', (kind) => {
  let db: Db;
  const range = { seriesId: 'm1', from: new Date('2026-01-10T00:00:00Z'), to: new Date('2026-01-11T00:00:00Z') };

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [{ id: 'm1', unit: 'MWh' }]);
    await db.copyCsv('metering', ['series_id', 'interval_start', 'interval_sec', 'value', 'status', 'version', 'method', 'received_at'], meteringCsv());
  });
  afterAll(() => db?.close());

  it('keeps every version', async () => {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM metering WHERE series_id = 'm1'`);
    expect(rows[0].n).toBe(15);
  });

  it('serves the best version: validated beats provisional, even a later provisional', async () => {
    const rows = await queryMeasurements(db, { ...range, grain: 'raw' });
    expect(rows.map((r) => [r.value, r.status, r.version])).toEqual([
      [20, 'validated', 2],
      [21, 'validated', 2],
      [22, 'validated', 2],
      [23, 'validated', 2],
      [24, 'validated', 2],
      [25, 'validated', 2],
      [16, 'provisional', 1],
      [17, 'provisional', 1],
    ]);
  });

  it('as of a time before validation serves the provisional values known then', async () => {
    const rows = await queryMeasurements(db, { ...range, grain: 'raw', asOf: new Date('2026-01-12T00:00:00Z') });
    expect(rows.map((r) => r.value)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    expect(rows.every((r) => r.status === 'provisional')).toBe(true);
    const before = await queryMeasurements(db, { ...range, grain: 'raw', asOf: new Date('2026-01-10T00:30:00Z') });
    expect(before).toEqual([]);
  });

  it('sums energy per hour and day, marking provisional and incomplete buckets', async () => {
    const hours = await queryMeasurements(db, { ...range, grain: '1h' });
    expect(hours.map((h) => [h.ts.toISOString(), h.value, h.status, h.partial])).toEqual([
      ['2026-01-10T00:00:00.000Z', 20 + 21 + 22 + 23, 'validated', false],
      ['2026-01-10T01:00:00.000Z', 24 + 25 + 16 + 17, 'provisional', false],
    ]);
    const days = await queryMeasurements(db, { ...range, grain: '1d', asOf: new Date('2026-01-12T00:00:00Z') });
    expect(days.map((d) => [d.value, d.n, d.partial])).toEqual([[10 + 11 + 12 + 13 + 14 + 15 + 16 + 17, 8, true]]);
  });

  it('sums whole local days of 92 and 100 quarter-hours across the DST changes', async () => {
    await createSeries(db, [{ id: 'm-paris', unit: 'kWh', timeZone: 'Europe/Paris' }]);
    const lines: string[] = [];
    const days = [
      ['2026-03-28T23:00:00Z', 92],
      ['2026-10-24T22:00:00Z', 100],
    ] as const;
    for (const [start, n] of days) {
      for (let i = 0; i < n; i++) lines.push(`m-paris,${new Date(Date.parse(start) + i * 900_000).toISOString()},900,${i % 7},validated,1,`);
    }
    await db.copyCsv('metering', ['series_id', 'interval_start', 'interval_sec', 'value', 'status', 'version', 'method'], lines.join('\n') + '\n');
    const rows = await queryMeasurements(db, { seriesId: 'm-paris', from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), grain: '1d' });
    const sum = (n: number) => Array.from({ length: n }, (_, i) => i % 7).reduce((a, b) => a + b, 0);
    expect(rows.map((r) => [r.ts.toISOString(), r.n, r.value, r.partial, r.status])).toEqual([
      ['2026-03-28T23:00:00.000Z', 92, sum(92), false, 'validated'],
      ['2026-10-24T22:00:00.000Z', 100, sum(100), false, 'validated'],
    ]);
  });

  it('refuses a grain finer than the metering interval', async () => {
    await expect(queryMeasurements(db, { ...range, grain: '5m' })).rejects.toMatchObject({ code: 'GRAIN_FINER_THAN_INTERVAL' });
  });
});
