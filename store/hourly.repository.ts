import type { Quality } from '../core/quality.ts';
import { isEnergyUnit } from '../core/units.ts';
import { grainStored } from './aggregates.ts';
import type { Queryable } from './db.ts';

/**
 * Hourly actuals of one series read for long windows (forecast inputs): the stored buckets as
 * packed columns, and the hours those buckets cannot answer.
 */

const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;

/**
 * Columns packed by string_agg: one text per column instead of one JS object per row, which is
 * what makes reading years of hours fast on PGlite. float8::text is the shortest exact form.
 */
const unpack = (packed: string | null): string[] => (packed ? packed.split(',') : []);

/** Whether the series has measurements, metering intervals, or neither (then it is a roll-up). */
export async function seriesSources(q: Queryable, seriesId: string): Promise<{ measured: boolean; metered: boolean }> {
  const { rows } = await q.query<{ measured: boolean; metered: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM measurements WHERE series_id = $1) AS measured, EXISTS (SELECT 1 FROM metering WHERE series_id = $1) AS metered`,
    [seriesId],
  );
  return rows[0];
}

/**
 * The measured hours of [from, to): the stored hourly bucket (sum for an energy unit, else mean)
 * and its quality; `hour` is epoch hours. A series storing no hourly buckets has at most one point
 * per hour (migration 051): that point is the hour's mean and sum.
 */
export async function storedHours(
  q: Queryable,
  series: { id: string; unit: string },
  from: number,
  to: number,
): Promise<{ hour: number[]; value: number[]; quality: Quality[] }> {
  const hourly = (await grainStored(q, series.id, '1h'))
    ? `SELECT bucket, ${isEnergyUnit(series.unit) ? 'sum' : 'avg'} AS v, quality FROM measurements_1h WHERE series_id = $1 AND bucket >= $2 AND bucket < $3`
    : `SELECT date_bin('1 hour', ts, ${EPOCH}) AS bucket, value AS v, quality FROM measurements WHERE series_id = $1 AND ts >= $2 AND ts < $3`;
  const { rows } = await q.query<{ t: string | null; v: string | null; qual: string | null }>(
    `SELECT string_agg((extract(epoch FROM bucket)::int8 / 3600)::text, ',') AS t, string_agg(v::text, ',') AS v, string_agg(quality, ',') AS qual
     FROM (${hourly}) AS h`,
    [series.id, new Date(from), new Date(to)],
  );
  return { hour: unpack(rows[0].t).map(Number), value: unpack(rows[0].v).map(Number), quality: unpack(rows[0].qual) as Quality[] };
}

/**
 * Hour ranges [lo, hi) (epoch ms) overlapping [from, to) that the stored hourly buckets cannot
 * answer: buckets under a dirty mark, and (with `asOf`) the hours holding points received after it.
 */
export async function unsettledHours(q: Queryable, seriesId: string, from: number, to: number, asOf?: Date): Promise<Array<[number, number]>> {
  const { rows: dirty } = await q.query<{ bucket: Date; bucket_end: Date }>(
    `SELECT bucket, bucket_end FROM aggregates_dirty WHERE series_id = $1 AND grain = '1h' AND bucket < $3 AND bucket_end > $2`,
    [seriesId, new Date(from), new Date(to)],
  );
  const ranges = dirty.map((d): [number, number] => [d.bucket.getTime(), d.bucket_end.getTime()]);
  if (asOf) {
    const { rows: late } = await q.query<{ lo: Date | null; hi: Date | null }>(
      `SELECT date_bin('1 hour', min(ts), ${EPOCH}) AS lo, date_bin('1 hour', max(ts), ${EPOCH}) + INTERVAL '1 hour' AS hi
       FROM measurements WHERE series_id = $1 AND ts >= $2 AND ts < $3 AND received_at > $4`,
      [seriesId, new Date(from), new Date(to), asOf],
    );
    if (late[0].lo && late[0].hi) ranges.push([late[0].lo.getTime(), late[0].hi.getTime()]);
  }
  return ranges;
}
