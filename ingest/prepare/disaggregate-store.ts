import { isEnergyUnit } from '../../core/units.ts';
import { GridcastError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { insertMeasurements, type MeasurementInput } from '../../store/measurements.repository.ts';
import { getSeries, upsertSeries, type SeriesRow } from '../../store/series.repository.ts';
import { consumptionFromWithdrawal, interpolateAt, pvFromClearSky, pvFromIrradiance } from './disaggregate.ts';
import { mainStation } from '../../core/topology/weather.ts';

/** Ids of the series derived from a withdrawal: kept beside it, without parent so roll-ups never add them. */
export const pvSeriesId = (withdrawalId: string) => `${withdrawalId}:pv`;
export const consumptionSeriesId = (withdrawalId: string) => `${withdrawalId}:consumption`;

/** Irradiance observations further apart than this leave the PV estimate missing rather than interpolated. */
const MAX_IRRADIANCE_GAP_MS = 2 * 3_600_000;

export interface DisaggregationResult {
  pvSeriesId: string;
  consumptionSeriesId: string;
  points: number;
  /** 'pv-estimate' (measured irradiance) or 'pv-clear-sky' (no irradiance, model × typical clearness). */
  method: 'pv-estimate' | 'pv-clear-sky';
}

/**
 * Estimates the PV behind a withdrawal series over [from, to) and stores it (quality
 * 'estimated') with the consumption (quality 'derived', method 'withdrawal-plus-pv'), in one
 * transaction. Measured withdrawal points flagged 'suspect' are left out. The irradiance is
 * that of the node's weather station (or its nearest ancestor's); without any observation in
 * range it falls back to clear sky at the station's position (attrs.latitude/longitude).
 */
export async function disaggregateWithdrawal(db: Db, seriesId: string, from: Date, to: Date): Promise<DisaggregationResult> {
  const node = await getSeries(db, seriesId);
  if (!node) throw new GridcastError('SERIES_NOT_FOUND', `Unknown series '${seriesId}': load the topology first.`, { seriesId });
  const capacity = node.attrs.pvCapacity;
  if (typeof capacity !== 'number' || capacity <= 0) {
    throw new GridcastError('DISAGGREGATION_NO_PV', `Series '${seriesId}' has no attrs.pvCapacity: nothing to subtract.`, { seriesId });
  }
  if (isEnergyUnit(node.unit)) {
    throw new GridcastError('DISAGGREGATION_UNIT', `Series '${seriesId}' is in ${node.unit} (energy); disaggregation works on power series (W, kW, MW).`, { seriesId });
  }
  const station = await stationOf(db, node);

  const { rows } = await db.query<{ ts: Date; value: number }>(
    `SELECT ts, value FROM measurements WHERE series_id = $1 AND ts >= $2 AND ts < $3 AND quality <> 'suspect' ORDER BY ts`,
    [seriesId, from, to],
  );
  const ts = Float64Array.from(rows, (r) => r.ts.getTime());
  const withdrawal = Float64Array.from(rows, (r) => r.value);
  const obs = await db.query<{ ts: Date; value: number }>(
    `SELECT ts, value FROM weather_obs WHERE station_id = $1 AND variable = 'irradiance' AND ts >= $2 AND ts <= $3 ORDER BY ts`,
    [station.id, new Date(from.getTime() - MAX_IRRADIANCE_GAP_MS), new Date(to.getTime() + MAX_IRRADIANCE_GAP_MS)],
  );
  let pv: Float64Array;
  let method: DisaggregationResult['method'];
  if (obs.rows.length > 0) {
    const irr = interpolateAt(Float64Array.from(obs.rows, (r) => r.ts.getTime()), Float64Array.from(obs.rows, (r) => r.value), ts, MAX_IRRADIANCE_GAP_MS);
    pv = pvFromIrradiance(irr, capacity);
    method = 'pv-estimate';
  } else {
    const { latitude, longitude } = station.attrs as { latitude?: number; longitude?: number };
    if (latitude === undefined || longitude === undefined) {
      throw new GridcastError('DISAGGREGATION_NO_IRRADIANCE', `No irradiance for station '${station.id}' in range and no latitude/longitude for a clear-sky estimate.`, { seriesId, stationId: station.id });
    }
    pv = pvFromClearSky(ts, latitude, longitude, capacity);
    method = 'pv-clear-sky';
  }
  const consumption = consumptionFromWithdrawal(withdrawal, pv);

  const derived = (id: string, kind: SeriesRow['kind'], m: string): SeriesRow => ({
    id,
    parent: null,
    kind,
    unit: node.unit,
    timeZone: node.timeZone,
    ...(node.weatherStation && { weatherStation: node.weatherStation }),
    attrs: { derived: true, of: seriesId, method: m },
  });
  const points: MeasurementInput[] = [];
  for (let i = 0; i < ts.length; i++) {
    if (Number.isNaN(pv[i])) continue;
    const at = new Date(ts[i]);
    points.push({ seriesId: pvSeriesId(seriesId), ts: at, value: pv[i], quality: 'estimated', method });
    points.push({ seriesId: consumptionSeriesId(seriesId), ts: at, value: consumption[i], quality: 'derived', method: 'withdrawal-plus-pv' });
  }
  await db.transaction(async (tx) => {
    await upsertSeries(tx, [derived(pvSeriesId(seriesId), 'generation', method), derived(consumptionSeriesId(seriesId), 'load', 'withdrawal-plus-pv')]);
    await insertMeasurements(tx, points);
  });
  return { pvSeriesId: pvSeriesId(seriesId), consumptionSeriesId: consumptionSeriesId(seriesId), points: points.length / 2, method };
}

async function stationOf(db: Db, node: SeriesRow): Promise<SeriesRow> {
  for (let cur: SeriesRow | undefined = node; cur; cur = cur.parent ? await getSeries(db, cur.parent) : undefined) {
    const own = mainStation(cur.weatherStation);
    if (own) {
      const station = await getSeries(db, own);
      if (station) return station;
    }
  }
  throw new GridcastError('DISAGGREGATION_NO_STATION', `Series '${node.id}' has no weather station (on itself or an ancestor): PV cannot be estimated.`, { seriesId: node.id });
}
