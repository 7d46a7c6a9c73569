import { detectDrift, type CalibrationCache, type DriftDeps } from '../monitoring/drift.service.ts';
import type { Job } from './scheduler.ts';

export const DRIFT_JOB = 'drift';

/**
 * Input drift of every champion (D3), daily at 06:30 local time: after the night's actuals and
 * weather observations are in, before the 09:00 day-ahead run, so an alarm is seen before the
 * day's forecasts are used. The recent window ends at the tick, so a caught-up run compares the
 * same days it would have on time. The job keeps each series' calibration while its champion
 * stays the same.
 */
export function driftJob(deps: DriftDeps): Job {
  const withCache = { ...deps, calibrations: deps.calibrations ?? (new Map() as CalibrationCache) };
  return {
    name: DRIFT_JOB,
    cron: '0 30 6 * * *',
    deadlineMs: 30 * 60_000,
    run: ({ scheduledAt }) => detectDrift(withCache, { asOf: scheduledAt }),
  };
}
