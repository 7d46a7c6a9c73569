import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGridcastError } from '../core/errors.ts';
import { ingestSchedules, scheduleCsvBatch, scheduleJsonBatch } from '../ingest/schedules/schedules.service.ts';
import type { Db } from '../store/db.ts';
import { scheduleRepository, schedulesAsPlanned, schedulesInForce } from '../store/schedules.repository.ts';
import { upsertSeries } from '../store/series.repository.ts';
import { backends, freshDb } from './db.ts';

const t = (iso: string) => new Date(iso);
const HEADER = 'series_id,interval_start,interval_end,value,unit,issued_at,source,reason,p10,p90,received_at';

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return null;
  } catch (e) {
    if (!isGridcastError(e)) throw e;
    return { code: e.code, details: e.details };
  }
};

describe.each(backends)('schedules as issued (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.transaction((tx) =>
      upsertSeries(tx, [
        { id: 'S', parent: null, kind: 'load', unit: 'MW', timeZone: 'UTC', attrs: {} },
        { id: 'plant', parent: 'S', kind: 'load', unit: 'MW', timeZone: 'UTC', attrs: { stepSec: 900 } },
      ]),
    );
  });
  afterAll(() => db?.close());
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schedules')).rows[0].n;

  const v1 = [
    HEADER,
    'plant,2026-03-02T00:00:00Z,2026-03-05T00:00:00Z,0,MW,2026-02-20T08:00:00Z,steelworks,maintenance,0,2,2026-02-20T08:05:00Z',
  ].join('\n');
  // A revision issued later: Wednesday back at 10 MW.
  const v2 = [HEADER, 'plant,2026-03-04T00:00:00Z,2026-03-05T00:00:00Z,10,MW,2026-03-03T12:00:00Z,steelworks,restart,8,12,2026-03-03T12:01:00Z'].join('\n');

  it('stores a CSV batch; the same file again writes nothing', async () => {
    const repo = scheduleRepository(db);
    const r = await ingestSchedules(repo, scheduleCsvBatch('v1.csv', v1, 'csv'));
    expect(r).toMatchObject({ status: 'committed', rows: 1, written: 1, unchanged: 0, versions: [{ seriesId: 'plant', source: 'steelworks', issuedAt: '2026-02-20T08:00:00.000Z' }] });
    expect(await ingestSchedules(repo, scheduleCsvBatch('again.csv', v1, 'watch'))).toMatchObject({ status: 'already-ingested', batchId: (r as { batchId: number }).batchId });
    // The same rows in another batch (JSON): stored once.
    const json = await ingestSchedules(repo, scheduleJsonBatch('body', [{ series_id: 'plant', interval_start: '2026-03-02T00:00:00Z', interval_end: '2026-03-05T00:00:00Z', value: 0, unit: 'MW', issued_at: '2026-02-20T08:00:00Z', source: 'steelworks', reason: 'maintenance', p10: '0', p90: 2 }]));
    expect(json).toMatchObject({ status: 'committed', written: 0, unchanged: 1 });
    expect(await count()).toBe(1);
  });

  it('rejects a batch with one bad row whole: nothing written, every issue with its line', async () => {
    const bad = [
      HEADER,
      'plant,2026-03-10T00:00:00Z,2026-03-11T00:00:00Z,5,MW,2026-03-01T00:00:00Z,steelworks,,,,',
      'nowhere,2026-03-10T00:00:00Z,2026-03-11T00:00:00Z,5,MW,2026-03-01T00:00:00Z,steelworks,,,,',
      'plant,2026-03-10T00:00:00Z,2026-03-11T00:00:00Z,5,kW,2026-03-01T01:00:00Z,steelworks,,,,',
      'plant,2026-03-10T00:00:00Z,2026-03-09T00:00:00Z,5,MW,2026-03-01T00:00:00Z,x,,,,',
      'plant,2026-03-10T00:00:00Z,2026-03-11T00:00:00Z,5,MW,2026-03-01T00:00:00Z,y,,6,9,',
    ].join('\n');
    const e = await codeOf(ingestSchedules(scheduleRepository(db), scheduleCsvBatch('bad.csv', bad, 'csv')));
    expect(e?.code).toBe('SCHEDULE_REJECTED');
    expect((e!.details.issues as Array<{ line: number; code: string }>).map((i) => [i.line, i.code])).toEqual([
      [3, 'SERIES_UNKNOWN'],
      [4, 'UNIT_MISMATCH'],
      [5, 'SCHEDULE_ROW_INVALID'],
      [6, 'SCHEDULE_ROW_INVALID'],
    ]);
    expect(await count()).toBe(1);
  });

  it('refuses a stored version sent with another value, writing nothing of the batch', async () => {
    const other = [HEADER, 'plant,2026-03-20T00:00:00Z,2026-03-21T00:00:00Z,3,MW,2026-03-01T00:00:00Z,steelworks,,,,', 'plant,2026-03-02T00:00:00Z,2026-03-05T00:00:00Z,1,MW,2026-02-20T08:00:00Z,steelworks,maintenance,0,2,'].join('\n');
    expect((await codeOf(ingestSchedules(scheduleRepository(db), scheduleCsvBatch('other.csv', other, 'csv'))))?.code).toBe('SCHEDULE_CONFLICT');
    expect(await count()).toBe(1);
    expect((await db.query(`SELECT 1 FROM ingest_batches WHERE kind = 'schedules'`)).rowCount).toBe(2);
  });

  it('keeps every version: the version in force depends on the time asked', async () => {
    await ingestSchedules(scheduleRepository(db), scheduleCsvBatch('v2.csv', v2, 'csv'));
    const window = [t('2026-03-01T00:00:00Z'), t('2026-03-06T00:00:00Z')] as const;
    const before = await schedulesInForce(db, ['plant', 'S'], ...window, t('2026-03-01T00:00:00Z'));
    expect(before.map((p) => [p.start.toISOString(), p.end.toISOString(), p.value, p.issuedAt.toISOString()])).toEqual([
      ['2026-03-02T00:00:00.000Z', '2026-03-05T00:00:00.000Z', 0, '2026-02-20T08:00:00.000Z'],
    ]);
    const after = await schedulesInForce(db, ['plant'], ...window, t('2026-03-04T00:00:00Z'));
    expect(after.map((p) => [p.start.toISOString(), p.end.toISOString(), p.value, p.reason])).toEqual([
      ['2026-03-02T00:00:00.000Z', '2026-03-04T00:00:00.000Z', 0, 'maintenance'],
      ['2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z', 10, 'restart'],
    ]);
    // Issued before but received after the time asked: not known then.
    expect(await schedulesInForce(db, ['plant'], ...window, t('2026-02-20T08:02:00Z'))).toEqual([]);
    // A replay over an imported history (knowledge 'timestamps') reads by issue time only.
    expect((await schedulesInForce(db, ['plant'], ...window, t('2026-02-20T08:02:00Z'), 'timestamps')).map((p) => p.value)).toEqual([0]);
    // As planned: a revision issued in the middle of the day it revises counts only from its issue time on.
    const v3 = [HEADER, 'plant,2026-03-04T00:00:00Z,2026-03-05T00:00:00Z,7,MW,2026-03-04T06:00:00Z,steelworks,late restart,,,2026-03-04T06:00:00Z'].join('\n');
    await ingestSchedules(scheduleRepository(db), scheduleCsvBatch('v3.csv', v3, 'csv'));
    const planned = await schedulesAsPlanned(db, ['plant'], ...window, t('2026-03-10T00:00:00Z'));
    expect(planned.map((p) => [p.start.toISOString(), p.value])).toEqual([
      ['2026-03-02T00:00:00.000Z', 0],
      ['2026-03-04T00:00:00.000Z', 10],
      ['2026-03-04T06:00:00.000Z', 7],
    ]);
    expect((await schedulesInForce(db, ['plant'], ...window, t('2026-03-10T00:00:00Z'))).map((p) => p.value)).toEqual([0, 7]);
  });

  it('a ts row lasts one step of the series\' declared cadence', async () => {
    await ingestSchedules(scheduleRepository(db), scheduleJsonBatch('ts', [{ series_id: 'plant', ts: '2026-04-01T00:00:00Z', value: 4, unit: 'MW', issued_at: '2026-03-30T00:00:00Z', source: 'steelworks', received_at: '2026-03-30T00:00:00Z' }]));
    const p = await schedulesInForce(db, ['plant'], t('2026-04-01T00:00:00Z'), t('2026-04-02T00:00:00Z'), t('2026-03-31T00:00:00Z'));
    expect(p.map((x) => [x.start.toISOString(), x.end.toISOString()])).toEqual([['2026-04-01T00:00:00.000Z', '2026-04-01T00:15:00.000Z']]);
  });

  it('never changes or deletes a stored row', async () => {
    await expect(db.query(`UPDATE schedules SET value = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM schedules`)).rejects.toThrow(/append-only/);
  });
});
