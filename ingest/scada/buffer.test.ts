import { describe, expect, it } from 'vitest';
import { createIngestBuffer } from './buffer.ts';
import { silentLog } from '../../core/log.ts';
import type { MeasurementRow } from './point.ts';

const row = (i: number): MeasurementRow => ({ seriesId: 's', ts: new Date(i * 10_000), value: i });

describe('ingest buffer', () => {
  it('flushes at maxPoints, runs callbacks only after their commit, in order', async () => {
    const commits: number[][] = [];
    const events: string[] = [];
    const buf = createIngestBuffer({
      source: 't', log: silentLog, flushMs: 60_000, maxPoints: 3,
      commit: async (rows) => {
        commits.push(rows.map((r) => r.value));
        events.push(`commit ${rows.length}`);
        return rows.length;
      },
    });
    buf.add([row(1)], () => events.push('ack 1'));
    buf.add([row(2)], () => events.push('ack 2'));
    expect(events).toEqual([]);
    buf.add([row(3)], () => events.push('ack 3'));
    await buf.flush();
    expect(commits).toEqual([[1, 2, 3]]);
    expect(events).toEqual(['commit 3', 'ack 1', 'ack 2', 'ack 3']);
    await buf.close();
  });

  it('keeps rows and callbacks of a failed commit and retries them first', async () => {
    let fail = true;
    const commits: number[][] = [];
    const acks: number[] = [];
    const buf = createIngestBuffer({
      source: 't', log: silentLog, flushMs: 10, retryMs: 20,
      commit: async (rows) => {
        if (fail) throw new Error('db down');
        commits.push(rows.map((r) => r.value));
        return rows.length;
      },
    });
    buf.add([row(1)], () => acks.push(1));
    await expect(buf.flush()).rejects.toThrow('db down');
    expect(acks).toEqual([]);
    buf.add([row(2)], () => acks.push(2));
    fail = false;
    await buf.flush();
    expect(commits).toEqual([[1, 2]]);
    expect(acks).toEqual([1, 2]);
    expect(buf.stats()).toMatchObject({ pending: 0, committedPoints: 2, failedFlushes: 1 });
    await buf.close();
  });

  it('writes only what the screen accepts, counts the rest once, and acknowledges after the commit', async () => {
    let fail = true;
    const commits: number[][] = [];
    const acks: number[] = [];
    const buf = createIngestBuffer({
      source: 't', log: silentLog, flushMs: 60_000, retryMs: 60_000,
      screen: async (rows) => ({
        accepted: rows.filter((r) => r.value >= 0),
        rejected: rows.filter((r) => r.value < 0).map((r) => ({ row: r, issue: { code: 'OUT_OF_RANGE' as const, message: 'negative' } })),
      }),
      commit: async (rows) => {
        if (fail) throw new Error('db down');
        commits.push(rows.map((r) => r.value));
        return rows.length;
      },
    });
    buf.add([row(1), { ...row(2), value: -5 }, row(3)], () => acks.push(1));
    await expect(buf.flush()).rejects.toThrow('db down');
    fail = false;
    await buf.flush();
    expect(commits).toEqual([[1, 3]]);
    expect(acks).toEqual([1]);
    expect(buf.stats()).toMatchObject({ pending: 0, committedPoints: 2, rejectedPoints: 1 });
    await buf.close();
  });

  it('commits on the timer without an explicit flush', async () => {
    const committed: number[] = [];
    const buf = createIngestBuffer({ source: 't', log: silentLog, flushMs: 20, commit: async (rows) => (committed.push(rows.length), rows.length) });
    buf.add([row(1), row(2)]);
    const end = Date.now() + 5000;
    while (committed.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(committed).toEqual([2]);
    await buf.close();
  });
});
