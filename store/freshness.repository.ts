import type { Queryable } from './db.ts';
import { MADE_QUALITIES } from './measurements.repository.ts';

/**
 * How fresh a run's inputs are, for the deadline policy's early warning (monitoring/deadline.service.ts):
 * the latest weather forecast issue of each station and the latest measured value of each
 * monitored series, at or before a time. One index lookup per station or series
 * (weather_fc and measurements primary keys, read backwards), whatever the history's length.
 */
export const freshnessRepository = (q: Queryable) => ({
  /** Each weather station's latest issue of `variable` at or before `at` (null: never issued). */
  async weatherIssues(variable: string, at: Date): Promise<Array<{ stationId: string; issuedAt: Date | null }>> {
    const { rows } = await q.query<{ station_id: string; issued_at: Date | null }>(
      `SELECT s.id AS station_id,
              (SELECT max(f.issued_at) FROM weather_fc f WHERE f.station_id = s.id AND f.variable = $1 AND f.issued_at <= $2) AS issued_at
       FROM series s WHERE s.kind = 'weather' ORDER BY s.id`,
      [variable, at],
    );
    return rows.map((r) => ({ stationId: r.station_id, issuedAt: r.issued_at }));
  },

  /**
   * The latest measured (not gridcast-made) raw value at or before `at` of each series named, or
   * by default of every measured leaf of the topology: not a weather station, not a series gridcast derives (aggregates, balances).
   */
  async scadaLatest(seriesIds: string[] | null, at: Date): Promise<Array<{ seriesId: string; ts: Date | null }>> {
    const { rows } = await q.query<{ series_id: string; ts: Date | null }>(
      `WITH watched AS (
         SELECT id FROM unnest($1::text[]) AS id
         UNION ALL
         SELECT s.id FROM series s
         WHERE $1::text[] IS NULL AND s.kind <> 'weather' AND (s.attrs -> 'derived') IS DISTINCT FROM 'true'::jsonb
           AND NOT EXISTS (SELECT 1 FROM series c WHERE c.parent_id = s.id))
       SELECT w.id AS series_id,
              (SELECT max(m.ts) FROM measurements m WHERE m.series_id = w.id AND m.ts <= $2 AND m.quality <> ALL($3::text[])) AS ts
       FROM watched w ORDER BY w.id`,
      [seriesIds, at, MADE_QUALITIES],
    );
    return rows.map((r) => ({ seriesId: r.series_id, ts: r.ts }));
  },
});
export type FreshnessRepository = ReturnType<typeof freshnessRepository>;
