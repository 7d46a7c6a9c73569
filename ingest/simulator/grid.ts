import { isEnergyUnit } from '../../core/units.ts';
import { GridcastError } from '../../core/errors.ts';
import { buildTree, leaves } from '../../core/hierarchy.ts';
import type { Topology, TopologyNode } from '../../core/topology/schema.ts';
import { uniform, streamKey } from './random.ts';
import type { LoadShape } from './load.ts';
import { mainStation } from '../../core/topology/weather.ts';
import type { Station } from './weather.ts';

/**
 * How the simulator reads a topology: which nodes it measures and how. Bottom load nodes are
 * substations (withdrawal = load − embedded PV), loads with `sharing` are trains, generation
 * with attrs.site balances its site against the flows of the lines that touch it, weather
 * nodes are stations. Aggregates are not measured: roll-ups compute them.
 * Optional per-node hints live in attrs.sim: { base, industrial, rating, ratio, slack }.
 */
export interface Substation {
  node: TopologyNode;
  station: Station;
  shape: LoadShape;
  pvCapacity: number;
  key: number;
}
export interface Train {
  node: TopologyNode;
  rating: number;
  substations: string[];
  key: number;
}
export interface Producer {
  node: TopologyNode;
  site: string;
  /** Production / site load, before the slack site closes the balance. */
  ratio: number;
  key: number;
}
export interface Line {
  from: string;
  to: string;
  lossFactor: number;
  /** Measured ends: series id → the end it sits at. */
  ends: { id: string; at: string }[];
}
export interface Grid {
  stations: Station[];
  /** Stations declared in the topology (emitted); a grid without any uses one internal station. */
  declaredStations: string[];
  substations: Substation[];
  trains: Train[];
  producers: Producer[];
  /** Lines ordered leaves-first relative to the slack site: each line's `child` end is balanced before its parent. */
  lines: (Line & { child: string; parent: string })[];
  slack?: string;
  /** Bottom nodes under each balance site. */
  siteLeaves: Map<string, Set<string>>;
  /** Multiplier from MW to the node's unit, and whether it is energy per step. */
  scale: Map<string, { factor: number; energy: boolean }>;
}

interface SimHints {
  base?: number;
  industrial?: number;
  rating?: number;
  ratio?: number;
  slack?: boolean;
}
const hints = (n: TopologyNode): SimHints => (typeof n.attrs.sim === 'object' && n.attrs.sim !== null ? (n.attrs.sim as SimHints) : {});

const unitScale = (unit: string) => {
  const energy = isEnergyUnit(unit);
  const prefix = unit.replace(/wh?$/i, '');
  const factor = prefix === 'G' ? 1e-3 : prefix === 'M' ? 1 : prefix === 'k' ? 1e3 : 1e6;
  return { factor, energy };
};

