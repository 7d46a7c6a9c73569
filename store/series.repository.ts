import type { WeatherSource } from '../core/topology/schema.ts';
import type { SeriesRow } from '../core/series.ts';
import type { Queryable } from './db.ts';

/**
 * The `series` table (rows as core/series.ts SeriesRow). Topology-level validation happens
 * before these functions are called.
 */

interface DbRow {
  id: string;
  parent_id: string | null;
  kind: SeriesRow['kind'];
  unit: string;
  time_zone: string;
  weather_station: WeatherSource | null;
  name: string | null;
  attrs: Record<string, unknown>;
}

const fromDb = (r: DbRow): SeriesRow => ({
  id: r.id,
  parent: r.parent_id,
  kind: r.kind,
  unit: r.unit,
  timeZone: r.time_zone,
  ...(r.weather_station !== null && { weatherStation: r.weather_station }),
  ...(r.name !== null && { name: r.name }),
  attrs: r.attrs ?? {},
});

const UPSERT = `INSERT INTO series (id, parent_id, kind, unit, time_zone, weather_station, name, attrs, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, now())
  ON CONFLICT (id) DO UPDATE SET parent_id = EXCLUDED.parent_id, kind = EXCLUDED.kind, unit = EXCLUDED.unit,
    time_zone = EXCLUDED.time_zone, weather_station = EXCLUDED.weather_station, name = EXCLUDED.name,
    attrs = EXCLUDED.attrs, updated_at = now()
  RETURNING (xmax = 0) AS inserted`;

/**
 * Upserts rows, parents before children. Run it inside a transaction (`db.transaction`) so a
 * failing row leaves nothing half-written. Rows already stored but absent here are kept,
 * since measurements may reference them.
 */
export async function upsertSeries(tx: Queryable, rows: readonly SeriesRow[]): Promise<{ inserted: number; updated: number }> {
  let inserted = 0;
  for (const r of rows) {
    const res = await tx.query<{ inserted: boolean }>(UPSERT, [
      r.id,
      r.parent,
      r.kind,
      r.unit,
      r.timeZone,
      r.weatherStation === undefined ? null : JSON.stringify(r.weatherStation),
      r.name ?? null,
      JSON.stringify(r.attrs),
    ]);
    if (res.rows[0].inserted) inserted++;
  }
  return { inserted, updated: rows.length - inserted };
}

export async function listSeries(q: Queryable): Promise<SeriesRow[]> {
  const { rows } = await q.query<DbRow>(
    'SELECT id, parent_id, kind, unit, time_zone, weather_station, name, attrs FROM series ORDER BY id',
  );
  return rows.map(fromDb);
}

export async function getSeries(q: Queryable, id: string): Promise<SeriesRow | undefined> {
  const { rows } = await q.query<DbRow>(
    'SELECT id, parent_id, kind, unit, time_zone, weather_station, name, attrs FROM series WHERE id = $1',
    [id],
  );
  return rows[0] && fromDb(rows[0]);
}
