import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg, openPglite, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { backends } from './db.ts';

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
const cli = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

beforeAll(async () => {
  const out = createWriteStream(big);
  out.write('series_id,ts,value\n');
  for (let i = 0; i < ROWS / SERIES; i++) {
    let block = '';
    const ts = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
    for (let s = 0; s < SERIES; s++) block += `k-${s},${ts},${(i % 97) + s / 8}\n`;
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(env: NodeJS.ProcessEnv, killAtPct?: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; killedAt?: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, 'ingest', 'csv', big, '--progress'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  (await db.query<{ n: number; keys: number; batches: number }>(
    `SELECT (SELECT count(*) FROM measurements)::int AS n, (SELECT count(DISTINCT (series_id, ts)) FROM measurements)::int AS keys,
       (SELECT count(*) FROM ingest_batches)::int AS batches`,
  )).rows[0];

describe.each(backends)('gridcast ingest csv killed mid-file (%s)', (kind) => {
  it('leaves nothing behind, and the rerun ingests every row exactly once', { timeout: 180_000 }, async () => {
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
      expect(rerun.stdout).toContain(`${ROWS} rows, ${ROWS} written, 0 already stored`);
      const final = await open();
      expect(await counts(final)).toEqual({ n: ROWS, keys: ROWS, batches: 1 });
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
      await final.close();
    } finally {
      await cleanup();
    }
  });
});
