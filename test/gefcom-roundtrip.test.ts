import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { Db } from '../store/db.ts';
import type { Grain } from '../core/grain.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { backends } from './db.ts';
import { bucketsOf, cliStore, utcBin, type Point } from './aggregates-fixtures.ts';

/**
 * GEFCom2012 load (Hong, Pinson & Fan, IJF 2014) through the real CLI and back: June–July 2008 of
 * the 20 zones and the reported system total (~18k rows; `gridcast ingest csv` of the whole
 * file is a bench matter). The reported total is imported as `system-reported`, so `system`
 * (parent of z1…z20, no data of its own) is the roll-up and must match it. Most of 2008-06-30
 * is absent from the file.
 */
const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const FROM = new Date('2008-06-01T00:00:00Z');
const TO = new Date('2008-07-08T00:00:00Z');
const ZONES = Array.from({ length: 20 }, (_, i) => `z${i + 1}`);

function loadSubset(dir: string): Point[] {
  const text = gunzipSync(readFileSync(join(dir, 'gefcom2012', 'load.csv.gz'))).toString('utf8');
  const out: Point[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const [id, ts, value] = line.split(',');
    const t = Date.parse(ts);
    if (t < FROM.getTime() || t >= TO.getTime()) continue;
    out.push({ seriesId: id === 'system' ? 'system-reported' : id, ts: t, value: Number(value), quality: 'ok', method: null });
  }
  return out;
}

describe.runIf(!!process.env.GRIDCAST_SHARED_DATA).each(backends)('GEFCom2012 load round trip on %s', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  let db: Db;
  let points: Point[];
  const dir = mkdtempSync(join(tmpdir(), 'gefcom-subset-'));
  const gridcast = (...args: string[]) => run('node', [CLI, ...args], { env: { ...process.env, ...store.env } });

  beforeAll(async () => {
    points = loadSubset(process.env.GRIDCAST_SHARED_DATA!);
    store = await cliStore(kind);
    const setup = await store.open();
    try {
      await setup.query(`INSERT INTO series (id, kind, unit, time_zone) VALUES ('system', 'load', 'kW', 'UTC'), ('system-reported', 'load', 'kW', 'UTC')`);
      for (const z of ZONES) await setup.query(`INSERT INTO series (id, parent_id, kind, unit, time_zone) VALUES ($1, 'system', 'load', 'kW', 'UTC')`, [z]);
    } finally {
      await setup.close();
    }
    const file = join(dir, 'load.csv');
    writeFileSync(file, ['series_id,ts,value', ...points.map((p) => `${p.seriesId},${new Date(p.ts).toISOString()},${p.value}`)].join('\n') + '\n');
    const { stdout } = await gridcast('ingest', 'csv', file);
    expect(stdout).toContain(`committed batch`);
    db = await store.open();
  });
  afterAll(async () => {
    await db?.close();
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const q = (seriesId: string, grain: Grain) => queryMeasurements(db, { seriesId, from: FROM, to: TO, grain });
  const of = (id: string) => points.filter((p) => p.seriesId === id);

  it.each(['z1', 'z9', 'z10', 'system-reported'])('%s: 5m, 1h and 1d equal the file', async (id) => {
    const mine = of(id);
    for (const [grain, bin] of [
      ['5m', utcBin(300_000)],
      ['1h', utcBin(3_600_000)],
      ['1d', utcBin(86_400_000)],
    ] as const) {
      const expected = [...bucketsOf(mine, bin).values()].map((b) => [new Date(b.start).toISOString(), b.avg, b.n, b.p95]);
      const rows = (await q(id, grain)).map((r) => [r.ts.toISOString(), r.value, r.n, r.p95]);
      expect(rows).toEqual(expected);
    }
  });

  // The file holds 00:00–05:00 of that day (the organisers' hour-ending 1–6): a 6-point day.
  it('keeps the unpublished hours of 2008-06-30 absent: a 6-point day', async () => {
    const day = (await q('z1', '1d')).find((r) => r.ts.toISOString() === '2008-06-30T00:00:00.000Z')!;
    const hours = of('z1').filter((p) => p.ts >= Date.parse('2008-06-30T00:00:00Z') && p.ts < Date.parse('2008-07-01T00:00:00Z'));
    expect(hours).toHaveLength(6);
    expect(day.n).toBe(6);
    expect(day.value).toBe(hours.reduce((a, p) => a + p.value, 0) / 6);
    // Served as incomplete: 6 of the 24 hours its hourly cadence expects.
    expect(day).toMatchObject({ expected: 24, partial: true });
  });

  it('the roll-up of the 20 zones equals the reported system total, hour by hour', async () => {
    const rolled = await q('system', '1h');
    const reported = new Map(of('system-reported').map((p) => [p.ts, p.value]));
    expect(rolled).toHaveLength(reported.size);
    for (const r of rolled) {
      expect(r.partial).toBe(false);
      expect(r.quality).toBe('derived');
      expect(r.value).toBe(reported.get(r.ts.getTime()));
    }
  });

  it('the daily roll-up is the sum of the zones\' daily means', async () => {
    const days = bucketsOf(of('system-reported'), utcBin(86_400_000));
    const rolled = await q('system', '1d');
    expect(rolled.map((r) => r.ts.getTime())).toEqual([...days.keys()]);
    // Zone means add up to the system mean up to floating-point rounding.
    for (const r of rolled) expect(r.value! / days.get(r.ts.getTime())!.avg).toBeCloseTo(1, 12);
  });
});
