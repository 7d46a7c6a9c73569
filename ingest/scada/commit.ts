import type { Db } from '../../store/db.ts';
import { insertMeasurements } from '../../store/measurements.repository.ts';
import type { CommitRows } from './buffer.ts';

/** A flush = one transaction through the store's idempotent write path (aggregates refreshed inside it). */
export function dbCommitter(db: Db): CommitRows {
  return (rows) => db.transaction(async (tx) => (await insertMeasurements(tx, rows)).written);
}