export function readGrid(topology: Topology, seed: number): Grid {
  const tree = buildTree(topology.nodes);
  const byId = new Map(topology.nodes.map((n) => [n.id, n]));
  const u = (name: string, i = 0) => uniform(seed, streamKey(name), i);

  const declared = topology.nodes.filter((n) => n.kind === 'weather');
  const stations: Station[] = declared.map((n) => ({
    id: n.id,
    latitude: (n.attrs.latitude as number | undefined) ?? 46.5 + 3 * (u(`lat/${n.id}`) - 0.5),
    longitude: (n.attrs.longitude as number | undefined) ?? 2.5 + 4 * (u(`lon/${n.id}`) - 0.5),
  }));
  if (stations.length === 0) stations.push({ id: '(internal)', latitude: 46.5, longitude: 2.5 });
  const stationById = new Map(stations.map((s) => [s.id, s]));
  const stationOf = (n: TopologyNode): Station => {
    for (let cur: TopologyNode | undefined = n; cur; cur = cur.parent ? byId.get(cur.parent) : undefined) {
      const own = mainStation(cur.weatherStation);
      if (own) return stationById.get(own)!;
    }
    return stations[0];
  };

  const scale = new Map(topology.nodes.map((n) => [n.id, unitScale(n.unit)]));
  const substations: Substation[] = [];
  const trains: Train[] = [];
  const producers: Producer[] = [];
  for (const n of topology.nodes) {
    const h = hints(n);
    if (n.kind === 'load' && n.sharing) {
      trains.push({ node: n, rating: h.rating ?? 6 + 9 * u(`rating/${n.id}`), substations: n.sharing.substations, key: streamKey(`train/${n.id}`) });
    } else if (n.kind === 'load' && tree.children.get(n.id)!.length === 0) {
      substations.push({
        node: n,
        station: stationOf(n),
        shape: {
          base: h.base ?? 30 + 90 * u(`base/${n.id}`),
          industrial: h.industrial ?? 0.1 + 0.5 * u(`industrial/${n.id}`),
          heatingPerDegree: 0.02 + 0.02 * u(`heating/${n.id}`),
          coolingPerDegree: 0.012 + 0.015 * u(`cooling/${n.id}`),
        },
        pvCapacity: (n.attrs.pvCapacity as number | undefined) ?? 0,
        key: streamKey(`substation/${n.id}`),
      });
    } else if (n.kind === 'generation' && n.attrs.site) {
      producers.push({ node: n, site: n.attrs.site, ratio: h.ratio ?? 0.6 + 0.8 * u(`ratio/${n.id}`), key: streamKey(`producer/${n.id}`) });
    } else if (n.kind === 'generation' || n.kind === 'flow') {
      if (n.kind === 'flow' && n.attrs.from && n.attrs.to) continue;
      throw new GridcastError(
        'SIMULATOR_TOPOLOGY',
        `Node '${n.id}': the simulator needs attrs.site on a generation node and attrs.from/to on a flow node to know what it measures.`,
        { nodeId: n.id },
      );
    }
  }

  const lineMap = new Map<string, Line>();
  for (const n of topology.nodes) {
    if (n.kind !== 'flow') continue;
    const { from, to } = n.attrs as { from: string; to: string };
    const key = `${from}→${to}`;
    const line = lineMap.get(key) ?? { from, to, lossFactor: 0.01, ends: [] };
    if (n.attrs.lossFactor !== undefined) line.lossFactor = n.attrs.lossFactor;
    line.ends.push({ id: n.id, at: n.attrs.measuredAt ?? from });
    lineMap.set(key, line);
  }
  const { ordered, slack } = orientLines([...lineMap.values()], producers);
  const sites = new Set([...producers.map((p) => p.site), ...ordered.flatMap((l) => [l.from, l.to])]);
  const siteLeaves = new Map([...sites].map((s) => [s, new Set(leaves(tree, s))]));
  return { stations, declaredStations: declared.map((n) => n.id), substations, trains, producers, lines: ordered, slack, siteLeaves, scale };
}

/**
 * Lines between sites must form a tree (a meshed network would need a power-flow solver).
 * The slack site (attrs.sim.slack on one of its producers, else the best-connected site)
 * closes the balance; lines are returned farthest-first so each site's export is known
 * before the site it feeds.
 */
function orientLines(lines: Line[], producers: Producer[]): { ordered: Grid['lines']; slack?: string } {
  if (lines.length === 0) return { ordered: [] };
  const adjacency = new Map<string, Line[]>();
  for (const l of lines) for (const s of [l.from, l.to]) adjacency.set(s, [...(adjacency.get(s) ?? []), l]);
  const flagged = producers.find((p) => (p.node.attrs.sim as SimHints | undefined)?.slack)?.site;
  const slack = flagged ?? [...adjacency.keys()].sort((a, b) => adjacency.get(b)!.length - adjacency.get(a)!.length)[0];
  const ordered: Grid['lines'] = [];
  const seen = new Set([slack]);
  for (let frontier = [slack]; frontier.length > 0; ) {
    const next: string[] = [];
    for (const site of frontier) {
      for (const l of adjacency.get(site)!) {
        const other = l.from === site ? l.to : l.from;
        if (ordered.some((o) => o.from === l.from && o.to === l.to)) continue;
        if (seen.has(other)) {
          throw new GridcastError('SIMULATOR_TOPOLOGY', `Lines between sites form a loop through '${other}'; the simulator needs a radial (tree) network.`, { site: other });
        }
        seen.add(other);
        ordered.push({ ...l, child: other, parent: site });
        next.push(other);
      }
    }
    frontier = next;
  }
  if (seen.size !== adjacency.size) {
    throw new GridcastError('SIMULATOR_TOPOLOGY', 'Lines between sites form several disconnected networks; connect them or give each its own slack.', {});
  }
  return { ordered: ordered.reverse(), slack };
}
