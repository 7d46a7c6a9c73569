import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { GridcastError, isConnectionLost } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import { lockStoreDir, type StoreLock } from './store-lock.ts';

/**
 * The one small query interface every repository uses. Two implementations:
 * a pg pool (DATABASE_URL) and in-process PGlite (embedded default). PGlite runs a
 * single backend, so it is never exposed as a server: everything goes through here.
 *
 * Both return the same JS types: timestamptz → Date, int8/numeric → number,
 * float8 → number, json/jsonb → parsed value. Sessions run in UTC.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * COPY `csv` (CSV text, no header, columns in the given order) into `table`.
   * Callers stream large inputs by calling it repeatedly with chunks inside one transaction.
   */
  copyCsv(table: string, columns: string[], csv: string): Promise<void>;
  /** COPY rows in PostgreSQL's binary format (header and trailer included) into `table`. */
  copyBinary(table: string, columns: string[], data: Uint8Array): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connections of the pg pool (for /metrics); PGlite has one in-process connection and no pool. */
  poolStats?(): { total: number; idle: number; waiting: number };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

pg.types.setTypeParser(INT8_OID, (v) => Number(v));
pg.types.setTypeParser(NUMERIC_OID, (v) => Number(v));

const copySql = (table: string, columns: string[], source: string, format: 'csv' | 'binary' = 'csv') =>
  `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT ${format})`;

/**
 * SQLSTATEs of a server going away or not taking connections yet: 08xxx (connection exception),
 * 57P01 admin shutdown (pg_ctl stop/restart -m fast), 57P02 crash shutdown (another backend
 * crashed, or -m immediate), 57P03 cannot connect now (starting up, shutting down, recovering).
 */
const CONNECTION_SQLSTATE = /^(08...|57P0[123])$/;
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
// What node-postgres says when the socket closes under a client, or a client that saw it is used again.
const CONNECTION_MESSAGE = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout expired)/;

/** The error says the connection to PostgreSQL was lost or refused (not that the statement was wrong). */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  if (typeof err.code === 'string' && (CONNECTION_SQLSTATE.test(err.code) || CONNECTION_ERRNO.has(err.code))) return true;
  return typeof err.message === 'string' && CONNECTION_MESSAGE.test(err.message);
}

/**
 * A lost connection as one coded error (DB_CONNECTION_LOST), whatever layer of node-postgres saw
 * it first, so services and the scheduler can tell "try again once the server is back" from a
 * failed statement. `atCommit`: the COMMIT was sent, so whether it took effect is unknown.
 */
function connectionLost(e: unknown, atCommit = false): unknown {
  if (!isConnectionError(e)) return e;
  const why = (e as Error).message;
  return new GridcastError(
    'DB_CONNECTION_LOST',
    atCommit
      ? `The connection to PostgreSQL was lost while committing (${why}): the transaction may or may not have been committed.`
      : `The connection to PostgreSQL was lost (${why}): nothing of the transaction under way was committed.`,
    { atCommit, cause: why, sqlstate: (e as { code?: string }).code ?? null },
  );
}

function wrapPgClient(client: pg.PoolClient | pg.Pool): Queryable {
  const copyIn = (sql: string, data: string | Uint8Array) => {
    if (!('release' in client)) throw new Error('COPY needs a transaction client');
    return new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFromStream(sql));
      stream.on('error', (e) => reject(connectionLost(e)));
      stream.on('finish', () => resolve());
      stream.end(data);
    });
  };
  return {
    async query<R>(sql: string, params?: unknown[]) {
      try {
        const r = await client.query(sql, params as unknown[]);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      } catch (e) {
        throw connectionLost(e);
      }
    },
    async exec(sql: string) {
      await client.query(sql).catch((e: unknown) => {
        throw connectionLost(e);
      });
    },
    copyCsv: (table, columns, csv) => copyIn(copySql(table, columns, 'STDIN'), csv),
    copyBinary: (table, columns, data) => copyIn(copySql(table, columns, 'STDIN', 'binary'), data),
  };
}

