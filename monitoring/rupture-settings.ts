import { z } from 'zod';

/**
 * Settings of the rupture monitor. Defaults: one false alarm per series-year at most (hourly
 * residuals), thresholds recalibrated monthly on the last 90 days of the series' own residuals,
 * a 10 % median shift over 6 hours to confirm, two weeks of post-rupture history before the model
 * returns.
 */
export const ruptureSettingsSchema = z.object({
  /**
   * CUSUM allowance as a share of the smallest shift worth acting on (minRelativeShift of the
   * level): Page's k = δ/2 for a shift δ. Set in standard deviations of hourly residuals instead,
   * k would let the slow weather-driven biases of a day-ahead forecast accumulate, and the
   * calibrated h would have to be huge.
   */
  allowance: z.number().positive().default(0.5),
  alarmsPerYear: z.number().positive().default(1),
  calibrationDays: z.number().int().min(7).default(365),
  minCalibrationDays: z.number().int().min(2).default(14),
  recalibrateDays: z.number().int().positive().default(30),
  blockHours: z.number().int().positive().default(168),
  simulatedYears: z.number().int().positive().default(20),
  seed: z.number().int().default(1),
  confirmPoints: z.number().int().positive().default(6),
  minRelativeShift: z.number().positive().default(0.1),
  returnAfterDays: z.number().int().positive().default(14),
});

export type RuptureSettings = z.infer<typeof ruptureSettingsSchema>;

export const DEFAULT_RUPTURE_SETTINGS: RuptureSettings = ruptureSettingsSchema.parse({});
