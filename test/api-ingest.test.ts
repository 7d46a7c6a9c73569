import { Readable } from 'node:stream';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testApp } from './api-app.ts';
import { BatchReport } from '../api/routes/v1/ingest.ts';
import { ConfigSchema } from '../core/config.ts';
import { ingestBatch } from '../ingest/csv/ingest-csv.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import { jsonRowsSource } from '../ingest/csv/source.ts';
import type { Db } from '../store/db.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { expectProblem } from './api-problem.ts';

const health = { dbKind: 'pglite' as const, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] };


describe.each(backends)('POST /api/v1/ingest/* (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let operator: Record<string, string>;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.exec(`INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES
      ('sub-a', 'load', 'MW', 'Europe/Paris', '{}'), ('meter-1', 'load', 'MWh', 'Europe/Paris', '{}'), ('st-1', 'weather', '°C', 'Europe/Paris', '{}')`);
    app = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, ConfigSchema.parse({ api: { bodyLimitBytes: 1024 * 1024 } })) });
    operator = await authAs(db, 'operator');
  });
  beforeEach(() =>
    db.exec(`TRUNCATE measurements, measurements_5m, measurements_1h, measurements_1d, metering, weather_obs, weather_fc, ingest_quarantine, ingest_batches, aggregates_dirty, suspect_log`),
  );
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  const stored = async () =>
    (await db.query<{ series_id: string; ts: Date; value: number; quality: string }>(`SELECT series_id, ts, value, quality FROM measurements ORDER BY series_id, ts`)).rows.map((r) => [
      r.series_id,
      r.ts.toISOString(),
      r.value,
      r.quality,
    ]);
  const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/ingest/${path}`,
      headers: { ...operator, ...(typeof payload === 'string' || payload instanceof Readable ? { 'content-type': 'text/csv' } : {}), ...headers },
      payload: payload as string,
    });

  it('stores a JSON array of measurements and reports the batch as the CLI does', async () => {
    const res = await post('measurements', [
      { series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 101.5 },
      { series_id: 'sub-a', ts: '2026-03-01T02:00:00+01:00', value: '102.25', quality: 'suspect' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const report = BatchReport.parse(res.json());
    expect(report).toMatchObject({ kind: 'measurements', status: 'committed', rows: 2, new: 2, revised: 0, unchanged: 0, replayed: false });
    expect(await stored()).toEqual([
      ['sub-a', '2026-03-01T00:00:00.000Z', 101.5, 'ok'],
      ['sub-a', '2026-03-01T01:00:00.000Z', 102.25, 'suspect'],
    ]);
  });

  it('stores a text/csv body of measurements with the lines of a file', async () => {
    const res = await post('measurements', 'series_id,ts,value,quality\nsub-a,2026-03-01T00:00:00Z,101.5,ok\nsub-a,2026-03-01T02:00:00+01:00,102.25,suspect\n');
    expect(res.statusCode, res.body).toBe(201);
    expect(BatchReport.parse(res.json())).toMatchObject({ status: 'committed', rows: 2, new: 2, unchanged: 0 });
    expect(await stored()).toEqual([
      ['sub-a', '2026-03-01T00:00:00.000Z', 101.5, 'ok'],
      ['sub-a', '2026-03-01T01:00:00.000Z', 102.25, 'suspect'],
    ]);
  });

  it('stores metering versions and weather observations and forecasts as issued', async () => {
    const m1 = await post('metering', [{ series_id: 'meter-1', interval_start: '2026-03-01T00:00:00Z', interval_sec: 900, value: 1.25, status: 'provisional', received_at: '2026-03-01T00:20:00Z' }]);
    const m2 = await post('metering', 'series_id,interval_start,interval_sec,value,status,received_at\nmeter-1,2026-03-01T00:00:00Z,900,1.5,validated,2026-03-05T08:00:00Z\n');
    expect([m1.statusCode, m2.statusCode]).toEqual([201, 201]);
    expect(m2.json()).toMatchObject({ kind: 'metering', rows: 1, new: 1 });
    expect((await db.query(`SELECT version, status, value FROM metering ORDER BY version`)).rows).toEqual([
      { version: 1, status: 'provisional', value: 1.25 },
      { version: 2, status: 'validated', value: 1.5 },
    ]);
    const w = await post('weather', [
      { station_id: 'st-1', ts: '2026-03-01T12:00:00Z', variable: 'temperature', value: 11.5 },
      { station_id: 'st-1', ts: '2026-03-02T12:00:00Z', variable: 'temperature', value: 13.25, issued_at: '2026-03-01T06:00:00Z' },
    ]);
    expect(w.statusCode, w.body).toBe(201);
    expect(w.json()).toMatchObject({ kind: 'weather', rows: 2, new: 2 });
    expect((await db.query(`SELECT station_id, ts, value FROM weather_obs`)).rows).toEqual([{ station_id: 'st-1', ts: new Date('2026-03-01T12:00:00Z'), value: 11.5 }]);
    expect((await db.query(`SELECT issued_at, target_ts, value FROM weather_fc`)).rows).toEqual([
      { issued_at: new Date('2026-03-01T06:00:00Z'), target_ts: new Date('2026-03-02T12:00:00Z'), value: 13.25 },
    ]);
  });

  it('rejects a batch with bad rows whole, with the line and code of each, and writes nothing', async () => {
    const json = await post('measurements', [
      { series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 1 },
      { series_id: 'nope', ts: '2026-03-01T01:00:00Z', value: 1 },
      { series_id: 'sub-a', ts: '2026-03-01T02:00:00', value: 1 },
      { series_id: 'sub-a', ts: '2026-03-01T03:00:00Z', value: -1e9 },
    ]);
    const p = expectProblem(json, 'INGEST_REJECTED');
    expect((p.issues as Array<{ line: number; code: string }>).map((i) => [i.line, i.code])).toEqual([
      [2, 'UNKNOWN_SERIES'],
      [3, 'TS_NO_OFFSET'],
      [4, 'OUT_OF_RANGE'],
    ]);
    const csv = await post('weather', 'station_id,ts,variable,value\nsub-a,2026-03-01T12:00:00Z,temperature,11.5\nst-1,2026-03-01T13:00:00Z,temperature,99\n');
    expect((expectProblem(csv, 'INGEST_REJECTED').issues as Array<{ line: number; code: string }>).map((i) => [i.line, i.code])).toEqual([
      [2, 'NOT_A_WEATHER_STATION'],
      [3, 'OUT_OF_RANGE'],
    ]);
    const dup = await post('measurements', 'series_id,ts,value\nsub-a,2026-03-01T00:00:00Z,1\nsub-a,2026-03-01T00:00:00Z,2\n');
    expect(expectProblem(dup, 'INGEST_REJECTED')).toMatchObject({ issues: [{ line: 3, code: 'DUPLICATE_ROW' }] });
    const header = await post('metering', 'series_id,ts,value\nmeter-1,2026-03-01T00:00:00Z,1\n');
    expectProblem(header, 'CSV_HEADER_INVALID');
    expect(await count('measurements')).toBe(0);
    expect(await count('weather_obs')).toBe(0);
    expect(await count('ingest_batches')).toBe(0);
  });

  it('answers 400 for a body or a parameter of the wrong shape', async () => {
    const cases = [
      await post('measurements', { series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 1 }),
      await post('measurements', [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 1, colour: 'red' }]),
      await post('measurements', [{ series_id: 'sub-a', value: 1 }]),
      await post('weather', [{ station_id: 'st-1', ts: '2026-03-01T00:00:00Z', variable: 'temperature', value: true }]),
      await app.inject({ method: 'POST', url: '/api/v1/ingest/measurements?onConflict=maybe', headers: operator, payload: [] }),
    ];
    for (const res of cases) expectProblem(res, 'REQUEST_INVALID');
    const binary = await post('measurements', [], { 'content-type': 'application/octet-stream' });
    expect(binary.statusCode).toBe(415);
    expect(await count('ingest_batches')).toBe(0);
  });

  it('keeps a corrected value as a revision, or refuses it with VALUE_CONFLICT naming the row (onConflict=reject)', async () => {
    await post('measurements', [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 100 }]);
    const strict = await app.inject({
      method: 'POST',
      url: '/api/v1/ingest/measurements?onConflict=reject',
      headers: operator,
      payload: [
        { series_id: 'sub-a', ts: '2026-03-01T01:00:00Z', value: 90 },
        { series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 105 },
      ],
    });
    expectProblem(strict, 'VALUE_CONFLICT');
    expect(strict.json().message ?? strict.json().detail).toContain('request body:2: sub-a 2026-03-01T00:00:00.000Z is stored as 100');
    expect(await stored()).toEqual([['sub-a', '2026-03-01T00:00:00.000Z', 100, 'ok']]);

    const res = await post('measurements', [
      { series_id: 'sub-a', ts: '2026-03-01T01:00:00Z', value: 90 },
      { series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 105 },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ rows: 2, new: 1, revised: 1, unchanged: 0, revisions: [{ line: 2, seriesId: 'sub-a', ts: '2026-03-01T00:00:00.000Z', oldValue: 100, newValue: 105 }] });
    expect(await stored()).toEqual([
      ['sub-a', '2026-03-01T00:00:00.000Z', 105, 'ok'],
      ['sub-a', '2026-03-01T01:00:00.000Z', 90, 'ok'],
    ]);
  });

  it('makes a retry under the same Idempotency-Key a no-op returning the first report; other content under it is refused', async () => {
    const rows = [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 100 }];
    const first = await post('measurements', rows, { 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(201);
    // A value received later for the same point: the retry must not re-apply the first batch over it.
    await post('measurements', [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 101 }]);
    const retry = await post('measurements', rows, { 'idempotency-key': 'k-1' });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual({ ...first.json(), replayed: true });
    expect(await stored()).toEqual([['sub-a', '2026-03-01T00:00:00.000Z', 101, 'ok']]);
    expect(await count('ingest_batches')).toBe(2);

    const other = await post('measurements', [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 7 }], { 'idempotency-key': 'k-1' });
    expectProblem(other, 'IDEMPOTENCY_KEY_REUSED');
    const otherKind = await post('weather', 'station_id,ts,variable,value\nst-1,2026-03-01T12:00:00Z,temperature,11.5\n', { 'idempotency-key': 'k-1' });
    expectProblem(otherKind, 'IDEMPOTENCY_KEY_REUSED');
    expect(await stored()).toEqual([['sub-a', '2026-03-01T00:00:00.000Z', 101, 'ok']]);
    expect(await count('weather_obs')).toBe(0);

    // Without a key, the same content is recognised as already ingested (the CLI's rule for a file sent twice).
    const again = await post('measurements', [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 101 }]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'already-ingested', firstStatus: 'committed', new: 0, replayed: false });
  });

  it("scopes idempotency keys by the API key: another client's same key is another batch", async () => {
    const rows = [{ series_id: 'sub-a', ts: '2026-03-01T00:00:00Z', value: 100 }];
    const as = (scope: string) => ingestBatch(ingestStore(db), jsonRowsSource('request body', 'measurements', rows), { kind: 'measurements', idempotencyKey: 'nightly', idempotencyScope: scope });
    const a = await as('key-a');
    const b = await as('key-b');
    expect(b.batchId).not.toBe(a.batchId);
    expect(b).toMatchObject({ status: 'committed', written: 0 });
    expect(await as('key-a')).toMatchObject({ batchId: a.batchId, replayed: true });
  });

  it('reports a level jump as quarantined and a retry under its key as the same quarantine', async () => {
    const hist = ['series_id,ts,value'];
    for (let h = 0; h < 48; h++) hist.push(`sub-a,${new Date(Date.UTC(2026, 2, 1, h)).toISOString()},${100 + (h % 24)}`);
    expect((await post('measurements', hist.join('\n') + '\n')).statusCode).toBe(201);
    const jumped = 'series_id,ts,value\nsub-a,2026-03-03T00:00:00Z,5000\nsub-a,2026-03-03T01:00:00Z,5050\n';
    const res = await post('measurements', jumped, { 'idempotency-key': 'jump' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'quarantined', rows: 2, new: 0, unchanged: 0, issues: [{ line: 2, code: 'LEVEL_JUMP' }] });
    const retry = await post('measurements', jumped, { 'idempotency-key': 'jump' });
    expect(retry.json()).toEqual({ ...res.json(), replayed: true });
    expect(await count('measurements')).toBe(48);
    expect(await count('ingest_quarantine')).toBe(2);
  });

  it('refuses a JSON body over api.bodyLimitBytes with 413', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ series_id: 'sub-a', ts: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), value: i }));
    const res = await post('measurements', rows);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toMatch(/BODY_TOO_LARGE/);
    expect(await count('ingest_batches')).toBe(0);
    // The same rows in batches under the limit go in.
    for (const half of [rows.slice(0, 15_000), rows.slice(15_000)]) expect((await post('measurements', half)).statusCode).toBe(201);
    expect(await count('measurements')).toBe(30_000);
  });

  it('refuses a body over api.bodyLimitBytes with 413 and writes nothing (100 MB, streamed)', async () => {
    const config = ConfigSchema.parse({});
    const bodyLimit = config.api.bodyLimitBytes;
    const big = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, config) });
    try {
      const LINE = 'sub-a,2026-03-01T00:00:00.000Z,123.456\n';
      const total = 100 * 1024 * 1024;
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= total) return this.push(null);
          const chunk = sent === 0 ? 'series_id,ts,value\n' + LINE.repeat(25_000) : LINE.repeat(25_000);
          sent += chunk.length;
          this.push(chunk);
        },
      });
      const res = await big.inject({ method: 'POST', url: '/api/v1/ingest/measurements', headers: { ...operator, 'content-type': 'text/csv' }, payload: body });
      expect(res.statusCode).toBe(413);
      expect(res.json().code).toMatch(/BODY_TOO_LARGE/);
      expect(sent).toBeGreaterThan(bodyLimit);
      expect(await count('measurements')).toBe(0);
      expect(await count('ingest_batches')).toBe(0);
    } finally {
      await big.close();
    }
  });
});
