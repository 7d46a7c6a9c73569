import type { Quality } from './quality.ts';
import type { TopologyNode } from './topology/schema.ts';

/**
 * A stored series: one per topology node (the node's own measured series) and one per derived
 * series (PV estimate, consumption), the latter without parent so roll-ups never add them. What
 * the node's sharing and attributes say is kept in `attrs`.
 */
export type SeriesRow = Pick<TopologyNode, 'id' | 'parent' | 'kind' | 'unit' | 'timeZone' | 'weatherStation' | 'name'> & {
  attrs: Record<string, unknown>;
};

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
