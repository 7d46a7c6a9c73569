import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import { ConfigSchema } from '../core/config.ts';
import { ingestWatchedSchedules } from '../ingest/schedules/watch.ts';
import type { Db } from '../store/db.ts';
import { scheduleRepository } from '../store/schedules.repository.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { expectProblem } from './api-problem.ts';
import { backends, freshDb } from './db.ts';

const health = { dbKind: 'pglite' as const, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] };
const row = { series_id: 'plant', interval_start: '2026-03-02T00:00:00Z', interval_end: '2026-03-05T00:00:00Z', value: 0, unit: 'MW', issued_at: '2026-02-20T08:00:00Z', source: 'steelworks', reason: 'maintenance' };

describe.each(backends)('schedules through the API and a watched folder (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.exec(`INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES ('plant', 'load', 'MW', 'UTC', '{}')`);
    app = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, ConfigSchema.parse({})) });
    operator = await authAs(db, 'operator');
    viewer = await authAs(db, 'viewer');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schedules')).rows[0].n;
  const post = (payload: unknown, headers: Record<string, string> = operator) =>
    app.inject({ method: 'POST', url: '/api/v1/schedules', headers: { ...headers, ...(typeof payload === 'string' ? { 'content-type': 'text/csv' } : {}) }, payload: payload as string });

  it('stores a JSON batch (201), answers 200 already-ingested to the same batch, and needs the operator role', async () => {
    expect((await post([row], viewer)).statusCode).toBe(403);
    const first = await post([row]);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ status: 'committed', rows: 1, written: 1, versions: [{ seriesId: 'plant', source: 'steelworks', issuedAt: '2026-02-20T08:00:00.000Z' }] });
    const again = await post([row]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'already-ingested', batchId: first.json().batchId });
    expect(await count()).toBe(1);
  });

  it('stores a text/csv body; a bad row is a 422 problem with every issue and writes nothing; a changed version is a 409', async () => {
    const csv = 'series_id,ts,value,unit,issued_at,source\nplant,2026-03-06T00:00:00Z,3,MW,2026-03-01T00:00:00Z,steelworks\n';
    expect((await post(csv)).statusCode).toBe(201);
    const bad = await post([row, { ...row, issued_at: '2026-02-21T00:00:00Z', unit: 'kW' }, { ...row, series_id: 'nowhere', issued_at: '2026-02-22T00:00:00Z' }]);
    const p = expectProblem(bad, 'SCHEDULE_REJECTED');
    expect((p.issues as Array<{ line: number; code: string }>).map((i) => [i.line, i.code])).toEqual([
      [2, 'UNIT_MISMATCH'],
      [3, 'SERIES_UNKNOWN'],
    ]);
    expectProblem(await post([{ ...row, value: 1 }]), 'SCHEDULE_CONFLICT');
    expectProblem(await post('series,value\nx,1\n'), 'CSV_HEADER_INVALID');
    expect((await post([{ ...row, extra: 1 }])).statusCode).toBe(400);
    expect(await count()).toBe(2);
  });

  it('the watched folder: a stored file moves to done/, a rejected one to rejected/ with its error beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridcast-schedules-'));
    try {
      writeFileSync(join(dir, 'a.csv'), 'series_id,ts,value,unit,issued_at,source\nplant,2026-03-07T00:00:00Z,4,MW,2026-03-01T00:00:00Z,steelworks\n');
      writeFileSync(join(dir, 'b.csv'), 'series_id,ts,value,unit,issued_at,source\nplant,2026-03-07T00:00:00Z,4,GW,2026-03-01T00:00:00Z,steelworks\n');
      writeFileSync(join(dir, 'notes.txt'), 'not a schedule');
      const old = new Date(Date.now() - 60_000);
      for (const f of ['a.csv', 'b.csv']) utimesSync(join(dir, f), old, old);
      writeFileSync(join(dir, 'c.csv'), 'still being written');
      const r = await ingestWatchedSchedules(scheduleRepository(db), dir, new Date());
      expect(r.map((x) => [x.file, x.status, x.code ?? null])).toEqual([
        ['a.csv', 'committed', null],
        ['b.csv', 'rejected', 'SCHEDULE_REJECTED'],
      ]);
      expect(readdirSync(dir).sort()).toEqual(['c.csv', 'done', 'notes.txt', 'rejected']);
      expect(readdirSync(join(dir, 'rejected')).sort()).toEqual(['b.csv', 'b.csv.error.txt']);
      expect(readFileSync(join(dir, 'rejected', 'b.csv.error.txt'), 'utf8')).toMatch(/^SCHEDULE_REJECTED: b\.csv: 1 invalid row/);
      expect(await count()).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
