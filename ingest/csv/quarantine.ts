import { GridcastError } from '../../core/errors.ts';
import { findBatch, finishBatch } from '../../store/batches.repository.ts';
import type { Db } from '../../store/db.ts';
import { releaseQuarantined, type MergeOutcome } from '../../store/measurements.repository.ts';

/**
 * A person has checked a quarantined batch (e.g. the level jump is real): its rows go into
 * measurements in one transaction and the batch becomes committed, its report keeping why it was held.
 */
export async function releaseQuarantine(db: Db, batchId: number): Promise<{ rows: number } & MergeOutcome> {
  return db.transaction(async (tx) => {
    const b = await findBatch(tx, batchId);
    if (!b) throw new GridcastError('BATCH_NOT_FOUND', `There is no batch ${batchId}`, { batchId });
    if (b.status !== 'quarantined') {
      throw new GridcastError('BATCH_NOT_QUARANTINED', `Batch ${batchId} is ${b.status}, not quarantined: nothing to release`, { batchId });
    }
    const r = await releaseQuarantined(tx, batchId);
    await finishBatch(tx, batchId, { status: 'committed', rowCount: b.rowCount, report: { ...b.report, releasedAt: new Date().toISOString(), written: r.written, revised: r.revised, revisions: r.revisions } });
    return r;
  });
}
