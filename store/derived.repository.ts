import type { Queryable } from './db.ts';

/** Where the derived-series job stands for one series: everything before `through` has been derived. */
export async function derivedThrough(q: Queryable, seriesId: string): Promise<Date | null> {
  const { rows } = await q.query<{ through: Date }>('SELECT through FROM derived_progress WHERE series_id = $1', [seriesId]);
  return rows[0]?.through ?? null;
}

/** Records progress; call it in the transaction that stores the points up to `through`. */
export async function setDerivedThrough(q: Queryable, seriesId: string, through: Date): Promise<void> {
  await q.query(
    `INSERT INTO derived_progress (series_id, through) VALUES ($1, $2)
     ON CONFLICT (series_id) DO UPDATE SET through = greatest(derived_progress.through, excluded.through), updated_at = now()`,
    [seriesId, through],
  );
}

/** The time of the first point of a series (measurements), or null: where derivation starts. */
export async function firstPointAt(q: Queryable, seriesId: string): Promise<Date | null> {
  const { rows } = await q.query<{ first: Date | null }>('SELECT min(ts) AS first FROM measurements WHERE series_id = $1', [seriesId]);
  return rows[0].first;
}
