import { GridcastError } from '../../core/errors.ts';
import { findBatch, finishBatch } from '../../store/batches.repository.ts';
import type { Db } from '../../store/db.ts';
import type { MergeOutcome } from '../../core/ingest-store.ts';
import { releaseQuarantined } from '../../store/measurements.repository.ts';
import { quarantinedSpans } from '../../store/suspect.repository.ts';
import { flagStoredSpikes, type SuspectReport } from '../validate/suspect.ts';

/**
 * A person has checked a quarantined batch (e.g. the level jump is real): its rows go into
 * measurements in one transaction, their isolated spikes are marked suspect like any batch's, and
 * the batch becomes committed, its report keeping why it was held.
 */
export async function releaseQuarantine(db: Db, batchId: number): Promise<{ rows: number; suspect: SuspectReport } & MergeOutcome> {
  return db.transaction(async (tx) => {
    const b = await findBatch(tx, batchId);
    if (!b) throw new GridcastError('BATCH_NOT_FOUND', `There is no batch ${batchId}`, { batchId });
    if (b.status !== 'quarantined') {
      throw new GridcastError('BATCH_NOT_QUARANTINED', `Batch ${batchId} is ${b.status}, not quarantined: nothing to release`, { batchId });
    }
    const spans = await quarantinedSpans(tx, batchId);
    const r = await releaseQuarantined(tx, batchId);
    const suspect = await flagStoredSpikes(tx, spans, { batchId, actor: 'csv' });
    await finishBatch(tx, batchId, {
      status: 'committed',
      rowCount: b.rowCount,
      report: { ...b.report, releasedAt: new Date().toISOString(), written: r.written, revised: r.revised, revisions: r.revisions, suspect },
    });
    return { ...r, suspect };
  });
}
