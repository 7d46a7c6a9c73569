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

/** Merge clauses shared with the CSV path: a corrected value replaces the stored one; the same value changes nothing. */
export const WEATHER_OBS_CONFLICT = `ON CONFLICT (station_id, variable, ts) DO UPDATE
  SET value = excluded.value, batch_id = excluded.batch_id, received_at = excluded.received_at
  WHERE w.value IS DISTINCT FROM excluded.value`;
export const WEATHER_FC_CONFLICT = `ON CONFLICT (station_id, variable, issued_at, target_ts) DO UPDATE
  SET value = excluded.value, batch_id = excluded.batch_id, received_at = excluded.received_at
  WHERE w.value IS DISTINCT FROM excluded.value`;

/** The last of repeated keys wins: one statement may not update a row twice. */
function lastByKey<T>(rows: T[], key: (r: T) => string): T[] {
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

export async function insertWeatherObs(q: Queryable, rows: WeatherObsInput[], batchId: number | null = null): Promise<{ written: number }> {
  if (rows.length === 0) return { written: 0 };
  const u = lastByKey(rows, (r) => `${r.stationId}\u0000${r.variable}\u0000${r.ts.getTime()}`);
  const r = await q.query(
    `INSERT INTO weather_obs AS w (station_id, variable, ts, value, batch_id)
     SELECT *, $5::bigint FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[])
     ${WEATHER_OBS_CONFLICT}`,
    [u.map((r) => r.stationId), u.map((r) => r.variable), u.map((r) => r.ts), u.map((r) => r.value), batchId],
  );
  return { written: r.rowCount };
}

export async function insertWeatherForecasts(q: Queryable, rows: WeatherForecastInput[], batchId: number | null = null): Promise<{ written: number }> {
  if (rows.length === 0) return { written: 0 };
  const u = lastByKey(rows, (r) => `${r.stationId}\u0000${r.variable}\u0000${r.issuedAt.getTime()}\u0000${r.targetTs.getTime()}`);
  const r = await q.query(
    `INSERT INTO weather_fc AS w (station_id, variable, issued_at, target_ts, value, batch_id)
     SELECT *, $6::bigint FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::float8[])
     ${WEATHER_FC_CONFLICT}`,
    [u.map((r) => r.stationId), u.map((r) => r.variable), u.map((r) => r.issuedAt), u.map((r) => r.targetTs), u.map((r) => r.value), batchId],
  );
  return { written: r.rowCount };
}

/** Staged weather rows: an observation when issued_at is null, else a forecast as issued. */
export const WEATHER_STAGE_COLUMNS = ['station_id', 'variable', 'ts', 'issued_at', 'value', 'line'] as const;
export const weatherStageDdl = (name: string) =>
  `CREATE TEMP TABLE ${name} (station_id text NOT NULL, variable text NOT NULL, ts timestamptz NOT NULL, issued_at timestamptz,
     value float8 NOT NULL, line bigint NOT NULL) ON COMMIT DROP`;

/** Merges staged weather rows; a key repeated in the stage raises 21000 (see mergeStagedMeasurements). */
export async function mergeStagedWeather(q: Queryable, stage: string, batchId: number): Promise<number> {
  const obs = await q.query(
    `INSERT INTO weather_obs AS w (station_id, variable, ts, value, batch_id)
     SELECT station_id, variable, ts, value, $1::bigint FROM ${stage} WHERE issued_at IS NULL
     ${WEATHER_OBS_CONFLICT}`,
    [batchId],
  );
  const fc = await q.query(
    `INSERT INTO weather_fc AS w (station_id, variable, issued_at, target_ts, value, batch_id)
     SELECT station_id, variable, issued_at, ts, value, $1::bigint FROM ${stage} WHERE issued_at IS NOT NULL
     ${WEATHER_FC_CONFLICT}`,
    [batchId],
  );
  return obs.rowCount + fc.rowCount;
}

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
const obsSql = (until: string) => `SELECT ts, value FROM weather_obs
  WHERE station_id = $1 AND variable = $2 AND ts >= $3 AND ts < ${until} AND ($5::timestamptz IS NULL OR received_at <= $5)`;
const vintageSql = (until: string) => `SELECT DISTINCT ON (target_ts) target_ts AS ts, value, issued_at FROM weather_fc
  WHERE station_id = $1 AND variable = $2 AND target_ts >= $3 AND target_ts < ${until} AND issued_at <= $6
    AND ($5::timestamptz IS NULL OR received_at <= $5)
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
