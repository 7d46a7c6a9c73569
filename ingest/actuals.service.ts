import { servedQuality, type ServedQuality } from '../core/quality.ts';
import type { MeasurementRow, SeriesQuery } from '../store/query.repository.ts';

/** The store read behind actuals: store/query.repository.ts querySeries over a connection. */
export interface ActualsRepository {
  querySeries(query: SeriesQuery): Promise<ActualsRead>;
}

/** A row as served to a reader (CLI JSON, API): times as ISO-8601 UTC, quality as served. */
export type ServedActual = Omit<MeasurementRow, 'ts' | 'quality' | 'issuedAt'> & { ts: string; quality: ServedQuality; issuedAt?: string };

export interface ActualsRead {
  /** The series' zone, in which a date of the query was read. */
  timeZone: string;
  from: Date;
  to: Date;
  rows: MeasurementRow[];
}

/**
 * Reads actuals of a series or a weather station (observations, or forecasts as issued before
 * a time) — the one read `gridcast query` and GET /api/v1/series/{id}/actuals share, so both
 * serve the same numbers. Times are as the user gave them (core/time-input.ts): a date is a
 * local day of the series' zone.
 */
export function createActualsService(repo: ActualsRepository) {
  return {
    read(query: SeriesQuery): Promise<ActualsRead> {
      return repo.querySeries(query);
    },
  };
}
export type ActualsService = ReturnType<typeof createActualsService>;

/** Every field of the row, numbers with all their digits; a partial bucket's quality reads 'partial'. */
export const servedActual = (r: MeasurementRow): ServedActual =>
  // Spread then overwritten in place: the fields keep the row's order, which the CLI's JSON prints.
  ({
    ...r,
    ts: r.ts.toISOString(),
    quality: servedQuality(r.quality, r.partial),
    ...(r.issuedAt && { issuedAt: r.issuedAt.toISOString() }),
  }) as ServedActual;
