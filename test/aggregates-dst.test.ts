import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import type { Db } from '../store/db.ts';
import { queryMeasurements, type MeasurementRow } from '../store/query.repository.ts';
import { rebuildAggregates } from '../store/aggregates.ts';
import { backends, freshDb } from './db.ts';
import { bucketsOf, createSeries, localDay, parsePoints, rng, utcBin, writePoints, type Bucket } from './aggregates-fixtures.ts';

const ZONE = 'Europe/Paris';

/**
 * A hand-made SCADA file around both 2026 DST changes in Paris (29 March: 23 h; 25 October: 25 h):
 * a point every 97 s (so 5-min buckets hold 3 or 4 points), a few suspect and imputed points,
 * a 40-minute gap, and a second, energy (MWh) series summed instead of averaged.
 */
function makeFile(): string {
  const rand = rng(7);
  const lines: string[] = [];
  for (const [first, last] of [
    ['2026-03-28', '2026-03-30'],
    ['2026-10-24', '2026-10-26'],
  ]) {
    const start = DateTime.fromISO(first, { zone: ZONE }).toMillis();
    const end = DateTime.fromISO(last, { zone: ZONE }).endOf('day').toMillis();
    for (let t = start, i = 0; t <= end; t += 97_000, i++) {
      if (t >= Date.parse('2026-10-25T00:10:00Z') && t < Date.parse('2026-10-25T00:50:00Z')) continue;
      const value = Math.round((400 + 80 * Math.sin(t / 3.6e6) + 30 * rand()) * 1000) / 1000;
      const quality = i % 53 === 0 ? 'suspect' : i % 41 === 0 ? 'imputed' : 'ok';
      const method = quality === 'imputed' ? (i % 2 ? 'locf' : 'profile') : '';
      const ts = new Date(t).toISOString();
      lines.push(`paris-mw,${ts},${value},${quality},${method}`);
      if (i % 3 === 0) lines.push(`paris-mwh,${ts},${Math.round(rand() * 500) / 100},ok,`);
    }
  }
  return lines.join('\n');
}

const FILE = makeFile();
const POINTS = parsePoints(FILE);
const FROM = new Date('2026-03-01T00:00:00Z');
const TO = new Date('2026-11-01T00:00:00Z');

function expectSame(rows: MeasurementRow[], expected: Map<number, Bucket>, pick: (b: Bucket) => number) {
  expect(rows.map((r) => r.ts.getTime())).toEqual([...expected.keys()]);
  for (const r of rows) {
    const b = expected.get(r.ts.getTime())!;
    const ok =
      // Exact equality: the SQL sums in time order, as this computation does, so the bits agree.
      r.value === pick(b) && r.p95 === b.p95 && r.min === b.min && r.max === b.max && r.n === b.n && r.quality === b.quality && r.method === b.methods;
    if (!ok) expect({ at: r.ts.toISOString(), ...r }).toEqual({ at: r.ts.toISOString(), expected: b });
  }
}

describe.each(backends)('aggregates across DST on %s', (kind) => {
  let db: Db;
  const mw = POINTS.filter((p) => p.seriesId === 'paris-mw');
  const mwh = POINTS.filter((p) => p.seriesId === 'paris-mwh');

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [
      { id: 'paris-mw', unit: 'MW', timeZone: ZONE },
      { id: 'paris-mwh', unit: 'MWh', timeZone: ZONE },
    ]);
    // Two batches that share buckets at their boundary: the second refresh must recompute them.
    const lines = FILE.split('\n');
    const half = Math.floor(lines.length / 2) + 1;
    await writePoints(db, lines.slice(0, half).join('\n'));
    await writePoints(db, lines.slice(half).join('\n'));
  });
  afterAll(() => db?.close());

  const query = (seriesId: string, grain: '5m' | '1h' | '1d', asOf?: Date) => queryMeasurements(db, { seriesId, from: FROM, to: TO, grain, asOf });

  it('has 23 h and 25 h local days with the right number of 5-min buckets', async () => {
    const days = await query('paris-mw', '1d');
    const five = await query('paris-mw', '5m');
    const spring = days.find((d) => d.ts.toISOString() === '2026-03-28T23:00:00.000Z')!;
    const autumn = days.find((d) => d.ts.toISOString() === '2026-10-24T22:00:00.000Z')!;
    const inDay = (d: MeasurementRow, hours: number) =>
      five.filter((f) => f.ts >= d.ts && f.ts.getTime() < d.ts.getTime() + hours * 3.6e6).length;
    expect(days.map((d) => d.ts.toISOString())).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-10-23T22:00:00.000Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
    expect(inDay(spring, 23)).toBe(23 * 12);
    // 25 h minus the 40-minute gap (8 buckets).
    expect(inDay(autumn, 25)).toBe(25 * 12 - 8);
    expect(spring.n).toBe(mw.filter((p) => p.ts >= spring.ts.getTime() && p.ts < spring.ts.getTime() + 23 * 3.6e6).length);
  });

  it('5-min, hourly and local-day values of a power series equal an independent computation', async () => {
    expectSame(await query('paris-mw', '5m'), bucketsOf(mw, utcBin(300_000)), (b) => b.avg);
    expectSame(await query('paris-mw', '1h'), bucketsOf(mw, utcBin(3_600_000)), (b) => b.avg);
    expectSame(await query('paris-mw', '1d'), bucketsOf(mw, localDay(ZONE)), (b) => b.avg);
  });

  it('an energy series is summed', async () => {
    expectSame(await query('paris-mwh', '1h'), bucketsOf(mwh, utcBin(3_600_000)), (b) => b.sum);
    expectSame(await query('paris-mwh', '1d'), bucketsOf(mwh, localDay(ZONE)), (b) => b.sum);
  });

  it('the as-of path (computed on the fly) gives the same numbers as the stored aggregates', async () => {
    for (const grain of ['5m', '1h', '1d'] as const) {
      const stored = await query('paris-mw', grain);
      const onTheFly = await query('paris-mw', grain, new Date('2100-01-01T00:00:00Z'));
      expect(onTheFly).toEqual(stored);
    }
  });

  it('a rebuild from scratch reproduces the incrementally maintained aggregates', async () => {
    const before = await Promise.all((['5m', '1h', '1d'] as const).map((g) => query('paris-mw', g)));
    await db.transaction((tx) => rebuildAggregates(tx, ['paris-mw']));
    const after = await Promise.all((['5m', '1h', '1d'] as const).map((g) => query('paris-mw', g)));
    expect(after).toEqual(before);
  });
});
