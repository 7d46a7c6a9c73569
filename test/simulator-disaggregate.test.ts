import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { insertWeatherObs } from '../store/weather.repository.ts';
import { getSeries } from '../store/series.repository.ts';
import { disaggregateWithdrawal } from '../ingest/prepare/disaggregate-store.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { saveTopology } from '../ingest/topology/store.ts';
import { backends, freshDb } from './db.ts';

const topology = readDefaultGrid();
const from = new Date('2026-06-20T00:00:00Z');
const to = new Date('2026-06-22T00:00:00Z');
const sim = createSimulator({ seed: 11, topology, faults: false });
const batch = sim.generate(from, to, 300);
// The same substation without its PV: what the disaggregated consumption should recover.
const noPv = createSimulator({
  seed: 11,
  faults: false,
  topology: { ...topology, nodes: topology.nodes.map((n) => (n.id === 'ss.aix' ? { ...n, attrs: { sim: n.attrs.sim } } : n)) },
}).generate(from, to, 300);

describe.each(backends)('PV disaggregation through the store (%s)', (kind) => {
  let db: Db;
  afterEach(async () => db?.close());

  it('stores an estimated PV series and a derived consumption that recovers the load behind the withdrawal; refuses a series without PV', async () => {
    db = await freshDb(kind);
    await saveTopology(db, topology);
    await db.transaction(async (tx) => {
      await insertMeasurements(tx, batch.measurements.filter((m) => m.seriesId === 'ss.aix'));
      await insertWeatherObs(tx, batch.weather.filter((w) => w.stationId === 'ws.marseille'));
    });

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
});
