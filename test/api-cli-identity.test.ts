import { execFile } from 'node:child_process';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './api-app.ts';
import { ConfigSchema } from '../core/config.ts';
import type { Db } from '../store/db.ts';
import { authAs } from './api-auth.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { backends, freshDb } from './db.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const H = 3_600_000;
const T0 = Date.UTC(2026, 1, 1);
const SERIES = `INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES
  ('sub-a', 'load', 'MW', 'Europe/Paris', '{}'), ('st-1', 'weather', '°C', 'Europe/Paris', '{}')`;

/** Hourly load with a daily shape; `spikeAt` hours triple. */
const loadRows = (from: number, hours: number, over: Record<number, number> = {}) =>
  Array.from({ length: hours }, (_, i) => {
    const h = from + i;
    const v = over[h] ?? Math.round((100 + 20 * Math.sin((2 * Math.PI * h) / 24) + 3 * Math.sin(h * 1.7)) * 1000) / 1000;
    return `sub-a,${new Date(T0 + h * H).toISOString()},${v}`;
  });

/**
 * The same CSV files through POST /api/v1/ingest/* on one store and through `gridcast ingest csv`
 * on another: the same stored rows, revisions and suspect marks, and the same report numbers.
 * The CLI on one backend (a CLI start costs seconds); the batch service runs on both in api-ingest.
 */
describe.each(backends.slice(-1))('a CSV file through the API and through gridcast ingest csv (%s)', { timeout: 180_000 }, (kind) => {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-api-identity-'));
  let store: Awaited<ReturnType<typeof cliStore>>;
  let apiDb: Db;
  const files: Array<{ path: string; route: string }> = [];
  beforeAll(async () => {
    const write = (name: string, route: string, lines: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, lines.join('\n') + '\n');
      files.push({ path, route });
    };
    const base = loadRows(0, 14 * 24);
    write('history.csv', 'measurements', ['series_id,ts,value', ...base]);
    // A corrected value (a revision), a day more, and a spike in it.
    write('update.csv', 'measurements', ['series_id,ts,value', 'sub-a,' + base[100].split(',')[1] + ',250.5', ...loadRows(14 * 24, 24, { [14 * 24 + 10]: 400 })]);
    write('weather.csv', 'weather', ['station_id,ts,variable,value,issued_at', 'st-1,2026-02-01T12:00:00Z,temperature,4.5,', 'st-1,2026-02-02T12:00:00Z,temperature,6.25,2026-02-01T06:00:00Z']);
    store = await cliStore(kind);
    const db = await store.open();
    await db.exec(SERIES);
    await db.close();
    apiDb = await freshDb(kind);
    await apiDb.exec(SERIES);
  });
  afterAll(async () => {
    await apiDb?.close();
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const contents = async (db: Db) => ({
    measurements: (await db.query(`SELECT series_id, ts, value, quality FROM measurements ORDER BY series_id, ts`)).rows,
    revisions: (await db.query(`SELECT series_id, ts, value, quality FROM measurement_revisions ORDER BY series_id, ts`)).rows,
    suspect: (await db.query(`SELECT series_id, ts, value, reason FROM suspect_log ORDER BY series_id, ts`)).rows,
    weatherObs: (await db.query(`SELECT station_id, variable, ts, value FROM weather_obs ORDER BY ts`)).rows,
    weatherFc: (await db.query(`SELECT station_id, variable, issued_at, target_ts, value FROM weather_fc ORDER BY target_ts`)).rows,
    batches: (await db.query(`SELECT kind, status, row_count FROM ingest_batches ORDER BY id`)).rows,
  });

  it('stores the same rows and reports the same numbers', async () => {
    const app = await testApp({ ...storeAppDeps(apiDb), health: { dbKind: apiDb.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, writes: writeServices(apiDb, ConfigSchema.parse({})) });
    const operator = await authAs(apiDb, 'operator');
    const fromApi: number[][] = [];
    const fromCli: number[][] = [];
    try {
      for (const f of files) {
        const res = await app.inject({ method: 'POST', url: `/api/v1/ingest/${f.route}`, headers: { ...operator, 'content-type': 'text/csv' }, payload: readFileSync(f.path) });
        expect(res.statusCode, res.body).toBe(201);
        const r = res.json();
        fromApi.push([r.rows, r.new, r.revised, r.unchanged, r.suspect?.flagged ?? 0]);

        const out = (await run('node', [CLI, 'ingest', 'csv', f.path], { env: { ...process.env, ...store.env } })).stdout;
        const m = /committed batch \d+ \(\w+\): (\d+) rows, (\d+) new, (\d+) revised, (\d+) unchanged/.exec(out);
        expect(m, out).not.toBeNull();
        const flagged = /: (\d+) points? marked suspect/.exec(out);
        fromCli.push([...m!.slice(1, 5).map(Number), flagged ? Number(flagged[1]) : 0]);
      }
    } finally {
      await app.close();
    }
    expect(fromApi).toEqual(fromCli);
    // The files exercise what the rule does: new rows, a revision, a spike marked suspect.
    expect(fromApi[1][2]).toBe(1);
    expect(fromApi[1][4]).toBeGreaterThan(0);

    const cliDb = await store.open();
    try {
      const [api, cli] = [await contents(apiDb), await contents(cliDb)];
      expect(api.measurements.length).toBe(15 * 24);
      expect(api.revisions.length).toBe(1);
      expect(api.weatherFc.length).toBe(1);
      expect(api).toEqual(cli);
    } finally {
      await cliDb.close();
    }
  });
});
