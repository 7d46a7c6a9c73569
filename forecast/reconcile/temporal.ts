import { DateTime, IANAZone } from 'luxon';
import { GridcastError } from '../../core/errors.ts';
import { isEnergyUnit } from '../../core/units.ts';

/**
 * Daily values of a sub-daily forecast on the local calendar (C2): energy units sum, power units
 * average, so the daily value of a run is by construction the one its sub-daily values imply.
 * Steps are labelled by their start and belong to the local day they start in; a day has 23 or
 * 25 hourly steps across DST changes. `complete` is false for a day the forecast covers only in part.
 */
export function toDaily(
  values: Float64Array,
  startMs: number,
  stepSec: number,
  timeZone: string,
  unit: string,
): { dayStartMs: number[]; values: Float64Array; steps: number[]; complete: boolean[] } {
  if (!(stepSec > 0) || 86400 % stepSec !== 0) {
    throw new GridcastError('TEMPORAL_STEP', `A step of ${stepSec} s does not divide a day; use a sub-daily step such as 3600 or 900.`, { stepSec });
  }
  if (!IANAZone.isValidZone(timeZone)) {
    throw new GridcastError('TEMPORAL_ZONE', `Unknown time zone '${timeZone}'.`, { timeZone });
  }
  const energy = isEnergyUnit(unit);
  const stepMs = stepSec * 1000;
  const dayStartMs: number[] = [];
  const sums: number[] = [];
  const steps: number[] = [];
  const complete: boolean[] = [];
  let dayEnd = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const t = startMs + i * stepMs;
    if (t >= dayEnd) {
      const day = DateTime.fromMillis(t, { zone: timeZone }).startOf('day');
      const start = day.toMillis();
      dayEnd = day.plus({ days: 1 }).toMillis();
      dayStartMs.push(start);
      sums.push(0);
      steps.push(0);
      // Partial when the forecast starts after the day does or ends before it does.
      complete.push(start >= startMs && dayEnd <= startMs + values.length * stepMs);
    }
    sums[sums.length - 1] += values[i];
    steps[steps.length - 1]++;
  }
  const out = Float64Array.from(sums, (s, d) => (energy ? s : s / steps[d]));
  return { dayStartMs, values: out, steps, complete };
}
