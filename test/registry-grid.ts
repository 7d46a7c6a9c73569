import { fileURLToPath } from 'node:url';
import type { MeasurementInput } from '../core/series.ts';
import { readTopologyFile } from '../ingest/topology/read.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { simulatedLoad } from './backtest-fixtures.ts';

const TOPOLOGY = fileURLToPath(new URL('./fixtures/registry/grid.yaml', import.meta.url));
const H = 3_600_000;

/** The registry tests' grid (fixtures/registry/grid.yaml) with `days` of hourly simulated load on its two feeders from `start`. */
export async function seedRegistryGrid(db: Db, start: string, days: number): Promise<void> {
  await saveTopology(db, readTopologyFile(TOPOLOGY));
  const points: MeasurementInput[] = [];
  for (const [id, level] of [['feeder.a', 100], ['feeder.b', 60]] as const) {
    const s = simulatedLoad(id, start, days * 24, level);
    for (let i = 0; i < s.values.length; i++) points.push({ seriesId: id, ts: new Date(s.start.getTime() + i * H), value: s.values[i] });
  }
  await db.transaction((tx) => insertMeasurements(tx, points));
}
