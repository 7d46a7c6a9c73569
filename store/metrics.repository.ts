import type { Queryable } from './db.ts';
import { HORIZONS } from '../core/config.ts';

/**
 * What /metrics reads at scrape time. Every query is an indexed range of the last day
 * (job_runs_scheduled_idx, ingest_batches_started_idx, forecast_runs_latest_idx) or the
 * primary-key range of one run, so a scrape costs the same after a year as after a day.
 */
export const metricsRepository = (q: Queryable) => ({
  async ingestBatches() {
    const { rows } = await q.query<{ source: string; kind: string; status: string; batches: number; rows: number }>(
      `SELECT source, kind, status, count(*)::int AS batches, coalesce(sum(row_count), 0)::float8 AS rows
       FROM ingest_batches WHERE started_at > now() - interval '1 day' GROUP BY source, kind, status ORDER BY source, kind, status`,
    );
    return rows;
  },

  async jobRuns() {
    const { rows } = await q.query<{ job: string; status: string; runs: number }>(
      `SELECT job, status, count(*)::int AS runs FROM job_runs
       WHERE scheduled_at > now() - interval '1 day' GROUP BY job, status ORDER BY job, status`,
    );
    return rows;
  },

  async lastJobRuns() {
    const { rows } = await q.query<{ job: string; status: string; seconds: number }>(
      `SELECT DISTINCT ON (job) job, status, extract(epoch FROM finished_at - started_at)::float8 AS seconds
       FROM job_runs WHERE scheduled_at > now() - interval '1 day' AND finished_at IS NOT NULL
       ORDER BY job, scheduled_at DESC`,
    );
    return rows;
  },

  async forecastRuns() {
    const { rows } = await q.query<{ horizon: string; status: string; runs: number }>(
      `SELECT horizon, status, count(*)::int AS runs FROM forecast_runs
       WHERE horizon = ANY($1::text[]) AND origin > now() - interval '1 day' GROUP BY horizon, status ORDER BY horizon, status`,
      [HORIZONS],
    );
    return rows;
  },

  /** Deadline fallbacks (monitoring/deadline.service.ts) stored in place of a model run, by horizon. */
  async deadlineFallbackRuns() {
    const { rows } = await q.query<{ horizon: string; runs: number }>(
      `SELECT horizon, count(*)::int AS runs FROM forecast_runs
       WHERE horizon = ANY($1::text[]) AND origin > now() - interval '1 day' AND settings ? 'fallbackReason' GROUP BY horizon ORDER BY horizon`,
      [HORIZONS],
    );
    return rows;
  },

  async latestRunFallbacks() {
    const { rows } = await q.query<{ horizon: string; run_id: number; series: number }>(
      `SELECT h.horizon, r.id AS run_id,
              (SELECT count(DISTINCT f.series_id)::int FROM forecasts f WHERE f.run_id = r.id AND f.fallback_reason IS NOT NULL) AS series
       FROM unnest($1::text[]) AS h(horizon)
       CROSS JOIN LATERAL (
         SELECT id FROM forecast_runs WHERE horizon = h.horizon AND status = 'succeeded' ORDER BY origin DESC, id DESC LIMIT 1) r
       ORDER BY h.horizon`,
      [HORIZONS],
    );
    return rows.map((r) => ({ horizon: r.horizon, runId: r.run_id, series: r.series }));
  },
});
