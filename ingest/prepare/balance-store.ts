import { worstQuality, type Quality } from '../../core/quality.ts';
import { derivedSeriesId } from '../../core/topology/derived.ts';
import type { Topology } from '../../core/topology/schema.ts';
import type { Queryable } from '../../store/db.ts';
import type { MeasurementInput } from '../../core/series.ts';
import { queryMeasurements } from '../../store/query.repository.ts';
import { balanceTerms, regionalConsumption } from './balance.ts';

/**
 * A region's consumption from its production and measured exchanges (A6) on the 5-min buckets
 * starting in [from, to) (points of different sensors never share timestamps, buckets do), as
 * points of `<region>:balance`: method 'production-minus-exports', quality the worst of
 * 'derived' and its inputs'. A bucket where any input is missing or suspect is left out.
 * Throws BALANCE_INCOMPLETE when a line of the region is not measured at the region's end.
 */
export async function deriveRegionalBalance(q: Queryable, topology: Topology, region: string, from: Date, to: Date): Promise<MeasurementInput[]> {
  const terms = balanceTerms(topology, region);
  const read = async (id: string) => {
    const rows = await queryMeasurements(q, { seriesId: id, from, to, grain: '5m' });
    return new Map(rows.filter((r) => r.value !== null && r.quality !== 'suspect').map((r) => [r.ts.getTime(), { value: r.value!, quality: r.quality }]));
  };
  const production = await Promise.all(terms.production.map(read));
  const exports = await Promise.all(terms.exports.map(async (e) => ({ points: await read(e.seriesId), sign: e.sign })));
  const inputs = [...production, ...exports.map((e) => e.points)];
  const buckets = [...new Set(inputs.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const at = (m: Map<number, { value: number }>) => Float64Array.from(buckets, (t) => m.get(t)?.value ?? NaN);
  const consumption = regionalConsumption(
    production.map(at),
    exports.map((e) => ({ values: at(e.points), sign: e.sign })),
  );
  const id = derivedSeriesId(region, 'balance');
  return buckets.flatMap((t, i): MeasurementInput[] => {
    if (Number.isNaN(consumption[i])) return [];
    const quality = inputs.reduce<Quality>((w, m) => worstQuality(w, m.get(t)!.quality), 'derived');
    return [{ seriesId: id, ts: new Date(t), value: consumption[i], quality, method: 'production-minus-exports' }];
  });
}
