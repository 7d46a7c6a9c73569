import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestStore, IngestUnit, PointColumns } from '../core/ingest-store.ts';
import type { Db } from '../store/db.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeIngest } from './fakes/ingest.ts';

// The same contract for the real ingestion store on each backend and for the unit tests' fake.

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const rows = (sinkEnd: (line: number) => string, points: Array<[number, number]>, firstLine = 2) =>
  points.map(([t, v], i) => `sub-a,${iso(t)},${v},ok${sinkEnd(firstLine + i)}`).join('');
const pages = async (u: IngestUnit, from: number, to: number): Promise<number[][]> => {
  const out: number[][] = [];
  for await (const p of u.measuredPages('sub-a', new Date(from), new Date(to), 1000)) out.push(...pairs(p));
  return out;
};
const pairs = (p: PointColumns) => Array.from(p.t, (t, i) => [t, p.v[i]]);

describe.each([...backends, 'fake' as const])('ingest store (%s)', (kind) => {
  let db: Db | undefined;
  let store: IngestStore;
  beforeAll(async () => {
    if (kind === 'fake') store = fakeIngest({ series: [{ id: 'sub-a', kind: 'load', unit: 'MW', attrs: {} }] });
    else {
      db = await freshDb(kind);
      await db.exec(`INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES ('sub-a', 'load', 'MW', 'UTC', '{}')`);
      store = ingestStore(db);
    }
  });
  afterAll(() => db?.close());

  it('claims a batch key once, records how it finished, and forgets a batch that threw', async () => {
    const id = await store.batch(async (u) => {
      expect((await u.seriesUnits()).get('sub-a')).toMatchObject({ id: 'sub-a', kind: 'load', unit: 'MW' });
      const got = (await u.claimBatch({ source: 'csv', batchKey: 'k-1', kind: 'measurements' }))!;
      expect(got).toEqual(expect.any(Number));
      expect(await u.claimBatch({ source: 'csv', batchKey: 'k-1', kind: 'measurements' })).toBeNull();
      await u.finishBatch(got, { status: 'quarantined', rowCount: 7, report: { file: 'a.csv' } });
      return got;
    });
    await expect(
      store.batch(async (u) => {
        await u.claimBatch({ source: 'csv', batchKey: 'k-2', kind: 'weather' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await store.batch(async (u) => {
      expect(await u.findBatch('k-1')).toMatchObject({ id, source: 'csv', batchKey: 'k-1', kind: 'measurements', status: 'quarantined', rowCount: 7, report: { file: 'a.csv' } });
      expect(await u.findBatch('k-2')).toBeNull();
      expect(await u.claimBatch({ source: 'api', batchKey: 'k-2', kind: 'weather' })).toEqual(expect.any(Number));
    });
  });

  it('writes the direct path until a key clashes, and abandons it whole', async () => {
    const T = Date.parse('2026-01-01T00:00:00Z');
    await store.batch(async (u) => {
      const id = (await u.claimBatch({ source: 'csv', batchKey: 'direct-1', kind: 'measurements' }))!;
      const sink = await u.beginDirect(id);
      expect(await sink.write(rows(sink.end, [[T, 1], [T + HOUR, 2]]))).toBe(true);
      expect(await pages(u, T, T + HOUR)).toEqual([[T, 1], [T + HOUR, 2]]);
    });
    await store.batch(async (u) => {
      const id = (await u.claimBatch({ source: 'csv', batchKey: 'direct-2', kind: 'measurements' }))!;
      const sink = await u.beginDirect(id);
      expect(await sink.write(rows(sink.end, [[T + 2 * HOUR, 3]]))).toBe(true);
      expect(await sink.write(rows(sink.end, [[T + HOUR, 9]]))).toBe(false);
      await u.abandonDirect();
      expect(await pages(u, T, T + 3 * HOUR)).toEqual([[T, 1], [T + HOUR, 2]]);
    });
  });

  it('stages rows, finds repeated keys, and merges under the revision rule', async () => {
    const T = Date.parse('2026-02-01T00:00:00Z');
    await store.batch(async (u) => {
      const sink = await u.beginDirect((await u.claimBatch({ source: 'csv', batchKey: 'merge-0', kind: 'measurements' }))!);
      await sink.write(rows(sink.end, [[T, 10], [T + HOUR, 10]]));
    });
    const stage = async (u: IngestUnit, points: Array<[number, number]>) => {
      const sink = await u.beginStage('measurements');
      expect(await sink.write(rows(sink.end, points))).toBe(true);
    };
    await store.batch(async (u) => {
      await stage(u, [[T, 1], [T + HOUR, 2], [T, 3], [T, 4]]);
      expect((await u.stagedDuplicates('measurements', 10)).map((d) => d.lines)).toEqual([[2, 4, 5]]);
    });
    const overlap: Array<[number, number]> = [[T, 10], [T + HOUR, 11], [T + 2 * HOUR, 12]];
    await expect(
      store.batch(async (u) => {
        const id = (await u.claimBatch({ source: 'csv', batchKey: 'merge-1', kind: 'measurements' }))!;
        await stage(u, overlap);
        return u.mergeStaged('measurements', id, 'reject', 'b.csv');
      }),
    ).rejects.toMatchObject({ code: 'VALUE_CONFLICT', message: expect.stringContaining('b.csv:3') });
    const merged = await store.batch(async (u) => {
      const id = (await u.claimBatch({ source: 'csv', batchKey: 'merge-1', kind: 'measurements' }))!;
      await stage(u, overlap);
      const out = await u.mergeStaged('measurements', id, 'revise', 'b.csv');
      expect(await pages(u, T, T + 2 * HOUR)).toEqual([[T, 10], [T + HOUR, 11], [T + 2 * HOUR, 12]]);
      return out;
    });
    expect(merged).toEqual({
      written: 2,
      revised: 1,
      revisions: [{ seriesId: 'sub-a', ts: new Date(T + HOUR), oldValue: 10, newValue: 11, oldQuality: 'ok', newQuality: 'ok', ord: 3 }],
    });
  });

  it('reads recent levels and neighbours, and marks only ok points with the value judged suspect', async () => {
    const T = Date.parse('2026-03-01T00:00:00Z');
    await store.batch(async (u) => {
      const sink = await u.beginDirect((await u.claimBatch({ source: 'csv', batchKey: 'levels', kind: 'measurements' }))!);
      await sink.write(rows(sink.end, [[T, 2], [T + HOUR, 4], [T + 2 * HOUR, 6], [T + 3 * HOUR, 8]]));
    });
    await store.batch(async (u) => {
      const [level] = await u.recentLevels([{ seriesId: 'sub-a', ts: new Date(T + 3 * HOUR) }], 1);
      expect(level).toMatchObject({ seriesId: 'sub-a', n: 3, mean: 4 });
      expect(Number(level.sd)).toBeCloseTo(Math.sqrt(8 / 3), 9);
      const around = (await u.measuredAround([{ seriesId: 'sub-a', from: new Date(T + HOUR), to: new Date(T + 2 * HOUR), before: 1, after: 1 }])).get('sub-a')!;
      expect([pairs(around.before), pairs(around.after)]).toEqual([[[T, 2]], [[T + 3 * HOUR, 8]]]);
      const mark = (ts: number, value: number) => ({ seriesId: 'sub-a', ts, value, reason: 'spike' as const, detail: { before: 0, after: 0, deviations: 9 } });
      const changed = await u.markSuspect([mark(T + 2 * HOUR, 6), mark(T + HOUR, 999), mark(T, 2)], { batchId: null, actor: 'test' });
      expect(changed.map((m) => m.ts)).toEqual([T, T + 2 * HOUR]);
      expect(await u.markSuspect([mark(T, 2)], { batchId: null, actor: 'test' })).toEqual([]);
    });
  });
});
