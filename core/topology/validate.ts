import { z } from 'zod';
import { GridcastError } from '../errors.ts';
import { buildTree, lowestCommonAncestor, ancestors, type Tree } from '../hierarchy.ts';
import { MEAN_OF_STATIONS, TopologyFileSchema, UNITS_BY_KIND, type Topology, type TopologyNode, type TopologyNodeInput } from './schema.ts';

const fail = (code: string, nodeId: string, message: string, extra: Record<string, unknown> = {}): never => {
  throw new GridcastError(code, `Topology node '${nodeId}': ${message}`, { nodeId, ...extra });
};

function checkTimeZone(zone: string, nodeId: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    fail('TOPOLOGY_TIME_ZONE', nodeId, `unknown time zone '${zone}' (use an IANA name such as Europe/Paris).`);
  }
}

/**
 * Validates a parsed topology file and resolves it: shape (zod), then structure (duplicate
 * ids, unknown parents, cycles), then meaning (units, kinds, weather stations, references,
 * moving loads). Each error names the node and carries a stable code.
 */
export function validateTopology(input: unknown, source = 'topology'): Topology {
  const parsed = TopologyFileSchema.safeParse(input);
  if (!parsed.success) {
    throw new GridcastError('TOPOLOGY_INVALID', `Invalid ${source}: ${z.prettifyError(parsed.error)}`, { source });
  }
  const file = { ...parsed.data, nodes: [...parsed.data.weatherStations.map(stationNode), ...parsed.data.nodes] };
  checkTimeZone(file.timeZone, '(file)');
  buildTree(file.nodes);
  const byId = new Map(file.nodes.map((n) => [n.id, n]));
  const ref = (n: TopologyNodeInput, field: string, id: string | undefined) => {
    if (id !== undefined && !byId.has(id)) fail('TOPOLOGY_UNKNOWN_REFERENCE', n.id, `${field} '${id}' is not a declared node.`, { field, ref: id });
  };

  for (const n of file.nodes) {
    if (!UNITS_BY_KIND[n.kind].includes(n.unit)) {
      fail('TOPOLOGY_UNIT_KIND', n.id, `unit '${n.unit}' does not fit kind '${n.kind}' (expected one of ${UNITS_BY_KIND[n.kind].join(', ')}).`, { unit: n.unit, kind: n.kind });
    }
    if (n.timeZone) checkTimeZone(n.timeZone, n.id);
    if (n.kind === 'weather' && n.id === MEAN_OF_STATIONS) {
      fail('TOPOLOGY_RESERVED_ID', n.id, `'${MEAN_OF_STATIONS}' is reserved (weatherStation: ${MEAN_OF_STATIONS} means every station); give the station another id.`);
    }
    checkWeatherSource(n, byId);
    if (n.parent) {
      const p = byId.get(n.parent)!;
      if (n.kind === 'weather' || p.kind !== n.kind) {
        fail('TOPOLOGY_KIND_MISMATCH', n.id, `a ${n.kind} node cannot sum into '${p.id}' (${p.kind}); a parent sums children of its own kind (weather stations have no parent).`);
      }
      if (p.unit !== n.unit) {
        fail('TOPOLOGY_UNIT_MISMATCH', n.id, `unit '${n.unit}' differs from its parent '${p.id}' (${p.unit}); a parent sums children in the same unit.`);
      }
    }
    const a = n.attrs ?? {};
    ref(n, 'attrs.site', a.site);
    ref(n, 'attrs.from', a.from);
    ref(n, 'attrs.to', a.to);
    ref(n, 'attrs.measuredAt', a.measuredAt);
    ref(n, 'attrs.redundantWith', a.redundantWith);
    if (a.measuredAt !== undefined && a.measuredAt !== a.from && a.measuredAt !== a.to) {
      fail('TOPOLOGY_FLOW_ENDS', n.id, `attrs.measuredAt '${a.measuredAt}' must be one of the line ends (from/to).`);
    }
    if (a.redundantWith !== undefined) {
      const other = byId.get(a.redundantWith)!;
      if (n.kind !== 'flow' || other.kind !== 'flow' || other.attrs?.from !== a.from || other.attrs?.to !== a.to) {
        fail('TOPOLOGY_FLOW_ENDS', n.id, `attrs.redundantWith '${other.id}' must be a flow series of the same line (same from/to).`);
      }
      if ((other.attrs?.measuredAt ?? a.from) === (a.measuredAt ?? a.from)) {
        fail('TOPOLOGY_FLOW_ENDS', n.id, `attrs.redundantWith '${other.id}' is measured at the same end; redundancy needs the other end of the line.`);
      }
    }
  }

  const resolvedParent = resolveMovingLoads(file.nodes, byId);
  const tree = buildTree(file.nodes.map((n) => ({ id: n.id, parent: resolvedParent.get(n.id) })));
  const nodes: TopologyNode[] = topDown(tree).map((id) => {
    const n = byId.get(id)!;
    return {
      id,
      parent: resolvedParent.get(id) ?? null,
      kind: n.kind,
      unit: n.unit,
      timeZone: n.timeZone ?? file.timeZone,
      ...(n.weatherStation !== undefined && { weatherStation: n.weatherStation }),
      ...(n.name !== undefined && { name: n.name }),
      ...(n.sharing && { sharing: n.sharing }),
      attrs: n.attrs ?? {},
    };
  });
  return { timeZone: file.timeZone, nodes };
}

