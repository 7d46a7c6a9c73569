import type { Horizon } from '../core/config.ts';
import type { AccuracyQuery, AccuracyRow, ForecastScore, ScoreCandidate, ScoreStore, TruthStatus } from '../core/scores.ts';
import type { Queryable } from './db.ts';

const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;

/**
 * The actual of each hour starting in [$1, $2) of the series `ids` selects, as known at $3, and its truth version:
 *  - measured series: the mean of the hour's points (the 1h aggregate's avg), truth version the
 *    latest receipt time among them (a revised point moves it);
 *  - metered series: the sum of the best version of each interval (validated > provisional, then
 *    latest received, as query.repository.ts serves them), only when the intervals cover the whole
 *    hour; truth version the latest receipt time among those best versions, so a provisional
 *    resend after validation changes nothing and a validation adds a version.
 * Hours holding an imputed point or interval are not ground truth and are left unscored.
 * A node without data of its own (a roll-up) is scored against the sum of the actuals of the
 * descendants that have data (children without data recurse, as queries serve it), for the hours
 * where every one of them has an actual; its truth version is the latest of theirs.
 */
const TRUTH = (ids: string) => `
  SELECT series_id, hour, actual, truth_version, 'measured'::text AS truth_status FROM (
    SELECT m.series_id, date_bin(INTERVAL '1 hour', m.ts, ${EPOCH}) AS hour, avg(m.value) AS actual,
           max(m.received_at) AS truth_version, bool_or(m.quality = 'imputed') AS imputed
    FROM measurements m
    WHERE m.series_id IN (${ids}) AND m.ts >= $1 AND m.ts < $2::timestamptz + INTERVAL '1 hour' AND m.received_at <= $3
    GROUP BY 1, 2) AS meas
  WHERE NOT imputed
  UNION ALL
  SELECT series_id, hour, actual, truth_version, CASE WHEN provisional THEN 'provisional' ELSE 'validated' END FROM (
    SELECT b.series_id, date_bin(INTERVAL '1 hour', b.interval_start, ${EPOCH}) AS hour, sum(b.value ORDER BY b.interval_start) AS actual,
           max(b.received_at) AS truth_version, sum(b.interval_sec) AS covered,
           bool_or(b.status = 'provisional') AS provisional, bool_or(b.status = 'imputed') AS imputed
    FROM (SELECT DISTINCT ON (series_id, interval_start) series_id, interval_start, interval_sec, value, status, received_at
          FROM metering
          WHERE series_id IN (${ids}) AND interval_start >= $1 AND interval_start < $2::timestamptz + INTERVAL '1 hour' AND received_at <= $3
            AND NOT EXISTS (SELECT 1 FROM measurements x WHERE x.series_id = metering.series_id)
          ORDER BY series_id, interval_start, CASE status WHEN 'validated' THEN 2 WHEN 'provisional' THEN 1 ELSE 0 END DESC,
            received_at DESC, version DESC) AS b
    GROUP BY 1, 2) AS met
  WHERE NOT imputed AND covered = 3600`;

/** SQL: whether series `id` has data of its own (else it is the sum of its children, A6). */
const OWN = (id: string) => `(EXISTS (SELECT 1 FROM measurements m WHERE m.series_id = ${id}) OR EXISTS (SELECT 1 FROM metering g WHERE g.series_id = ${id}))`;

interface CandidateRow {
  run_id: number;
  series_id: string;
  target_ts: Date;
  horizon: Horizon;
  model_version: string;
  issued_at: Date;
  mean: number;
  q: number[];
  levels: number[] | null;
  level: number;
  actual: number;
  truth_version: Date;
  truth_status: TruthStatus;
}

interface AccuracyDbRow {
  series_id: string;
  horizon: Horizon;
  lead_from: number | null;
  day: string | null;
  n: number;
  mape: number | null;
  n_ape: number;
  mae_near_zero: number | null;
  mae: number;
  mean_actual: number;
  bias: number;
  pinball: number | null;
  coverage: number | null;
}

const LEAD_BUCKET_HOURS = 24;
const arrayLiteral = (xs: number[]) => `{${xs.map((x) => String(x)).join(',')}}`;

