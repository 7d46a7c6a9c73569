import { parseArgs } from 'node:util';
import { loadConfig } from '../../core/config.ts';
import { openStore } from '../../store/open.ts';
import { readTopologyFile } from '../../ingest/topology/read.ts';
import { renderTopology } from '../../ingest/topology/render.ts';
import { fillWeather } from '../../core/topology/weather.ts';
import { loadStoredTopology, saveTopology, type TopologyChanges } from '../../store/topology.repository.ts';
import { usageError, usageText } from '../lib/cli.ts';

export const summary = 'load a topology file (JSON/YAML) into the store, or show the stored (or a file\'s) hierarchy';

const WEATHER = `  --weather: nodes the file leaves without any weather input (none of their own, their
    descendants', substations' or ancestors') take the mean of every station, or STATION`;
export const subcommands = {
  load: usageText(
    ['gridcast topology load FILE [--dry-run] [--weather mean|STATION]'],
    `  stores the nodes of FILE that are new or changed and prints what changed (nothing is written when nothing changed)
  --dry-run: validate FILE only; nothing is stored
${WEATHER}`,
  ),
  show: usageText(['gridcast topology show [FILE]'], '  prints the stored hierarchy (or that of FILE) as a tree, siblings in natural order (z2 before z10)'),
};
export const usage = usageText(['gridcast topology load FILE [--dry-run] [--weather mean|STATION]', 'gridcast topology show [FILE]'], WEATHER);

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false }, weather: { type: 'string' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const [action, file, ...rest] = parsed.positionals;
  if (action !== 'load' && action !== 'show') throw usageError(action ? `unknown action '${action}': load or show` : 'give an action: load or show');
  if (action === 'load' && !file) throw usageError('topology load needs a FILE');
  if (rest.length > 0) throw usageError(`unexpected argument '${rest[0]}'`);
  if (action === 'show' && parsed.values['dry-run']) throw usageError('--dry-run goes with topology load');
  if (action === 'show' && file) {
    process.stdout.write(renderTopology(readTopologyFile(file)));
    return 0;
  }
  if (parsed.values.weather !== undefined && action !== 'load') throw usageError("--weather goes with 'topology load'");
  let topology = action === 'load' ? readTopologyFile(file) : undefined;
  if (topology && parsed.values.weather !== undefined) {
    const { topology: filled, filled: ids } = fillWeather(topology, parsed.values.weather);
    topology = filled;
    console.log(`--weather ${parsed.values.weather}: ${ids.length} node${ids.length === 1 ? '' : 's'} without weather input take it${ids.length ? ` (${ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, …` : ids.join(', ')})` : ''}`);
  }
  if (topology && parsed.values['dry-run']) {
    console.log(`${file}: valid, ${topology.nodes.length} nodes (nothing stored: --dry-run)`);
    return 0;
  }
  const config = loadConfig();
  const db = await openStore(config);
  try {
    if (topology) {
      const changes = await saveTopology(db, topology);
      process.stdout.write(describeChanges(file, topology.nodes.length, changes));
      if (changes.notInFile.length) console.error(keptWarning(file, changes.notInFile));
    } else process.stdout.write(renderTopology(await loadStoredTopology(db, config.timeZone)));
    return 0;
  } finally {
    await db.close();
  }
}

/** Ids listed per line at most, so a first load of a large grid stays readable. */
const MAX_LISTED = 20;
const list = (ids: string[]) => (ids.length > MAX_LISTED ? `${ids.slice(0, MAX_LISTED).join(', ')} and ${ids.length - MAX_LISTED} more` : ids.join(', '));
const shown = (v: unknown) => {
  if (v === null || v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Only what the load changed: added nodes, and changed nodes with each changed field (from → to). */
function describeChanges(file: string, nodes: number, c: TopologyChanges): string {
  const lines: string[] = [];
  if (c.added.length === 0 && c.changed.length === 0) lines.push(`${file}: no change (${nodes} nodes, all stored as in the file)`);
  else {
    lines.push(`${file}: ${c.added.length} added, ${c.changed.length} changed, ${c.unchanged} unchanged`);
    if (c.added.length) lines.push(`added: ${list(c.added)}`);
    for (const { id, fields } of c.changed) lines.push(`changed ${id}: ${fields.map((f) => `${f.field} ${shown(f.from)} → ${shown(f.to)}`).join('; ')}`);
  }
  return lines.join('\n') + '\n';
}

const keptWarning = (file: string, ids: string[]) =>
  `warning: ${list(ids)} ${ids.length > 1 ? 'are' : 'is'} stored under this hierarchy but not in ${file}: kept, and still summed into ${ids.length > 1 ? 'their parents' : 'its parent'} (gridcast never deletes a series)`;