/** A station id, `mean`, or a weighted list of distinct declared stations. */
function checkWeatherSource(n: TopologyNodeInput, byId: Map<string, TopologyNodeInput>): void {
  const source = n.weatherStation;
  if (source === undefined || source === MEAN_OF_STATIONS) return;
  const ids = typeof source === 'string' ? [source] : source.map((s) => s.station);
  for (const id of ids) {
    const station = byId.get(id);
    if (!station || station.kind !== 'weather') {
      fail('TOPOLOGY_UNKNOWN_WEATHER_STATION', n.id, `weather station '${id}' is not declared as a node of kind 'weather' (declare it under weatherStations, or use weatherStation: ${MEAN_OF_STATIONS}).`, { weatherStation: id });
    }
  }
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) fail('TOPOLOGY_INVALID', n.id, `weather station '${twice}' is listed twice; give it one weight.`, { weatherStation: twice });
}

function stationNode(s: z.infer<typeof TopologyFileSchema>['weatherStations'][number]): TopologyNodeInput {
  if (typeof s === 'string') return { id: s, kind: 'weather', unit: '°C' };
  const { id, name, timeZone, latitude, longitude } = s;
  const attrs = { ...(latitude !== undefined && { latitude }), ...(longitude !== undefined && { longitude }) };
  return { id, kind: 'weather', unit: '°C', ...(name && { name }), ...(timeZone && { timeZone }), attrs };
}

/** A moving load hangs under the lowest common ancestor of its substations (see core/hierarchy.ts). */
function resolveMovingLoads(nodes: TopologyNodeInput[], byId: Map<string, TopologyNodeInput>): Map<string, string | null> {
  const parent = new Map(nodes.map((n) => [n.id, n.parent ?? null]));
  const shared = nodes.filter((n) => n.sharing);
  if (shared.length === 0) return parent;
  const fixed = buildTree(nodes.filter((n) => !n.sharing));
  for (const n of shared) {
    const subs = n.sharing!.substations;
    for (const s of subs) {
      const sub = byId.get(s);
      if (!sub || sub.sharing) fail('TOPOLOGY_SHARING_INVALID', n.id, `sharing substation '${s}' is not a declared (fixed) node.`, { substation: s });
      if (sub!.kind !== n.kind || sub!.unit !== n.unit) fail('TOPOLOGY_SHARING_INVALID', n.id, `sharing substation '${s}' must have the moving load's kind and unit.`, { substation: s });
    }
    if (nodes.some((c) => c.parent === n.id)) fail('TOPOLOGY_SHARING_INVALID', n.id, 'a moving load is a bottom series and cannot have children.');
    const lca = lowestCommonAncestor(fixed, subs);
    if (lca === null) fail('TOPOLOGY_SHARING_INVALID', n.id, `substations ${subs.join(', ')} are not in one hierarchy.`);
    if (subs.includes(lca!)) fail('TOPOLOGY_SHARING_INVALID', n.id, `substation '${lca}' contains the others; list substations at the same level.`);
    if (n.parent && n.parent !== lca && !ancestors(fixed, lca!).includes(n.parent)) {
      fail('TOPOLOGY_SHARING_INVALID', n.id, `parent '${n.parent}' is not above every substation it draws from (their lowest common ancestor is '${lca}'); it would be counted at the wrong level.`);
    }
    parent.set(n.id, n.parent ?? lca);
  }
  return parent;
}

function topDown(tree: Tree): string[] {
  const out: string[] = [];
  for (let level = tree.roots; level.length > 0; level = level.flatMap((id) => tree.children.get(id)!)) out.push(...level);
  return out;
}
