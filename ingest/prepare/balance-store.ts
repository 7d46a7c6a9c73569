import type { Db } from '../../store/db.ts';
import { insertMeasurements, type MeasurementInput } from '../../store/measurements.repository.ts';
import { queryMeasurements } from '../../store/query.repository.ts';
import { getSeries, upsertSeries } from '../../store/series.repository.ts';
import { loadStoredTopology } from '../../store/topology.repository.ts';
import { balanceTerms, regionalConsumption } from './balance.ts';

export const balanceSeriesId = (region: string) => `${region}:balance`;

/**
 * Derives a region's consumption from its production and measured exchanges (A6) on 5-min
 * or hourly buckets (SCADA points of different sensors never share timestamps), and stores
 * it as the series `<region>:balance` (quality 'derived', method 'production-minus-exports',
 * no parent, so roll-ups never add it). A bucket where any input is missing is left out.
 */
export async function deriveRegionalBalance(db: Db, region: string, from: Date, to: Date, grain: '5m' | '1h' = '5m'): Promise<{ seriesId: string; points: number }> {
  const topology = await loadStoredTopology(db);
  const terms = balanceTerms(topology, region);
  const read = async (id: string) => {
    const rows = await queryMeasurements(db, { seriesId: id, from, to, grain });
    return new Map(rows.filter((r) => r.value !== null && r.quality !== 'suspect').map((r) => [r.ts.getTime(), r.value as number]));
  };
  const production = await Promise.all(terms.production.map(read));
  const exports = await Promise.all(terms.exports.map(async (e) => ({ points: await read(e.seriesId), sign: e.sign })));
  const buckets = [...new Set([...production, ...exports.map((e) => e.points)].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const at = (m: Map<number, number>) => Float64Array.from(buckets, (t) => m.get(t) ?? NaN);
  const consumption = regionalConsumption(
    production.map(at),
    exports.map((e) => ({ values: at(e.points), sign: e.sign })),
  );

  const node = (await getSeries(db, region))!;
  const id = balanceSeriesId(region);
  const points: MeasurementInput[] = [];
  buckets.forEach((t, i) => {
    if (!Number.isNaN(consumption[i])) points.push({ seriesId: id, ts: new Date(t), value: consumption[i], quality: 'derived', method: 'production-minus-exports' });
  });
  await db.transaction(async (tx) => {
    await upsertSeries(tx, [
      {
        id,
        parent: null,
        kind: 'load',
        unit: node.unit,
        timeZone: node.timeZone,
        ...(node.weatherStation && { weatherStation: node.weatherStation }),
        attrs: { derived: true, of: region, method: 'production-minus-exports', grain, stepSec: grain === '5m' ? 300 : 3600 },
      },
    ]);
    await insertMeasurements(tx, points);
  });
  return { seriesId: id, points: points.length };
}
