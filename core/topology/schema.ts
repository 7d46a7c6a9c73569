import { z } from 'zod';

/**
 * The topology file (JSON or YAML). The GEFCom shape `{ timeZone, nodes: [{ id, parent, kind,
 * unit }] }` is a valid topology as is. `parent` is the summing relation: a parent's value is
 * the sum of its children's, so a child has the parent's kind and unit. Series that take part
 * in balances but not in sums (regional production, line flows, weather stations) have no
 * parent and point at the grid through attrs.
 */
export const NODE_KINDS = ['load', 'generation', 'flow', 'weather'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

const POWER_UNITS = ['W', 'kW', 'MW', 'GW', 'Wh', 'kWh', 'MWh', 'GWh'];
const WEATHER_UNITS = ['°C', 'degC', 'W/m2', 'W/m²', 'm/s', '%', 'mm', 'hPa'];
/** Units each kind may carry; anything else is almost always a mapping mistake. */
export const UNITS_BY_KIND: Record<NodeKind, readonly string[]> = {
  load: POWER_UNITS,
  generation: POWER_UNITS,
  flow: POWER_UNITS,
  weather: WEATHER_UNITS,
};

const Id = z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'ids use letters, digits and _ . : - only');

/** `weatherStation: mean`: the mean of every weather station of the store (what the GEFCom benchmarks use). */
export const MEAN_OF_STATIONS = 'mean';

/**
 * Where a node's temperature comes from: one station id, a weighted list of stations
 * (`[{ station: s1, weight: 0.6 }, { station: s2, weight: 0.4 }]`, weights relative), or `mean`.
 */
export const WeatherSourceSchema = z.union([
  Id,
  z
    .array(z.strictObject({ station: Id, weight: z.number().positive('a station weight must be greater than 0').finite() }))
    .min(1, 'a weighted station list needs at least one station'),
]);
export type WeatherSource = z.infer<typeof WeatherSourceSchema>;

const Attrs = z.looseObject({
  /** Installed distributed PV behind this withdrawal, in the node's unit (A7); makes the load a net load. */
  pvCapacity: z.number().nonnegative().optional(),
  /** load: generation behind the meter (PV, CHP, braking trains), so the measured value may go negative. */
  netLoad: z.boolean().optional(),
  /** The plausible range of the measured values, replacing the one of the unit and kind (ingest/validate/ranges.ts). */
  range: z.strictObject({ min: z.number().optional(), max: z.number().optional() }).optional(),
  /** generation/flow: the node (usually a region) where the series sits, for balances (A6). */
  site: Id.optional(),
  /** flow: line ends; positive values flow from → to, at either end. */
  from: Id.optional(),
  to: Id.optional(),
  /** flow: the end where this series is measured (default: from). */
  measuredAt: Id.optional(),
  /** flow: the series measuring the same line at the other end (A3). */
  redundantWith: Id.optional(),
  /** flow: share of the sent power lost on the line. */
  lossFactor: z.number().min(0).max(0.5).optional(),
  /** weather: station position, used for clear-sky irradiance. */
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
  /** Nominal measurement cadence in seconds (imputation and validation read it). */
  stepSec: z.number().int().positive().optional(),
});
export type NodeAttrs = z.infer<typeof Attrs>;

export const TopologyNodeSchema = z.strictObject({
  id: Id,
  parent: Id.nullable().optional(),
  kind: z.enum(NODE_KINDS),
  unit: z.string().min(1),
  timeZone: z.string().optional(),
  weatherStation: WeatherSourceSchema.optional(),
  name: z.string().optional(),
  /** A moving load (B8): the substations it can draw from; its parent defaults to their lowest common ancestor. */
  sharing: z
    .strictObject({
      substations: z.array(Id).min(2, 'a moving load draws from at least two substations'),
      allocation: z.enum(['average', 'worst-case']).default('average'),
    })
    .optional(),
  attrs: Attrs.optional(),
});
export type TopologyNodeInput = z.infer<typeof TopologyNodeSchema>;

/** Shorthand for weather nodes: an id, or an object with position; becomes a node of kind weather in °C. */
const WeatherStationSchema = z.union([
  Id,
  z.strictObject({
    id: Id,
    name: z.string().optional(),
    timeZone: z.string().optional(),
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
  }),
]);

export const TopologyFileSchema = z
  .strictObject({
    /** Default zone of every node (IANA), e.g. Europe/Paris. */
    timeZone: z.string().default('UTC'),
    weatherStations: z.array(WeatherStationSchema).default([]),
    /** May be empty in a file that only declares weather stations (e.g. beside GEFCom's hierarchy.json). */
    nodes: z.array(TopologyNodeSchema).default([]),
  })
  .refine((f) => f.nodes.length + f.weatherStations.length > 0, 'a topology has at least one node or weather station');

/** A validated topology: every node has its parent resolved and its own time zone. */
export interface TopologyNode {
  id: string;
  parent: string | null;
  kind: NodeKind;
  unit: string;
  timeZone: string;
  weatherStation?: WeatherSource;
  name?: string;
  sharing?: { substations: string[]; allocation: 'average' | 'worst-case' };
  attrs: NodeAttrs;
}

export interface Topology {
  timeZone: string;
  /** Parents before children. */
  nodes: TopologyNode[];
}
