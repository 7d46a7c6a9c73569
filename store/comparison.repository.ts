import type { ComparisonRepository, PairedForecast } from '../core/comparison.ts';
import type { Queryable } from './db.ts';
import { queryMeasurements } from './query.repository.ts';

/**
 * Champion / challenger pairs (D5): the hourly values of each published run served by the
 * champion joined to the same series and hour of the challenger's shadow run made on it. A
 * value either model produced on a fallback is no evidence about that model, so is left out.
 */
export function comparisonRepository(q: Queryable): ComparisonRepository {
  return {
    async pairs({ champion, challenger, from, to }) {
      const { rows } = await q.query<{ series_id: string; target_ts: Date; origin: Date; issued_at: Date; champion: number; challenger: number }>(
        `SELECT pf.series_id, pf.target_ts, p.origin, p.issued_at, pf.mean AS champion, sf.mean AS challenger
         FROM forecast_runs s
         JOIN forecast_runs p ON p.id = s.shadow_of AND p.status = 'succeeded'
         JOIN forecasts sf ON sf.run_id = s.id AND sf.grain = '1h'
         JOIN forecasts pf ON pf.run_id = p.id AND pf.grain = '1h' AND pf.series_id = sf.series_id AND pf.target_ts = sf.target_ts
         WHERE s.role = 'shadow' AND s.status = 'succeeded' AND s.shadow_version = $2
           AND pf.model_version = $1 AND sf.model_version = $2 AND pf.fallback_reason IS NULL AND sf.fallback_reason IS NULL
           AND sf.target_ts >= $3 AND sf.target_ts < $4
         ORDER BY pf.series_id, pf.target_ts, p.issued_at, p.id`,
        [champion, challenger, from, to],
      );
      return rows.map((r): PairedForecast => ({ seriesId: r.series_id, targetTs: r.target_ts, origin: r.origin, issuedAt: r.issued_at, champion: r.champion, challenger: r.challenger }));
    },
    async actuals(seriesId, from, to) {
      const rows = await queryMeasurements(q, { seriesId, from, to, grain: '1h' });
      return new Map(rows.filter((r) => r.value !== null).map((r) => [r.ts.getTime(), r.value!]));
    },
  };
}
