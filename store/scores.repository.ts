import type { Horizon } from '../core/config.ts';
import type { ForecastGrain } from '../core/forecast-run.ts';
import type { Knowledge } from '../core/knowledge.ts';
import type { AccuracyQuery, AccuracyRow, ForecastScore, ScoreCandidate, ScoreStore, TruthStatus } from '../core/scores.ts';
import { isEnergyUnit } from '../core/units.ts';
import type { Queryable } from './db.ts';

const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;

/**
 * The actual of each (series, hour) of `leaf_hours` (node, hour) as known at $3 (`received`: from
 * the data received by then; `timestamps`: from all the stored data of the hour, whenever received,
 * as a replay of an imported history reads it), and its truth version:
 *  - measured series: the mean of the hour's points, truth version the latest receipt time among
 *    them (a revised point moves it);
 *  - metered series: the sum of the best version of each interval (validated > provisional, then
 *    latest received, as query.repository.ts serves them), only when the intervals cover the whole
 *    hour; truth version the latest receipt time among those best versions, so a provisional
 *    resend after validation changes nothing and a validation adds a version.
 * Hours holding an imputed point or interval are not ground truth and are left unscored.
 * Raw points, one hour at a time by the primary keys: the 1h aggregate has neither receipt times
 * nor whether a point was imputed, and only the hours that need an actual are read.
 */
const leafTruth = (knownBy: Knowledge) => `
  SELECT lh.node AS series_id, lh.hour, a.actual, a.truth_version, 'measured'::text AS truth_status
  FROM leaf_hours lh CROSS JOIN LATERAL (
    SELECT avg(m.value) AS actual, max(m.received_at) AS truth_version, bool_or(m.quality = 'imputed') AS imputed
    FROM measurements m
    WHERE m.series_id = lh.node AND m.ts >= lh.hour AND m.ts < lh.hour + INTERVAL '1 hour'${knownBy === 'received' ? ' AND m.received_at <= $3' : ''}) AS a
  WHERE a.truth_version IS NOT NULL AND NOT a.imputed
  UNION ALL
  SELECT lh.node, lh.hour, b.actual, b.truth_version, CASE WHEN b.provisional THEN 'provisional' ELSE 'validated' END
  FROM leaf_hours lh CROSS JOIN LATERAL (
    SELECT sum(v.value ORDER BY v.interval_start) AS actual, max(v.received_at) AS truth_version, sum(v.interval_sec) AS covered,
           bool_or(v.status = 'provisional') AS provisional, bool_or(v.status = 'imputed') AS imputed
    FROM (SELECT DISTINCT ON (g.interval_start) g.interval_start, g.interval_sec, g.value, g.status, g.received_at
          FROM metering g
          WHERE g.series_id = lh.node AND g.interval_start >= lh.hour AND g.interval_start < lh.hour + INTERVAL '1 hour'${knownBy === 'received' ? ' AND g.received_at <= $3' : ''}
          ORDER BY g.interval_start, CASE g.status WHEN 'validated' THEN 2 WHEN 'provisional' THEN 1 ELSE 0 END DESC,
            g.received_at DESC, g.version DESC) AS v) AS b
  WHERE b.covered = 3600 AND NOT b.imputed AND NOT EXISTS (SELECT 1 FROM measurements x WHERE x.series_id = lh.node)`;

/**
 * SQL: whether series `id` has data of its own (else it is the sum of its children, A6). The first
 * row in the primary key's order: a plain EXISTS lets the planner scan the table for a series it
 * expects thousands of rows of (0.3 s per score tick on the simulated grid at 5-minute data, where
 * the rows of one series are far apart); an ordered LIMIT 1 takes the index.
 */
const OWN = (id: string) =>
  `((SELECT true FROM measurements m WHERE m.series_id = ${id} ORDER BY m.series_id, m.ts LIMIT 1) IS NOT NULL
    OR (SELECT true FROM metering g WHERE g.series_id = ${id} ORDER BY g.series_id, g.interval_start, g.version LIMIT 1) IS NOT NULL)`;

