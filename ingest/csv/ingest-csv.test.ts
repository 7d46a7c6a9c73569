import { describe, expect, it } from 'vitest';
import { GridcastError } from '../../core/errors.ts';
import type { SeriesUnit } from '../../core/series.ts';
import { fakeIngest } from '../../test/fakes/ingest.ts';
import { batchCounts, ingestBatch, type IngestBatchOptions } from './ingest-csv.ts';
import { csvTextSource } from './source.ts';

// The rules of ingestBatch on the in-memory store: what a batch writes, reports and refuses.

const SERIES: SeriesUnit[] = [{ id: 'sub-a', kind: 'load', unit: 'MW', attrs: {} }];
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const csv = (rows: Array<[number, number]>) => `series_id,ts,value\n${rows.map(([t, v]) => `sub-a,${iso(t)},${v}`).join('\n')}\n`;
const hours = (n: number, value: (i: number) => number, from = T0): Array<[number, number]> => Array.from({ length: n }, (_, i) => [from + i * HOUR, value(i)]);
const send = (store: ReturnType<typeof fakeIngest>, text: string, opts: IngestBatchOptions = {}) => ingestBatch(store, csvTextSource('body.csv', Buffer.from(text)), opts);
const errorOf = async (p: Promise<unknown>): Promise<GridcastError> => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(GridcastError);
  return e as GridcastError;
};

