import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { GridcastError } from '../core/errors.ts';
import type { Db } from './db.ts';
import { ADVISORY_LOCK } from './locks.ts';
import { timescaleAvailable } from './timescale.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export type Backend = 'timescale' | 'plain';

/** One migration version and the file to apply on each backend (absent → skipped there). */
interface Migration {
  version: string;
  files: Partial<Record<Backend, string>>;
}

/**
 * Migration files are `NNN_name.sql` (every backend) or backend variants
 * `NNN_name.timescale.sql` / `NNN_name.plain.sql`. A version with only one variant is skipped
 * on the other backend and stays pending, so a database that later gains TimescaleDB gets it.
 */
export function planMigrations(fileNames: string[]): Migration[] {
  const byVersion = new Map<string, Migration>();
  for (const f of fileNames) {
    const m = /^(\d{3}_[\w-]+?)(?:\.(timescale|plain))?\.sql$/.exec(f);
    if (!m) continue;
    const [, version, variant] = m;
    const entry = byVersion.get(version) ?? { version, files: {} };
    const targets: Backend[] = variant ? [variant as Backend] : ['timescale', 'plain'];
    for (const t of targets) {
      if (entry.files[t]) {
        throw new GridcastError('MIGRATION_CONFLICT', `Migration ${version} has two files for the ${t} backend: ${entry.files[t]} and ${f}; keep one.`, { version });
      }
      entry.files[t] = f;
    }
    byVersion.set(version, entry);
  }
  return [...byVersion.values()].sort((a, b) => (a.version < b.version ? -1 : 1));
}

/**
 * Applies store/migrations in version order, each once, in one transaction, recorded in
 * schema_migrations with the file used. Returns the versions applied now.
 */
export async function migrate(db: Db): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  await db.exec(`ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS file text`);
  const plan = planMigrations(readdirSync(MIGRATIONS_DIR));
  const backend: Backend = (await timescaleAvailable(db)) ? 'timescale' : 'plain';
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    if (db.kind === 'pg') await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK.migration]);
    const done = new Set((await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const { version, files } of plan) {
      const file = files[backend];
      if (done.has(version) || !file) continue;
      await tx.exec(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (version, file) VALUES ($1, $2)', [version, file]);
      applied.push(version);
    }
  });
  return applied;
}
