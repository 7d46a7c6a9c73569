import type { Queryable } from './db.ts';

/**
 * Whether this database can use TimescaleDB: the extension is already installed, or it is
 * available AND preloaded (CREATE EXTENSION fails without shared_preload_libraries, which a
 * stock PostgreSQL with the package installed but not configured would hit).
 */
export async function timescaleAvailable(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ installed: boolean; available: boolean; preload: string }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
            coalesce(current_setting('shared_preload_libraries', true), '') AS preload`,
  );
  const r = rows[0];
  return r.installed || (r.available && r.preload.split(',').some((lib) => lib.trim() === 'timescaledb'));
}
