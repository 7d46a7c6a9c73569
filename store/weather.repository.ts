import type { OnConflict } from '../core/revision.ts';
import type { MergeOutcome, RevisionNote } from '../core/ingest-store.ts';
import { REVISION_NOTES, valueConflict } from './measurements.repository.ts';
import type { Queryable } from './db.ts';

export interface WeatherObsInput {
  stationId: string;
  variable: string;
  ts: Date;
  value: number;
}

export interface WeatherForecastInput {
  stationId: string;
  variable: string;
  /** When the forecast was issued: models train on the forecasts they would really have seen (A11). */
  issuedAt: Date;
  targetTs: Date;
  value: number;
}

/** Key columns of each weather table; `ts` is the target time of a forecast. */
const TABLES = {
  obs: { table: 'weather_obs', key: ['station_id', 'variable', 'ts'], ts: 'ts', issued: 'NULL::timestamptz' },
  fc: { table: 'weather_fc', key: ['station_id', 'variable', 'issued_at', 'target_ts'], ts: 'target_ts', issued: 'w.issued_at' },
} as const;
type WeatherTable = keyof typeof TABLES;

/**
 * Merges `incoming` (station_id, variable, ts, [issued_at,] value, ord; one row per key) into a
 * weather table: a new key is inserted, a different value for a stored key replaces it and the
 * stored one is kept in weather_revisions (A11: models are trained on what was known then), the
 * same value changes nothing. With onConflict 'reject' a different value throws VALUE_CONFLICT.
 */
async function mergeWeather(
  q: Queryable,
  which: WeatherTable,
  incoming: { sql: string; params: unknown[] },
  batchId: number | null,
  onConflict: OnConflict,
  describe: (ord: number) => string,
): Promise<MergeOutcome> {
  const t = TABLES[which];
  // The incoming relation names a forecast's target time `ts`, like an observation's.
  const on = t.key.map((k) => `w.${k} = x.${k === 'target_ts' ? 'ts' : k}`).join(' AND ');
  // Read through the key's range (see mergeMeasurements).
  const span = `w.station_id = ANY(ARRAY(SELECT DISTINCT station_id FROM ${incoming.sql} AS b))
    AND w.${t.ts} >= (SELECT min(ts) FROM ${incoming.sql} AS b) AND w.${t.ts} <= (SELECT max(ts) FROM ${incoming.sql} AS b)`;
  const clash = `FROM ${incoming.sql} AS x JOIN ${t.table} w ON ${on} AND ${span} WHERE w.value IS DISTINCT FROM x.value`;
  const { rows: notes } = await q.query<{ station: string; variable: string; ts: Date; oldValue: number; newValue: number; ord: number; total: number }>(
    `SELECT x.station_id AS station, x.variable, x.ts, w.value AS "oldValue", x.value AS "newValue", x.ord::int8 AS ord,
        count(*) OVER ()::int8 AS total
     ${clash} ORDER BY x.ord LIMIT ${REVISION_NOTES}`,
    incoming.params,
  );
  const revised = notes[0]?.total ?? 0;
  const revisions: RevisionNote[] = notes.map((n) => ({
    seriesId: `${n.station}/${n.variable}`,
    ts: n.ts,
    oldValue: n.oldValue,
    newValue: n.newValue,
    oldQuality: 'ok',
    newQuality: 'ok',
    ord: n.ord,
  }));
  if (revised > 0 && onConflict === 'reject') throw valueConflict(revised, revisions, describe);
  const withBatch = [...incoming.params, batchId];
  const batchParam = `$${withBatch.length}::bigint`;
  await q.query(
    `INSERT INTO weather_revisions (station_id, variable, issued_at, ts, value, batch_id, received_at, superseded_at, superseded_by)
     SELECT w.station_id, w.variable, ${t.issued}, w.${t.ts}, w.value, w.batch_id, w.received_at, now(), ${batchParam} ${clash}`,
    withBatch,
  );
  const cols = which === 'fc' ? 'station_id, variable, issued_at, target_ts' : 'station_id, variable, ts';
  const src = which === 'fc' ? 'station_id, variable, issued_at, ts' : 'station_id, variable, ts';
  const r = await q.query(
    `INSERT INTO ${t.table} AS w (${cols}, value, batch_id)
     SELECT ${src}, value, ${batchParam} FROM ${incoming.sql} AS x
     ON CONFLICT (${t.key.join(', ')}) DO UPDATE
       SET value = excluded.value, batch_id = excluded.batch_id, received_at = excluded.received_at
       WHERE w.value IS DISTINCT FROM excluded.value`,
    withBatch,
  );
  return { written: r.rowCount, revised, revisions };
}

