import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg, openPglite, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { backends } from './db.ts';
import { queryMeasurements } from '../store/query.repository.ts';

/**
 * Crash safety of `gridcast ingest csv`: the process is SIGKILLed while it streams a file into
 * its open transaction (past the first COPY chunk of 1 MB); nothing of the file may be visible afterwards, and the rerun must
 * ingest every row exactly once. Runs the real CLI against a file-backed PGlite directory
 * and against PostgreSQL (a fresh schema through the URL's search_path).
 */
const ROWS = 40_000;
const SERIES = 40;
const dir = mkdtempSync(join(tmpdir(), 'gridcast-sigkill-'));
const big = join(dir, 'big.csv');
// The same rows with every value corrected by +0.5: each one a revision of a stored value.
const corrected = join(dir, 'corrected.csv');
const cli = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

const valueAt = (i: number, s: number) => (i % 97) + s / 8;

async function writeFile(file: string, delta: number) {
  const out = createWriteStream(file);
  out.write('series_id,ts,value\n');
  for (let i = 0; i < ROWS / SERIES; i++) {
    let block = '';
    const ts = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    for (let s = 0; s < SERIES; s++) block += `k-${s},${ts},${valueAt(i, s) + delta}\n`;
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

beforeAll(async () => {
  await writeFile(big, 0);
  await writeFile(corrected, 0.5);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(env: NodeJS.ProcessEnv, killAtPct?: number, file = big): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; killedAt?: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, 'ingest', 'csv', file, '--progress'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    let killedAt: number | undefined;
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => {
      stderr += d;
      const pcts = [...String(d).matchAll(/progress .* (\d+)% /g)].map((m) => Number(m[1]));
      const pct = Math.max(-1, ...pcts);
      if (killAtPct !== undefined && killedAt === undefined && pct >= killAtPct && pct < 100) {
        killedAt = pct;
        p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, killedAt }));
  });
}

async function seed(db: Db) {
  await migrate(db);
  await db.query(`INSERT INTO series (id, kind, unit) SELECT 'k-' || i, 'load', 'MW' FROM generate_series(0, $1::int - 1) AS i`, [SERIES]);
}

const counts = async (db: Db) =>
  (await db.query<{ n: number; keys: number; batches: number; revisions: number; total: number }>(
    `SELECT (SELECT count(*) FROM measurements)::int AS n, (SELECT count(DISTINCT (series_id, ts)) FROM measurements)::int AS keys,
       (SELECT count(*) FROM ingest_batches)::int AS batches, (SELECT count(*) FROM measurement_revisions)::int AS revisions,
       (SELECT sum(value) FROM measurements)::float8 AS total`,
  )).rows[0];

describe.each(backends)('gridcast ingest csv killed mid-file (%s)', (kind) => {
  it('leaves nothing behind, and the rerun ingests every row exactly once; likewise for a correction, kept as revisions', { timeout: 300_000 }, async () => {
    let env: NodeJS.ProcessEnv;
    let open: () => Promise<Db>;
    let cleanup = async () => {};
    if (kind === 'pglite') {
      const dataDir = join(dir, 'pglite');
      env = { GRIDCAST_DATA_DIR: dataDir, DATABASE_URL: '' };
      open = () => openPglite(dataDir);
    } else {
      const schema = `t_kill_${process.pid}_${Date.now()}`;
      const admin = await openPg(process.env.TEST_DATABASE_URL!, 1);
      await admin.exec(`CREATE SCHEMA ${schema}`);
      await admin.close();
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.searchParams.set('options', `-c search_path=${schema}`);
      env = { DATABASE_URL: url.toString() };
      open = () => openPg(url.toString(), 1);
      cleanup = async () => {
        const a = await openPg(process.env.TEST_DATABASE_URL!, 1);
        await a.exec(`DROP SCHEMA ${schema} CASCADE`);
        await a.close();
      };
    }
    try {
      const db = await open();
      await seed(db);
      await db.close();

      const killed = await runCli(env, 70);
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(killed.killedAt).toBeGreaterThanOrEqual(70);

      // The directory (PGlite) or the server (PostgreSQL) comes back with nothing of the killed
      // run: had any of it been committed, the rerun would find the batch already ingested or
      // its rows already stored.
      const rerun = await runCli(env);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stdout).toContain(`committed batch`);
      expect(rerun.stdout).toContain(`${ROWS} rows, ${ROWS} new, 0 revised, 0 unchanged`);
      const final = await open();
      let total = 0;
      for (let i = 0; i < ROWS / SERIES; i++) for (let s = 0; s < SERIES; s++) total += valueAt(i, s);
      expect(await counts(final)).toEqual({ n: ROWS, keys: ROWS, batches: 1, revisions: 0, total });
      // The CLI commits the rows with dirty marks, then stores every aggregate before exiting.
      expect(rerun.stdout).toMatch(new RegExp(`committed ${ROWS} rows in [\\d.]+ s, aggregates stored in [\\d.]+ s`));
      const stored = await final.query<{ marks: number; b5: number; want5: number; b1: number; want1: number }>(
        `SELECT (SELECT count(*) FROM aggregates_dirty)::int AS marks,
           (SELECT count(*) FROM measurements_5m)::int AS b5,
           (SELECT count(DISTINCT (series_id, date_bin('5 minutes', ts, '2000-01-01Z'))) FROM measurements)::int AS want5,
           (SELECT count(*) FROM measurements_1h)::int AS b1,
           (SELECT count(DISTINCT (series_id, date_trunc('hour', ts AT TIME ZONE 'UTC'))) FROM measurements)::int AS want1`,
      );
      const a = stored.rows[0];
      expect(a.marks).toBe(0);
      expect([a.b5, a.b1]).toEqual([a.want5, a.want1]);
      expect(a.b5).toBeGreaterThan(0);
      const beforeCorrection = (await final.query<{ t: Date }>(`SELECT now() AS t`)).rows[0].t;
      await final.close();

      // A correction of every row, killed mid-file: nothing of it is visible, no revision is kept.
      const killedCorrection = await runCli(env, 70, corrected);
      expect(killedCorrection.signal, killedCorrection.stderr).toBe('SIGKILL');
      const afterKill = await open();
      expect(await counts(afterKill)).toEqual({ n: ROWS, keys: ROWS, batches: 1, revisions: 0, total });
      await afterKill.close();
      // Rerun: every row is a revision; the corrected values are served, the first ones are what
      // was known before the correction.
      const correction = await runCli(env, undefined, corrected);
      expect(correction.code, correction.stderr).toBe(0);
      expect(correction.stdout).toContain(`${ROWS} rows, 0 new, ${ROWS} revised, 0 unchanged`);
      expect(correction.stdout).toContain(`corrected.csv:2: revised k-0 2026-01-01T00:00:00.000Z: 0 -> 0.5`);
      const revised = await open();
      expect(await counts(revised)).toEqual({ n: ROWS, keys: ROWS, batches: 2, revisions: ROWS, total: total + ROWS * 0.5 });
      const window = { seriesId: 'k-1', from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2026, 0, 1, 1)) };
      const then = await queryMeasurements(revised, { ...window, grain: '1h', asOf: beforeCorrection });
      const nowHour = await queryMeasurements(revised, { ...window, grain: '1h' });
      expect(nowHour[0].value! - then[0].value!).toBeCloseTo(0.5, 9);
      await revised.close();
    } finally {
      await cleanup();
    }
  });
});
