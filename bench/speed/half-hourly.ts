/**
 * The speed bench's series: three years of the simulated grid (ingest/simulator, seed 42, default
 * topology, no sensor faults) at 30-minute steps — the sum of the 17 substation withdrawals as the
 * load and the mean of the 3 stations' temperatures — built deterministically from the seed.
 * The shared data is hourly only; the simulator draws its load profiles by local clock time
 * (Europe/Paris, FR holidays), so the half-hourly shape is its own, not an interpolation.
 */
import type { Series } from '../../core/types.ts';
import { readDefaultGrid } from '../../ingest/simulator/default-grid.ts';
import { createSimulator } from '../../ingest/simulator/simulator.ts';

export const HALF_HOURLY = { seed: 42, from: '2021-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z', stepSec: 1800, timeZone: 'Europe/Paris', holidays: 'FR' } as const;

export function halfHourlySeries(): { series: Series; temperature: Float64Array } {
  const sim = createSimulator({ seed: HALF_HOURLY.seed, topology: readDefaultGrid(), faults: false, holidays: HALF_HOURLY.holidays });
  const substations = new Set(sim.seriesIds.filter((id) => id.startsWith('ss.')));
  const startMs = Date.parse(HALF_HOURLY.from);
  const stepMs = HALF_HOURLY.stepSec * 1000;
  const n = (Date.parse(HALF_HOURLY.to) - startMs) / stepMs;
  const load = new Float64Array(n);
  const temp = new Float64Array(n);
  const stations = new Float64Array(n);
  for (const b of sim.chunks(new Date(startMs), new Date(Date.parse(HALF_HOURLY.to)), HALF_HOURLY.stepSec, 7 * 86_400)) {
    for (const m of b.measurements) if (substations.has(m.seriesId)) load[(m.ts.getTime() - startMs) / stepMs] += m.value;
    for (const w of b.weather) {
      if (w.variable !== 'temperature') continue;
      const i = (w.ts.getTime() - startMs) / stepMs;
      temp[i] += w.value;
      stations[i]++;
    }
  }
  for (let i = 0; i < n; i++) temp[i] = stations[i] > 0 ? temp[i] / stations[i] : Number.NaN;
  return { series: { id: 'sim-nation', start: new Date(startMs), stepSec: HALF_HOURLY.stepSec, values: load, timeZone: HALF_HOURLY.timeZone }, temperature: temp };
}
