import type { Db, Queryable } from '../../store/db.ts';
import type { CommitRows } from './buffer.ts';
import type { MeasurementRow } from './point.ts';

/** The store's idempotent measurement write (store/measurements.repository.ts). */
export type InsertMeasurements = (q: Queryable, rows: MeasurementRow[], batchId?: number | null) => Promise<{ written: number }>;

/** A flush = one transaction through the store's write path. */
export function dbCommitter(db: Db, insert: InsertMeasurements): CommitRows {
  return (rows) => db.transaction(async (tx) => (await insert(tx, rows)).written);
}
