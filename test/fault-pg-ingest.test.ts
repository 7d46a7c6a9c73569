import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestStore, RowSink } from '../core/ingest-store.ts';
import { GridcastError } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import { ingestCsvFile, type IngestCsvResult } from '../ingest/csv/ingest-csv.ts';
import { openPg, type Db } from '../store/db.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import { migrate } from '../store/migrate.ts';
import { pgFaultSkipReason, startPrivatePg, type PrivatePg } from './fault-servers.ts';

/**
 * Fault: PostgreSQL restarts (pg_ctl restart -m fast, then -m immediate) while `gridcast ingest
 * csv`'s path (ingestCsvFile into ingestStore, aggregates deferred, as the CLI calls it) streams a
 * 1M-row import of four files. Every batch acknowledged (committed and reported) must be stored
 * exactly once: the cut batches are rolled back by the server and sent again once it is back.
 * Then a server that stays down past the retries: the batch fails with DB_CONNECTION_LOST, the
 * count is exactly the acknowledged batches', and the rerun stores the rest once. Last, the
 * `gridcast ingest csv` command itself, with `pg_ctl restart` fired when its progress passes 40 %.
 * The server is a private cluster of this test (test/fault-servers.ts), never the shared one.
 */
const skip = pgFaultSkipReason();
if (skip) console.warn(`fault-pg-ingest: skipped: ${skip}`);

const FILES = 4;
const ROWS_PER_FILE = 250_000;
const SERIES_PER_FILE = 50;
const STEP_MS = 300_000;
const T0 = Date.UTC(2026, 0, 1);
const value = (s: number, i: number) => Math.round((100 + 10 * Math.sin((2 * Math.PI * i) / 288) + s / 10) * 1000) / 1000;

/** A measurements CSV of `series` series from `first`, `rows / series` 5-min steps each; returns the sum of its values. */
async function writeCsv(file: string, first: number, series: number, rows: number): Promise<number> {
  const out = createWriteStream(file);
  out.write('series_id,ts,value\n');
  let sum = 0;
  for (let i = 0; i < rows / series; i++) {
    let block = '';
    const ts = new Date(T0 + i * STEP_MS).toISOString();
    for (let s = first; s < first + series; s++) {
      const v = value(s, i);
      sum += v;
      block += `pf-${s},${ts},${v}\n`;
    }
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return sum;
}

/**
 * The ingest store, with `fault` run once just before the `atWrite`-th COPY chunk of the batch (the
 * earlier chunks are in the open transaction), then that chunk sent as if nothing happened.
 */
function withFault(inner: IngestStore, atWrite: number, fault: () => Promise<void>): IngestStore {
  let writes = 0;
  let fired = false;
  const hooked = (sink: RowSink): RowSink => ({
    end: sink.end,
    ...(sink.binary ? { binary: sink.binary } : {}),
    async write(csv) {
      if (++writes === atWrite && !fired) {
        fired = true;
        await fault();
      }
      return sink.write(csv);
    },
  });
  return {
    batch: (fn) => inner.batch((u) => fn({ ...u, beginDirect: async (id) => hooked(await u.beginDirect(id)), beginStage: async (k) => hooked(await u.beginStage(k)) })),
  };
}

function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (_o, m) => void warnings.push(m ?? ''), error: (_o, m) => void warnings.push(m ?? '') };
}

const stored = async (db: Db) =>
  (await db.query<{ n: number; keys: number; sum: number; batches: number; batchRows: number; committed: number }>(
    `SELECT (SELECT count(*) FROM measurements)::int AS n, (SELECT count(DISTINCT (series_id, ts)) FROM measurements)::int AS keys,
       (SELECT coalesce(sum(value), 0) FROM measurements)::float8 AS sum, (SELECT count(*) FROM ingest_batches)::int AS batches,
       (SELECT coalesce(sum(row_count), 0) FROM ingest_batches)::int AS "batchRows",
       (SELECT count(*) FROM ingest_batches WHERE status = 'committed')::int AS committed`,
  )).rows[0];

