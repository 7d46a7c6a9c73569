/**
 * The partial effects of the load GAM (load-formula.ts) named for people: the daily profile of each
 * day-type group, the annual cycle, the trend, the temperature responses, the day-type and
 * vacation levels — each axis with what it measures.
 */
import { partialEffects, type CurveEffect, type EffectOptions, type FactorEffect, type LinearEffect, type SurfaceEffect } from './effects.ts';
import type { GamModel } from './gam.ts';
import { HOUR_GROUP, HOUR_GROUP_NAMES, type FeatureLayout, type GamForecasterParams } from './load-formula.ts';

export interface Axis {
  variable: string;
  label: string;
  unit: string | null;
}

export type NamedEffect =
  | (CurveEffect & { name: string; axes: [Axis] })
  | (SurfaceEffect & { name: string; axes: [Axis, Axis] })
  | (Omit<FactorEffect, 'levels'> & { name: string; levels: Array<FactorEffect['levels'][number] & { name: string }> })
  | (LinearEffect & { name: string });

export interface LoadGamEffects {
  /** What the effects add up to: log(load) (effects multiply the load by exp(effect)) or the load itself. */
  response: 'log(load)' | 'load';
  criterion: GamModel['criterion'];
  /** Rows fitted, total effective degrees of freedom, residual variance (on the response scale). */
  n: number;
  edf: number;
  sig2: number;
  terms: NamedEffect[];
}

const DAY_TYPES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'public holiday', 'bridge day'];
const TEMPERATURE = { unit: '°C' };

function axis(variable: string): Axis {
  if (variable === 'hour') return { variable, label: 'local hour of day', unit: 'h' };
  if (variable === 'doy') return { variable, label: 'position in the year (0: 1 January, 1: the end of the year)', unit: null };
  if (variable === 'trend') return { variable, label: 'years since 2000-01-01', unit: 'years' };
  if (variable === 'temp') return { variable, label: 'temperature', ...TEMPERATURE };
  if (variable === 'temp_max24') return { variable, label: 'highest temperature of the last 24 h', ...TEMPERATURE };
  if (variable === 'temp_min24') return { variable, label: 'lowest temperature of the last 24 h', ...TEMPERATURE };
  const smoothed = /^temp_s(\d+(?:\.\d+)?)h$/.exec(variable);
  if (smoothed) return { variable, label: `temperature smoothed with a ${smoothed[1]} h half-life`, ...TEMPERATURE };
  return { variable, label: variable, unit: null };
}

/** Pooled workdays (layout.pooledWorkdays) share day type and hour group 0, Monday's. */
const WORKING_DAY = 'working day';

function curveName(e: CurveEffect, pooled: boolean): string {
  if (e.variable === 'hour' && e.by?.variable === 'hourGroup') return `daily profile: ${pooled && e.by.level === 0 ? WORKING_DAY : (HOUR_GROUP_NAMES[e.by.level] ?? `group ${e.by.level}`)}`;
  if (e.variable === 'doy') return 'annual cycle';
  if (e.variable === 'trend') return 'trend';
  if (e.variable === 'temp') return 'temperature response';
  const a = axis(e.variable);
  return a.unit === '°C' ? `thermal inertia: ${a.label}` : e.label;
}

function surfaceName(e: SurfaceEffect): string {
  const [x, z] = e.variables;
  if (x === 'temp' && z === 'hour') return 'temperature response by hour of day';
  if (x === 'temp' && z === 'doy') return 'temperature response by season (interaction beyond the main effects)';
  if (x === 'hour' && z === 'doy') return 'daily profile by season (interaction beyond the main effects)';
  const a = axis(x);
  if (a.unit === '°C' && z === 'hour') return `thermal inertia by hour of day: ${a.label}`;
  return e.label;
}

/**
 * Every term of a load GAM with its partial effect (effects.ts), named. Day-type levels that do not
 * occur in the fitted data (a holiday type never seen borrows Sunday's) are left out: nothing
 * estimated them.
 */
export function loadGamEffects(g: { model: GamModel; layout: FeatureLayout; params: GamForecasterParams }, opts: EffectOptions = {}): LoadGamEffects {
  const effects = partialEffects(g.model, { ...opts, byLevelOf: { dayType: { variable: 'hourGroup', level: (d) => HOUR_GROUP[d] } } });
  const seenDayTypes = new Set(g.layout.dayTypeMap);
  const pooled = !!g.layout.pooledWorkdays;
  const terms: NamedEffect[] = effects.map((e): NamedEffect => {
    if (e.kind === 'curve') return { ...e, name: curveName(e, pooled), axes: [axis(e.variable)] };
    if (e.kind === 'surface') return { ...e, name: surfaceName(e), axes: [axis(e.variables[0]), axis(e.variables[1])] };
    if (e.kind === 'linear') return { ...e, name: e.label };
    if (e.variable === 'dayType') {
      return {
        ...e,
        name: `day type (against ${pooled ? 'working days' : 'Monday'})`,
        levels: e.levels.filter((l) => seenDayTypes.has(l.level)).map((l) => ({ ...l, name: pooled && l.level === 0 ? WORKING_DAY : (DAY_TYPES[l.level] ?? String(l.level)) })),
      };
    }
    if (e.variable === 'holiday') {
      const names = g.layout.holidays ?? [];
      return { ...e, name: 'public holiday (each against the holiday day type)', levels: e.levels.map((l) => ({ ...l, name: names[l.level - 1] ?? String(l.level) })) };
    }
    if (e.variable === 'vacation') return { ...e, name: 'school vacation (against none)', levels: e.levels.map((l) => ({ ...l, name: l.level === 1 ? 'school vacation' : 'no school vacation' })) };
    return { ...e, name: e.label, levels: e.levels.map((l) => ({ ...l, name: String(l.level) })) };
  });
  return { response: g.params.logTarget ? 'log(load)' : 'load', criterion: g.model.criterion, n: g.model.n, edf: g.model.edf, sig2: g.model.sig2, terms };
}
