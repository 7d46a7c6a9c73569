import { z } from 'zod';
import { GridcastError } from '../errors.ts';
import { MEAN_OF_STATIONS, type Topology, type TopologyNode, type WeatherSource } from './schema.ts';

/**
 * Which stations make each node's temperature (item: weather mapping). Pure: the topology and
 * the list of stations in, one recorded input per node out.
 *
 * A node's temperature is, in this order:
 * 1. its own `weatherStation`: a station, a weighted list, or `mean` of every station;
 * 2. else its descendants' (an aggregate): its children's temperatures (each child's own, else
 *    its children's, recursively; a moving load's its substations') weighted by each child's mean
 *    load over the history window, or equally when a child's load is unknown;
 * 3. else, for a moving load, its substations' temperatures, equally weighted;
 * 4. else its nearest ancestor's (own or from its descendants);
 * 5. else none: the node is forecast on the calendar alone (callers warn WEATHER_UNMAPPED).
 */

export const StationWeightSchema = z.object({ station: z.string(), weight: z.number() });
export type StationWeight = z.infer<typeof StationWeightSchema>;

/** The weather a series used, as recorded in runs and registry versions. */
export const WeatherInputSchema = z.object({
  /** Stations averaged into the temperature, weights summing to 1, in natural order of id. */
  stations: z.array(StationWeightSchema),
  /** How they were found: 'own', 'mean', 'descendants', 'substations' or 'ancestor <id>'. */
  from: z.string(),
});
export type WeatherInput = z.infer<typeof WeatherInputSchema>;

/** What the resolution needs of a node (a topology node or a stored series row). */
export interface WeatherNode {
  id: string;
  parent: string | null;
  weatherStation?: WeatherSource;
  /** Substations of a moving load. */
  substations?: readonly string[];
}

export interface WeatherOptions {
  /** Every weather station of the store (what `mean` averages). */
  stations: readonly string[];
  /** Mean load of a node over the history window, for weighting an aggregate's children; undefined when unknown. */
  loadOf?: (id: string) => number | undefined;
}

type Mix = Map<string, number>;

/** Station ids in natural order (s2 before s10). */
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

const normalised = (mix: Mix): StationWeight[] => {
  let total = 0;
  for (const w of mix.values()) total += w;
  return [...mix]
    .sort(([a], [b]) => natural(a, b))
    .map(([station, w]) => ({ station, weight: w / total }));
};

/** Weighted sum of mixes (weights relative). */
function blend(parts: Array<{ mix: Mix; weight: number }>): Mix {
  const out: Mix = new Map();
  const total = parts.reduce((a, p) => a + p.weight, 0);
  for (const { mix, weight } of parts) {
    let sum = 0;
    for (const w of mix.values()) sum += w;
    for (const [s, w] of mix) out.set(s, (out.get(s) ?? 0) + (weight / total) * (w / sum));
  }
  return out;
}

/** The weather input of each of `ids` (default every node; null: none found). */
export function resolveWeather(nodes: readonly WeatherNode[], opts: WeatherOptions, ids: readonly string[] = nodes.map((n) => n.id)): Map<string, WeatherInput | null> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const children = new Map<string, string[]>();
  for (const n of nodes) if (n.parent && byId.has(n.parent)) children.set(n.parent, [...(children.get(n.parent) ?? []), n.id]);
  const stations = [...new Set(opts.stations)].sort(natural);

  const own = (n: WeatherNode): { mix: Mix; from: string } | null => {
    const s = n.weatherStation;
    if (s === undefined) return null;
    if (s === MEAN_OF_STATIONS) return stations.length ? { mix: new Map(stations.map((id) => [id, 1])), from: 'mean' } : null;
    if (typeof s === 'string') return { mix: new Map([[s, 1]]), from: 'own' };
    const mix: Mix = new Map();
    for (const { station, weight } of s) mix.set(station, (mix.get(station) ?? 0) + weight);
    return { mix, from: 'own' };
  };

  // Memoised, so a grid of thousands of nodes resolves in linear time. `busy` breaks a loop in a
  // topology edited by hand (validation refuses one; the store may not).
  const downMemo = new Map<string, Mix | null>();
  const fullMemo = new Map<string, { mix: Mix; from: string } | null>();
  const busy = new Set<string>();
  const memo = <T>(cache: Map<string, T | null>, key: string, compute: () => T | null): T | null => {
    if (cache.has(key)) return cache.get(key)!;
    if (busy.has(key)) return null;
    busy.add(key);
    const v = compute();
    busy.delete(key);
    cache.set(key, v);
    return v;
  };
  const down = (id: string): Mix | null =>
    memo(downMemo, `d\0${id}`, () => {
      const n = byId.get(id);
      return n ? (own(n)?.mix ?? fromChildren(id) ?? fromSubstations(n)) : null;
    });
  const fromChildren = (id: string): Mix | null => {
    const parts = (children.get(id) ?? []).flatMap((c) => {
      const mix = down(c);
      return mix ? [{ id: c, mix }] : [];
    });
    if (parts.length === 0) return null;
    const loads = parts.map((p) => opts.loadOf?.(p.id));
    const byLoad = loads.every((l) => l !== undefined && Number.isFinite(l) && l > 0);
    return blend(parts.map((p, i) => ({ mix: p.mix, weight: byLoad ? loads[i]! : 1 })));
  };
  const fromSubstations = (n: WeatherNode): Mix | null => {
    const parts = (n.substations ?? []).flatMap((s) => {
      const mix = full(s)?.mix;
      return mix ? [{ mix, weight: 1 }] : [];
    });
    return parts.length ? blend(parts) : null;
  };
  const full = (id: string): { mix: Mix; from: string } | null =>
    memo(fullMemo, `f\0${id}`, () => {
      const n = byId.get(id);
      if (!n) return null;
      const o = own(n);
      if (o) return o;
      const d = fromChildren(id);
      if (d) return { mix: d, from: 'descendants' };
      const s = fromSubstations(n);
      if (s) return { mix: s, from: 'substations' };
      const seen = new Set<string>([id]);
      for (let a = n.parent ? byId.get(n.parent) : undefined; a && !seen.has(a.id); a = a.parent ? byId.get(a.parent) : undefined) {
        seen.add(a.id);
        const m = down(a.id);
        if (m) return { mix: m, from: `ancestor ${a.id}` };
      }
      return null;
    });

  return new Map(
    ids.map((id) => {
      const r = full(id);
      return [id, r ? { stations: normalised(r.mix), from: r.from } : null];
    }),
  );
}