describe.skipIf(skip !== null)('PostgreSQL restarted during a CSV ingest (private cluster)', () => {
  let pg: PrivatePg;
  let db: Db;
  let dir: string;
  const files: Array<{ file: string; sum: number }> = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridcast-faultcsv-'));
    pg = await startPrivatePg();
    db = await openPg(pg.url, 4);
    await migrate(db);
    await db.query(`INSERT INTO series (id, kind, unit) SELECT 'pf-' || i, 'load', 'MW' FROM generate_series(0, $1::int - 1) AS i`, [FILES * SERIES_PER_FILE + 3]);
    for (let f = 0; f < FILES; f++) {
      const file = join(dir, `part-${f}.csv`);
      files.push({ file, sum: await writeCsv(file, f * SERIES_PER_FILE, SERIES_PER_FILE, ROWS_PER_FILE) });
    }
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await pg?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1M rows in four batches, restarted -m fast in the second and -m immediate in the third: every acknowledged row stored exactly once', { timeout: 150_000 }, async () => {
    const log = recordingLog();
    const faults: Record<number, () => Promise<void>> = { 1: () => pg.restart('fast'), 2: () => pg.restart('immediate') };
    const acknowledged: IngestCsvResult[] = [];
    for (let f = 0; f < FILES; f++) {
      // Past the first chunks of the batch: several MB are in the open transaction when the server goes.
      const store = faults[f] ? withFault(ingestStore(db), 4, faults[f]) : ingestStore(db);
      acknowledged.push(await ingestCsvFile(store, files[f].file, { deferAggregates: true, log }));
    }
    expect(acknowledged.map((r) => [r.status, r.rows, r.written])).toEqual(Array.from({ length: FILES }, () => ['committed', ROWS_PER_FILE, ROWS_PER_FILE]));
    // Both restarts cut a batch, which was sent again on a new connection of the same pool.
    expect(log.warnings.filter((w) => /part-1\.csv: the connection to the store was lost/.test(w)).length).toBeGreaterThanOrEqual(1);
    expect(log.warnings.filter((w) => /part-2\.csv: the connection to the store was lost/.test(w)).length).toBeGreaterThanOrEqual(1);
    const after = await stored(db);
    const rows = acknowledged.reduce((n, r) => n + r.rows, 0);
    expect(rows).toBe(1_000_000);
    expect({ n: after.n, keys: after.keys, batches: after.batches, committed: after.committed, batchRows: after.batchRows }).toEqual({
      n: rows, keys: rows, batches: FILES, committed: FILES, batchRows: rows,
    });
    expect(after.sum).toBeCloseTo(files.reduce((s, f) => s + f.sum, 0), 0);
  });

  it('a server that stays down past the retries: DB_CONNECTION_LOST, exactly the acknowledged rows stored, and the rerun stores the rest once', { timeout: 90_000 }, async () => {
    await db.exec('TRUNCATE measurements, ingest_batches CASCADE');
    const small = [join(dir, 'small-0.csv'), join(dir, 'small-1.csv'), join(dir, 'small-2.csv')];
    for (const [i, file] of small.entries()) await writeCsv(file, FILES * SERIES_PER_FILE + i, 1, 20_000);
    const reconnect = { attempts: 3, firstDelayMs: 200, maxDelayMs: 400 };
    const first = await ingestCsvFile(ingestStore(db), small[0], { deferAggregates: true, reconnect });
    expect(first.status).toBe('committed');
    // The only chunk of the second file is about to be sent when the server stops, and stays stopped.
    const down = withFault(ingestStore(db), 1, () => pg.stop('immediate'));
    const e = await ingestCsvFile(down, small[1], { deferAggregates: true, reconnect }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GridcastError);
    expect((e as GridcastError).code).toBe('DB_CONNECTION_LOST');
    expect((e as GridcastError).message).toMatch(/small-1\.csv: not imported: the connection to the store was lost and did not come back in time .*Nothing of this batch was committed: run the import again/);
    await pg.start();
    // The pool opens new connections to the server that came back.
    expect(await stored(db)).toMatchObject({ n: 20_000, keys: 20_000, batches: 1, batchRows: 20_000 });
    const rerun = [await ingestCsvFile(ingestStore(db), small[1], { deferAggregates: true }), await ingestCsvFile(ingestStore(db), small[2], { deferAggregates: true })];
    expect(rerun.map((r) => r.status)).toEqual(['committed', 'committed']);
    expect((await ingestCsvFile(ingestStore(db), small[0], { deferAggregates: true })).status).toBe('already-ingested');
    expect(await stored(db)).toMatchObject({ n: 60_000, keys: 60_000, batches: 3, batchRows: 60_000 });
  });

  it('gridcast ingest csv, pg_ctl restart -m fast fired at 40 % of the file: the command retries, commits every row once and exits 0', { timeout: 90_000 }, async () => {
    // Without the marks the earlier imports deferred: the command stores every pending aggregate.
    await db.exec('TRUNCATE measurements, measurements_5m, measurements_1h, measurements_1d, aggregates_dirty, ingest_batches CASCADE');
    const file = join(dir, 'cli.csv');
    const rows = 200_000;
    await writeCsv(file, 0, 100, rows);
    const cli = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
    let restart: Promise<void> | null = null;
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [cli, 'ingest', 'csv', file, '--progress'], { env: { ...process.env, DATABASE_URL: pg.url }, stdio: ['ignore', 'pipe', 'pipe'] });
      let [stdout, stderr] = ['', ''];
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => {
        stderr += d;
        const pct = Math.max(-1, ...[...String(d).matchAll(/progress .* (\d+)% /g)].map((m) => Number(m[1])));
        if (!restart && pct >= 40 && pct < 100) restart = pg.restart('fast');
      });
      p.on('error', reject);
      p.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    await restart;
    expect(restart).not.toBeNull();
    expect(run.stderr).toMatch(/cli\.csv: the connection to the store was lost; the batch is sent again once it is back/);
    expect(run.stdout).toMatch(new RegExp(`cli\\.csv: committed batch \\d+ \\(measurements\\): ${rows} rows, ${rows} new`));
    expect(run.code).toBe(0);
    expect(await stored(db)).toMatchObject({ n: rows, keys: rows, batches: 1, batchRows: rows });
  });
});
