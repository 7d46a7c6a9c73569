import { openPg, openPglite, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

/**
 * The storage backends every storage test runs against: embedded PGlite always, and the
 * real PostgreSQL when TEST_DATABASE_URL is set (CI sets it). Each call gets a fresh,
 * migrated database: PGlite in memory, PostgreSQL in a new schema of the test database.
 */
export const backends: Array<'pglite' | 'pg'> = process.env.TEST_DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];

export async function freshDb(kind: 'pglite' | 'pg'): Promise<Db> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    return db;
  }
  const schema = `t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = await openPg(process.env.TEST_DATABASE_URL!, 1);
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openPg(url.toString(), 4);
  await migrate(db);
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await close();
    },
  });
}
