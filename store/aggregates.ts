import type { Queryable } from './db.ts';

/**
 * Brings the 5-min / hourly / local-day aggregates up to date for the given series over
 * [from, to). Called by ingestion inside the same transaction as the raw write, so a
 * committed batch always has consistent aggregates.
 * (Owned by the aggregation work; this signature is the seam ingestion calls.)
 */
export async function refreshAggregates(_q: Queryable, _range: { seriesIds: string[]; from: Date; to: Date }): Promise<void> {}
