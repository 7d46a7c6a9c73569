import type { Config } from '../core/config.ts';
import { openDb, type Db } from './db.ts';
import { migrate } from './migrate.ts';

/** Opens the configured store (PostgreSQL if databaseUrl, else PGlite in dataDir) and migrates it. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Db> {
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
  return db;
}
