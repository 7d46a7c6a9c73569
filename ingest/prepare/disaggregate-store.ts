import { isEnergyUnit } from '../../core/units.ts';
import { GridcastError } from '../../core/errors.ts';
import { worstQuality } from '../../core/quality.ts';
import { derivedSeriesId } from '../../core/topology/derived.ts';
import type { Queryable } from '../../store/db.ts';
import type { MeasurementInput } from '../../core/series.ts';
import { queryMeasurements } from '../../store/query.repository.ts';
import { getSeries } from '../../store/series.repository.ts';
import type { SeriesRow } from '../../core/series.ts';
import { readWeather } from '../../store/weather.repository.ts';
import { consumptionFromWithdrawal, estimatePv } from './disaggregate.ts';
import { mainStation } from '../../core/topology/weather.ts';

/** Irradiance observations further apart than this leave a point to the clear-sky estimate rather than interpolated. */
const MAX_IRRADIANCE_GAP_MS = 2 * 3_600_000;
const STEP_MS = 300_000;

/**
 * The PV behind a withdrawal series and the consumption it hides (A7) on the withdrawal's 5-min
 * buckets starting in [from, to). The PV is estimated at the middle of each bucket from the
 * irradiance of the node's weather station (or its nearest ancestor's), method 'pv-estimate';
 * where the station has no irradiance around it, from clear sky at the station's position, method
 * 'pv-clear-sky'. PV points are 'estimated'; consumption = withdrawal + PV is 'derived' (or worse,
 * e.g. 'imputed' when the withdrawal bucket holds imputed points). Suspect buckets are left out.
 * Returns the points; the caller stores them.
 */
export async function disaggregateWithdrawal(q: Queryable, seriesId: string, from: Date, to: Date): Promise<MeasurementInput[]> {
  const node = await getSeries(q, seriesId);
  if (!node) throw new GridcastError('SERIES_NOT_FOUND', `Unknown series '${seriesId}': load the topology first.`, { seriesId });
  const capacity = node.attrs.pvCapacity;
  if (typeof capacity !== 'number' || capacity <= 0) {
    throw new GridcastError('DISAGGREGATION_NO_PV', `Series '${seriesId}' has no attrs.pvCapacity: nothing to subtract.`, { seriesId });
  }
  if (isEnergyUnit(node.unit)) {
    throw new GridcastError('DISAGGREGATION_UNIT', `Series '${seriesId}' is in ${node.unit} (energy); disaggregation works on power series (W, kW, MW).`, { seriesId });
  }
  const station = await stationOf(q, node);
  const buckets = (await queryMeasurements(q, { seriesId, from, to, grain: '5m' })).filter((r) => r.value !== null && r.quality !== 'suspect');
  const mid = Float64Array.from(buckets, (b) => b.ts.getTime() + STEP_MS / 2);
  const obs = await readWeather(q, {
    stationId: station.id,
    variable: 'irradiance',
    from: new Date(from.getTime() - MAX_IRRADIANCE_GAP_MS),
    to: new Date(to.getTime() + STEP_MS + MAX_IRRADIANCE_GAP_MS),
  });
  const { latitude, longitude } = station.attrs as { latitude?: number; longitude?: number };
  const position = latitude !== undefined && longitude !== undefined ? { latitude, longitude } : undefined;
  const { pv, clearSky } = estimatePv(
    mid,
    { ts: Float64Array.from(obs, (o) => o.ts.getTime()), values: Float64Array.from(obs, (o) => o.value) },
    capacity,
    position,
    MAX_IRRADIANCE_GAP_MS,
  );
  if (buckets.length > 0 && pv.some(Number.isNaN)) {
    throw new GridcastError(
      'DISAGGREGATION_NO_IRRADIANCE',
      `No irradiance at station '${station.id}' for part of ${from.toISOString()}–${to.toISOString()} and no latitude/longitude for a clear-sky estimate.`,
      { seriesId, stationId: station.id },
    );
  }
  const consumption = consumptionFromWithdrawal(Float64Array.from(buckets, (b) => b.value!), pv);
  return buckets.flatMap((b, i): MeasurementInput[] => [
    { seriesId: derivedSeriesId(seriesId, 'pv'), ts: b.ts, value: pv[i], quality: 'estimated', method: clearSky[i] ? 'pv-clear-sky' : 'pv-estimate' },
    { seriesId: derivedSeriesId(seriesId, 'consumption'), ts: b.ts, value: consumption[i], quality: worstQuality('derived', b.quality), method: 'withdrawal-plus-pv' },
  ]);
}

async function stationOf(q: Queryable, node: SeriesRow): Promise<SeriesRow> {
  for (let cur: SeriesRow | undefined = node; cur; cur = cur.parent ? await getSeries(q, cur.parent) : undefined) {
    const own = mainStation(cur.weatherStation);
    if (own) {
      const station = await getSeries(q, own);
      if (station) return station;
    }
  }
  throw new GridcastError('DISAGGREGATION_NO_STATION', `Series '${node.id}' has no weather station (on itself or an ancestor): PV cannot be estimated.`, { seriesId: node.id });
}
