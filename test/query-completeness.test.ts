import { servedActual } from '../ingest/actuals.service.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { queryMeasurements, type MeasurementQuery } from '../store/query.repository.ts';
import { toCsv, toJson } from '../bin/commands/query.ts';
import { backends, freshDb } from './db.ts';
import { createSeries, writePoints } from './aggregates-fixtures.ts';

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const every = (fromIso: string, toIso: string, stepMs: number, line: (ts: string, i: number) => string | null) => {
  const out: string[] = [];
  for (let t = Date.parse(fromIso), i = 0; t < Date.parse(toIso); t += stepMs, i++) {
    const l = line(iso(t), i);
    if (l) out.push(l);
  }
  return out;
};
const LATER = new Date('2027-01-01T00:00:00Z');

describe.each(backends)('completeness of served buckets on %s', (kind) => {
  let db: Db;
  const q = (query: Omit<MeasurementQuery, 'now'> & { now?: Date }) => queryMeasurements(db, { now: LATER, ...query });

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [
      { id: 'h', unit: 'MW', timeZone: 'Europe/Paris' },
      { id: 'nation', unit: 'MW' },
      { id: 'a', unit: 'MW', parentId: 'nation' },
      { id: 'b', unit: 'MW', parentId: 'nation' },
      { id: 'mixed', unit: 'MW' },
      { id: 'declared', unit: 'MW' },
      { id: 'noise', unit: 'MW' },
    ]);
    await db.query(`UPDATE series SET attrs = '{"stepSec": 60}' WHERE id = 'declared'`);
    await writePoints(
      db,
      [
        // Hourly, Paris: 28 March whole (24 h), the 23-hour DST day 29 March whole, and 6 hours of 30 March.
        ...every('2026-03-27T23:00:00Z', '2026-03-30T04:00:00Z', H, (ts) => `h,${ts},100,ok,`),
        // Quarter-hourly children; b is silent from 01:00 to 02:00.
        ...every('2026-02-02T00:00:00Z', '2026-02-02T03:00:00Z', H / 4, (ts) => `a,${ts},10,ok,`),
        ...every('2026-02-02T00:00:00Z', '2026-02-02T03:00:00Z', H / 4, (ts) => (ts.startsWith('2026-02-02T01') ? null : `b,${ts},20,ok,`)),
        // A coarse history (15 min) on 1 February, then a 10-s feed on 2 February that misses 10 readings.
        ...every('2026-02-01T10:00:00Z', '2026-02-01T12:00:00Z', H / 4, (ts) => `mixed,${ts},5,ok,`),
        ...every('2026-02-02T10:00:00Z', '2026-02-02T11:00:00Z', 10_000, (ts, i) => (i >= 100 && i < 110 ? null : `mixed,${ts},5,ok,`)),
        // Points every 2 min, but the topology declares 1 min.
        ...every('2026-02-02T10:00:00Z', '2026-02-02T11:00:00Z', 120_000, (ts) => `declared,${ts},1,ok,`),
        'noise,2026-02-02T10:00:00Z,0.1,ok,',
        'noise,2026-02-02T10:02:30Z,0.2,ok,',
        'noise,2026-02-02T10:05:00Z,0.3,ok,',
      ].join('\n'),
    );
  });
  afterAll(() => db?.close());

  it('a local day with 6 of its 24 hours is partial; the 23-hour DST day expects 23', async () => {
    const days = await q({ seriesId: 'h', from: new Date('2026-03-27T23:00:00Z'), to: new Date('2026-03-30T22:00:00Z'), grain: '1d' });
    expect(days.map((d) => [d.date, d.n, d.expected, d.partial, d.quality])).toEqual([
      ['2026-03-28', 24, 24, false, 'ok'],
      ['2026-03-29', 23, 23, false, 'ok'],
      ['2026-03-30', 6, 24, true, 'ok'],
    ]);
    // Printed: the partial day is never 'ok'.
    expect(toCsv(days.map(servedActual), '1d').split('\n').slice(1, 4)).toEqual([
      'h,2026-03-27T23:00:00.000Z,2026-03-28,100,ok,24,24,false,100',
      'h,2026-03-28T23:00:00.000Z,2026-03-29,100,ok,23,23,false,100',
      'h,2026-03-29T22:00:00.000Z,2026-03-30,100,partial,6,24,true,100',
    ]);
    expect(JSON.parse(toJson(days.map(servedActual)))[2]).toMatchObject({ date: '2026-03-30', quality: 'partial', n: 6, expected: 24, partial: true });
  });

  it('the bucket in progress is partial even when it holds every point so far', async () => {
    const now = new Date('2026-03-30T03:30:00Z');
    const hours = await q({ seriesId: 'h', from: new Date('2026-03-30T01:00:00Z'), to: new Date('2026-03-30T05:00:00Z'), grain: '1h', now });
    expect(hours.map((r) => [iso(r.ts.getTime()), r.n, r.expected, r.partial])).toEqual([
      ['2026-03-30T01:00:00.000Z', 1, 1, false],
      ['2026-03-30T02:00:00.000Z', 1, 1, false],
      ['2026-03-30T03:00:00.000Z', 1, 1, true],
    ]);
    // As of an earlier time, the bucket holding that time was in progress then.
    await createSeries(db, [{ id: 'asof', unit: 'MW' }]);
    await writePoints(db, 'asof,2026-03-30T00:00:00Z,1,ok,\nasof,2026-03-30T00:30:00Z,1,ok,\nasof,2026-03-30T01:00:00Z,1,ok,', new Date('2026-03-30T01:05:00Z'));
    const asOf = await q({ seriesId: 'asof', from: new Date('2026-03-30T00:00:00Z'), to: new Date('2026-03-30T02:00:00Z'), grain: '1h', asOf: new Date('2026-03-30T01:10:00Z') });
    expect(asOf.map((r) => [r.n, r.expected, r.partial])).toEqual([
      [2, 2, false],
      [1, 2, true],
    ]);
  });

  it('a roll-up hour with a silent child prints an empty value with its reason', async () => {
    const hours = await q({ seriesId: 'nation', from: new Date('2026-02-02T00:00:00Z'), to: new Date('2026-02-02T03:00:00Z'), grain: '1h' });
    expect(hours.map((r) => [r.value, r.n, r.expected, r.partial, r.missing])).toEqual([
      [30, 2, 2, false, undefined],
      [null, 1, 2, true, ['b']],
      [30, 2, 2, false, undefined],
    ]);
    expect(toCsv(hours.map(servedActual), '1h').split('\n')[2]).toBe('nation,2026-02-02T01:00:00.000Z,,partial,1,2,true,');
    expect(JSON.parse(toJson(hours.map(servedActual)))[1]).toMatchObject({ value: null, quality: 'partial', n: 1, expected: 2, partial: true, missing: ['b'] });
  });

  it('follows a change of cadence day by day, and a declared cadence over the data', async () => {
    const mixed = await q({ seriesId: 'mixed', from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-02-03T00:00:00Z'), grain: '1h' });
    expect(mixed.map((r) => [iso(r.ts.getTime()), r.n, r.expected, r.partial])).toEqual([
      ['2026-02-01T10:00:00.000Z', 4, 4, false],
      ['2026-02-01T11:00:00.000Z', 4, 4, false],
      ['2026-02-02T10:00:00.000Z', 350, 360, true],
    ]);
    const declared = await q({ seriesId: 'declared', from: new Date('2026-02-02T10:00:00Z'), to: new Date('2026-02-02T11:00:00Z'), grain: '1h' });
    expect(declared.map((r) => [r.n, r.expected, r.partial])).toEqual([[30, 60, true]]);
  });

  it('prints numbers without float noise in CSV and with every digit in JSON', async () => {
    const rows = await q({ seriesId: 'noise', from: new Date('2026-02-02T10:00:00Z'), to: new Date('2026-02-02T10:05:00Z'), grain: '5m' });
    expect(rows[0].value).toBe((0.1 + 0.2) / 2);
    expect(toCsv(rows.map(servedActual), '5m').split('\n')[1]).toBe('noise,2026-02-02T10:00:00.000Z,0.15,ok,2,2,false,0.195');
    expect(toJson(rows.map(servedActual))).toContain('"value":0.15000000000000002');
  });
});
