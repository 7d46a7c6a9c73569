import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openPg, openPglite, type Db } from '../store/db.ts';
import { sharedDataDir } from './datasets.ts';

/**
 * Bytes a stored raw point costs (issue 8, item 17), on both backends: GEFCom2012 (1.27 M rows:
 * 831,222 load points and 435,600 temperature observations) loaded through the real CLI
 * (`topology load`, `ingest csv` of the load then the weather file), then every table and its
 * indexes measured. Beside it, the baseline of the same run: the load file copied by psql into a
 * bare (series_id text, ts, value) table with its primary key — the least a raw point can cost
 * on PostgreSQL with a (series, time) key.
 */
export interface StorageRow {
  backend: string;
  /** Bytes (tables + indexes) of `measurements` per load point. */
  raw: number;
  /** Bytes of every measurement table (raw, 5m, 1h, 1d, revisions) per load point. */
  measured: number;
  /** Bytes of every table of the store per stored row (load + weather). */
  store: number;
  /** PGlite: the data directory on disk (MB), of which WAL. */
  disk?: { mb: number; walMb: number };
  tables: Array<{ name: string; bytes: number }>;
}

const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

function gridcast(env: NodeJS.ProcessEnv, ...args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gridcast ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

const SIZES = `SELECT c.relname AS name, pg_total_relation_size(c.oid)::float8 AS bytes
  FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace ORDER BY 2 DESC`;

async function measure(db: Db, backend: string, disk?: StorageRow['disk']): Promise<StorageRow> {
  const tables = (await db.query<{ name: string; bytes: number }>(SIZES)).rows;
  const { rows } = await db.query<{ load: number; all: number }>(
    `SELECT (SELECT count(*) FROM measurements)::float8 AS load,
       ((SELECT count(*) FROM measurements) + (SELECT count(*) FROM weather_obs) + (SELECT count(*) FROM weather_fc))::float8 AS "all"`,
  );
  const bytes = (pred: (n: string) => boolean) => tables.filter((t) => pred(t.name)).reduce((a, t) => a + t.bytes, 0);
  return {
    backend,
    raw: bytes((n) => n === 'measurements') / rows[0].load,
    measured: bytes((n) => n.startsWith('measurement')) / rows[0].load,
    store: bytes(() => true) / rows[0].all,
    ...(disk ? { disk } : {}),
    tables,
  };
}

function load(env: NodeJS.ProcessEnv, gefcom: string): void {
  gridcast(env, 'topology', 'load', join(gefcom, 'hierarchy.json'));
  gridcast(env, 'ingest', 'csv', join(gefcom, 'load.csv.gz'));
  gridcast(env, 'ingest', 'csv', join(gefcom, 'weather.csv.gz'));
}

const duMb = (path: string) => Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]) / 1024;

export async function runStorageBench(databaseUrl: string): Promise<{ rows: StorageRow[]; baseline: number }> {
  const gefcom = join(sharedDataDir(), 'gefcom2012');
  const out: StorageRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-bench-storage-'));
  try {
    load({ DATABASE_URL: '', GRIDCAST_DATA_DIR: dir }, gefcom);
    const disk = { mb: duMb(dir), walMb: duMb(join(dir, 'pg_wal')) };
    const db = await openPglite(dir);
    out.push(await measure(db, 'PGlite (embedded)', disk));
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_storage_${process.pid}_${Date.now()}`;
  const admin = await openPg(databaseUrl, 1);
  let baseline = NaN;
  try {
    await admin.exec(`CREATE SCHEMA ${schema}`);
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    load({ DATABASE_URL: url.toString() }, gefcom);
    const db = await openPg(url.toString(), 1);
    await db.exec('VACUUM ANALYZE');
    out.push(await measure(db, 'PostgreSQL'));
    await db.close();

    await admin.exec(`CREATE TABLE ${schema}.bare (series_id text NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL, PRIMARY KEY (series_id, ts))`);
    execFileSync('sh', ['-c', `zcat ${join(gefcom, 'load.csv.gz')} | psql "${databaseUrl}" -v ON_ERROR_STOP=1 -c "\\copy ${schema}.bare FROM STDIN WITH (FORMAT csv, HEADER true)"`]);
    await admin.exec(`VACUUM ANALYZE ${schema}.bare`);
    const { rows } = await admin.query<{ b: number }>(`SELECT pg_total_relation_size('${schema}.bare')::float8 / (SELECT count(*) FROM ${schema}.bare) AS b`);
    baseline = rows[0].b;
  } finally {
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await admin.close();
  }
  return { rows: out, baseline };
}

export function renderStorageBench(r: { rows: StorageRow[]; baseline: number }): string {
  const f = (x: number) => x.toFixed(1);
  const lines = [
    '| backend | raw table + index, bytes per load point | all measurement tables, bytes per load point | whole store, bytes per stored row | on disk |',
    '|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.backend} | ${f(x.raw)} | ${f(x.measured)} | ${f(x.store)} | ${x.disk ? `${x.disk.mb.toFixed(0)} MB (WAL ${x.disk.walMb.toFixed(0)} MB)` : ''} |`),
    `| baseline: psql \\copy into a bare (series_id, ts, value) table with its key | ${f(r.baseline)} | | | |`,
  ];
  const detail = r.rows.map((x) => `${x.backend}: ${x.tables.filter((t) => t.bytes > 100_000).map((t) => `${t.name} ${(t.bytes / 1e6).toFixed(1)} MB`).join(', ')}`);
  return [...lines, '', ...detail].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { 'database-url': { type: 'string' } } });
  const url = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  console.log(renderStorageBench(await runStorageBench(url)));
}
