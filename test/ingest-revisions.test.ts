import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { cliStore, createSeries } from './aggregates-fixtures.ts';
import { backends } from './db.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

/**
 * A corrected value is never dropped (issue 8, item 1): the second file's 17000 for a stored
 * (series, ts) is served, 16000 stays as a revision readable with --as-of, the report says so;
 * an identical re-send is a no-op; a strict feed refuses the change with VALUE_CONFLICT.
 * The CLI's reports on one backend (PostgreSQL when there is one: a CLI start on PGlite costs
 * seconds more); the rule itself runs on both in ingest-live-write and ingest-sigkill.
 */
describe.each(backends.slice(-1))('gridcast ingest csv: corrected values are revisions (%s)', { timeout: 180_000 }, (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-revisions-'));
  const file = (name: string, body: string) => {
    const f = join(dir, name);
    writeFileSync(f, `series_id,ts,value\n${body}`);
    return f;
  };
  const gridcast = (...args: string[]) => run('node', [CLI, ...args], { env: { ...process.env, ...store.env } });
  // The CLI's own `query --as-of` once; other reads in process (each CLI start costs seconds).
  const cliQuery = async (...extra: string[]) =>
    (await gridcast('query', '--series', 'z1', '--from', '2009-01-10T00:00:00Z', '--to', '2009-01-10T02:00:00Z', '--grain', 'raw', ...extra)).stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(2, 4).join(','));
  const withDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = await store.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const query = (asOf?: string) =>
    withDb(async (db) =>
      (await queryMeasurements(db, { seriesId: 'z1', from: new Date('2009-01-10T00:00:00Z'), to: new Date('2009-01-10T02:00:00Z'), grain: 'raw', ...(asOf ? { asOf: new Date(asOf) } : {}) })).map(
        (r) => `${r.value},${r.quality}`,
      ),
    );
  // PGlite's clock ticks in milliseconds: step past the instant read, so later writes are later.
  const now = async () => {
    const t = await withDb(async (db) => (await db.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t.toISOString());
    await new Promise((r) => setTimeout(r, 5));
    return t;
  };

  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    await createSeries(db, [{ id: 'z1', unit: 'kW' }]);
    await db.close();
  });
  afterAll(async () => {
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps both values, serves the latest, shows the first as of before, and reports the revision', async () => {
    const first = await gridcast('ingest', 'csv', file('a.csv', 'z1,2009-01-10T00:00:00Z,16000\n'));
    expect(first.stdout).toContain('1 rows, 1 new, 0 revised, 0 unchanged');
    const between = await now();

    const second = await gridcast('ingest', 'csv', file('b.csv', 'z1,2009-01-10T01:00:00Z,15000\nz1,2009-01-10T00:00:00Z,17000\n'));
    expect(second.stdout).toContain('2 rows, 1 new, 1 revised, 0 unchanged');
    expect(second.stdout).toContain(`b.csv:3: revised z1 2009-01-10T00:00:00.000Z: 16000 -> 17000`);
    const after = await now();

    expect(await cliQuery('--as-of', between)).toEqual(['16000,ok']);
    expect(await query()).toEqual(['17000,ok', '15000,ok']);
    expect(await query(after)).toEqual(['17000,ok', '15000,ok']);
  });

  it('treats an identical re-send as a no-op', async () => {
    // Another file (so not the same batch) with the same numbers, written differently.
    const again = await gridcast('ingest', 'csv', file('c.csv', 'z1,2009-01-10T00:00:00.000Z,17000.0\n'));
    expect(again.stdout).toContain('1 rows, 0 new, 0 revised, 1 unchanged');
    expect(await query()).toEqual(['17000,ok', '15000,ok']);
  });

  it('refuses a change with --on-conflict reject, naming file and line, and commits nothing', async () => {
    const strict = file('d.csv', 'z1,2009-01-10T01:30:00Z,1\nz1,2009-01-10T00:00:00Z,18000\n');
    const failure = await gridcast('ingest', 'csv', strict, '--on-conflict', 'reject').then(
      () => {
        throw new Error('expected a non-zero exit');
      },
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('VALUE_CONFLICT');
    expect(failure.stderr).toContain(`${strict}:3: z1 2009-01-10T00:00:00.000Z is stored as 17000 (ok), received 18000 (ok)`);
    expect(await query()).toEqual(['17000,ok', '15000,ok']);
    // Nothing of the refused file was recorded: the same file sent without --on-conflict is a new batch.
    const relaxed = await gridcast('ingest', 'csv', strict);
    expect(relaxed.stdout).toContain('2 rows, 1 new, 1 revised, 0 unchanged');
  });
});

// Checked before any store is opened: one run suffices.
it('refuses an unknown --on-conflict value as a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-revisions-usage-'));
  try {
    const f = join(dir, 'e.csv');
    writeFileSync(f, 'series_id,ts,value\nz1,2009-01-10T00:00:00Z,1\n');
    await expect(run('node', [CLI, 'ingest', 'csv', f, '--on-conflict', 'overwrite'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--on-conflict must be one of revise, reject'),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
