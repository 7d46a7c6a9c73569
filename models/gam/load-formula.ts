/**
 * The load GAM's formula and the feature table it reads, shared by fit and predict so both build
 * exactly the same columns.
 *
 *   log(y) ~ dayType + vacation + s(holiday, re) + s(hour, cc, by = hour group) + s(doy, cc) + s(trend, cr)
 *            + te(temp, hour) + ti(temp, doy) + te(smoothed temp, hour) per half-life + s(24 h max) + s(24 h min)
 *
 * Defaults measured on GEFCom2012 system load, 2007 held out, trained on 2004–2006 with actual
 * temperatures (bench/gam-fit.ts): log target 4.48 % MAPE vs 4.64 % on the raw scale; half-lives
 * 6/24/72 h beat 1/3/7/21 days (4.19 vs 4.48 %) — the recency effect of Wang, Liu & Hong (2016) —
 * and the season × temperature interaction and finer temperature knots bring it to 3.94 %.
 * Giving each smoothed temperature its own response by hour of day (the recency effect interacted
 * with the hour, as Wang, Liu & Hong do) took the day-ahead gam-arima on the 28 bench origins
 * (bench/accuracy.ts, one fit per series) from 3.50 to 3.15 % on GEFCom2012 system and from
 * 3.59/4.37 to 3.50/4.08 % on BigDEAL ldc1/ldc2 with observed weather. Fitting on forecast-like
 * temperatures (trainingTemperatureErrorSd 1 °C, the RMSE of BigDEAL's day-ahead forecasts) then
 * brought the forecast-weather rows down (ldc1 4.52 → 4.38, ldc2 4.88 → 4.71 %) and kept ldc3 from
 * a 41 % miss after an outage; 0.5 and 1.5 °C were worse on every series (README, Day-ahead accuracy).
 */
import { z } from 'zod';
import type { Covariates } from '../../core/types.ts';
import { GridcastError } from '../../core/errors.ts';
import { calendarFeatures, CalendarSpecSchema, DAY_TYPE, DAY_TYPE_LEVELS, type CalendarSpec } from '../features/calendar.ts';
import { DAY_AHEAD_TEMPERATURE_ERROR_SD, smoothedName, temperatureFeatures, type TemperatureState } from '../features/temperature.ts';
import type { TermSpec } from './design.ts';
import type { SmoothingCriterion } from './fit.ts';

export interface GamForecasterParams {
  calendar: CalendarSpec;
  /** Fit log(load): effects act multiplicatively, as they do on a grid whose size changes. */
  logTarget: boolean;
  criterion: SmoothingCriterion;
  /** 'auto': use the 'temperature' covariate when fit() gets it; 'none': calendar only. */
  temperature: 'auto' | 'none';
  /** Half-lives (hours) of the exponentially smoothed temperatures (thermal inertia). */
  halfLivesHours: number[];
  /** Knots of the daily profile (cyclic over 24 h). */
  hourKnots: number;
  /** Knots of the annual cycle (cyclic over the year); used when the history covers a year. */
  doyKnots: number;
  /** Knots of the long-term trend; used when the history covers a year. */
  trendKnots: number;
  /** Knots of temperature in te(temp, hour). */
  tempKnots: number;
  /** Knots of hour in te(temp, hour). */
  tempHourKnots: number;
  /** Knots of each smoothed / max / min temperature smooth. */
  inertiaKnots: number;
  /** Knots of the annual cycle in ti(temp, doy) (the temperature response changes with the season); 0 leaves it out. */
  tempSeasonKnots: number;
  /** Knots of each margin of ti(hour, doy): the daily profile changes shape with the season (daylight); 0 leaves it out. */
  hourSeasonKnots: number;
  /** Knots of hour in te(smoothed temperature, hour) for each half-life (inertia acts differently by hour); 0: plain s(smoothed temperature). */
  inertiaHourKnots: number;
  /**
   * Each named public holiday its own deviation from the holiday day type, shrunk towards it
   * (s(holiday, bs = "re"), its variance estimated with the other smoothing parameters): a
   * Christmas is not a Columbus Day. A holiday not in the history gets the day type alone.
   */
  holidayEffects: boolean;
  /**
   * Days whose mean residual lies this many MADs from the median day start an abnormal event (an
   * outage, a storm), which the GAM is fitted without (abnormal-days.ts); 0 fits on every day.
   */
  abnormalDayThreshold: number;
  /**
   * Standard deviation (°C) of forecast-like errors added to the observed temperatures the GAM is
   * fitted on (features/temperature.ts forecastLikeErrors): at the horizon it reads forecasts, not
   * observations. 0 fits on the observations as given. In-sample fits and residuals (what the
   * ARIMA sees) use the observations.
   */
  trainingTemperatureErrorSd: number;
  /** Days of history below which fit() refuses (the fallbacks serve shorter histories). */
  minHistoryDays: number;
  /** Without weather and with less than a year of history, a trend carries the level's drift (see planLayout). */
  shortTrend: boolean;
  /**
   * 'own': each weekday its own level and Monday, Tuesday–Thursday and Friday their own daily
   * curves; 'pooled': Monday to Friday share one level and one curve (working day, Saturday,
   * Sunday); 'auto': pooled on a weather-free history shorter than a year (see planLayout).
   */
  workdays: 'own' | 'pooled' | 'auto';
}

