import type { MonitorStateStore, ResidualHour, ResidualSource, SeriesMonitorState } from '../core/monitor-state.ts';
import type { Queryable } from './db.ts';
import { storedHours } from './hourly.repository.ts';

interface Row {
  series_id: string;
  mode: 'model' | 'fallback';
  since: Date;
  rupture_at: Date | null;
  detector: SeriesMonitorState['detector'];
  model_version: string | null;
  updated_at: Date;
}

const toState = (r: Row): SeriesMonitorState => ({
  seriesId: r.series_id,
  mode: r.mode,
  since: r.since,
  ruptureAt: r.rupture_at,
  detector: r.detector,
  modelVersion: r.model_version,
  updatedAt: r.updated_at,
});

/** series_monitor_state (migration 092) on either backend. */
export function monitorStateRepository(q: Queryable): MonitorStateStore {
  return {
    async states(seriesIds) {
      const { rows } = seriesIds
        ? await q.query<Row>('SELECT * FROM series_monitor_state WHERE series_id = ANY($1::text[])', [seriesIds])
        : await q.query<Row>('SELECT * FROM series_monitor_state');
      return new Map(rows.map((r) => [r.series_id, toState(r)]));
    },
    async save(s, at) {
      await q.query(
        `INSERT INTO series_monitor_state (series_id, mode, since, rupture_at, detector, model_version, updated_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
         ON CONFLICT (series_id) DO UPDATE SET mode = EXCLUDED.mode, since = EXCLUDED.since, rupture_at = EXCLUDED.rupture_at,
           detector = EXCLUDED.detector, model_version = EXCLUDED.model_version, updated_at = EXCLUDED.updated_at`,
        [s.seriesId, s.mode, s.since, s.ruptureAt, s.detector === null ? null : JSON.stringify(s.detector), s.modelVersion, at],
      );
    },
  };
}

const HOUR_MS = 3_600_000;

/**
 * Published day-ahead forecasts against measured actuals. The forecast of an hour is the one of
 * the succeeded day-ahead run with the latest origin before that hour (what was published for it;
 * by origin rather than issue time, so a replay that runs the past today reads the same); the
 * actual is the stored hourly bucket (mean, or sum for an energy unit), as the run inputs read it.
 */
export function residualSource(q: Queryable): ResidualSource {
  return {
    async forecastSeries(from, to) {
      const { rows } = await q.query<{ series_id: string }>(
        `SELECT DISTINCT f.series_id FROM forecasts f JOIN forecast_runs r ON r.id = f.run_id
         WHERE r.horizon = 'day-ahead' AND r.status = 'succeeded' AND f.grain = '1h' AND f.target_ts >= $1 AND f.target_ts < $2
         ORDER BY f.series_id`,
        [from, to],
      );
      return rows.map((r) => r.series_id);
    },
    async dayAhead(seriesId, from, to) {
      const { rows } = await q.query<{ target_ts: Date; mean: number; model_version: string; fallback_reason: string | null }>(
        `SELECT DISTINCT ON (f.target_ts) f.target_ts, f.mean, f.model_version, f.fallback_reason
         FROM forecasts f JOIN forecast_runs r ON r.id = f.run_id
         WHERE f.series_id = $1 AND f.grain = '1h' AND f.target_ts >= $2 AND f.target_ts < $3
           AND r.horizon = 'day-ahead' AND r.status = 'succeeded' AND r.origin <= f.target_ts
         ORDER BY f.target_ts, r.origin DESC, r.id DESC`,
        [seriesId, from, to],
      );
      if (rows.length === 0) return [];
      const unit = (await q.query<{ unit: string }>('SELECT unit FROM series WHERE id = $1', [seriesId])).rows[0]?.unit;
      if (!unit) return [];
      const hours = await storedHours(q, { id: seriesId, unit }, from.getTime(), to.getTime());
      const actual = new Map(hours.hour.map((h, i) => [h, hours.value[i]]));
      const out: ResidualHour[] = [];
      for (const r of rows) {
        const a = actual.get(r.target_ts.getTime() / HOUR_MS);
        if (a === undefined || !Number.isFinite(a)) continue;
        out.push({ ts: r.target_ts, actual: a, forecast: r.mean, modelVersion: r.model_version, fallbackReason: r.fallback_reason });
      }
      return out;
    },
    async siblings(seriesIds) {
      const { rows } = await q.query<{ id: string; parent_id: string | null }>('SELECT id, parent_id FROM series WHERE id = ANY($1::text[])', [seriesIds]);
      const byParent = new Map<string, string[]>();
      for (const r of rows) if (r.parent_id !== null) byParent.set(r.parent_id, [...(byParent.get(r.parent_id) ?? []), r.id]);
      return new Map(rows.map((r) => [r.id, r.parent_id === null ? [] : byParent.get(r.parent_id)!.filter((id) => id !== r.id).sort()]));
    },
  };
}