/** The last of repeated keys wins: one statement may not update a row twice. */
function lastByKey<T>(rows: T[], key: (r: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

export async function insertWeatherObs(q: Queryable, rows: WeatherObsInput[], batchId: number | null = null, onConflict: OnConflict = 'revise'): Promise<MergeOutcome> {
  if (rows.length === 0) return { written: 0, revised: 0, revisions: [] };
  const u = lastByKey(rows, (r) => `${r.stationId}\u0000${r.variable}\u0000${r.ts.getTime()}`);
  const sql = `(SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::int8[]) AS u(station_id, variable, ts, value, ord))`;
  const params = [u.map((r) => r.stationId), u.map((r) => r.variable), u.map((r) => r.ts), u.map((r) => r.value), u.map((_, i) => i)];
  return mergeWeather(q, 'obs', { sql, params }, batchId, onConflict, (i) => `point ${i}`);
}

export async function insertWeatherForecasts(q: Queryable, rows: WeatherForecastInput[], batchId: number | null = null, onConflict: OnConflict = 'revise'): Promise<MergeOutcome> {
  if (rows.length === 0) return { written: 0, revised: 0, revisions: [] };
  const u = lastByKey(rows, (r) => `${r.stationId}\u0000${r.variable}\u0000${r.issuedAt.getTime()}\u0000${r.targetTs.getTime()}`);
  const sql = `(SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::float8[], $6::int8[])
    AS u(station_id, variable, issued_at, ts, value, ord))`;
  const params = [u.map((r) => r.stationId), u.map((r) => r.variable), u.map((r) => r.issuedAt), u.map((r) => r.targetTs), u.map((r) => r.value), u.map((_, i) => i)];
  return mergeWeather(q, 'fc', { sql, params }, batchId, onConflict, (i) => `point ${i}`);
}

/** Staged weather rows: an observation when issued_at is null, else a forecast as issued. */
export const WEATHER_STAGE_COLUMNS = ['station_id', 'variable', 'ts', 'issued_at', 'value', 'line'] as const;
export const weatherStageDdl = (name: string) =>
  `CREATE TEMP TABLE ${name} (station_id text NOT NULL, variable text NOT NULL, ts timestamptz NOT NULL, issued_at timestamptz,
     value float8 NOT NULL, line bigint NOT NULL) ON COMMIT DROP`;

/** Merges staged weather rows (one per key: check stagedDuplicates first); notes carry the file line. */
export async function mergeStagedWeather(q: Queryable, stage: string, batchId: number, onConflict: OnConflict = 'revise', file = 'batch'): Promise<MergeOutcome> {
  const at = (line: number) => `${file}:${line}`;
  const obs = await mergeWeather(q, 'obs', { sql: `(SELECT station_id, variable, ts, value, line AS ord FROM ${stage} WHERE issued_at IS NULL)`, params: [] }, batchId, onConflict, at);
  const fc = await mergeWeather(
    q,
    'fc',
    { sql: `(SELECT station_id, variable, issued_at, ts, value, line AS ord FROM ${stage} WHERE issued_at IS NOT NULL)`, params: [] },
    batchId,
    onConflict,
    at,
  );
  return {
    written: obs.written + fc.written,
    revised: obs.revised + fc.revised,
    revisions: [...obs.revisions, ...fc.revisions].sort((a, b) => a.ord - b.ord).slice(0, REVISION_NOTES),
  };
}

/**
 * Weather known at `asOf` (a SQL parameter; NULL = everything stored now): the current rows
 * received by then and the revisions that were the latest then. Observations: (station_id,
 * variable, ts, value); forecasts: (station_id, variable, issued_at, target_ts, value).
 */
const weatherObsKnownAt = (asOf: string) => `(SELECT station_id, variable, ts, value FROM weather_obs WHERE ${asOf}::timestamptz IS NULL OR received_at <= ${asOf}
  UNION ALL
  SELECT station_id, variable, ts, value FROM weather_revisions
  WHERE ${asOf}::timestamptz IS NOT NULL AND issued_at IS NULL AND received_at <= ${asOf} AND superseded_at > ${asOf})`;
const weatherFcKnownAt = (asOf: string) => `(SELECT station_id, variable, issued_at, target_ts, value FROM weather_fc WHERE ${asOf}::timestamptz IS NULL OR received_at <= ${asOf}
  UNION ALL
  SELECT station_id, variable, issued_at, ts AS target_ts, value FROM weather_revisions
  WHERE ${asOf}::timestamptz IS NOT NULL AND issued_at IS NOT NULL AND received_at <= ${asOf} AND superseded_at > ${asOf})`;

/** What to read of one station's variable: observations, or the forecasts as issued at or before `issuedBefore`. */
export interface WeatherRead {
  stationId: string;
  variable: string;
  from: Date;
  to: Date;
  /** Only rows received at or before this time. */
  asOf?: Date;
  /** Forecasts instead of observations: for each target, the latest issue at or before this time (a vintage). */
  issuedBefore?: Date;
}

export interface WeatherPoint {
  ts: Date;
  value: number;
  /** Forecasts: the issue time of the value. */
  issuedAt?: Date;
}

// $1 station, $2 variable, $3 from, $4 to, $5 asOf, and for forecasts $6 issuedBefore; `until` bounds ts (or target_ts).
const params = (r: WeatherRead) => [r.stationId, r.variable, r.from, r.to, r.asOf ?? null, ...(r.issuedBefore ? [r.issuedBefore] : [])];
const obsSql = (until: string) => `SELECT ts, value FROM ${weatherObsKnownAt('$5')} AS w
  WHERE station_id = $1 AND variable = $2 AND ts >= $3 AND ts < ${until}`;
const vintageSql = (until: string) => `SELECT DISTINCT ON (target_ts) target_ts AS ts, value, issued_at FROM ${weatherFcKnownAt('$5')} AS w
  WHERE station_id = $1 AND variable = $2 AND target_ts >= $3 AND target_ts < ${until} AND issued_at <= $6
  ORDER BY target_ts, issued_at DESC`;

/** Observations, or a forecast vintage, in [from, to), by time. */
export async function readWeather(q: Queryable, r: WeatherRead): Promise<WeatherPoint[]> {
  if (r.issuedBefore) {
    const { rows } = await q.query<{ ts: Date; value: number; issued_at: Date }>(vintageSql('$4'), params(r));
    return rows.map((x) => ({ ts: x.ts, value: x.value, issuedAt: x.issued_at }));
  }
  const { rows } = await q.query<{ ts: Date; value: number }>(`${obsSql('$4')} ORDER BY ts`, params(r));
  return rows;
}

/**
 * The same points as aggregateSql input (store/aggregates.ts) in the zone `zone`: observations
 * are quality 'ok', forecast values 'estimated' with method 'forecast'. `until` replaces the upper
 * bound (a bucket starting before `to` takes its points up to its end). $1..$4 are as above.
 */
export function weatherAggregatePoints(r: WeatherRead, until: string, zone: string): { sql: string; params: unknown[] } {
  const p = params(r);
  const tz = `$${p.length + 1}::text`;
  const sql = r.issuedBefore
    ? `SELECT $1::text AS series_id, ts, value, 'estimated'::text AS quality, 'forecast'::text AS method, ${tz} AS tz,
         NULL::int AS interval_sec, NULL::text AS status FROM (${vintageSql(until)}) AS v`
    : `SELECT $1::text AS series_id, ts, value, 'ok'::text AS quality, NULL::text AS method, ${tz} AS tz,
         NULL::int AS interval_sec, NULL::text AS status FROM (${obsSql(until)}) AS o`;
  return { sql, params: [...p, zone] };
}

/** For store/cadence.ts: the times of the points readWeather would return, in [lo, hi). */
export function weatherTimes(r: WeatherRead): { sql: (lo: string, hi: string) => string; params: unknown[] } {
  return r.issuedBefore
    ? {
        sql: (lo, hi) => `SELECT DISTINCT target_ts AS ts FROM weather_fc
          WHERE station_id = $1 AND variable = $2 AND issued_at <= $3 AND target_ts >= ${lo} AND target_ts < ${hi}`,
        params: [r.stationId, r.variable, r.issuedBefore],
      }
    : { sql: (lo, hi) => `SELECT ts FROM weather_obs WHERE station_id = $1 AND variable = $2 AND ts >= ${lo} AND ts < ${hi}`, params: [r.stationId, r.variable] };
}

/** The variables a station has observations, and forecasts, of. */
export async function weatherVariables(q: Queryable, stationId: string): Promise<{ observed: string[]; forecast: string[] }> {
  const { rows } = await q.query<{ variable: string; forecast: boolean }>(
    `SELECT DISTINCT variable, false AS forecast FROM weather_obs WHERE station_id = $1
     UNION SELECT DISTINCT variable, true FROM weather_fc WHERE station_id = $1 ORDER BY 1`,
    [stationId],
  );
  return { observed: rows.filter((r) => !r.forecast).map((r) => r.variable), forecast: rows.filter((r) => r.forecast).map((r) => r.variable) };
}

/** Whether the station has any observation (or forecast) of the variable: a key lookup. */
export async function hasWeatherVariable(q: Queryable, stationId: string, variable: string, forecast: boolean): Promise<boolean> {
  const { rows } = await q.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${forecast ? 'weather_fc' : 'weather_obs'} WHERE station_id = $1 AND variable = $2) AS found`,
    [stationId, variable],
  );
  return rows[0].found;
}

const HOUR_MS = 3_600_000;
const splitPacked = (packed: string | null): string[] => (packed ? packed.split(',') : []);

/**
 * Hourly mean of a station's observed `variable` over [from, from + steps h), NaN where none
 * (known at `asOf` when given). Packed by string_agg: one text per column instead of one JS
 * object per row, which is what makes reading years of hours fast on PGlite.
 */
export async function hourlyWeatherObs(q: Queryable, station: string, variable: string, from: number, steps: number, asOf?: Date): Promise<Float64Array> {
  const out = new Float64Array(steps).fill(Number.NaN);
  const { rows } = await q.query<{ t: string | null; v: string | null }>(
    `SELECT string_agg((extract(epoch FROM b)::int8 / 3600)::text, ',') AS t, string_agg(v::text, ',') AS v
     FROM (SELECT date_bin('1 hour', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b, avg(value) AS v FROM ${asOf ? weatherObsKnownAt('$5') : 'weather_obs'} AS w
       WHERE station_id = $1 AND variable = $2 AND ts >= $3 AND ts < $4
       GROUP BY 1) AS o`,
    [station, variable, new Date(from), new Date(from + steps * HOUR_MS), ...(asOf ? [asOf] : [])],
  );
  const hours = splitPacked(rows[0].t);
  const values = splitPacked(rows[0].v);
  for (let k = 0; k < hours.length; k++) out[Number(hours[k]) - from / HOUR_MS] = Number(values[k]);
  return out;
}

/**
 * For each hour of the `days` days before the origin: the station's `variable` as forecast the day
 * before, at the same time of day as the origin (the latest forecast issued at or before
 * origin − k days for a target k days or less before the origin): what a daily run at this time
 * read for that hour. NaN where none. Known at `asOf` when given.
 */
export async function hourlyDayAheadWeatherFc(q: Queryable, station: string, variable: string, origin: number, days: number, asOf?: Date): Promise<Float64Array> {
  const steps = days * 24;
  const from = origin - steps * HOUR_MS;
  const out = new Float64Array(steps).fill(Number.NaN);
  if (steps === 0) return out;
  const { rows } = await q.query<{ h: Date; v: number }>(
    `SELECT date_bin('1 hour', target_ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS h, avg(value) AS v FROM (
       SELECT DISTINCT ON (target_ts) target_ts, value FROM ${asOf ? weatherFcKnownAt('$5') : 'weather_fc'} AS w
       WHERE station_id = $1 AND variable = $2 AND target_ts >= $3::timestamptz - $4::int * INTERVAL '1 day' AND target_ts < $3::timestamptz
         AND issued_at <= $3::timestamptz - ceil(extract(epoch FROM ($3::timestamptz - target_ts)) / 86400)::int * INTERVAL '1 day'
       ORDER BY target_ts, issued_at DESC) AS latest
     GROUP BY 1`,
    [station, variable, new Date(origin), days, ...(asOf ? [asOf] : [])],
  );
  for (const r of rows) out[(r.h.getTime() - from) / HOUR_MS] = r.v;
  return out;
}

/**
 * For each target hour of [origin, origin + steps h): the station's `variable` from the latest
 * forecast issued at or before the origin (hourly mean when a forecast has several values in the
 * hour), NaN where none; known at `asOf` when given.
 */
export async function hourlyLatestWeatherFc(q: Queryable, station: string, variable: string, origin: number, steps: number, asOf?: Date): Promise<Float64Array> {
  const out = new Float64Array(steps).fill(Number.NaN);
  if (steps === 0) return out;
  const { rows } = await q.query<{ h: Date; v: number }>(
    `SELECT date_bin('1 hour', target_ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS h, avg(value) AS v FROM (
       SELECT DISTINCT ON (target_ts) target_ts, value FROM ${asOf ? weatherFcKnownAt('$5') : 'weather_fc'} AS w
       WHERE station_id = $1 AND variable = $2 AND issued_at <= $3 AND target_ts >= $3 AND target_ts < $4
       ORDER BY target_ts, issued_at DESC) AS latest
     GROUP BY 1`,
    [station, variable, new Date(origin), new Date(origin + steps * HOUR_MS), ...(asOf ? [asOf] : [])],
  );
  for (const r of rows) out[(r.h.getTime() - origin) / HOUR_MS] = r.v;
  return out;
}
