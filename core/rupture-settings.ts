import { z } from 'zod';

/**
 * Settings of the rupture monitor (monitoring/rupture.service.ts), the `rupture`
 * section of the configuration. Defaults: at most one false fallback switch per series-year,
 * thresholds recalibrated monthly on the last year of the series' own residuals, the mean of the
 * last day's residuals as the statistic, a 10 % median shift over 6 hours to confirm, two weeks of
 * post-rupture history before the model returns.
 */
export const ruptureSettingsSchema = z.strictObject({
  /**
   * Hours the detector averages (monitoring/stats/window-mean.ts): a day. The errors of a
   * day-ahead forecast are persistent within the day it was issued for and near-independent
   * from one day to the next; a level shift moves the day's mean in full, a burst of hours only
   * by its share of the day.
   */
  windowHours: z.number().int().min(2).default(24),
  alarmsPerYear: z.number().positive().default(1),
  calibrationDays: z.number().int().min(7).default(365),
  minCalibrationDays: z.number().int().min(2).default(14),
  recalibrateDays: z.number().int().positive().default(30),
  blockHours: z.number().int().positive().default(168),
  simulatedYears: z.number().int().positive().default(20),
  seed: z.number().int().default(1),
  confirmPoints: z.number().int().positive().default(6),
  /** Smallest median shift, as a share of the level, that the confirmation acts on. */
  minRelativeShift: z.number().positive().default(0.1),
  returnAfterDays: z.number().int().positive().default(14),
  /**
   * Siblings (series under the same parent with day-ahead forecasts) needed before a series'
   * residuals are corrected by theirs (monitoring/peers.ts), and the most the correction uses
   * (the most correlated). A sibling's own rupture that passes into a series' statistic is
   * stopped by the confirmation, which also asks the uncorrected residuals for the shift.
   */
  minPeers: z.number().int().min(1).default(1),
  maxPeers: z.number().int().min(1).default(20),
});

export type RuptureSettings = z.infer<typeof ruptureSettingsSchema>;

export const DEFAULT_RUPTURE_SETTINGS: RuptureSettings = ruptureSettingsSchema.parse({});