export const DEFAULT_GAM: GamForecasterParams = {
  calendar: {},
  logTarget: true,
  criterion: 'REML',
  temperature: 'auto',
  halfLivesHours: [6, 24, 72],
  hourKnots: 13,
  doyKnots: 14,
  trendKnots: 4,
  tempKnots: 10,
  tempHourKnots: 12,
  inertiaKnots: 6,
  tempSeasonKnots: 6,
  hourSeasonKnots: 0,
  inertiaHourKnots: 6,
  holidayEffects: true,
  abnormalDayThreshold: 7,
  trainingTemperatureErrorSd: DAY_AHEAD_TEMPERATURE_ERROR_SD,
  minHistoryDays: 28,
  shortTrend: true,
  workdays: 'auto',
};

const knots = (min: number) => z.number().int().min(min).max(60);

/** Parameters as they arrive from configuration or the registry; every field optional. */
export const GamParamsSchema = z
  .object({
    calendar: CalendarSpecSchema,
    logTarget: z.boolean(),
    criterion: z.enum(['REML', 'GCV']),
    temperature: z.enum(['auto', 'none']),
    halfLivesHours: z.array(z.number().positive().max(24 * 365)).max(8),
    hourKnots: knots(4),
    doyKnots: knots(4),
    trendKnots: knots(3),
    tempKnots: knots(3),
    tempHourKnots: knots(4),
    inertiaKnots: knots(3),
    tempSeasonKnots: z.union([z.literal(0), knots(4)]),
    hourSeasonKnots: z.union([z.literal(0), knots(4)]),
    inertiaHourKnots: z.union([z.literal(0), knots(4)]),
    holidayEffects: z.boolean(),
    abnormalDayThreshold: z.union([z.literal(0), z.number().min(3).max(50)]),
    trainingTemperatureErrorSd: z.number().min(0).max(10),
    minHistoryDays: z.number().int().min(7),
    shortTrend: z.boolean(),
    workdays: z.enum(['own', 'pooled', 'auto']),
  })
  .partial()
  .strict();

