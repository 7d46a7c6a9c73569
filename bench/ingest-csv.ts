import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openPg } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

/**
 * CSV import speed: `gridcast ingest csv` against psql's \copy of the same file into an
 * identical, empty measurements table (primary key included) of the same PostgreSQL. Two rows
 * for gridcast: until the batch is committed (process start, hashing, validation, COPY, dirty
 * marks, commit: the rows are queryable with exact aggregates from then on), and end to end
 * (plus storing the 5-min/hourly/daily aggregates after the commit, until the process exits).
 * The CSV is generated in a temp dir and deleted afterwards.
 */
export interface CsvBenchOptions {
  rows?: number;
  series?: number;
  databaseUrl?: string;
  keepFile?: boolean;
}

export interface CsvBenchRow {
  tool: string;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  ratio: number;
  /** Where gridcast spent its time, as its own report prints it. */
  phases?: string;
}

const STEP_MS = 300_000;
const START = Date.UTC(2026, 0, 1);

async function writeCsv(file: string, rows: number, series: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('series_id,ts,value\n');
  const perSeries = Math.ceil(rows / series);
  let written = 0;
  for (let i = 0; i < perSeries && written < rows; i++) {
    const ts = new Date(START + i * STEP_MS).toISOString();
    let block = '';
    for (let s = 0; s < series && written < rows; s++, written++) {
      block += `bench-${s},${ts},${(100 + 20 * Math.sin((i + s) / 50) + (s % 7) * 0.125).toFixed(3)}\n`;
    }
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise((r) => out.end(() => r(null)));
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let [out, err] = ['', ''];
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, stdout: out }) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

export async function runCsvIngestBench(opts: CsvBenchOptions = {}): Promise<CsvBenchRow[]> {
  const rows = opts.rows ?? 2_000_000;
  const series = opts.series ?? 1000;
  const url = opts.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test';
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-bench-csv-'));
  const file = join(dir, 'measurements.csv');
  const tag = `${process.pid}_${Date.now()}`;
  const [gSchema, pSchema] = [`bench_csv_g_${tag}`, `bench_csv_p_${tag}`];
  const admin = await openPg(url, 1);
  try {
    await writeCsv(file, rows, series);
    await admin.exec(`CREATE SCHEMA ${gSchema}; CREATE SCHEMA ${pSchema}`);
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${gSchema}`);
    const g = await openPg(u.toString(), 1);
    await migrate(g);
    await g.query(`INSERT INTO series (id, kind, unit) SELECT 'bench-' || i, 'load', 'MW' FROM generate_series(0, $1::int - 1) AS i`, [series]);
    await g.close();
    await admin.exec(`CREATE TABLE ${pSchema}.measurements (LIKE ${gSchema}.measurements INCLUDING ALL)`);

    const pg = new URL(url);
    const { seconds: psqlSec } = await timed(
      'psql',
      ['-h', pg.hostname, '-p', pg.port || '5432', '-U', decodeURIComponent(pg.username) || 'postgres', pg.pathname.slice(1), '-v', 'ON_ERROR_STOP=1', '-c',
        `\\copy ${pSchema}.measurements (series_id, ts, value) FROM '${file}' WITH (FORMAT csv, HEADER true)`],
      process.env,
    );
    const { seconds: gridcastSec, stdout } = await timed(process.execPath, [new URL('../bin/gridcast.mjs', import.meta.url).pathname, 'ingest', 'csv', file], {
      ...process.env,
      DATABASE_URL: u.toString(),
    });
    const counts = await admin.query<{ g: number; p: number }>(
      `SELECT (SELECT count(*) FROM ${gSchema}.measurements)::int AS g, (SELECT count(*) FROM ${pSchema}.measurements)::int AS p`,
    );
    if (counts.rows[0].g !== rows || counts.rows[0].p !== rows) throw new Error(`row counts differ: ${JSON.stringify(counts.rows[0])} for ${rows} rows`);
    const mb = statSync(file).size / 1e6;
    const aggSec = Number(/aggregates stored in ([\d.]+) s/.exec(stdout)?.[1]);
    if (!Number.isFinite(aggSec)) throw new Error(`gridcast did not report its aggregate time:\n${stdout}`);
    const commitSec = gridcastSec - aggSec;
    const phases = /unchanged; (.*)$/m.exec(stdout)?.[1];
    return [
      { tool: `psql \\copy (${mb.toFixed(0)} MB)`, rows, seconds: psqlSec, rowsPerSec: rows / psqlSec, ratio: 1 },
      { tool: 'gridcast ingest csv, until commit', rows, seconds: commitSec, rowsPerSec: rows / commitSec, ratio: psqlSec / commitSec, phases },
      { tool: 'gridcast ingest csv, end to end', rows, seconds: gridcastSec, rowsPerSec: rows / gridcastSec, ratio: psqlSec / gridcastSec, phases: `+ aggregates stored ${aggSec.toFixed(2)} s` },
    ];
  } finally {
    await admin.exec(`DROP SCHEMA IF EXISTS ${gSchema} CASCADE; DROP SCHEMA IF EXISTS ${pSchema} CASCADE`).catch(() => {});
    await admin.close();
    if (!opts.keepFile) rmSync(dir, { recursive: true, force: true });
  }
}

export function renderCsvBench(rows: CsvBenchRow[]): string {
  const head = ['tool', 'rows', 'seconds', 'rows/s', 'speed vs psql', 'phases'];
  const body = rows.map((r) => [r.tool, String(r.rows), r.seconds.toFixed(2), Math.round(r.rowsPerSec).toLocaleString('en'), `${r.ratio.toFixed(2)}x`, r.phases ?? '']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, series: { type: 'string' }, 'database-url': { type: 'string' } } });
  const result = await runCsvIngestBench({
    rows: values.rows ? Number(values.rows) : undefined,
    series: values.series ? Number(values.series) : undefined,
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL,
  });
  console.log(renderCsvBench(result));
}
