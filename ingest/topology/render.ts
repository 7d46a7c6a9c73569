import { buildTree } from '../../core/hierarchy.ts';
import { naturalCompare } from '../../core/natural-sort.ts';
import type { Topology, TopologyNode } from '../../core/topology/schema.ts';

const describe = (n: TopologyNode): string => {
  const bits = [`${n.kind}, ${n.unit}`];
  if (n.weatherStation) bits.push(`weather ${typeof n.weatherStation === 'string' ? n.weatherStation : n.weatherStation.map((w) => `${w.station} ×${w.weight}`).join(' + ')}`);
  if (n.sharing) bits.push(`moving load over ${n.sharing.substations.join('+')} (${n.sharing.allocation})`);
  if (n.attrs.pvCapacity !== undefined) bits.push(`PV ${n.attrs.pvCapacity} ${n.unit}`);
  if (n.attrs.site) bits.push(`at ${n.attrs.site}`);
  if (n.attrs.from) bits.push(`line ${n.attrs.from}→${n.attrs.to} measured at ${n.attrs.measuredAt ?? n.attrs.from}`);
  return `${n.id}${n.name ? ` "${n.name}"` : ''} (${bits.join('; ')})`;
};

/**
 * The hierarchy as an indented tree, then the series outside it (stations, flows, production).
 * Siblings are in natural order (z2 before z10), whatever the order of the file or the store.
 */
export function renderTopology(t: Topology): string {
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  const tree = buildTree(t.nodes);
  const sorted = (ids: string[]) => [...ids].sort(naturalCompare);
  const lines: string[] = [];
  const walk = (id: string, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${describe(byId.get(id)!)}`);
    for (const c of sorted(tree.children.get(id)!)) walk(c, depth + 1);
  };
  const roots = sorted(tree.roots);
  const hierarchies = roots.filter((r) => tree.children.get(r)!.length > 0);
  for (const r of hierarchies) walk(r, 0);
  const loose = roots.filter((r) => tree.children.get(r)!.length === 0);
  if (loose.length > 0) {
    lines.push('', 'outside the hierarchy:');
    for (const id of loose) lines.push(`  ${describe(byId.get(id)!)}`);
  }
  return lines.join('\n') + '\n';
}
