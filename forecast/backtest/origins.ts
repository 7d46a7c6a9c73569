import { DateTime } from 'luxon';
import { GridcastError } from '../../core/errors.ts';

export interface OriginPlan {
  /** Epoch ms of values[0]. */
  startMs: number;
  stepSec: number;
  /** Number of steps of data. */
  length: number;
  horizon: number;
  /** How many origins (the last N). */
  count: number;
  /** Steps between origins; default one local day (23 or 25 h across DST changes). */
  originStepSteps?: number;
  timeZone?: string;
  /** Steps of history the model needs before the first origin. */
  minHistory?: number;
}

const isLocalMidnight = (ms: number, zone: string) => {
  const dt = DateTime.fromMillis(ms, { zone });
  return dt.hour === 0 && dt.minute === 0 && dt.second === 0 && dt.millisecond === 0;
};

/**
 * Indices (ascending) of the last `count` forecast origins: the last one is the latest local
 * midnight whose `horizon` targets all lie inside the data; the others go back one local day
 * (or `originStepSteps`) at a time. The model at origin i sees values[0 .. i) only.
 */
export function placeOrigins(p: OriginPlan): number[] {
  const zone = p.timeZone ?? 'UTC';
  if (!Number.isInteger(p.horizon) || p.horizon < 1) {
    throw new GridcastError('INVALID_HORIZON', `horizon must be a positive whole number of steps, got ${p.horizon}`, { horizon: p.horizon });
  }
  if (!Number.isInteger(p.count) || p.count < 1) {
    throw new GridcastError('INVALID_ORIGINS', `the number of origins must be a positive whole number, got ${p.count}`, { origins: p.count });
  }
  if (p.originStepSteps !== undefined && (!Number.isInteger(p.originStepSteps) || p.originStepSteps < 1)) {
    throw new GridcastError('INVALID_ORIGIN_STEP', `--origin-step must be a positive whole number of steps, got ${p.originStepSteps}`, { originStep: p.originStepSteps });
  }
  const stepMs = p.stepSec * 1000;
  if (!DateTime.fromMillis(p.startMs, { zone }).isValid) throw new GridcastError('INVALID_TIME_ZONE', `unknown time zone '${zone}'; use an IANA name such as 'Europe/Paris'`, { timeZone: zone });
  let last = p.length - p.horizon;
  while (last >= 0 && !isLocalMidnight(p.startMs + last * stepMs, zone)) last--;
  const minHistory = Math.max(1, p.minHistory ?? 1);
  const origins: number[] = [];
  let o = last;
  while (o >= minHistory && origins.length < p.count) {
    origins.push(o);
    if (p.originStepSteps !== undefined) {
      o -= p.originStepSteps;
    } else {
      const prevMs = DateTime.fromMillis(p.startMs + o * stepMs, { zone }).minus({ days: 1 }).startOf('day').toMillis();
      const idx = (prevMs - p.startMs) / stepMs;
      // A local midnight off the step grid (step longer than an hour across DST) ends the search.
      o = Number.isInteger(idx) ? idx : -1;
    }
  }
  if (origins.length < p.count) {
    const days = ((p.length * p.stepSec) / 86_400).toFixed(1);
    throw new GridcastError(
      'TOO_FEW_DATA',
      `${p.count} origins need more data: with a horizon of ${p.horizon} steps and ${minHistory} steps of history before the first origin, ${days} days of data allow only ${origins.length} origin(s) at local midnight (${zone}); ask for fewer origins, a smaller --origin-step or give more data`,
      { requested: p.count, possible: origins.length, minHistory, horizon: p.horizon },
    );
  }
  return origins.reverse();
}
