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
