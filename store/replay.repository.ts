import { GridcastError } from '../core/errors.ts';
import { openPg, type Db } from './db.ts';

/**
 * The tables a replay writes (runs, their values, and what monitoring records about them: scores
 * and the scoring's progress, monitor state, events, proposals). A
 * replay gets its own empty copies of them in a scratch schema searched first, so it reads the
 * store's data and registry as they are and writes nothing the live system serves. A table of
 * this list the store does not have (yet) is skipped.
 */
export const REPLAY_TABLES = ['forecast_runs', 'forecasts', 'events', 'forecast_scores', 'score_progress', 'series_monitor_state', 'promotion_proposals', 'alias_history'] as const;

export interface ReplayScope {
  /** The store as the replay sees it: writes to REPLAY_TABLES go to the scratch schema. */
  db: Db;
  schema: string;
  /** The REPLAY_TABLES copied. */
  tables: string[];
  /** Closes the scoped connection and, unless kept, drops the scratch schema and what it holds. */
  close(opts?: { keep?: boolean }): Promise<void>;
}

const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * Opens a replay scope over `db`: a new schema `replay_<stamp>` with empty copies (LIKE … INCLUDING
 * ALL: columns, defaults, checks, indexes; ids still come from the store's sequences, so they never
 * collide with live ones) of REPLAY_TABLES, searched before the store's own schema. On PostgreSQL
 * the scope is a pool of its own connecting with that search_path (`databaseUrl` needed); PGlite
 * has one connection, whose search_path is set for the replay and reset at close, so nothing else
 * may use `db` meanwhile (a one-shot command holds the embedded store alone).
 */
export async function openReplayScope(db: Db, opts: { databaseUrl?: string; stamp?: string } = {}): Promise<ReplayScope> {
  const { rows } = await db.query<{ schema: string }>('SELECT current_schema() AS schema');
  const base = rows[0].schema;
  const schema = `replay_${opts.stamp ?? `${Date.now()}_${process.pid}`}`.toLowerCase();
  if (!/^replay_[a-z0-9_]+$/.test(schema)) throw new GridcastError('REPLAY_SCHEMA_INVALID', `'${schema}' is not a valid replay schema name (letters, digits and _ only).`, { schema });
  const present = await db.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2::text[])', [base, [...REPLAY_TABLES]]);
  const tables = REPLAY_TABLES.filter((t) => present.rows.some((r) => r.name === t));
  await db.transaction(async (tx) => {
    await tx.exec(`CREATE SCHEMA ${schema}`);
    for (const t of tables) await tx.exec(`CREATE TABLE ${schema}.${t} (LIKE ${quoteIdent(base)}.${t} INCLUDING ALL)`);
  });
  const searchPath = `${schema}, ${quoteIdent(base)}`;
  const drop = () => db.exec(`DROP SCHEMA ${schema} CASCADE`);
  if (db.kind === 'pglite') {
    await db.exec(`SET search_path TO ${searchPath}`);
    return {
      db,
      schema,
      tables,
      async close(o) {
        await db.exec(`SET search_path TO ${quoteIdent(base)}`);
        if (!o?.keep) await drop();
      },
    };
  }
  if (!opts.databaseUrl) {
    await drop();
    throw new GridcastError('REPLAY_SCOPE_UNAVAILABLE', 'A replay on PostgreSQL needs the database URL to open its own connections.', {});
  }
  const url = new URL(opts.databaseUrl);
  const options = (url.searchParams.get('options') ?? '').replace(/-c\s*search_path=\S+/g, '').trim();
  url.searchParams.set('options', `${options} -c search_path=${schema},${base}`.trim());
  let scoped: Db;
  try {
    scoped = await openPg(url.toString(), 2);
  } catch (e) {
    await drop();
    throw e;
  }
  return {
    db: scoped,
    schema,
    tables,
    async close(o) {
      await scoped.close();
      if (!o?.keep) await drop();
    },
  };
}