/** Defaults completed with `params`, or a GridcastError naming the bad field. */
export function parseGamParams(params: unknown): GamForecasterParams {
  const r = GamParamsSchema.safeParse(params ?? {});
  if (!r.success) {
    throw new GridcastError('INVALID_PARAMS', `gam parameters are invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, { issues: r.error.issues });
  }
  return { ...DEFAULT_GAM, ...r.data };
}

/**
 * Daily-profile groups: Monday, Tuesday–Thursday, Friday, Saturday, Sunday, holiday, bridge day.
 * Mid-week days share one curve: their shapes are the same and the data is better spent elsewhere.
 */
export const HOUR_GROUP = [0, 1, 1, 1, 2, 3, 4, 5, 6];
/** The names of the hour groups, by level. */
export const HOUR_GROUP_NAMES = ['Monday', 'Tuesday–Thursday', 'Friday', 'Saturday', 'Sunday', 'public holiday', 'bridge day'];
export const HOUR_GROUP_LEVELS = 7;

/** What the fit learnt about the features, needed to rebuild them identically at predict time. */
export interface FeatureLayout {
  /** Day type actually used for each day-type code (unseen holiday/bridge days borrow Sunday/Saturday; pooled workdays are Monday's). */
  dayTypeMap: number[];
  /** Monday to Friday share day type 0 (level and daily curve): named 'working day' in reports. */
  pooledWorkdays?: boolean;
  hourGroupLevels: number;
  useVacation: boolean;
  useAnnual: boolean;
  useHour: boolean;
  useTemperature: boolean;
  /**
   * The named holidays of the history, each with its own deviation (column 'holiday': 1 + its
   * index, 0 on other days); absent without holidayEffects, with fewer than two names, or when
   * the holiday day type is borrowed.
   */
  holidays?: string[];
  /**
   * Knots of a trend fitted on a history shorter than a year (a level that drifts over the weeks
   * with the season, as mgcv's s(trend) in a short-history model); absent: no trend below a year.
   */
  shortTrendKnots?: number;
}

export interface FeatureTable {
  columns: Record<string, Float64Array>;
  temperatureState?: TemperatureState;
}

export function temperatureOf(c: Covariates | undefined): Float64Array | undefined {
  return c?.future?.temperature ?? c?.past?.temperature;
}

export function buildFeatures(
  firstMs: number,
  stepSec: number,
  count: number,
  timeZone: string,
  params: GamForecasterParams,
  layout: Pick<FeatureLayout, 'dayTypeMap' | 'useTemperature' | 'holidays'> | undefined,
  temperature: Float64Array | undefined,
  temperatureState: TemperatureState | undefined,
): FeatureTable & { rawDayType: Float64Array; /** Each step's holiday name ('' on other days); empty under a layout without holiday effects. */ rawHoliday: string[] } {
  const cal = calendarFeatures(firstMs, stepSec, count, timeZone, params.calendar);
  const map = layout?.dayTypeMap;
  const dayType = map ? Float64Array.from(cal.dayType, (d) => map[d]) : cal.dayType;
  // Only a fit (no layout yet) or a layout with holiday effects reads the names: predict and condition skip them.
  const rawHoliday = !layout || layout.holidays ? Array.from(cal.day, (d) => cal.holidayNames.get(d) ?? '') : [];
  const columns: Record<string, Float64Array> = {
    hour: cal.hour,
    dayType,
    hourGroup: Float64Array.from(dayType, (d) => HOUR_GROUP[d]),
    vacation: cal.vacation,
    doy: cal.doy,
    trend: cal.trend,
    ...(layout?.holidays ? { holiday: holidayColumn(rawHoliday, layout.holidays) } : {}),
  };
  let state: TemperatureState | undefined;
  if (temperature && (layout?.useTemperature ?? true)) {
    const tf = temperatureFeatures(temperature, stepSec, params.halfLivesHours, temperatureState);
    Object.assign(columns, tf.columns);
    state = tf.state;
  }
  return { columns, temperatureState: state, rawDayType: cal.dayType, rawHoliday };
}

/** 1 + the index of each step's holiday in `holidays`, 0 on other days and on holidays not in it. */
export function holidayColumn(rawHoliday: readonly string[], holidays: readonly string[]): Float64Array {
  const index = new Map(holidays.map((h, k) => [h, k + 1]));
  return Float64Array.from(rawHoliday, (h) => (h ? (index.get(h) ?? 0) : 0));
}

/** Decides which terms the history supports (a year for the annual cycle, seen day types, …). */
export function planLayout(raw: Float64Array, rawHoliday: readonly string[], columns: Record<string, Float64Array>, observed: (i: number) => boolean, stepSec: number, params: GamForecasterParams, hasTemperature: boolean, spanDays: number): FeatureLayout {
  const seen = new Array(DAY_TYPE_LEVELS).fill(0);
  const vac = [0, 0];
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    if (!observed(i)) continue;
    seen[raw[i]]++;
    vac[columns.vacation[i]]++;
    if (rawHoliday[i]) names.add(rawHoliday[i]);
  }
  const perDay = 86_400 / stepSec;
  const dayTypeMap = Array.from({ length: DAY_TYPE_LEVELS }, (_, d) => d);
  // A day type needs a couple of observed days before it gets its own level and daily curve.
  if (seen[DAY_TYPE.HOLIDAY] < 2 * perDay) dayTypeMap[DAY_TYPE.HOLIDAY] = 6;
  if (seen[DAY_TYPE.BRIDGE] < 2 * perDay) dayTypeMap[DAY_TYPE.BRIDGE] = dayTypeMap[DAY_TYPE.HOLIDAY] === 6 ? 5 : 4;
  const pooled = poolsWorkdays(params.workdays, hasTemperature, spanDays);
  if (pooled) for (let d = 0; d < dayTypeMap.length; d++) if (isWorkday(dayTypeMap[d])) dayTypeMap[d] = 0;
  for (let d = 0; d < 7; d++) {
    if (seen[d] === 0) {
      throw new GridcastError('HISTORY_TOO_SHORT', `the GAM needs every weekday in its history but has no observed ${['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][d]}; use a fallback model`, { weekday: d });
    }
  }
  const holidays = params.holidayEffects && dayTypeMap[DAY_TYPE.HOLIDAY] === DAY_TYPE.HOLIDAY && names.size >= 2 ? [...names].sort() : undefined;
  return {
    dayTypeMap,
    ...(pooled ? { pooledWorkdays: true } : {}),
    ...(holidays ? { holidays } : {}),
    hourGroupLevels: HOUR_GROUP_LEVELS,
    useVacation: vac[0] > perDay && vac[1] > perDay,
    useAnnual: spanDays >= 365,
    useHour: perDay >= 4,
    useTemperature: hasTemperature,
    // Below a year there is no annual cycle to carry the seasonal drift of the level: without
    // weather a trend does, about one knot per fortnight (mgcv's default k = 10 from 20 weeks on).
    // With weather the temperature terms carry that drift (and a trend would compete with them).
    ...(params.shortTrend && !hasTemperature && spanDays < 365 && spanDays >= SHORT_TREND_MIN_DAYS ? { shortTrendKnots: Math.max(3, Math.min(10, Math.floor(spanDays / 14))) } : {}),
  };
}

const isWorkday = (dayType: number) => dayType >= 0 && dayType <= 4;

/**
 * Whether Monday to Friday share one day type. A weekday's own level and curve are learnt from
 * one day a week, and the GAM counts each of that day's steps as an independent observation:
 * below a year of weather-free history (12 weeks: 12 Mondays), day-to-day swings that weather
 * would explain become weekday effects (BigDEAL ldc1, 12 weeks: day-ahead MAPE of the GAM + R's
 * auto.arima 10.8 % with 7 daily curves, 8.7 % with working day / Saturday / Sunday). With
 * weather or a year of history each weekday keeps its own.
 */
export function poolsWorkdays(workdays: GamForecasterParams['workdays'], hasTemperature: boolean, spanDays: number): boolean {
  if (workdays !== 'auto') return workdays === 'pooled';
  return !hasTemperature && spanDays < 365;
}

/** Days of history from which a history shorter than a year gets a trend. */
export const SHORT_TREND_MIN_DAYS = 28;

export function loadFormula(layout: FeatureLayout, params: GamForecasterParams): TermSpec[] {
  const terms: TermSpec[] = [{ kind: 'factor', variable: 'dayType', levels: DAY_TYPE_LEVELS }];
  if (layout.useVacation) terms.push({ kind: 'factor', variable: 'vacation', levels: 2 });
  if (layout.holidays) terms.push({ kind: 're', variable: 'holiday', levels: layout.holidays.length });
  if (layout.useHour) terms.push({ kind: 's', variable: 'hour', bs: 'cc', k: params.hourKnots, by: 'hourGroup', byLevels: layout.hourGroupLevels, knots: [0, 24] });
  if (layout.useAnnual) {
    terms.push({ kind: 's', variable: 'doy', bs: 'cc', k: params.doyKnots, knots: [0, 1] });
    terms.push({ kind: 's', variable: 'trend', bs: 'cr', k: params.trendKnots });
    if (layout.useHour && params.hourSeasonKnots > 0) {
      terms.push({ kind: 'ti', variables: ['hour', 'doy'], bs: ['cc', 'cc'], k: [params.hourSeasonKnots, params.hourSeasonKnots], knots: [[0, 24], [0, 1]] });
    }
  } else if (layout.shortTrendKnots) {
    terms.push({ kind: 's', variable: 'trend', bs: 'cr', k: layout.shortTrendKnots });
  }
  if (layout.useTemperature) {
    if (layout.useHour) terms.push({ kind: 'te', variables: ['temp', 'hour'], bs: ['cr', 'cc'], k: [params.tempKnots, params.tempHourKnots], knots: [undefined, [0, 24]] });
    else terms.push({ kind: 's', variable: 'temp', bs: 'cr', k: params.tempKnots });
    if (layout.useAnnual && params.tempSeasonKnots > 0) {
      terms.push({ kind: 'ti', variables: ['temp', 'doy'], bs: ['cr', 'cc'], k: [params.tempKnots, params.tempSeasonKnots], knots: [undefined, [0, 1]] });
    }
    for (const h of params.halfLivesHours) {
      if (layout.useHour && params.inertiaHourKnots > 0) {
        terms.push({ kind: 'te', variables: [smoothedName(h), 'hour'], bs: ['cr', 'cc'], k: [params.inertiaKnots, params.inertiaHourKnots], knots: [undefined, [0, 24]] });
      } else terms.push({ kind: 's', variable: smoothedName(h), bs: 'cr', k: params.inertiaKnots });
    }
    terms.push({ kind: 's', variable: 'temp_max24', bs: 'cr', k: params.inertiaKnots });
    terms.push({ kind: 's', variable: 'temp_min24', bs: 'cr', k: params.inertiaKnots });
  }
  return terms;
}
