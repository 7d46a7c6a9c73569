import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IngestStore } from '../core/ingest-store.ts';
import { GridcastError } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import { ingestCsvFile } from '../ingest/csv/ingest-csv.ts';
import type { Db } from '../store/db.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import { backends, freshDb } from './db.ts';

/**
 * The CSV batch's rules when the store's connection is lost (what store/db.ts reports as
 * DB_CONNECTION_LOST on PostgreSQL), on a real store with the loss injected at a chosen point:
 * the batch is sent again and stored once; a commit whose answer was lost is recognised by its
 * key; past the retries the error says what to do. A real server restart: test/fault-pg-ingest.test.ts.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridcast-reconnect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 3000;
const file = join(dir, 'rows.csv');
writeFileSync(file, `series_id,ts,value\n${Array.from({ length: ROWS }, (_, i) => `rc-${i % 3},${new Date(Date.UTC(2026, 1, 1) + Math.floor(i / 3) * 600_000).toISOString()},${50 + (i % 7)}\n`).join('')}`);

const lost = (atCommit = false) => new GridcastError('DB_CONNECTION_LOST', 'The connection to PostgreSQL was lost (terminating connection due to administrator command)', { atCommit, cause: 'terminating connection due to administrator command' });
const fast = { attempts: 3, firstDelayMs: 1, maxDelayMs: 2 };

function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (_o, m) => void warnings.push(m ?? ''), error() {} };
}

describe.each(backends)('a CSV batch cut by a lost store connection (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.exec(`INSERT INTO series (id, kind, unit) VALUES ('rc-0', 'load', 'MW'), ('rc-1', 'load', 'MW'), ('rc-2', 'load', 'MW')`);
  });
  beforeEach(() => db.exec('TRUNCATE measurements, ingest_batches, aggregates_dirty CASCADE'));
  afterAll(() => db.close());

  const stored = async () =>
    (await db.query<{ n: number; batches: number }>('SELECT (SELECT count(*) FROM measurements)::int AS n, (SELECT count(*) FROM ingest_batches)::int AS batches')).rows[0];

  it('is rolled back and sent again: stored once, the retry logged', async () => {
    const inner = ingestStore(db);
    let attempts = 0;
    // The first attempt has COPYed its rows and claimed its key when the connection goes.
    const store: IngestStore = {
      batch: (fn) =>
        inner.batch(async (u) => {
          const out = await fn(u);
          if (++attempts === 1) throw lost();
          return out;
        }),
    };
    const log = recordingLog();
    const r = await ingestCsvFile(store, file, { reconnect: fast, log, deferAggregates: true });
    expect(r).toMatchObject({ status: 'committed', rows: ROWS, written: ROWS });
    expect(r).not.toHaveProperty('replayed');
    expect(attempts).toBe(2);
    expect(log.warnings).toEqual([`${file}: the connection to the store was lost; the batch is sent again once it is back`]);
    expect(await stored()).toEqual({ n: ROWS, batches: 1 });
  });

  it('a commit whose answer was lost: the retry finds the batch under its key and reports it as committed, stored once', async () => {
    const inner = ingestStore(db);
    let attempts = 0;
    const store: IngestStore = {
      batch: async (fn) => {
        const out = await inner.batch(fn);
        if (++attempts === 1) throw lost(true);
        return out;
      },
    };
    const r = await ingestCsvFile(store, file, { reconnect: fast, deferAggregates: true });
    expect(r).toMatchObject({ status: 'committed', rows: ROWS, written: ROWS, replayed: true });
    expect(await stored()).toEqual({ n: ROWS, batches: 1 });
    // Sent again later by the user, it is the same file already ingested.
    expect((await ingestCsvFile(ingestStore(db), file)).status).toBe('already-ingested');
  });

  it('a connection that does not come back: DB_CONNECTION_LOST naming the file and what to do, nothing stored', async () => {
    const inner = ingestStore(db);
    let attempts = 0;
    const store: IngestStore = {
      batch: (fn) =>
        inner.batch(async (u) => {
          attempts++;
          await fn(u);
          throw lost();
        }),
    };
    const e = (await ingestCsvFile(store, file, { reconnect: fast }).catch((err: unknown) => err)) as GridcastError;
    expect(e).toBeInstanceOf(GridcastError);
    expect(e.code).toBe('DB_CONNECTION_LOST');
    expect(e.message).toBe(
      `${file}: not imported: the connection to the store was lost and did not come back in time (terminating connection due to administrator command). ` +
        'Nothing of this batch was committed: run the import again once the database is back (a batch already stored is reported as such, never stored twice).',
    );
    expect(e.details).toMatchObject({ file, atCommit: false });
    expect(attempts).toBe(fast.attempts);
    expect(await stored()).toEqual({ n: 0, batches: 0 });
  });
});
