import { runDeps } from '../bin/lib/run-deps.ts';
import { ConfigSchema } from '../core/config.ts';
import { silentLog } from '../core/log.ts';
import { runForecast } from '../forecast/run/service.ts';
import { backfillSimulated } from '../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { openPg, openPglite, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { loadStoredTopology, saveTopology } from '../store/topology.repository.ts';
import { scratchSchema } from '../test/db.ts';

const HISTORY_DAYS = 28;
export const benchConfig = ConfigSchema.parse({ timeZone: 'Europe/Paris', forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: HISTORY_DAYS } });

/**
 * The store of the API benchmarks (bench/api.ts, bench/api-load.ts): the simulated grid (npm start's
 * default topology) and one day-ahead run made by the forecast service. PGlite in memory, or a
 * scratch schema of the PostgreSQL database at `url` (dropped by `drop`).
 */
export async function storeWithRun(url?: string): Promise<{ db: Db; series: number; drop: () => Promise<void> }> {
  const scratch = url ? await scratchSchema(url, 'bench_api') : null;
  const db = scratch ? await openPg(scratch.url, 4) : await openPglite();
  await migrate(db);
  await saveTopology(db, readDefaultGrid());
  const sim = createSimulator({ seed: 1, topology: await loadStoredTopology(db, benchConfig.timeZone) });
  const now = new Date();
  await backfillSimulated(db, sim, { seed: 1, days: HISTORY_DAYS + 2, stepSec: 3600, now, log: silentLog });
  const run = await runForecast(runDeps(db, benchConfig), { horizon: 'day-ahead', asOf: now });
  return { db, series: run.series, drop: async () => scratch?.drop() };
}
