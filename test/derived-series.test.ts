import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { silentLog } from '../core/log.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { insertWeatherObs } from '../store/weather.repository.ts';
import { getSeries } from '../store/series.repository.ts';
import { deriveSeries } from '../ingest/prepare/derive.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator, type SimBatch } from '../ingest/simulator/simulator.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { configuredJobs } from '../jobs/registry.ts';
import { loadConfig } from '../core/config.ts';
import { backends, freshDb } from './db.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

const topology = readDefaultGrid();
const day1 = { from: new Date('2026-06-20T00:00:00Z'), to: new Date('2026-06-21T00:00:00Z') };
const day2 = { from: day1.to, to: new Date('2026-06-22T00:00:00Z') };
const sim = createSimulator({ seed: 11, topology, faults: false });
const batch1 = sim.generate(day1.from, day1.to, 300);
const batch2 = sim.generate(day2.from, day2.to, 300);
// Day 2: Marseille's irradiance sensor is down, so PV in the South falls back to clear sky.
batch2.weather = batch2.weather.filter((w) => !(w.stationId === 'ws.marseille' && w.variable === 'irradiance'));
// The same substation without its PV: what the disaggregated consumption should recover.
const noPv = createSimulator({
  seed: 11,
  faults: false,
  topology: { ...topology, nodes: topology.nodes.map((n) => (n.id === 'ss.aix' ? { ...n, attrs: { sim: n.attrs.sim } } : n)) },
}).generate(day1.from, day1.to, 300);

const write = (db: Db, b: SimBatch) =>
  db.transaction(async (tx) => {
    await insertMeasurements(tx, b.measurements);
    await insertWeatherObs(tx, b.weather);
  });
