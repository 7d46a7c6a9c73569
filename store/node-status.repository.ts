import { HORIZONS, type Horizon } from '../core/config.ts';
import type { MonitoringEvent } from '../core/events.ts';
import type { Queryable } from './db.ts';
import { EVENT_COLUMNS, eventFromDb, type EventDbRow } from './events.repository.ts';

const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;

/**
 * The reads behind the node status overview (monitoring/node-status.service.ts): a handful of
 * set-based queries whatever the number of nodes. Where a query needs a few rows of every series
 * (its hours in the window, its first value in a run), it walks the series and probes the primary
 * key of the big table for each inside the one statement (LATERAL), so its cost is that of the
 * rows it returns, not of the table.
 */

/** The hours of series s's raw points in [lo, hi): point count and worst quality. */
const RAW_HOURS = (lo: string, hi: string) => `
    SELECT date_bin('1 hour', m.ts, ${EPOCH}) AS bucket, count(*)::int AS n,
           bool_or(m.quality = 'imputed') AND NOT bool_or(m.quality = 'suspect') AS imputed, bool_or(m.quality = 'suspect') AS suspect, NULL::boolean AS complete
    FROM measurements m WHERE m.series_id = s.id AND m.ts >= ${lo} AND m.ts < ${hi}
    GROUP BY 1`;

/**
 * The hours of series `s` in [$1, $2) holding data: point count, whether the worst point is
 * imputed or suspect, and (metering) whether the intervals cover the hour (null for measurements).
 */
const SERIES_HOURS = `
  -- Stored hourly buckets (series storing the 1h grain, migration 051), except those under a dirty mark…
  SELECT m.bucket, m.n, m.quality = 'imputed' AS imputed, m.quality = 'suspect' AS suspect, NULL::boolean AS complete
  FROM measurements_1h m
  WHERE s.hourly AND m.series_id = s.id AND m.bucket >= $1 AND m.bucket < $2
    AND NOT EXISTS (SELECT 1 FROM aggregates_dirty d WHERE d.series_id = s.id AND d.grain = '1h' AND d.bucket <= m.bucket AND d.bucket_end > m.bucket)
  UNION ALL
  -- …which are computed from the raw points (stored later by the aggregates-flush job).
  SELECT r.* FROM aggregates_dirty d CROSS JOIN LATERAL (${RAW_HOURS('greatest(d.bucket, $1)', 'least(d.bucket_end, $2)')}) r
  WHERE s.hourly AND d.series_id = s.id AND d.grain = '1h' AND d.bucket < $2 AND d.bucket_end > $1
  UNION ALL
  -- Raw points of a series storing no hourly buckets (at most one point an hour).
  SELECT r.* FROM (${RAW_HOURS('$1', '$2')}) r WHERE NOT s.hourly
  UNION ALL
  -- Metering: the best version of each interval (validated, then provisional, then imputed), as scoring reads it.
  SELECT date_bin('1 hour', v.interval_start, ${EPOCH}), count(*)::int, bool_or(v.status = 'imputed'), false, sum(v.interval_sec) >= 3600
  FROM (SELECT DISTINCT ON (g.interval_start) g.interval_start, g.interval_sec, g.status FROM metering g
        WHERE g.series_id = s.id AND g.interval_start >= $1 AND g.interval_start < $2
        ORDER BY g.interval_start, CASE g.status WHEN 'validated' THEN 2 WHEN 'provisional' THEN 1 ELSE 0 END DESC, g.received_at DESC, g.version DESC) v
  GROUP BY 1`;

interface HealthRow {
  series_id: string;
  declared: number | null;
  hours: number;
  imputed: number;
  suspect: number;
  short_metered: number;
  counts: number[] | null;
}

interface RunRow {
  horizon: Horizon;
  id: number | null;
  issued_at: Date | null;
  origin: Date | null;
  scheduled_at: Date | null;
  deadline: Date | null;
  fallback_reason: string | null;
  series: string[] | null;
  ontime_id: number | null;
  ontime_scheduled_at: Date | null;
  ontime_issued_at: Date | null;
}

export interface LatestRunRow {
  horizon: Horizon;
  latest: { id: number; issuedAt: Date; origin: Date; scheduledAt: Date | null; deadline: Date | null; deadlineFallback: string | null; seriesIds: string[] } | null;
  latestOnTime: { id: number; scheduledAt: Date | null; issuedAt: Date } | null;
}

