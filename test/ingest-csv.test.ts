import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GridcastError } from '../core/errors.ts';
import { ingestCsvFile } from '../ingest/csv/ingest-csv.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import { releaseQuarantine } from '../ingest/csv/quarantine.ts';
import type { Issue } from '../ingest/validate/issues.ts';
import type { Db } from '../store/db.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends, freshDb } from './db.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridcast-ingest-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const csvFile = (text: string, gzip = false) => {
  const f = join(dir, `f${fileNo++}.csv${gzip ? '.gz' : ''}`);
  writeFileSync(f, gzip ? gzipSync(text) : text);
  return f;
};

/** The issues of a rejected import (it must be rejected). */
async function rejection(db: Db, file: string): Promise<Issue[]> {
  const e = await ingestCsvFile(ingestStore(db), file).then(
    () => expect.unreachable('the file should have been rejected'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GridcastError);
  expect((e as GridcastError).code).toBe('INGEST_REJECTED');
  return (e as GridcastError).details.issues as Issue[];
}

describe.each(backends)('gridcast ingest csv (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.exec(`INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES
      ('sub-a', 'load', 'MW', 'Europe/Paris', '{}'), ('sub-b', 'load', 'kW', 'Europe/Paris', '{}'),
      ('meter-1', 'load', 'MWh', 'Europe/Paris', '{}'), ('st-1', 'weather', '°C', 'Europe/Paris', '{}')`);
  });
  beforeEach(() =>
    db.exec(`TRUNCATE measurements, measurements_5m, measurements_1h, measurements_1d, metering, weather_obs, weather_fc, ingest_quarantine, ingest_batches, aggregates_dirty`),
  );
  afterAll(() => db.close());

  const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  const nothingWritten = async () => {
    expect(await count('measurements')).toBe(0);
    expect(await count('measurements_5m')).toBe(0);
    expect(await count('ingest_batches')).toBe(0);
  };

  it('stores a small file exactly, and the same file again is reported as already ingested', async () => {
    const file = csvFile(
      'series_id,ts,value,quality\n' +
        'sub-a,2026-03-29T00:59:59.123456Z,0.1,ok\n' +
        'sub-a,2026-03-29T03:00:00+02:00,1.5e-7,suspect\n' +
        'sub-b,2026-03-29T01:00:00Z,123456.78901234567,\n',
    );
    const first = await ingestCsvFile(ingestStore(db), file);
    expect(first).toMatchObject({ status: 'committed', kind: 'measurements', rows: 3, written: 3 });
    const read = () =>
      db.query<{ series_id: string; ts: string; value: number; quality: string; batch_id: number }>(
        `SELECT series_id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts, value, quality, batch_id FROM measurements ORDER BY series_id, ts`,
      );
    const rows = (await read()).rows;
    expect(rows).toEqual([
      { series_id: 'sub-a', ts: '2026-03-29T00:59:59.123456', value: 0.1, quality: 'ok', batch_id: first.batchId },
      { series_id: 'sub-a', ts: '2026-03-29T01:00:00.000000', value: 1.5e-7, quality: 'suspect', batch_id: first.batchId },
      { series_id: 'sub-b', ts: '2026-03-29T01:00:00.000000', value: 123456.78901234567, quality: 'ok', batch_id: first.batchId },
    ]);
    // Single-point 5-min buckets are not stored (they would copy the raw points): computed on read.
    expect(await count('measurements_5m')).toBe(0);
    const fiveMin = await queryMeasurements(db, { seriesId: 'sub-a', from: new Date('2026-03-29T00:00:00Z'), to: new Date('2026-03-29T02:00:00Z'), grain: '5m' });
    expect(fiveMin.map((b) => [b.ts.toISOString(), b.n, b.value, b.quality])).toEqual([
      ['2026-03-29T00:55:00.000Z', 1, 0.1, 'ok'],
      ['2026-03-29T01:00:00.000Z', 1, 1.5e-7, 'suspect'],
    ]);

    const again = await ingestCsvFile(ingestStore(db), file);
    expect(again).toMatchObject({ status: 'already-ingested', batchId: first.batchId, rows: 3, written: 0 });
    expect((await read()).rows).toEqual(rows);
    expect(await count('ingest_batches')).toBe(1);
  });

  it('merges a file overlapping stored points: a different measured value is a revision, imputed ones are replaced', async () => {
    await db.exec(`INSERT INTO measurements (series_id, ts, value, quality, method) VALUES
      ('sub-a', '2026-01-01T00:00:00Z', 1, 'ok', NULL), ('sub-a', '2026-01-01T00:01:00Z', 2, 'imputed', 'locf')`);
    const r = await ingestCsvFile(ingestStore(db),
      csvFile('series_id,ts,value\nsub-a,2026-01-01T00:00:00Z,10\nsub-a,2026-01-01T00:01:00Z,20\nsub-a,2026-01-01T00:02:00Z,30\n'),
    );
    expect(r).toMatchObject({ status: 'committed', rows: 3, written: 3, revised: 1, revisions: [{ seriesId: 'sub-a', oldValue: 1, newValue: 10, ord: 2 }] });
    expect((await db.query(`SELECT value, quality, method FROM measurements ORDER BY ts`)).rows).toEqual([
      { value: 10, quality: 'ok', method: null },
      { value: 20, quality: 'ok', method: null },
      { value: 30, quality: 'ok', method: null },
    ]);
    expect((await db.query(`SELECT n, sum FROM measurements_5m`)).rows).toEqual([{ n: 3, sum: 60 }]);
    expect((await db.query(`SELECT value, quality, superseded_by FROM measurement_revisions WHERE superseded_by = $1 ORDER BY ts`, [r.batchId])).rows).toEqual([
      { value: 1, quality: 'ok', superseded_by: r.batchId },
      { value: 2, quality: 'imputed', superseded_by: r.batchId },
    ]);
  });

  it('stores times before 2000, sub-millisecond digits and any offset exactly as written', async () => {
    const r = await ingestCsvFile(ingestStore(db), csvFile('series_id,ts,value\nsub-b,1999-12-31T22:30:00.000001+01:00,2.25\nsub-b,1970-01-01T00:00:00.5Z,0\nsub-b,2099-06-30T23:59:59.999999-03:30,1e-300\n'));
    expect(r).toMatchObject({ status: 'committed', rows: 3 });
    const { rows } = await db.query<{ ts: string; value: number }>(`SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts, value FROM measurements WHERE series_id = 'sub-b' ORDER BY ts`);
    expect(rows).toEqual([
      { ts: '1970-01-01T00:00:00.500000', value: 0 },
      { ts: '1999-12-31T21:30:00.000001', value: 2.25 },
      { ts: '2099-07-01T03:29:59.999999', value: 1e-300 },
    ]);
  });

  it('reads gzip files, recognised by their content', async () => {
    const r = await ingestCsvFile(ingestStore(db), csvFile('series_id,ts,value\nsub-a,2026-01-01T00:00:00Z,5\n', true));
    expect(r).toMatchObject({ status: 'committed', rows: 1 });
    expect(await count('measurements')).toBe(1);
  });

  const bad: Array<[string, string, number, Issue['code']]> = [
    ['a malformed line', 'sub-a,2026-01-01T00:00:00Z,1\nsub-a,"2026-01-01T00:01:00Z,2\n', 3, 'CSV_MALFORMED'],
    ['a wrong column count', 'sub-a,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T00:01:00Z\n', 3, 'CSV_COLUMN_COUNT'],
    ['an unknown series', 'sub-a,2026-01-01T00:00:00Z,1\nsub-z,2026-01-01T00:00:00Z,1\n', 3, 'UNKNOWN_SERIES'],
    ['NaN', 'sub-a,2026-01-01T00:00:00Z,NaN\n', 2, 'VALUE_NOT_FINITE'],
    ['Infinity', 'sub-a,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T00:01:00Z,-Infinity\n', 3, 'VALUE_NOT_FINITE'],
    ['an empty value', 'sub-a,2026-01-01T00:00:00Z,\n', 2, 'VALUE_EMPTY'],
    ['a value too small for a double', 'sub-a,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T00:01:00Z,1e-400\n', 3, 'VALUE_INVALID'],
    ['a timestamp without offset', 'sub-a,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T00:01:00,1\n', 3, 'TS_NO_OFFSET'],
    ['an impossible date', 'sub-a,2026-02-30T00:00:00Z,1\n', 2, 'TS_INVALID'],
    ['a duplicate row', 'sub-a,2026-01-01T00:00:00Z,1\nsub-b,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T01:00:00+01:00,2\n', 4, 'DUPLICATE_ROW'],
    ['an out-of-range value', 'sub-a,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T00:01:00Z,2e6\n', 3, 'OUT_OF_RANGE'],
    ['a quality gridcast reserves for itself', 'sub-a,2026-01-01T00:00:00Z,1,imputed\n', 2, 'QUALITY_INVALID'],
  ];
  it.each(bad)('rejects a file with %s, naming the line, and writes nothing', async (_what, body, line, code) => {
    const header = body.includes(',imputed') ? 'series_id,ts,value,quality\n' : 'series_id,ts,value\n';
    const issues = await rejection(db, csvFile(header + body));
    expect(issues[0]).toMatchObject({ line, code });
    await nothingWritten();
  });

  it('rejects a unit that differs from the series unit', async () => {
    const issues = await rejection(db, csvFile('series_id,ts,value,unit\nsub-a,2026-01-01T00:00:00Z,1,mw\nsub-b,2026-01-01T00:00:00Z,1,MW\n'));
    expect(issues).toEqual([{ line: 3, code: 'UNIT_MISMATCH', message: expect.stringContaining('(kW)') }]);
    await nothingWritten();
  });

  it('rejects a file without the header line', async () => {
    const e = await ingestCsvFile(ingestStore(db), csvFile('sub-a,2026-01-01T00:00:00Z,1\n')).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'CSV_HEADER_INVALID', details: { line: 1 } });
    await nothingWritten();
  });

  it('fails fast on a 100 MB line without holding it in memory', async () => {
    const file = join(dir, 'long-line.csv');
    const out = createWriteStream(file);
    out.write('series_id,ts,value\nsub-a,2026-01-01T00:00:00Z,1\nsub-a,2026-01-01T00:01:00Z,');
    const block = '9'.repeat(1 << 20);
    for (let i = 0; i < 100; i++) if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise((r) => out.end('\n', () => r(null)));
    const issues = await rejection(db, file);
    expect(issues.at(-1)).toMatchObject({ line: 3, code: 'CSV_LINE_TOO_LONG' });
    await nothingWritten();
    rmSync(file);
  });

  it('keeps every metering version: provisional then validated for the same interval are versions 1 and 2', async () => {
    const header = 'series_id,interval_start,interval_sec,value,status,received_at\n';
    await ingestCsvFile(ingestStore(db), csvFile(header + 'meter-1,2026-03-01T00:00:00Z,900,1.25,provisional,2026-03-01T00:20:00Z\n'));
    const r = await ingestCsvFile(ingestStore(db), csvFile(header + 'meter-1,2026-03-01T00:00:00Z,900,1.5,validated,2026-03-05T08:00:00Z\n'));
    expect(r).toMatchObject({ status: 'committed', kind: 'metering', written: 1 });
    const { rows } = await db.query(`SELECT version, status, value, received_at FROM metering ORDER BY version`);
    expect(rows).toEqual([
      { version: 1, status: 'provisional', value: 1.25, received_at: new Date('2026-03-01T00:20:00Z') },
      { version: 2, status: 'validated', value: 1.5, received_at: new Date('2026-03-05T08:00:00Z') },
    ]);
  });

  it('stores weather observations and forecasts as issued, and checks stations', async () => {
    const r = await ingestCsvFile(ingestStore(db),
      csvFile('station_id,ts,variable,value,issued_at\nst-1,2026-03-01T12:00:00Z,temperature,11.5,\nst-1,2026-03-02T12:00:00Z,temperature,13.25,2026-03-01T06:00:00Z\n'),
    );
    expect(r).toMatchObject({ status: 'committed', kind: 'weather', rows: 2, written: 2 });
    expect((await db.query(`SELECT station_id, ts, value FROM weather_obs`)).rows).toEqual([{ station_id: 'st-1', ts: new Date('2026-03-01T12:00:00Z'), value: 11.5 }]);
    expect((await db.query(`SELECT issued_at, target_ts, value FROM weather_fc`)).rows).toEqual([
      { issued_at: new Date('2026-03-01T06:00:00Z'), target_ts: new Date('2026-03-02T12:00:00Z'), value: 13.25 },
    ]);
    const issues = await rejection(db, csvFile('station_id,ts,variable,value\nsub-a,2026-03-01T12:00:00Z,temperature,11.5\nst-1,2026-03-01T13:00:00Z,temperature,99\n'));
    expect(issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'NOT_A_WEATHER_STATION'],
      [3, 'OUT_OF_RANGE'],
    ]);
  });

  it('holds a batch whose level jumps against recent history in quarantine until released', async () => {
    const hist = ['series_id,ts,value'];
    for (let h = 0; h < 48; h++) hist.push(`sub-a,${new Date(Date.UTC(2026, 2, 1, h)).toISOString()},${100 + (h % 24)}`);
    await ingestCsvFile(ingestStore(db), csvFile(hist.join('\n') + '\n'));
    // A scaling error: 50 times the level, yet within the plausible range of a MW series.
    const jumped = csvFile('series_id,ts,value\nsub-a,2026-03-03T00:00:00Z,5000\nsub-a,2026-03-03T01:00:00Z,5050\n');
    const r = await ingestCsvFile(ingestStore(db), jumped);
    expect(r).toMatchObject({ status: 'quarantined', rows: 2, written: 0 });
    expect(r.issues).toEqual([{ line: 2, code: 'LEVEL_JUMP', message: expect.stringContaining("'sub-a'") }]);
    expect(await count('measurements')).toBe(48);
    expect(await count('ingest_quarantine')).toBe(2);
    expect((await ingestCsvFile(ingestStore(db), jumped)).status).toBe('already-ingested');

    expect(await releaseQuarantine(db, r.batchId)).toMatchObject({ rows: 2, written: 2, revised: 0, suspect: { flagged: 0, first: [] } });
    expect(await count('measurements')).toBe(50);
    expect(await count('ingest_quarantine')).toBe(0);
    expect((await db.query(`SELECT status FROM ingest_batches WHERE id = $1`, [r.batchId])).rows).toEqual([{ status: 'committed' }]);
  });
});
