import { openPg, openPglite, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { scratchSchema } from '../test/db.ts';

/**
 * A migrated store for a bench: embedded PGlite in memory, or a scratch schema on the PostgreSQL
 * at `url` (dropped by `done`), whose own URL is given for child processes.
 */
export async function openBenchStore(url: string | undefined): Promise<{ db: Db; url?: string; done(): Promise<void> }> {
  if (!url) {
    const db = await openPglite();
    await migrate(db);
    return { db, done: () => db.close() };
  }
  const scratch = await scratchSchema(url, 'bench');
  const db = await openPg(scratch.url, 4);
  await migrate(db);
  return { db, url: scratch.url, done: async () => (await db.close(), await scratch.drop()) };
}