interface KeyRow {
  run_id: number;
  series_id: string;
  grain: ForecastGrain;
  target_ts: Date;
  /** The end of the value's hour or local day. */
  end_ts: Date;
  /** A daily value: the unit of its series in the run (energy days add their hours up, power days average them). */
  unit: string | null;
  /** The truth versions this value was scored at. */
  scored: Date[];
}

interface Truth {
  actual: number;
  truth_version: Date;
  truth_status: TruthStatus;
}

interface TruthRow {
  series_id: string;
  hour: Date;
  actual: number;
  truth_version: Date;
  truth_status: TruthStatus;
}

interface ValueRow {
  horizon: Horizon;
  model_version: string;
  issued_at: Date;
  mean: number;
  q: number[];
  levels: number[] | null;
}

const H = 3_600_000;
const pairKey = (seriesId: string, hour: Date | number) => `${seriesId}|${typeof hour === 'number' ? hour : hour.getTime()}`;

/**
 * The actual of a local day from the actuals of its hours, as the run made the day's value from
 * its hours (forecast/reconcile/temporal.ts): summed for an energy unit, averaged otherwise; only
 * when every hour of the day (23, 24 or 25) has one. Its truth version is the newest of theirs.
 */
function dayTruth(hours: Array<Truth | undefined>, unit: string): Truth | null {
  if (hours.length === 0 || hours.some((t) => !t)) return null;
  const ts = hours as Truth[];
  const sum = ts.reduce((s, t) => s + t.actual, 0);
  return {
    actual: isEnergyUnit(unit) ? sum : sum / ts.length,
    truth_version: new Date(Math.max(...ts.map((t) => t.truth_version.getTime()))),
    truth_status: ts.some((t) => t.truth_status === 'provisional') ? 'provisional' : ts.every((t) => t.truth_status === 'validated') ? 'validated' : 'measured',
  };
}

