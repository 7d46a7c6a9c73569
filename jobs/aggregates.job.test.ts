import { describe, expect, it } from 'vitest';
import { backends, freshDb } from '../test/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { silentLog } from '../core/log.ts';
import { createScheduler } from './scheduler.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';
import { aggregatesFlushJob } from './aggregates.job.ts';

describe.each(backends)('aggregates-flush job on %s', (kind) => {
  it('stores the hourly buckets a live flush only marked, and clears the marks', async () => {
    const db = await freshDb(kind);
    try {
      await db.query(`INSERT INTO series (id, kind, unit, time_zone) VALUES ('s1', 'load', 'MW', 'Europe/Paris')`);
      const t0 = Date.UTC(2026, 2, 2, 10, 0, 0);
      // Two short live flushes inside one hour: each only marks the hour and the day.
      for (const [from, to] of [[0, 30], [30, 60]]) {
        const rows = Array.from({ length: to - from }, (_, i) => ({ seriesId: 's1', ts: new Date(t0 + (from + i) * 10_000), value: 100 + from + i }));
        await db.transaction((tx) => insertMeasurements(tx, rows));
      }
      const marks = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM aggregates_dirty')).rows[0].n;
      expect(await marks()).toBeGreaterThan(0);

      const scheduler = createScheduler({ runs: jobRunsRepository(db), jobs: [aggregatesFlushJob(db)], log: silentLog, instance: 'test' });
      expect(await scheduler.runTick('aggregates-flush', new Date())).toBe('succeeded');

      expect(await marks()).toBe(0);
      const { rows } = await db.query<{ value: number; n: number }>(
        `SELECT avg AS value, n FROM measurements_1h WHERE series_id = 's1' AND bucket = $1`,
        [new Date(t0)],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].n).toBe(60);
      expect(rows[0].value).toBeCloseTo(100 + 59 / 2, 9);
    } finally {
      await db.close();
    }
  });
});
