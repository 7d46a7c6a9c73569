import { randomUUID } from 'node:crypto';
import type { Db } from '../../store/db.ts';
import { claimBatch, finishBatch } from '../../store/batches.repository.ts';
import { insertMeasurements } from '../../store/measurements.repository.ts';
import type { Log } from '../../core/log.ts';
import type { CommitRows } from './buffer.ts';

/**
 * A flush = one transaction through the store's write path: an ingest_batches row (the
 * ledger: source, points, series, time span), the idempotent upsert (aggregates refreshed
 * inside it) and the batch's outcome. With a batchKey (e.g. a hash of a polled body), input
 * that was already ingested is skipped and 0 is returned. A point that changes a stored measured
 * value is a revision (the old value kept, the new one served): the batch report counts and lists
 * them, and `log` warns, so a live feed re-sending different numbers never goes unnoticed.
 */
export function dbCommitter(db: Db, source: string, log?: Log): CommitRows {
  return (rows, batchKey) =>
    db.transaction(async (tx) => {
      const id = await claimBatch(tx, { source, batchKey: batchKey ?? `${source}:${randomUUID()}`, kind: 'measurements' });
      if (id === null) return 0;
      const { written, revised, revisions } = await insertMeasurements(tx, rows, id);
      let lo = Infinity;
      let hi = -Infinity;
      const series = new Set<string>();
      for (const r of rows) {
        const t = r.ts.getTime();
        if (t < lo) lo = t;
        if (t > hi) hi = t;
        series.add(r.seriesId);
      }
      await finishBatch(tx, id, {
        status: 'committed',
        rowCount: written,
        report: { points: rows.length, written, revised, revisions, series: series.size, from: new Date(lo).toISOString(), to: new Date(hi).toISOString() },
      });
      if (revised > 0) {
        const first = revisions.map((n) => `${n.seriesId} ${n.ts.toISOString()}: ${n.oldValue} -> ${n.newValue}`);
        log?.warn({ source, batchId: id, revised, first }, `${source}: ${revised} received point(s) changed stored values; the old values are kept as revisions`);
      }
      return written;
    });
}
