import { describe, expect, it } from 'vitest';
import { createNodeStatusReader } from './node-status.service.ts';

const NOW = new Date('2026-03-10T12:30:00Z');

/** An in-memory store of one leaf under a root, counting the reads. */
function fakeStore() {
  const calls = { dataHealth: 0, runFallbacks: [] as number[][] };
  let latestId = 7;
  const store = {
    async dataHealth(from: Date, to: Date) {
      calls.dataHealth++;
      expect([from.toISOString(), to.toISOString()]).toEqual(['2026-03-10T10:00:00.000Z', '2026-03-10T12:00:00.000Z']);
      return [{ seriesId: 'a', hoursWithData: 2, imputedHours: 0, suspectHours: 0, shortMeteredHours: 0, declaredPerHour: null, counts: [6, 6] }];
    },
    async lastSeen() {
      return new Map();
    },
    async latestRuns() {
      return [{ horizon: 'day-ahead' as const, latest: { id: latestId, issuedAt: NOW, origin: NOW, scheduledAt: null, deadline: null, deadlineFallback: null, seriesIds: ['root', 'a'] }, latestOnTime: null }];
    },
    async runFallbacks(ids: number[]) {
      calls.runFallbacks.push(ids);
      return ids.map((runId) => ({ runId, seriesId: 'a', model: 'seasonal-naive', fallbackReason: 'short-history' }));
    },
    async openRuptures() {
      return [];
    },
    async latestDeadlineAlarms() {
      return new Map();
    },
    async dayAheadMape() {
      return null;
    },
  };
  return { store, calls, newRun: () => latestId++ };
}

const nodes = async () => [
  { id: 'root', parent: null, name: null, kind: 'load' as const, derived: false },
  { id: 'a', parent: 'root', name: null, kind: 'load' as const, derived: false },
];

describe('node status reader', () => {
  it('reads the fallbacks of a stored run once, and those of a newer run when it comes', async () => {
    const f = fakeStore();
    const reader = createNodeStatusReader({ store: f.store, nodes, timeZone: 'UTC', now: () => NOW });
    const first = await reader.overview({ windowHours: 2 });
    expect(first.nodes.map((n) => [n.id, n.status])).toEqual([['root', 'ok'], ['a', 'fallback']]);
    expect(first.counts).toEqual({ rupture: 0, 'late-run': 0, fallback: 1, 'partial-data': 0, ok: 1 });
    await reader.overview({ windowHours: 2 });
    f.newRun();
    await reader.overview({ windowHours: 2 });
    expect(f.calls.runFallbacks).toEqual([[7], [8]]);
    // Without reuse, every request computes its report.
    expect(f.calls.dataHealth).toBe(3);
  });

  it('shares one computation between concurrent requests, reuses it for reuseMs, and filters by status after', async () => {
    const f = fakeStore();
    const reader = createNodeStatusReader({ store: f.store, nodes, timeZone: 'UTC', now: () => NOW, reuseMs: 60_000 });
    const [all, fallbacks] = await Promise.all([reader.overview({ windowHours: 2 }), reader.overview({ windowHours: 2, statuses: ['fallback'] })]);
    expect(f.calls.dataHealth).toBe(1);
    expect(all.nodes).toHaveLength(2);
    expect(fallbacks.nodes.map((n) => n.id)).toEqual(['a']);
    expect(fallbacks.counts).toEqual(all.counts);
    await reader.overview({ windowHours: 2 });
    expect(f.calls.dataHealth).toBe(1);
  });

  it('refuses a window out of range', async () => {
    const reader = createNodeStatusReader({ store: fakeStore().store, nodes, timeZone: 'UTC', now: () => NOW });
    await expect(reader.overview({ windowHours: 0 })).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
    await expect(reader.overview({ windowHours: 2, asOf: '2026-03-10T10:00' })).rejects.toMatchObject({ code: 'TS_NO_OFFSET' });
  });
});