describe('ingestBatch', () => {
  it('commits a new batch by the direct path and stores its aggregates', async () => {
    const store = fakeIngest({ series: SERIES });
    const r = await send(store, csv(hours(3, (i) => 100 + i)));
    expect(r).toMatchObject({ status: 'committed', rows: 3, written: 3, revised: 0 });
    expect(batchCounts(r)).toEqual({ new: 3, revised: 0, unchanged: 0 });
    expect([...store.state().measurements.values()].map((p) => p.value)).toEqual([100, 101, 102]);
    expect(store.state().refreshed).toEqual([{ seriesIds: ['sub-a'], from: new Date(T0), to: new Date(T0 + 2 * HOUR) }]);
    expect(store.state().marked).toEqual([]);
  });

  it('rejects a batch with bad lines, writes nothing and reports each line with its code', async () => {
    const store = fakeIngest({ series: SERIES });
    const e = await errorOf(send(store, `series_id,ts,value\nsub-a,${iso(T0)},100\nnope,${iso(T0)},1\nsub-a,not-a-time,2\n`));
    expect(e.code).toBe('INGEST_REJECTED');
    expect((e.details as { issues: Array<{ line: number; code: string }> }).issues.map((i) => [i.line, i.code])).toEqual([
      [3, 'UNKNOWN_SERIES'],
      [4, 'TS_INVALID'],
    ]);
    expect(store.state().measurements.size).toBe(0);
    expect(store.state().batches.size).toBe(0);
  });

  it('reports a line repeated in the batch as DUPLICATE_ROW, and writes nothing', async () => {
    const store = fakeIngest({ series: SERIES });
    const e = await errorOf(send(store, csv([[T0, 1], [T0 + HOUR, 2], [T0, 3]])));
    expect((e.details as { issues: Array<{ line: number; code: string }> }).issues.map((i) => [i.line, i.code])).toEqual([[4, 'DUPLICATE_ROW']]);
    expect(store.state().measurements.size).toBe(0);
  });

  it('reports the same content sent again as already ingested, changing nothing', async () => {
    const store = fakeIngest({ series: SERIES });
    const first = await send(store, csv(hours(2, () => 5)));
    const again = await send(store, csv(hours(2, () => 5)));
    expect(again).toMatchObject({ status: 'already-ingested', batchId: first.batchId, rows: 2, written: 0, firstStatus: 'committed' });
    expect(batchCounts(again)).toEqual({ new: 0, revised: 0, unchanged: 2 });
    expect(store.state().batches.size).toBe(1);
  });

  it('replays the first report under the same Idempotency-Key and refuses other content under it', async () => {
    const store = fakeIngest({ series: SERIES });
    const key = { idempotencyKey: 'k1', idempotencyScope: 'client-a' };
    const first = await send(store, csv(hours(2, () => 5)), key);
    const retry = await send(store, csv(hours(2, () => 5)), key);
    expect(retry).toMatchObject({ status: 'committed', batchId: first.batchId, rows: 2, written: 2, replayed: true });
    const e = await errorOf(send(store, csv(hours(2, () => 6)), key));
    expect(e.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Another client's same key is another batch.
    expect((await send(store, csv(hours(2, () => 6)), { ...key, idempotencyScope: 'client-b' })).batchId).not.toBe(first.batchId);
  });

  it('merges a batch overlapping stored points: new, revised and unchanged rows; VALUE_CONFLICT with reject', async () => {
    const store = fakeIngest({ series: SERIES });
    await send(store, csv(hours(3, () => 10)));
    const overlap = csv([[T0, 10], [T0 + HOUR, 11], [T0 + 3 * HOUR, 12]]);
    const e = await errorOf(send(store, overlap, { onConflict: 'reject' }));
    expect(e.code).toBe('VALUE_CONFLICT');
    expect(e.message).toContain('body.csv:3');
    expect(store.state().measurements.get(`sub-a ${T0 + HOUR}`)!.value).toBe(10);
    expect(store.state().batches.size).toBe(1);

    const r = await send(store, overlap);
    expect(r).toMatchObject({ status: 'committed', rows: 3, written: 2, revised: 1 });
    expect(r.revisions).toEqual([expect.objectContaining({ seriesId: 'sub-a', oldValue: 10, newValue: 11, ord: 3 })]);
    expect(batchCounts(r)).toEqual({ new: 1, revised: 1, unchanged: 1 });
    expect(store.state().revisions.map((p) => p.value)).toEqual([10]);
  });

  it('holds a batch whose level jumps against the week before in quarantine, writing no points', async () => {
    const store = fakeIngest({ series: SERIES });
    store.add(hours(48, (i) => 100 + (i % 3), T0 - 48 * HOUR).map(([ts, value]) => ({ seriesId: 'sub-a', ts, value, quality: 'ok' as const })));
    const r = await send(store, csv(hours(4, () => 100_000)));
    expect(r.status).toBe('quarantined');
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[2, 'LEVEL_JUMP']]);
    expect(batchCounts(r)).toEqual({ new: 0, revised: 0, unchanged: 0 });
    expect(store.state().quarantine).toHaveLength(4);
    expect(store.state().measurements.size).toBe(48);
    expect([...store.state().batches.values()][0]).toMatchObject({ status: 'quarantined', rowCount: 4 });
  });

  it('marks an isolated spike of a committed batch suspect and reports it, keeping the value', async () => {
    const store = fakeIngest({ series: SERIES });
    const spikeAt = T0 + 30 * HOUR;
    const r = await send(store, csv(hours(72, (i) => (i === 30 ? 900 : 100 + 10 * Math.sin(i / 3)))));
    if (r.status !== 'committed') throw new Error(`committed expected, got ${r.status}`);
    expect(r.suspect?.flagged).toBe(1);
    expect(r.suspect?.first[0]).toMatchObject({ seriesId: 'sub-a', ts: iso(spikeAt), value: 900 });
    expect(store.state().measurements.get(`sub-a ${spikeAt}`)).toMatchObject({ value: 900, quality: 'suspect' });
    expect(store.state().suspectLog).toEqual([expect.objectContaining({ seriesId: 'sub-a', ts: spikeAt, batchId: r.batchId, actor: 'csv' })]);
  });

  it('with deferAggregates marks the batch buckets instead of storing them', async () => {
    const store = fakeIngest({ series: SERIES });
    await send(store, csv(hours(2, () => 1)), { deferAggregates: true });
    expect(store.state().refreshed).toEqual([]);
    expect(store.state().marked).toEqual([{ seriesIds: ['sub-a'], from: new Date(T0), to: new Date(T0 + HOUR) }]);
  });
});
