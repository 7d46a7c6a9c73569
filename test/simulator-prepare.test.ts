import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { insertWeatherObs } from '../store/weather.repository.ts';
import { getSeries } from '../store/series.repository.ts';
import { deriveRegionalBalance } from '../ingest/prepare/balance-store.ts';
import { disaggregateWithdrawal } from '../ingest/prepare/disaggregate-store.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { backends, freshDb } from './db.ts';

const topology = readDefaultGrid();
const from = new Date('2026-06-20T00:00:00Z');
const to = new Date('2026-06-22T00:00:00Z');
const batch = createSimulator({ seed: 11, topology, faults: false }).generate(from, to, 300);
// The same substation without its PV: what the disaggregated consumption should recover.
const noPv = createSimulator({
  seed: 11,
  faults: false,
  topology: { ...topology, nodes: topology.nodes.map((n) => (n.id === 'ss.aix' ? { ...n, attrs: { sim: n.attrs.sim } } : n)) },
}).generate(from, to, 300);

describe.each(backends)('preparation through the store on simulated data (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(db, topology);
    await db.transaction(async (tx) => {
      await insertMeasurements(tx, batch.measurements);
      await insertWeatherObs(tx, batch.weather);
    });
  });
  afterAll(async () => db?.close());

  it('stores an estimated PV series and a derived consumption that recovers the load behind the withdrawal', async () => {
    const result = await disaggregateWithdrawal(db, 'ss.aix', from, to);
    // 576 five-minute points; the last one (23:55) has no irradiance observation after it to interpolate to.
    expect(result).toEqual({ pvSeriesId: 'ss.aix:pv', consumptionSeriesId: 'ss.aix:consumption', points: 575, method: 'pv-estimate' });
    expect(await getSeries(db, 'ss.aix:pv')).toMatchObject({ parent: null, kind: 'generation', unit: 'MW', attrs: { derived: true, of: 'ss.aix' } });

    const rows = await db.query<{ series_id: string; ts: Date; value: number; quality: string; method: string }>(
      `SELECT series_id, ts, value, quality, method FROM measurements WHERE series_id LIKE 'ss.aix:%' ORDER BY ts`,
    );
    const pv = rows.rows.filter((r) => r.series_id === 'ss.aix:pv');
    const cons = rows.rows.filter((r) => r.series_id === 'ss.aix:consumption');
    expect(new Set(pv.map((r) => `${r.quality}/${r.method}`))).toEqual(new Set(['estimated/pv-estimate']));
    expect(new Set(cons.map((r) => `${r.quality}/${r.method}`))).toEqual(new Set(['derived/withdrawal-plus-pv']));
    // PV is zero at night and substantial at noon.
    expect(pv.filter((r) => r.ts.getUTCHours() === 0).every((r) => r.value === 0)).toBe(true);
    expect(Math.max(...pv.map((r) => r.value))).toBeGreaterThan(10);

    const truth = new Map(noPv.measurements.filter((m) => m.seriesId === 'ss.aix').map((m) => [m.ts.getTime(), m.value]));
    const errors = cons.map((r) => Math.abs(r.value - truth.get(r.ts.getTime())!));
    const level = [...truth.values()].reduce((a, b) => a + b, 0) / truth.size;
    // Irradiance is observed every 10 min and interpolated at 5 min: a small error only.
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.01 * level);

    // A second run rewrites nothing new: same number of points.
    await disaggregateWithdrawal(db, 'ss.aix', from, to);
    const again = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurements WHERE series_id LIKE 'ss.aix:%'`);
    expect(again.rows[0].n).toBe(2 * 575);

    await expect(disaggregateWithdrawal(db, 'ss.avignon', from, to)).rejects.toMatchObject({ code: 'DISAGGREGATION_NO_PV' });
  });

  it('derives regional consumption from production and exchanges; the regions sum to the nation roll-up', async () => {
    const day = { from: new Date('2026-06-21T00:00:00Z'), to: new Date('2026-06-21T06:00:00Z') };
    const balances: Map<number, number>[] = [];
    for (const r of ['fr.north', 'fr.paris', 'fr.south']) {
      const out = await deriveRegionalBalance(db, r, day.from, day.to, '5m');
      expect(out).toEqual({ seriesId: `${r}:balance`, points: 72 });
      const rows = await queryMeasurements(db, { seriesId: out.seriesId, ...day, grain: 'raw' });
      expect(new Set(rows.map((x) => `${x.quality}/${x.method}`))).toEqual(new Set(['derived/production-minus-exports']));
      balances.push(new Map(rows.map((x) => [x.ts.getTime(), x.value!])));
    }
    // The nation roll-up counts each train once; the balances see every train where it draws.
    const nation = await queryMeasurements(db, { seriesId: 'fr', ...day, grain: '5m' });
    expect(nation).toHaveLength(72);
    // Each measured series carries 0.4 % sensor noise and production runs at ~800 MW: a few MW apart per bucket.
    // A wrong sign on any exchange would put them hundreds of MW apart.
    const rel = nation.map((b) => Math.abs(balances.reduce((a, m) => a + m.get(b.ts.getTime())!, 0) - b.value!) / b.value!);
    expect(rel.reduce((a, x) => a + x, 0) / rel.length).toBeLessThan(0.01);
    expect(Math.max(...rel)).toBeLessThan(0.03);
    // Derived series have no parent: the nation roll-up is unchanged by them.
    expect((await getSeries(db, 'fr.north:balance'))!.parent).toBeNull();
  });
});