export async function openPg(url: string, max = 10, log?: Log): Promise<Db> {
  // Keep any `options` given in the URL (e.g. a search_path) and add the UTC session zone.
  const urlOptions = new URL(url).searchParams.get('options') ?? '';
  const pool = new pg.Pool({ connectionString: url, max, options: `${urlOptions} -c TimeZone=UTC`.trim() });
  // An idle pooled connection the server closes (a restart, an idle timeout) is reported here; the
  // pool has dropped it already and opens a new one on next use. Unheard, it would end the process.
  pool.on('error', (e) => log?.warn({ err: e.message }, 'an idle PostgreSQL connection was closed by the server; the next query opens a new one'));
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw new GridcastError('DB_UNREACHABLE', `Cannot connect to PostgreSQL at ${redact(url)}: ${(e as Error).message}`);
  }
  const transaction: Db['transaction'] = async (fn) => {
    const client = await pool.connect().catch((e: unknown) => {
      throw connectionLost(e);
    });
    // A connection lost between two statements of the transaction (while fn computes or reads a
    // file) is emitted on the client, which the pool listens to only while it is idle.
    let lost: Error | undefined;
    const onError = (e: Error) => (lost ??= e);
    client.on('error', onError);
    let failed: unknown;
    try {
      await client.query('BEGIN').catch((e: unknown) => {
        throw connectionLost(e);
      });
      const out = await fn(wrapPgClient(client));
      // Lost while fn computed without the database: COMMIT would only say "not queryable".
      if (lost) throw connectionLost(lost);
      await client.query('COMMIT').catch((e: unknown) => {
        throw connectionLost(e, true);
      });
      return out;
    } catch (e) {
      failed = e;
      if (!lost && !isConnectionLost(e)) await client.query('ROLLBACK').catch(() => {});
      // The client's own error says why ("terminating connection due to administrator command"), the statement's only "not queryable".
      throw lost && isConnectionLost(e) && e.details.atCommit !== true ? connectionLost(lost) : e;
    } finally {
      client.off('error', onError);
      // A broken connection is dropped from the pool rather than handed to the next caller.
      const broken = lost ?? (isConnectionLost(failed) ? (failed as Error) : undefined);
      client.release(broken);
    }
  };
  return {
    kind: 'pg',
    ...wrapPgClient(pool),
    copyCsv: (table, columns, csv) => transaction((tx) => tx.copyCsv(table, columns, csv)),
    copyBinary: (table, columns, data) => transaction((tx) => tx.copyBinary(table, columns, data)),
    transaction,
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

type PgliteLike = Pick<PGlite, 'query' | 'exec'>;

// The constructor-level `parsers` option is not applied to NUMERIC by PGlite 0.5, so pass them per query.
const pgliteParsers = {
  [pgliteTypes.INT8]: (v: string) => Number(v),
  [pgliteTypes.NUMERIC]: (v: string) => Number(v),
};

function wrapPglite(db: PgliteLike): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]) {
      const r = await db.query<R>(sql, params, { parsers: pgliteParsers });
      return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    async copyCsv(table, columns, csv) {
      await db.query(copySql(table, columns, `'/dev/blob'`), [], { blob: new Blob([csv]) });
    },
    async copyBinary(table, columns, data) {
      await db.query(copySql(table, columns, `'/dev/blob'`, 'binary'), [], { blob: new Blob([data as Uint8Array<ArrayBuffer>]) });
    },
  };
}

/**
 * The WAL segments a checkpoint keeps for reuse are bounded by max_wal_size (1 GB by default): a
 * small ceiling keeps the embedded store's WAL small between checkpoints (checkpointEmbedded).
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'max_wal_size=64MB', '-c', 'min_wal_size=32MB'];

/**
 * dataDir undefined → in-memory (tests). A directory is locked for this process first
 * (STORE_LOCKED if another process has it open), and released on close.
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  let lock: StoreLock | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    lock = lockStoreDir(dataDir);
  }
  let db: PGlite;
  try {
    db = new PGlite(dataDir, { startParams: PGLITE_START_PARAMS });
    await db.waitReady;
    await db.exec(`SET TimeZone = 'UTC'`);
  } catch (e) {
    lock?.release();
    // The engine reports a damaged or foreign directory as a bare wasm abort: say what it means instead.
    throw new GridcastError(
      'STORE_OPEN_FAILED',
      `The embedded store ${dataDir ?? '(in memory)'} could not be opened (${(e as Error).message.split('\n')[0]}). ` +
        'If it was written by two processes at once or by another PGlite version, restore it from a backup or move it aside to start a new store.',
      { dataDir },
    );
  }
  return {
    kind: 'pglite',
    ...wrapPglite(db),
    transaction: (fn) => db.transaction((tx) => fn(wrapPglite(tx))),
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * A checkpoint of the embedded store, so its WAL segments can be recycled. PGlite runs
 * PostgreSQL's single-user mode, which never checkpoints by itself (a server's checkpointer
 * does, on PostgreSQL): without this, WAL grows by every byte written (400 MB after the
 * simulated backfill). Called after an import and the backfill (with `analyze`), between
 * backfill days and by the aggregates-flush job; a no-op on PostgreSQL.
 */
export async function checkpointEmbedded(db: Db, opts: { analyze?: boolean } = {}): Promise<void> {
  if (db.kind !== 'pglite') return;
  // Nor does it analyse: after a bulk write the planner would otherwise plan on empty-table guesses.
  if (opts.analyze) await db.exec('ANALYZE');
  await db.exec('CHECKPOINT');
}

/** One round trip to the store (a health check): throws when it cannot answer. */
export async function pingStore(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

export function openDb(opts: { databaseUrl?: string; dataDir?: string; log?: Log }): Promise<Db> {
  return opts.databaseUrl ? openPg(opts.databaseUrl, undefined, opts.log) : openPglite(opts.dataDir);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