// The job runs a minute past the data; the 60-s lag then leaves every bucket of the day in.
const after = (to: Date) => new Date(to.getTime() + 60_000);
const countOf = async (db: Db, like: string) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurements WHERE series_id LIKE $1`, [like])).rows[0].n;

describe.each(backends)('derived series produced by the running system (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(db, topology);
  });
  afterAll(async () => db?.close());

  it('exist as soon as the topology is loaded, so a query finds them before the job fills them', async () => {
    for (const id of ['ss.aix:pv', 'ss.aix:consumption', 'fr.south:balance']) {
      expect(await queryMeasurements(db, { seriesId: id, ...day1, grain: '1h' })).toEqual([]);
    }
    expect(await getSeries(db, 'ss.aix:pv')).toMatchObject({ parent: null, kind: 'generation', unit: 'MW', attrs: { derived: true, of: 'ss.aix', role: 'pv' } });
    // Only substations with embedded PV have them.
    expect(await getSeries(db, 'ss.avignon:pv')).toBeUndefined();
  });

  it('the derived-series job stores an estimated PV and a derived consumption that recovers the load behind the withdrawal', async () => {
    await write(db, batch1);
    const job = configuredJobs({ db, config: loadConfig({}), log: silentLog, run: runDeps(db, loadConfig({}), silentLog) }).jobs.find((j) => j.name === 'derived-series')!;
    await job.run({ scheduledAt: after(day1.to), deadline: new Date(day1.to.getTime() + 110_000), signal: new AbortController().signal });

    const pvHours = await queryMeasurements(db, { seriesId: 'ss.aix:pv', ...day1, grain: '1h' });
    expect(pvHours).toHaveLength(24);
    expect(pvHours.every((h) => h.quality === 'estimated' && h.method === 'pv-estimate' && h.n === 12 && h.expected === 12 && !h.partial)).toBe(true);
    expect(pvHours[0].value).toBe(0); // night
    expect(pvHours[11].value).toBeGreaterThan(10); // noon UTC

    const cons = await queryMeasurements(db, { seriesId: 'ss.aix:consumption', ...day1, grain: 'raw' });
    expect(cons).toHaveLength(288);
    expect(new Set(cons.map((r) => `${r.quality}/${r.method}`))).toEqual(new Set(['derived/withdrawal-plus-pv']));
    const truth = new Map(noPv.measurements.filter((m) => m.seriesId === 'ss.aix').map((m) => [m.ts.getTime(), m.value]));
    const level = [...truth.values()].reduce((a, b) => a + b, 0) / truth.size;
    const errors = cons.map((r) => Math.abs(r.value! - truth.get(r.ts.getTime())!));
    // Irradiance is observed every 10 min and interpolated to the middle of each 5-min bucket: a small error only.
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.01 * level);
  });

  it('derives each region’s balance; the regions sum to the nation roll-up', async () => {
    const morning = { from: new Date('2026-06-20T00:00:00Z'), to: new Date('2026-06-20T06:00:00Z') };
    const balances: Map<number, number>[] = [];
    for (const r of ['fr.north', 'fr.paris', 'fr.south']) {
      const rows = await queryMeasurements(db, { seriesId: `${r}:balance`, ...morning, grain: 'raw' });
      expect(rows).toHaveLength(72);
      expect(new Set(rows.map((x) => `${x.quality}/${x.method}`))).toEqual(new Set(['derived/production-minus-exports']));
      balances.push(new Map(rows.map((x) => [x.ts.getTime(), x.value!])));
    }
    // The nation roll-up counts each train once; the balances see every train where it draws.
    const nation = await queryMeasurements(db, { seriesId: 'fr', ...morning, grain: '5m' });
    expect(nation).toHaveLength(72);
    // Each measured series carries 0.4 % sensor noise and production runs at ~800 MW: a few MW apart per bucket.
    // A wrong sign on any exchange would put them hundreds of MW apart.
    const rel = nation.map((b) => Math.abs(balances.reduce((a, m) => a + m.get(b.ts.getTime())!, 0) - b.value!) / b.value!);
    expect(rel.reduce((a, x) => a + x, 0) / rel.length).toBeLessThan(0.01);
    expect(Math.max(...rel)).toBeLessThan(0.03);
  });

  it('is idempotent and incremental, and falls back to clear sky (labelled) where irradiance is missing', async () => {
    const before = await countOf(db, '%:%');
    // A run takes each family at most catchUpDays forward; the rest waits for the next run.
    const bounded = await deriveSeries(db, { now: after(day1.to), settings: { catchUpDays: 1 / 48 } });
    expect(bounded.results.length).toBeGreaterThan(0);
    expect(bounded.results.every((r) => r.to.getTime() - r.from.getTime() === 1_800_000 && r.behind)).toBe(true);
    expect(await countOf(db, '%:%')).toBe(before);
    await deriveSeries(db, { now: after(day1.to) });
    expect(await countOf(db, '%:%')).toBe(before);

    await write(db, batch2);
    const out = await deriveSeries(db, { now: after(day2.to) });
    expect(out.problems).toEqual([]);
    // Resumed from the stored progress less the 2-h overlap, not from the start of the history.
    expect(out.results.every((r) => r.from.getTime() === day2.from.getTime() - 7_200_000)).toBe(true);
    expect(await countOf(db, 'ss.aix:%')).toBe(2 * 2 * 288);
    // The last observation of day 1 (23:50) is held for 15 minutes, then clear sky takes over.
    const south = await queryMeasurements(db, { seriesId: 'ss.aix:pv', ...day2, grain: 'raw' });
    expect(new Set(south.filter((r) => r.ts >= new Date('2026-06-21T00:10:00Z')).map((r) => r.method))).toEqual(new Set(['pv-clear-sky']));
    const north = await queryMeasurements(db, { seriesId: 'ss.arras:pv', ...day2, grain: 'raw' });
    expect(new Set(north.map((r) => r.method))).toEqual(new Set(['pv-estimate']));
  });
});

describe.each(backends)('gridcast query on a derived series (%s)', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    try {
      await saveTopology(db, topology);
      await write(db, sim.generate(new Date('2026-06-20T08:00:00Z'), new Date('2026-06-20T12:00:00Z'), 300));
      await deriveSeries(db, { now: new Date('2026-06-20T12:01:00Z') });
    } finally {
      await db.close();
    }
  });
  afterAll(() => store?.cleanup());

  it('prints the PV estimate with quality estimated', async () => {
    const { stdout } = await run('node', [CLI, 'query', '--series', 'ss.aix:pv', '--from', '2026-06-20T08:00:00Z', '--to', '2026-06-20T12:00:00Z', '--grain', '1h'], {
      env: { ...process.env, ...store.env },
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('series_id,ts,value,quality,n,expected,partial,p95');
    expect(lines.slice(1).map((l) => l.split(',').slice(3, 7).join(','))).toEqual(Array(4).fill('estimated,12,12,false'));
  });
});

describe.each(backends)('a region whose balance cannot be derived (%s)', (kind) => {
  it('is reported with its code, and the other derived series are still produced', async () => {
    const db = await freshDb(kind);
    try {
      await saveTopology(db, {
        timeZone: 'UTC',
        nodes: [
          { id: 'A', parent: null, kind: 'load', unit: 'MW', timeZone: 'UTC', attrs: {} },
          { id: 'B', parent: null, kind: 'load', unit: 'MW', timeZone: 'UTC', attrs: {} },
          { id: 'gen.a', parent: null, kind: 'generation', unit: 'MW', timeZone: 'UTC', attrs: { site: 'A' } },
          { id: 'gen.b', parent: null, kind: 'generation', unit: 'MW', timeZone: 'UTC', attrs: { site: 'B' } },
          // The line is measured at B only: A's exports are unknown.
          { id: 'ab.b', parent: null, kind: 'flow', unit: 'MW', timeZone: 'UTC', attrs: { from: 'A', to: 'B', measuredAt: 'B' } },
        ],
      });
      const ts = new Date('2026-01-01T00:00:00Z');
      await db.transaction((tx) =>
        insertMeasurements(tx, [
          { seriesId: 'gen.a', ts, value: 100 },
          { seriesId: 'gen.b', ts, value: 50 },
          { seriesId: 'ab.b', ts, value: 20 },
        ]),
      );
      const out = await deriveSeries(db, { now: new Date('2026-01-01T00:10:00Z') });
      expect(out.problems).toEqual([expect.objectContaining({ seriesIds: ['A:balance'], code: 'BALANCE_INCOMPLETE' })]);
      expect(await queryMeasurements(db, { seriesId: 'B:balance', from: ts, to: new Date('2026-01-01T01:00:00Z'), grain: 'raw' })).toMatchObject([{ value: 70, quality: 'derived' }]);
    } finally {
      await db.close();
    }
  });
});
