import { checkpointEmbedded, type Db } from '../store/db.ts';
import { flushAggregates } from '../store/aggregates.ts';
import type { Job } from './scheduler.ts';

/**
 * Stores the hourly/daily buckets that live flushes only marked. Queries are correct without
 * it (marked buckets are computed from raw), but they slow down as marks accumulate. On the
 * embedded store it also checkpoints, so the WAL of live writes does not grow without end.
 */
export function aggregatesFlushJob(db: Db, cron = '30 * * * * *'): Job {
  return {
    name: 'aggregates-flush',
    cron,
    deadlineMs: 50_000,
    housekeeping: true,
    async run({ signal }) {
      while (!signal.aborted && (await flushAggregates(db)) > 0);
      await checkpointEmbedded(db);
    },
  };
}
