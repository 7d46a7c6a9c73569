import { parseArgs } from 'node:util';
import { loadConfig } from '../../core/config.ts';
import { openStore } from '../../store/open.ts';
import { readTopologyFile } from '../../ingest/topology/read.ts';
import { renderTopology } from '../../ingest/topology/render.ts';
import { fillWeather } from '../../core/topology/weather.ts';
import { loadStoredTopology, saveTopology } from '../../store/topology.repository.ts';

export const summary = 'load a topology file (JSON/YAML) into the store, or show the stored (or a file\'s) hierarchy';

const USAGE = `usage: gridcast topology load FILE [--dry-run] [--weather mean|STATION]
       gridcast topology show [FILE]
  --weather: nodes the file leaves without any weather input (none of their own, their
    descendants', substations' or ancestors') take the mean of every station, or STATION`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false }, weather: { type: 'string' } } });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [action, file, ...rest] = parsed.positionals;
  if (rest.length > 0 || (action === 'load' && !file) || (action !== 'load' && action !== 'show')) {
    console.error(USAGE);
    return 2;
  }
  if (action === 'show' && file) {
    process.stdout.write(renderTopology(readTopologyFile(file)));
    return 0;
  }
  if (parsed.values.weather !== undefined && action !== 'load') {
    console.error(`--weather goes with 'topology load'\n${USAGE}`);
    return 2;
  }
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
      const { inserted, updated } = await saveTopology(db, topology);
      console.log(`${file}: ${topology.nodes.length} nodes stored (${inserted} new, ${updated} updated)`);
    } else {
      process.stdout.write(renderTopology(await loadStoredTopology(db, config.timeZone)));
    }
    return 0;
  } finally {
    await db.close();
  }
}
