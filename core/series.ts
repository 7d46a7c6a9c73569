import type { Quality } from './quality.ts';
import type { NodeKind, WeatherSource } from './topology/schema.ts';

/**
 * A stored series: one per topology node (the node's own measured series) and one per derived
 * series (PV estimate, consumption), the latter without parent so roll-ups never add them.
 */
export interface SeriesRow {
  id: string;
  parent: string | null;
  kind: NodeKind;
  unit: string;
  timeZone: string;
  /** A station id, a weighted list of stations, or 'mean' (see core/topology/weather.ts). */
  weatherStation?: WeatherSource;
  name?: string;
  attrs: Record<string, unknown>;
}

/** What ingestion validates ids, units and ranges against. */
export type SeriesUnit = Pick<SeriesRow, 'id' | 'kind' | 'unit' | 'attrs'>;

/** A point to store in a series. */
export interface MeasurementInput {
  seriesId: string;
  ts: Date;
  value: number;
  quality?: Quality;
  method?: string | null;
}
