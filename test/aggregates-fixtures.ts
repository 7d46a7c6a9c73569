import { DateTime } from 'luxon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../store/db.ts';
import { scratchSchema } from './db.ts';
import { openStore } from '../store/open.ts';
import { refreshAggregates } from '../store/aggregates.ts';

/**
 * Independent plain-JS versions of the aggregate semantics (store/aggregates.ts), used to check
 * the SQL. They share no code with it: UTC bins by integer division, local days through luxon.
 */
export interface Point {
  seriesId: string;
  ts: number;
  value: number;
  quality: string;
  method: string | null;
}

export interface Bucket {
  start: number;
  n: number;
  avg: number;
  sum: number;
  min: number;
  max: number;
  p95: number;
  quality: string;
  methods: string | null;
}

const SEVERITY = ['ok', 'derived', 'estimated', 'imputed', 'suspect'];

/** percentile_cont(p): linear interpolation between the sorted values at rank p * (n - 1). */
export function percentileCont(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

export function bucketsOf(points: Point[], startOf: (ts: number) => number): Map<number, Bucket> {
  const groups = new Map<number, Point[]>();
  for (const p of points) {
    const k = startOf(p.ts);
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  const out = new Map<number, Bucket>();
  for (const [start, ps] of [...groups.entries()].sort(([a], [b]) => a - b)) {
    const v = ps.map((p) => p.value);
    const sum = v.reduce((a, b) => a + b, 0);
    const methods = [...new Set(ps.map((p) => p.method).filter((m): m is string => m !== null))].sort();
    out.set(start, {
      start,
      n: v.length,
      avg: sum / v.length,
      sum,
      min: Math.min(...v),
      max: Math.max(...v),
      p95: percentileCont(v, 0.95),
      quality: SEVERITY[Math.max(...ps.map((p) => SEVERITY.indexOf(p.quality)))],
      methods: methods.length ? methods.join(',') : null,
    });
  }
  return out;
}

export const utcBin = (ms: number) => (ts: number) => Math.floor(ts / ms) * ms;
export const localDay = (zone: string) => (ts: number) => DateTime.fromMillis(ts, { zone }).startOf('day').toMillis();

/** Parses `series_id,ts,value,quality,method` CSV (no header). */
export function parsePoints(csv: string): Point[] {
  return csv
    .trim()
    .split('\n')
    .map((line) => {
      const [seriesId, ts, value, quality, method] = line.split(',');
      return { seriesId, ts: Date.parse(ts), value: Number(value), quality, method: method || null };
    });
}

/** Writes points the way ingestion does: raw rows and their aggregates in one transaction. */
export async function writePoints(db: Db, csv: string, receivedAt?: Date): Promise<void> {
  const points = parsePoints(csv);
  await db.transaction(async (tx) => {
    const columns = ['series_id', 'ts', 'value', 'quality', 'method'];
    const lines = csv.trim().split('\n');
    await tx.copyCsv(
      'measurements',
      receivedAt ? [...columns, 'received_at'] : columns,
      (receivedAt ? lines.map((l) => `${l},${receivedAt.toISOString()}`) : lines).join('\n') + '\n',
    );
    const ts = points.map((p) => p.ts);
    await refreshAggregates(tx, {
      seriesIds: [...new Set(points.map((p) => p.seriesId))],
      from: new Date(Math.min(...ts)),
      to: new Date(Math.max(...ts)),
    });
  });
}

export async function createSeries(db: Db, rows: Array<{ id: string; unit: string; timeZone?: string; parentId?: string }>): Promise<void> {
  for (const r of rows) {
    await db.query('INSERT INTO series (id, parent_id, kind, unit, time_zone) VALUES ($1, $2, $3, $4, $5)', [
      r.id,
      r.parentId ?? null,
      'load',
      r.unit,
      r.timeZone ?? 'UTC',
    ]);
  }
}

/** Deterministic pseudo-random numbers, so fixtures are reproducible. */
export { seededRandom as rng } from '../core/random.ts';

/**
 * A store the real CLI can open through its own environment: PGlite in a temporary
 * GRIDCAST_DATA_DIR, or a fresh schema of TEST_DATABASE_URL. `open` opens it from the test
 * (close it before running the CLI on PGlite: one process at a time owns a PGlite directory).
 */
export async function cliStore(kind: 'pglite' | 'pg'): Promise<{ env: NodeJS.ProcessEnv; open: () => Promise<Db>; cleanup: () => Promise<void> }> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'gridcast-store-'));
    return {
      env: { DATABASE_URL: '', GRIDCAST_DATA_DIR: dir },
      open: () => openStore({ dataDir: dir }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const scratch = await scratchSchema(process.env.TEST_DATABASE_URL!, 't_cli');
  return {
    env: { DATABASE_URL: scratch.url, GRIDCAST_DATA_DIR: '' },
    open: () => openStore({ databaseUrl: scratch.url, dataDir: './data' }),
    cleanup: () => scratch.drop(),
  };
}