interface AccuracyDbRow {
  series_id: string;
  horizon: Horizon;
  grain: ForecastGrain;
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
    async candidates({ from, to, asOf, since, knownBy = 'received' }) {
      // Four steps joined here rather than in one statement: without statistics (PGlite is never analyzed, a bulk load
      // not yet) the planner takes a CTE for one row and joins two large ones by nested loops, which is quadratic. Each
      // step below joins only against indexes.
      // 1. The values to examine: with `since` null ($4…$6), every settled one in the window (a full pass); else those of
      //    runs new to this pass, of hours (and days whose last hour) settled since the last, and of hours (and their
      //    days) whose data (or a descendant's, for a roll-up) was received since it — by receipt only when that is what
      //    is known ($7): read by timestamps, stored data is known once its hour is over, so nothing changes a settled hour.
      //    A day is a local day of the run's zone (its root's); it is settled when its last hour is. With the truth
      //    versions each value was scored at.
      const { rows: keys } = await q.query<KeyRow>(
        `WITH RECURSIVE runs AS (
           -- Published runs (a shadow run is scored by the paired comparison, not here) by their window.
           -- The zone of its days: its root's, as the run recorded it (first node), else as stored.
           SELECT fr.id, fr.window_start, fr.window_end, ($4::timestamptz IS NULL OR fr.id > $5::bigint OR fr.issued_at > $4::timestamptz) AS new,
                  coalesce(fr.settings->'nodes'->0->>'timeZone', (SELECT s.time_zone FROM series s WHERE s.id = fr.root), 'UTC') AS tz
           FROM forecast_runs fr
           WHERE fr.status = 'succeeded' AND fr.role = 'published' AND fr.window_start < $2 AND fr.window_end > $1 AND fr.issued_at <= $3),
         received(series_id, hour) AS (
           SELECT DISTINCT series_id, date_bin(INTERVAL '1 hour', ts, ${EPOCH}) FROM measurements
           WHERE $7::boolean AND received_at > $4::timestamptz AND received_at <= $3 AND ts >= $1 AND ts < $2::timestamptz + INTERVAL '1 hour'
           UNION
           SELECT DISTINCT series_id, date_bin(INTERVAL '1 hour', interval_start, ${EPOCH}) FROM metering
           WHERE $7::boolean AND received_at > $4::timestamptz AND received_at <= $3 AND interval_start >= $1 AND interval_start < $2::timestamptz + INTERVAL '1 hour'),
         touched(series_id, hour) AS (
           SELECT series_id, hour FROM received
           UNION
           SELECT s.parent_id, t.hour FROM touched t JOIN series s ON s.id = t.series_id WHERE s.parent_id IS NOT NULL),
         keys AS (
           SELECT f.run_id, f.series_id, f.grain, f.target_ts, f.target_ts + INTERVAL '1 hour' AS end_ts
           FROM runs r JOIN forecasts f ON f.run_id = r.id
           WHERE (r.new OR r.window_end > $6::timestamptz) AND f.grain = '1h' AND f.target_ts < $2
             AND f.target_ts >= CASE WHEN r.new THEN $1 ELSE greatest($1, $6::timestamptz) END
           UNION
           SELECT f.run_id, f.series_id, f.grain, f.target_ts, d.end_ts
           FROM runs r JOIN forecasts f ON f.run_id = r.id
           CROSS JOIN LATERAL (SELECT ((f.target_ts AT TIME ZONE r.tz) + INTERVAL '1 day') AT TIME ZONE r.tz AS end_ts) AS d
           WHERE (r.new OR r.window_end > $6::timestamptz) AND f.grain = '1d' AND f.target_ts >= $1
             AND d.end_ts < $2::timestamptz + INTERVAL '1 hour' AND (r.new OR d.end_ts >= $6::timestamptz + INTERVAL '1 hour')
           UNION
           SELECT f.run_id, f.series_id, f.grain, f.target_ts, f.target_ts + INTERVAL '1 hour'
           FROM touched t JOIN runs r ON t.hour >= r.window_start AND t.hour < r.window_end
           JOIN forecasts f ON f.run_id = r.id AND f.series_id = t.series_id AND f.grain = '1h' AND f.target_ts = t.hour
           WHERE t.hour >= $1 AND t.hour < $2
           UNION
           -- The day holding a touched hour: it starts at most 25 hours before it.
           SELECT f.run_id, f.series_id, f.grain, f.target_ts, d.end_ts
           FROM touched t JOIN runs r ON t.hour >= r.window_start AND t.hour < r.window_end
           JOIN forecasts f ON f.run_id = r.id AND f.series_id = t.series_id AND f.grain = '1d'
             AND f.target_ts <= t.hour AND f.target_ts > t.hour - INTERVAL '25 hours'
           CROSS JOIN LATERAL (SELECT ((f.target_ts AT TIME ZONE r.tz) + INTERVAL '1 day') AT TIME ZONE r.tz AS end_ts) AS d
           WHERE t.hour < d.end_ts AND f.target_ts >= $1 AND d.end_ts < $2::timestamptz + INTERVAL '1 hour')
         SELECT k.run_id, k.series_id, k.grain, k.target_ts, k.end_ts,
                CASE WHEN k.grain = '1d' THEN coalesce(
                  (SELECT n->>'unit' FROM forecast_runs r, jsonb_array_elements(coalesce(r.settings->'nodes', '[]'::jsonb)) AS n
                   WHERE r.id = k.run_id AND n->>'id' = k.series_id LIMIT 1),
                  (SELECT s.unit FROM series s WHERE s.id = k.series_id)) END AS unit,
                ARRAY(SELECT s.truth_version FROM forecast_scores s
                      WHERE s.run_id = k.run_id AND s.series_id = k.series_id AND s.grain = k.grain AND s.target_ts = k.target_ts) AS scored
         FROM keys k`,
        [from, to, asOf, since?.receivedAfter ?? null, since?.runId ?? null, since?.settledFrom ?? null, knownBy === 'received'],
      );
      if (keys.length === 0) return [];

      // 2. The actual of each of their (series, hour), and of each hour of their days.
      const hoursOf = (k: KeyRow) => {
        const hs: number[] = [];
        for (let t = k.target_ts.getTime(); t < k.end_ts.getTime(); t += H) hs.push(t);
        return hs;
      };
      const pairs = new Map<string, { seriesId: string; hour: Date }>();
      for (const k of keys) for (const h of hoursOf(k)) pairs.set(pairKey(k.series_id, h), { seriesId: k.series_id, hour: new Date(h) });
      const { rows: truthRows } = await q.query<TruthRow>(
        `WITH RECURSIVE pairs AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS u(series_id, hour)),
         tree(root, node, own) AS (
           SELECT n.series_id, n.series_id, ${OWN('n.series_id')} FROM (SELECT DISTINCT series_id FROM pairs) AS n
           UNION ALL
           SELECT t.root, c.id, ${OWN('c.id')} FROM tree t JOIN series c ON c.parent_id = t.node AND c.kind <> 'weather' WHERE NOT t.own),
         leaf_hours AS (SELECT DISTINCT t.node, p.hour FROM tree t JOIN pairs p ON p.series_id = t.root WHERE t.own),
         leaf_truth AS (${leafTruth(knownBy)}),
         leaves AS (SELECT root, count(*) AS n FROM tree WHERE own GROUP BY root)
         -- A node without data of its own (a roll-up) against the sum of the actuals of the descendants that have data
         -- (children without data recurse, as queries serve it), for the hours where every one of them has an actual.
         SELECT t.root AS series_id, lt.hour, sum(lt.actual) AS actual, max(lt.truth_version) AS truth_version,
                CASE WHEN bool_or(lt.truth_status = 'provisional') THEN 'provisional'
                     WHEN bool_and(lt.truth_status = 'validated') THEN 'validated' ELSE 'measured' END AS truth_status
         FROM tree t JOIN leaf_truth lt ON lt.series_id = t.node JOIN leaves l ON l.root = t.root
         WHERE t.own
         GROUP BY t.root, lt.hour
         HAVING count(*) = min(l.n)`,
        // $3 only where receipt times matter: by timestamps the statement has no third parameter.
        [[...pairs.values()].map((p) => p.seriesId), [...pairs.values()].map((p) => p.hour), ...(knownBy === 'received' ? [asOf] : [])],
      );
      const hourly = new Map<string, Truth>(truthRows.map((t) => [pairKey(t.series_id, t.hour), t]));
      const truthOf = (k: KeyRow): Truth | null | undefined =>
        k.grain === '1h' ? hourly.get(pairKey(k.series_id, k.target_ts)) : dayTruth(hoursOf(k).map((h) => hourly.get(pairKey(k.series_id, h))), k.unit ?? '');
      const due = keys.flatMap((k) => {
        const t = truthOf(k);
        return t && !k.scored.some((v) => v.getTime() === t.truth_version.getTime()) ? [{ ...k, t }] : [];
      });
      if (due.length === 0) return [];

      // 3. Their forecast values and runs, by primary keys.
      const { rows } = await q.query<ValueRow>(
        `SELECT f.mean, f.q, f.model_version, r.horizon, r.issued_at,
                ARRAY(SELECT jsonb_array_elements_text(coalesce(r.settings->'quantiles', '[]'::jsonb))::float8) AS levels
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS u(run_id, series_id, grain, target_ts, ord)
         JOIN forecasts f ON f.run_id = u.run_id AND f.series_id = u.series_id AND f.grain = u.grain AND f.target_ts = u.target_ts
         JOIN forecast_runs r ON r.id = u.run_id
         ORDER BY u.ord`,
        [due.map((d) => d.run_id), due.map((d) => d.series_id), due.map((d) => d.grain), due.map((d) => d.target_ts)],
      );
      // 4. The level of each (run, series, grain): the mean |forecast| of all its values of that grain.
      const runSeries = new Map<string, { runId: number; seriesId: string; grain: ForecastGrain }>();
      for (const d of due) runSeries.set(`${d.run_id}|${d.series_id}|${d.grain}`, { runId: d.run_id, seriesId: d.series_id, grain: d.grain });
      const { rows: levelRows } = await q.query<{ run_id: number; series_id: string; grain: ForecastGrain; level: number }>(
        `SELECT u.run_id, u.series_id, u.grain,
                (SELECT avg(abs(f.mean)) FROM forecasts f WHERE f.run_id = u.run_id AND f.series_id = u.series_id AND f.grain = u.grain) AS level
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(run_id, series_id, grain)`,
        [[...runSeries.values()].map((r) => r.runId), [...runSeries.values()].map((r) => r.seriesId), [...runSeries.values()].map((r) => r.grain)],
      );
      const level = new Map(levelRows.map((l) => [`${l.run_id}|${l.series_id}|${l.grain}`, l.level]));
      return due
        .map(
          (d, i): ScoreCandidate => ({
            runId: d.run_id, seriesId: d.series_id, grain: d.grain, targetTs: d.target_ts, horizon: rows[i].horizon, modelVersion: rows[i].model_version,
            issuedAt: rows[i].issued_at, forecast: rows[i].mean, q: rows[i].q, levels: rows[i].levels ?? [], level: level.get(`${d.run_id}|${d.series_id}|${d.grain}`)!,
            actual: d.t.actual, truthVersion: d.t.truth_version, truthStatus: d.t.truth_status,
          }),
        )
        .sort((a, b) => a.runId - b.runId || (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : 0) || (a.grain < b.grain ? -1 : a.grain > b.grain ? 1 : 0) || a.targetTs.getTime() - b.targetTs.getTime());
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

    async progress() {
      const { rows } = await q.query<{ as_of: Date | null; run_id: string | null; full_at: Date | null; newest: string | null }>(
        `SELECT p.as_of, p.run_id, p.full_at, (SELECT max(id) FROM forecast_runs) AS newest
         FROM (SELECT 1) AS one LEFT JOIN score_progress p ON true`,
      );
      const r = rows[0];
      return {
        last: r.as_of === null ? null : { asOf: r.as_of, runId: Number(r.run_id), fullAt: r.full_at! },
        newestRunId: Number(r.newest ?? 0),
      };
    },

    async saveProgress(p) {
      await q.query(
        `INSERT INTO score_progress (as_of, run_id, full_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET as_of = excluded.as_of, run_id = excluded.run_id, full_at = excluded.full_at`,
        [p.asOf, p.runId, p.fullAt],
      );
    },

    async accuracy(a: AccuracyQuery) {
      const key = a.by === 'lead' ? `floor(lead_hours / ${LEAD_BUCKET_HOURS}) * ${LEAD_BUCKET_HOURS}` : 'NULL::float8';
      const day = a.by === 'day' ? `to_char((target_ts AT TIME ZONE $6)::date, 'YYYY-MM-DD')` : 'NULL::text';
      const { rows } = await q.query<AccuracyDbRow>(
        `WITH latest AS (
           SELECT DISTINCT ON (run_id, series_id, grain, target_ts) *
           FROM forecast_scores
           WHERE target_ts >= $1 AND target_ts < $2 AND ($3::text IS NULL OR series_id = $3) AND ($4::text IS NULL OR horizon = $4)
             AND ($5::text IS NULL OR model_version = $5) AND $6::text IS NOT NULL AND ($7::text IS NULL OR grain = $7)
           ORDER BY run_id, series_id, grain, target_ts, truth_version DESC)
         SELECT series_id, horizon, grain, ${key} AS lead_from, ${day} AS day, count(*)::int AS n,
                100 * avg(ape) AS mape, count(ape)::int AS n_ape,
                avg(abs(error)) FILTER (WHERE ape IS NULL) AS mae_near_zero, avg(abs(error)) AS mae, avg(actual) AS mean_actual, avg(error) AS bias,
                avg((SELECT avg(p) FROM unnest(pinball) AS p)) AS pinball,
                100 * avg(CASE WHEN inside THEN 1.0 WHEN NOT inside THEN 0.0 END) AS coverage
         FROM latest
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3 DESC, 4, 5`,
        [a.from, a.to, a.seriesId ?? null, a.horizon ?? null, a.modelVersion ?? null, a.timeZone, a.grain ?? null],
      );
      return rows.map((r) => ({
        seriesId: r.series_id, horizon: r.horizon, grain: r.grain,
        leadFrom: r.lead_from, leadTo: r.lead_from === null ? null : r.lead_from + LEAD_BUCKET_HOURS, day: r.day,
        n: r.n, mape: r.mape, nApe: r.n_ape, maeNearZero: r.mae_near_zero, mae: r.mae, meanActual: r.mean_actual, bias: r.bias, pinball: r.pinball, coverage: r.coverage,
      }));
    },
  };
}