/**
 * The temperature of a weighted list of stations at every step: the weighted mean of the
 * stations that have a value there (weights renormalised over them), NaN where none has one.
 */
export function blendStations(input: readonly StationWeight[], byStation: ReadonlyMap<string, Float64Array>, length: number): Float64Array {
  const out = new Float64Array(length).fill(Number.NaN);
  const series = input.map((s) => ({ w: s.weight, v: byStation.get(s.station) }));
  for (let t = 0; t < length; t++) {
    let sum = 0;
    let weight = 0;
    for (const { w, v } of series) {
      const x = v?.[t];
      if (x !== undefined && Number.isFinite(x)) {
        sum += w * x;
        weight += w;
      }
    }
    if (weight > 0) out[t] = sum / weight;
  }
  return out;
}

/** A canonical text of an input (key order of a JSON round trip through jsonb does not matter), for hashes and comparisons. */
export const weatherKey = (w: WeatherInput | null | undefined): string => (w ? `${w.stations.map((s) => `${s.station}*${s.weight}`).join('+')}|${w.from}` : 'none');

/** One line for people: `s1` / `mean of 11 stations (s1 … s11)` / `s1 60 %, s2 40 %`, then where it came from. */
export function describeWeather(w: WeatherInput | null | undefined): string {
  if (!w) return 'none';
  const { stations: s } = w;
  const equal = s.every((x) => Math.abs(x.weight - s[0].weight) < 1e-9);
  const what =
    s.length === 1
      ? s[0].station
      : equal
        ? `mean of ${s.length} stations (${s.length > 4 ? `${s[0].station} … ${s[s.length - 1].station}` : s.map((x) => x.station).join(', ')})`
        : s.map((x) => `${x.station} ${(100 * x.weight).toFixed(0)} %`).join(', ');
  return w.from === 'own' || w.from === 'mean' ? what : `${what}, from ${w.from}`;
}

/** The station a single-station consumer (PV estimate, simulator) reads: the heaviest of the source, or undefined for `mean`. */
export function mainStation(source: WeatherSource | undefined): string | undefined {
  if (source === undefined || source === MEAN_OF_STATIONS) return undefined;
  if (typeof source === 'string') return source;
  return [...source].sort((a, b) => b.weight - a.weight)[0].station;
}

/**
 * `topology load FILE --weather SOURCE`: every node (but stations) that would have no weather
 * input gets SOURCE (`mean` or a station of the file) as its own; nodes with a source, or one
 * through their descendants, moving-load substations or ancestors, keep theirs. Returns the
 * nodes filled.
 */
export function fillWeather(t: Topology, source: string): { topology: Topology; filled: string[] } {
  if (source !== MEAN_OF_STATIONS && !t.nodes.some((n) => n.id === source && n.kind === 'weather')) {
    throw new GridcastError('TOPOLOGY_UNKNOWN_WEATHER_STATION', `--weather '${source}' is neither '${MEAN_OF_STATIONS}' nor a weather station declared in the file.`, { weatherStation: source });
  }
  // 'mean' resolves to whatever stations the store holds: a placeholder stands for them here.
  const resolved = resolveWeather(t.nodes.map(weatherNode), { stations: ['(any)'] });
  const filled = t.nodes.filter((n) => n.kind !== 'weather' && resolved.get(n.id) === null).map((n) => n.id);
  const set = new Set(filled);
  return { topology: { ...t, nodes: t.nodes.map((n) => (set.has(n.id) ? { ...n, weatherStation: source } : n)) }, filled };
}

/** A topology node as the resolution reads it. */
export const weatherNode = (n: TopologyNode): WeatherNode => ({
  id: n.id,
  parent: n.parent,
  ...(n.weatherStation !== undefined ? { weatherStation: n.weatherStation } : {}),
  ...(n.sharing ? { substations: n.sharing.substations } : {}),
});