export const nodeStatusRepository = (q: Queryable) => ({
  /**
   * Per series (weather stations excepted) with at least one point in [from, to): hours with
   * data, hours whose worst point is imputed or suspect, metering hours its intervals do not
   * cover, the points per measured hour (`counts`) and the points an hour it declares
   * (3600 / attrs.stepSec). One statement; each series' rows are read by primary key.
   */
  async dataHealth(from: Date, to: Date): Promise<Array<{
    seriesId: string; hoursWithData: number; imputedHours: number; suspectHours: number; shortMeteredHours: number; declaredPerHour: number | null; counts: number[];
  }>> {
    const { rows } = await q.query<HealthRow>(
      `SELECT s.id AS series_id, s.declared, x.hours, x.imputed, x.suspect, x.short_metered, x.counts
       FROM (SELECT s.id, g.series_id IS NOT NULL AS hourly,
                    CASE WHEN jsonb_typeof(s.attrs -> 'stepSec') = 'number' AND (s.attrs ->> 'stepSec')::float8 > 0
                         THEN greatest(1, floor(3600 / (s.attrs ->> 'stepSec')::float8 + 1e-9))::int END AS declared
             FROM series s LEFT JOIN aggregate_grains g ON g.series_id = s.id AND g.grain = '1h'
             WHERE s.kind <> 'weather') s
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS hours, count(*) FILTER (WHERE imputed AND NOT suspect)::int AS imputed, count(*) FILTER (WHERE suspect)::int AS suspect,
                count(*) FILTER (WHERE NOT complete)::int AS short_metered, array_agg(n) FILTER (WHERE complete IS NULL) AS counts
         FROM (SELECT bucket, max(n) AS n, bool_or(imputed) AS imputed, bool_or(suspect) AS suspect, bool_or(complete) AS complete
               FROM (${SERIES_HOURS}) u GROUP BY bucket) h) x
       WHERE x.hours > 0
       ORDER BY s.id`,
      [from, to],
    );
    return rows.map((r) => ({
      seriesId: r.series_id, hoursWithData: r.hours, imputedHours: r.imputed, suspectHours: r.suspect, shortMeteredHours: r.short_metered,
      declaredPerHour: r.declared, counts: r.counts ?? [],
    }));
  },

  /** When each series was last seen before `before` (its latest measurement or metering interval; null: never). */
  async lastSeen(seriesIds: string[], before: Date): Promise<Map<string, Date | null>> {
    const { rows } = await q.query<{ id: string; at: Date | null }>(
      `SELECT id, greatest((SELECT max(ts) FROM measurements WHERE series_id = id AND ts < $2),
                           (SELECT max(interval_start) FROM metering WHERE series_id = id AND interval_start < $2)) AS at
       FROM unnest($1::text[]) AS id`,
      [seriesIds, before],
    );
    return new Map(rows.map((r) => [r.id, r.at]));
  },

  /**
   * Per horizon, as of `asOf`: the latest succeeded published run (by origin, then id: the run
   * GET /forecasts/latest serves) with the nodes it covers, and the latest model run (not a
   * deadline fallback) issued by its deadline or without one.
   */
  async latestRuns(asOf: Date): Promise<LatestRunRow[]> {
    const { rows } = await q.query<RunRow>(
      `SELECT h.horizon, r.id, r.issued_at, r.origin, r.scheduled_at, r.deadline, r.fallback_reason, r.series,
              o.id AS ontime_id, o.scheduled_at AS ontime_scheduled_at, o.issued_at AS ontime_issued_at
       FROM unnest($1::text[]) WITH ORDINALITY AS h(horizon, i)
       LEFT JOIN LATERAL (
         SELECT id, issued_at, origin, scheduled_at, deadline, settings ->> 'fallbackReason' AS fallback_reason,
                ARRAY(SELECT jsonb_object_keys(model_versions)) AS series
         FROM forecast_runs WHERE horizon = h.horizon AND status = 'succeeded' AND role = 'published' AND issued_at <= $2
         ORDER BY origin DESC, id DESC LIMIT 1) r ON true
       LEFT JOIN LATERAL (
         SELECT id, scheduled_at, issued_at FROM forecast_runs
         WHERE horizon = h.horizon AND status = 'succeeded' AND role = 'published' AND issued_at <= $2
           AND NOT settings ? 'fallbackReason' AND (deadline IS NULL OR issued_at <= deadline)
         ORDER BY origin DESC, id DESC LIMIT 1) o ON true
       ORDER BY h.i`,
      [HORIZONS, asOf],
    );
    return rows.map((r) => ({
      horizon: r.horizon,
      latest: r.id === null ? null : {
        id: r.id, issuedAt: r.issued_at!, origin: r.origin!, scheduledAt: r.scheduled_at, deadline: r.deadline,
        deadlineFallback: r.fallback_reason, seriesIds: r.series ?? [],
      },
      latestOnTime: r.ontime_id === null ? null : { id: r.ontime_id, scheduledAt: r.ontime_scheduled_at, issuedAt: r.ontime_issued_at! },
    }));
  },

  /** The series of these runs forecast by a fallback: the label of each series' first hourly value (one model per series and run). */
  async runFallbacks(runIds: number[]): Promise<Array<{ runId: number; seriesId: string; model: string; fallbackReason: string }>> {
    const { rows } = await q.query<{ run_id: number; series_id: string; model: string; fallback_reason: string }>(
      `SELECT r.id AS run_id, k.series_id, f.model, f.fallback_reason
       FROM forecast_runs r CROSS JOIN LATERAL jsonb_object_keys(r.model_versions) AS k(series_id)
       CROSS JOIN LATERAL (
         SELECT model, fallback_reason FROM forecasts
         WHERE run_id = r.id AND series_id = k.series_id AND grain = '1h' ORDER BY target_ts LIMIT 1) f
       WHERE r.id = ANY($1::bigint[]) AND f.fallback_reason IS NOT NULL
       ORDER BY r.id, k.series_id`,
      [runIds],
    );
    return rows.map((r) => ({ runId: r.run_id, seriesId: r.series_id, model: r.model, fallbackReason: r.fallback_reason }));
  },

  /** Per series, its latest `rupture` event at or before `asOf` that no later `fallback-off` event of the series closed. */
  async openRuptures(asOf: Date): Promise<MonitoringEvent[]> {
    const { rows } = await q.query<EventDbRow>(
      `SELECT ${EVENT_COLUMNS} FROM (
         SELECT DISTINCT ON (series_id) ${EVENT_COLUMNS} FROM events
         WHERE kind IN ('rupture', 'fallback-off') AND series_id IS NOT NULL AND at <= $1
         ORDER BY series_id, at DESC, id DESC) e
       WHERE kind = 'rupture' ORDER BY series_id`,
      [asOf],
    );
    return rows.map(eventFromDb);
  },

  /** Per horizon (detail.horizon), its newest `run-late` or `deadline-missed` event at or before `asOf`. */
  async latestDeadlineAlarms(asOf: Date): Promise<Map<Horizon, MonitoringEvent>> {
    const { rows } = await q.query<EventDbRow & { horizon: Horizon }>(
      `SELECT DISTINCT ON (detail ->> 'horizon') detail ->> 'horizon' AS horizon, ${EVENT_COLUMNS} FROM events
       WHERE kind IN ('run-late', 'deadline-missed') AND at <= $1 AND detail ->> 'horizon' = ANY($2::text[])
       ORDER BY detail ->> 'horizon', at DESC, id DESC`,
      [asOf, HORIZONS],
    );
    return new Map(rows.map((r) => [r.horizon, eventFromDb(r)]));
  },

  /**
   * The latest published day-ahead run (by origin) whose window ended by `asOf` and that has
   * scores, with the MAPE (%) of each series' hourly values over their latest truth versions.
   */
  async dayAheadMape(asOf: Date): Promise<{ runId: number; windowStart: Date; windowEnd: Date; rows: Array<{ seriesId: string; mape: number | null; n: number }> } | null> {
    const { rows: runs } = await q.query<{ id: number; window_start: Date; window_end: Date }>(
      `SELECT id, window_start, window_end FROM forecast_runs r
       WHERE horizon = 'day-ahead' AND status = 'succeeded' AND role = 'published' AND window_end <= $1 AND issued_at <= $1
         AND EXISTS (SELECT 1 FROM forecast_scores s WHERE s.run_id = r.id)
       ORDER BY origin DESC, id DESC LIMIT 1`,
      [asOf],
    );
    if (runs.length === 0) return null;
    const run = runs[0];
    const { rows } = await q.query<{ series_id: string; mape: number | null; n: number }>(
      // Descending on the whole primary key: the latest truth version of each value comes first without a sort.
      `SELECT series_id, 100 * avg(ape) AS mape, count(ape)::int AS n FROM (
         SELECT DISTINCT ON (series_id, grain, target_ts) series_id, ape FROM forecast_scores
         WHERE run_id = $1 AND grain = '1h' ORDER BY series_id DESC, grain DESC, target_ts DESC, truth_version DESC) s
       GROUP BY series_id ORDER BY series_id`,
      [run.id],
    );
    return { runId: run.id, windowStart: run.window_start, windowEnd: run.window_end, rows: rows.map((r) => ({ seriesId: r.series_id, mape: r.mape, n: r.n })) };
  },
});
export type NodeStatusRepository = ReturnType<typeof nodeStatusRepository>;
