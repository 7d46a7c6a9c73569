import { openPg, openPglite, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

/**
 * The storage backends every storage test runs against: embedded PGlite always, and the
 * real PostgreSQL when TEST_DATABASE_URL is set (CI sets it). Each call gets a fresh,
 * migrated database: PGlite in memory, PostgreSQL in a new schema of the test database.
 */
export const backends: Array<'pglite' | 'pg'> = process.env.TEST_DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];

/** A new empty schema in the database at `baseUrl`; `url` connects with it as search_path. */
export async function scratchSchema(baseUrl: string, prefix = 't'): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = await openPg(baseUrl, 1);
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const a = await openPg(baseUrl, 1);
      await a.exec(`DROP SCHEMA ${schema} CASCADE`);
      await a.close();
    },
  };
}

export async function freshDb(kind: 'pglite' | 'pg', baseUrl = process.env.TEST_DATABASE_URL): Promise<Db> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    return db;
  }
  if (!baseUrl) throw new Error('freshDb(pg) needs TEST_DATABASE_URL');
  const scratch = await scratchSchema(baseUrl);
  const db = await openPg(scratch.url, 4);
  await migrate(db);
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await close();
      await scratch.drop();
    },
  });
}

/**
 * A migrated store that also says its URL (PostgreSQL: a scratch schema, for code that opens its own
 * connections, e.g. a replay scope); its closing (and the schema's drop) is pushed on `cleanup`.
 */
export async function storeWithUrl(kind: 'pglite' | 'pg', cleanup: Array<() => Promise<void>>): Promise<{ db: Db; url?: string }> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    cleanup.push(() => db.close());
    return { db };
  }
  const scratch = await scratchSchema(process.env.TEST_DATABASE_URL!);
  const db = await openPg(scratch.url, 2);
  await migrate(db);
  cleanup.push(async () => {
    await db.close();
    await scratch.drop();
  });
  return { db, url: scratch.url };
}