/** Scores of forecast values (migration 090): what is newly scorable, and accuracy over the latest score of each value. */
export function scoresRepository(q: Queryable): ScoreStore {
  return {
    async candidates({ from, to, asOf }) {
      // Published runs (a shadow run is scored by the paired comparison, not here) by their window; their values by the primary key.
      const { rows } = await q.query<CandidateRow>(
        `WITH RECURSIVE runs AS (
           SELECT id, horizon, issued_at, settings->'quantiles' AS levels FROM forecast_runs
           WHERE status = 'succeeded' AND role = 'published' AND window_start < $2 AND window_end > $1 AND issued_at <= $3),
         vals AS (
           SELECT f.run_id, f.series_id, f.target_ts, f.mean, f.q, f.model_version, r.horizon, r.issued_at, r.levels
           FROM runs r JOIN forecasts f ON f.run_id = r.id
           WHERE f.grain = '1h' AND f.target_ts >= $1 AND f.target_ts < $2 AND f.target_ts + INTERVAL '1 hour' <= $3),
         levels AS (
           SELECT f.run_id, f.series_id, avg(abs(f.mean)) AS level
           FROM forecasts f WHERE f.grain = '1h' AND (f.run_id, f.series_id) IN (SELECT DISTINCT run_id, series_id FROM vals)
           GROUP BY 1, 2),
         tree(root, node, own) AS (
           SELECT n.series_id, n.series_id, ${OWN('n.series_id')} FROM (SELECT DISTINCT series_id FROM vals) AS n
           UNION ALL
           SELECT t.root, c.id, ${OWN('c.id')} FROM tree t JOIN series c ON c.parent_id = t.node AND c.kind <> 'weather' WHERE NOT t.own),
         leaf_truth AS (${TRUTH('SELECT node FROM tree WHERE own')}),
         leaves AS (SELECT root, count(*) AS n FROM tree WHERE own GROUP BY root),
         truth AS (
           SELECT t.root AS series_id, lt.hour, sum(lt.actual) AS actual, max(lt.truth_version) AS truth_version,
                  CASE WHEN bool_or(lt.truth_status = 'provisional') THEN 'provisional'
                       WHEN bool_and(lt.truth_status = 'validated') THEN 'validated' ELSE 'measured' END AS truth_status
           FROM tree t JOIN leaf_truth lt ON lt.series_id = t.node JOIN leaves l ON l.root = t.root
           WHERE t.own
           GROUP BY t.root, lt.hour
           HAVING count(*) = min(l.n))
         SELECT v.run_id, v.series_id, v.target_ts, v.horizon, v.model_version, v.issued_at, v.mean, v.q,
                ARRAY(SELECT jsonb_array_elements_text(coalesce(v.levels, '[]'::jsonb))::float8) AS levels,
                l.level, t.actual, t.truth_version, t.truth_status
         FROM vals v
         JOIN truth t ON t.series_id = v.series_id AND t.hour = v.target_ts
         JOIN levels l ON l.run_id = v.run_id AND l.series_id = v.series_id
         WHERE NOT EXISTS (SELECT 1 FROM forecast_scores s
           WHERE s.run_id = v.run_id AND s.series_id = v.series_id AND s.grain = '1h' AND s.target_ts = v.target_ts AND s.truth_version = t.truth_version)
         ORDER BY v.run_id, v.series_id, v.target_ts`,
        [from, to, asOf],
      );
      return rows.map(
        (r): ScoreCandidate => ({
          runId: r.run_id, seriesId: r.series_id, grain: '1h', targetTs: r.target_ts, horizon: r.horizon, modelVersion: r.model_version,
          issuedAt: r.issued_at, forecast: r.mean, q: r.q, levels: r.levels ?? [], level: r.level, actual: r.actual,
          truthVersion: r.truth_version, truthStatus: r.truth_status,
        }),
      );
    },

    async insert(scores: ForecastScore[]) {
      if (scores.length === 0) return 0;
      const col = <T>(f: (s: ForecastScore) => T) => scores.map(f);
      const r = await q.query(
        `INSERT INTO forecast_scores (run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, issued_at,
           lead_hours, forecast, actual, error, ape, quantile_levels, pinball, inside)
         SELECT run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, issued_at,
           lead_hours, forecast, actual, error, ape, levels::float8[], pinball::float8[], inside
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
           $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::text[], $16::text[], $17::boolean[])
           AS u(run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, issued_at,
             lead_hours, forecast, actual, error, ape, levels, pinball, inside)
         ON CONFLICT DO NOTHING`,
        [
          col((s) => s.runId), col((s) => s.seriesId), col((s) => s.grain), col((s) => s.targetTs), col((s) => s.truthVersion),
          col((s) => s.truthStatus), col((s) => s.horizon), col((s) => s.modelVersion), col((s) => s.issuedAt), col((s) => s.leadHours),
          col((s) => s.forecast), col((s) => s.actual), col((s) => s.error), col((s) => s.ape), col((s) => arrayLiteral(s.quantileLevels)),
          col((s) => arrayLiteral(s.pinball)), col((s) => s.inside),
        ],
      );
      return r.rowCount;
    },

    async accuracy(a: AccuracyQuery) {
      const key = a.by === 'lead' ? `floor(lead_hours / ${LEAD_BUCKET_HOURS}) * ${LEAD_BUCKET_HOURS}` : 'NULL::float8';
      const day = a.by === 'day' ? `to_char((target_ts AT TIME ZONE $6)::date, 'YYYY-MM-DD')` : 'NULL::text';
      const { rows } = await q.query<AccuracyDbRow>(
        `WITH latest AS (
           SELECT DISTINCT ON (run_id, series_id, grain, target_ts) *
           FROM forecast_scores
           WHERE target_ts >= $1 AND target_ts < $2 AND ($3::text IS NULL OR series_id = $3) AND ($4::text IS NULL OR horizon = $4)
             AND ($5::text IS NULL OR model_version = $5) AND $6::text IS NOT NULL
           ORDER BY run_id, series_id, grain, target_ts, truth_version DESC)
         SELECT series_id, horizon, ${key} AS lead_from, ${day} AS day, count(*)::int AS n,
                100 * avg(ape) AS mape, count(ape)::int AS n_ape,
                avg(abs(error)) FILTER (WHERE ape IS NULL) AS mae_near_zero, avg(abs(error)) AS mae, avg(actual) AS mean_actual, avg(error) AS bias,
                avg((SELECT avg(p) FROM unnest(pinball) AS p)) AS pinball,
                100 * avg(CASE WHEN inside THEN 1.0 WHEN NOT inside THEN 0.0 END) AS coverage
         FROM latest
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
        [a.from, a.to, a.seriesId ?? null, a.horizon ?? null, a.modelVersion ?? null, a.timeZone],
      );
      return rows.map((r) => ({
        seriesId: r.series_id, horizon: r.horizon,
        leadFrom: r.lead_from, leadTo: r.lead_from === null ? null : r.lead_from + LEAD_BUCKET_HOURS, day: r.day,
        n: r.n, mape: r.mape, nApe: r.n_ape, maeNearZero: r.mae_near_zero, mae: r.mae, meanActual: r.mean_actual, bias: r.bias, pinball: r.pinball, coverage: r.coverage,
      }));
    },
  };
}
