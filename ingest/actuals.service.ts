import { servedQuality, type ServedQuality } from '../core/quality.ts';
import { DateTime } from 'luxon';
import type { Grain } from '../core/grain.ts';
import type { MeasurementRow, SeriesQuery } from '../store/query.repository.ts';

/** The store reads behind actuals: store/query.repository.ts querySeries and seriesBounds over a connection. */
export interface ActualsRepository {
  querySeries(query: SeriesQuery): Promise<ActualsRead>;
  /** The instants [from, to) a query's times stand for in the series' zone (QUERY_RANGE_INVALID unless from < to). */
  bounds(query: Pick<SeriesQuery, 'seriesId' | 'from' | 'to'>): Promise<Omit<ActualsRead, 'rows'>>;
}

/**
 * The local days one read of a long range covers: about 10,000 values at the densest cadence of the
 * grain (10 s SCADA for raw), so a year of raw points is read, sent and released a day at a time.
 */
export const WINDOW_DAYS: Record<Grain, number> = { raw: 1, '5m': 30, '1h': 366, '1d': 20 * 366 };

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
export function createActualsService(repo: ActualsRepository, windowDays: Record<Grain, number> = WINDOW_DAYS) {
  return {
    read(query: SeriesQuery): Promise<ActualsRead> {
      return repo.querySeries(query);
    },
    /**
     * The same rows as `read`, in order, a bounded window of local days at a time (windowDays by
     * grain): what streams and pages a long range. Windows end at local midnights of the series'
     * zone, which no bucket straddles, so every value and bucket lies whole in one window. The
     * bounds are resolved (and the range checked) before any window is read, so a caller can refuse
     * a bad query before it starts answering.
     */
    async windows(query: SeriesQuery): Promise<Omit<ActualsRead, 'rows'> & { batches: AsyncGenerator<MeasurementRow[]> }> {
      const bounds = await repo.bounds(query);
      const days = windowDays[query.grain];
      async function* batches() {
        for (let a = bounds.from; a < bounds.to; ) {
          const end = DateTime.fromJSDate(a, { zone: bounds.timeZone }).startOf('day').plus({ days }).toJSDate();
          const b = end < bounds.to ? end : bounds.to;
          const { rows } = await repo.querySeries({ ...query, from: { instant: a }, to: { instant: b } });
          if (rows.length > 0) yield rows;
          a = b;
        }
      }
      return { ...bounds, batches: batches() };
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
