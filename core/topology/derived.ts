import { isEnergyUnit } from '../units.ts';
import type { Topology, TopologyNode, WeatherSource } from './schema.ts';

/**
 * The series gridcast derives from measured ones (A6, A7), named after the node they come from.
 * They are rows of `series` without parent, so roll-ups never add them, and are produced every
 * minute by the `derived-series` job on 5-min steps:
 *  - `<node>:pv`: the PV behind a withdrawal with attrs.pvCapacity (quality 'estimated');
 *  - `<node>:consumption`: that withdrawal plus the PV it hides (quality 'derived');
 *  - `<region>:balance`: production at the region minus its net exports (quality 'derived'), for
 *    every node that is the site of a production series or an end of a measured line.
 */
export type DerivedRole = 'pv' | 'consumption' | 'balance';

export const DERIVED_STEP_SEC = 300;

export const derivedSeriesId = (of: string, role: DerivedRole) => `${of}:${role}`;

export interface DerivedSeries {
  id: string;
  /** The node it is derived from (a withdrawal, or a region). */
  of: string;
  role: DerivedRole;
  kind: 'load' | 'generation';
  unit: string;
  timeZone: string;
  weatherStation?: WeatherSource;
}

export function derivedSeries(topology: Topology): DerivedSeries[] {
  const like = (n: TopologyNode, role: DerivedRole, kind: DerivedSeries['kind']): DerivedSeries => ({
    id: derivedSeriesId(n.id, role),
    of: n.id,
    role,
    kind,
    unit: n.unit,
    timeZone: n.timeZone,
    ...(n.weatherStation && { weatherStation: n.weatherStation }),
  });
  const out: DerivedSeries[] = [];
  const nodeIds = new Set(topology.nodes.map((n) => n.id));
  for (const n of topology.nodes) {
    // Disaggregation works on power: an energy series' PV share would need the interval length.
    if (n.kind === 'load' && (n.attrs.pvCapacity ?? 0) > 0 && !isEnergyUnit(n.unit)) out.push(like(n, 'pv', 'generation'), like(n, 'consumption', 'load'));
  }
  const regions = new Set<string>();
  for (const n of topology.nodes) {
    if (n.kind === 'generation' && n.attrs.site) regions.add(n.attrs.site);
    if (n.kind === 'flow') for (const end of [n.attrs.from, n.attrs.to]) if (end) regions.add(end);
  }
  for (const n of topology.nodes) if (regions.has(n.id) && n.kind === 'load') out.push(like(n, 'balance', 'load'));
  // A node of the topology keeps its id: nothing derived may overwrite it.
  return out.filter((d) => !nodeIds.has(d.id));
}
