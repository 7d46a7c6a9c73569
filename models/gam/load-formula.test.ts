import { describe, expect, it } from 'vitest';
import { DEFAULT_GAM, HOUR_GROUP, loadFormula, parseGamParams, planLayout, poolsWorkdays, type FeatureLayout } from './load-formula.ts';
import { smoothedName } from '../features/temperature.ts';
import { DAY_TYPE } from '../features/calendar.ts';
import { createGamForecaster, gamSeriesOf } from './gam-forecaster.ts';
import { loadGamEffects } from './load-effects.ts';
import { simulatedLoadWithWeather } from './__fixtures__/simulated.ts';

const layout = (over: Partial<FeatureLayout> = {}): FeatureLayout => ({
  dayTypeMap: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  hourGroupLevels: 7,
  useVacation: false,
  useAnnual: true,
  useHour: true,
  useTemperature: true,
  ...over,
});

const labels = (terms: ReturnType<typeof loadFormula>) =>
  terms.map((t) => {
    if ('variables' in t) return `${t.kind}(${t.variables.join(',')})`;
    return t.kind === 's' ? `s(${t.variable})` : t.variable;
  });

describe('load formula', () => {
  it('gives each smoothed temperature its own response by hour of day, and the daily profile its change with the season', () => {
    const p = parseGamParams({ halfLivesHours: [6, 24], inertiaHourKnots: 5, hourSeasonKnots: 6 });
    const terms = loadFormula(layout(), p);
    expect(labels(terms)).toEqual(expect.arrayContaining([`te(${smoothedName(6)},hour)`, `te(${smoothedName(24)},hour)`, 'ti(hour,doy)']));
    expect(labels(terms)).not.toContain(`s(${smoothedName(6)})`);
    const inertia = terms.find((t) => t.kind === 'te' && t.variables[0] === smoothedName(24));
    expect(inertia).toMatchObject({ k: [p.inertiaKnots, 5], bs: ['cr', 'cc'], knots: [undefined, [0, 24]] });
  });

  it('falls back to plain smooths without an hour of day, and drops the season terms without a year of history', () => {
    const p = parseGamParams({ halfLivesHours: [24], inertiaHourKnots: 5, hourSeasonKnots: 6 });
    expect(labels(loadFormula(layout({ useHour: false }), p))).toEqual(expect.arrayContaining([`s(${smoothedName(24)})`]));
    expect(labels(loadFormula(layout({ useAnnual: false }), p))).not.toContain('ti(hour,doy)');
    expect(labels(loadFormula(layout({ useTemperature: false }), p)).some((l) => l.includes('temp'))).toBe(false);
  });

  it('turns each term off with 0 and rejects knots it cannot use', () => {
    const off = labels(loadFormula(layout(), parseGamParams({ inertiaHourKnots: 0, hourSeasonKnots: 0 })));
    expect(off).not.toContain('ti(hour,doy)');
    for (const h of DEFAULT_GAM.halfLivesHours) expect(off).toContain(`s(${smoothedName(h)})`);
    expect(() => parseGamParams({ inertiaHourKnots: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    expect(() => parseGamParams({ trainingTemperatureErrorSd: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });
});

/** Daily steps over `weeks` weeks from a Monday, with `extra` day-type codes appended (holidays, bridge days). */
function dailyDayTypes(weeks: number, extra: number[] = []): Float64Array {
  return Float64Array.from([...Array.from({ length: weeks * 7 }, (_, i) => i % 7), ...extra]);
}

function layoutOf(raw: Float64Array, over: { workdays?: 'own' | 'pooled' | 'auto'; temperature?: boolean; spanDays?: number } = {}) {
  const p = parseGamParams(over.workdays ? { workdays: over.workdays } : {});
  const columns = { vacation: new Float64Array(raw.length) };
  return planLayout(raw, Array.from(raw, () => ''), columns, () => true, 86_400, p, over.temperature ?? false, over.spanDays ?? raw.length);
}

describe('working days pooled on a short weather-free history', () => {
  it('pools Monday to Friday below a year without weather, and keeps them apart with weather or a year', () => {
    expect(poolsWorkdays('auto', false, 84)).toBe(true);
    expect(poolsWorkdays('auto', false, 364.9)).toBe(true);
    expect(poolsWorkdays('auto', false, 365)).toBe(false);
    expect(poolsWorkdays('auto', true, 84)).toBe(false);
    expect(poolsWorkdays('own', false, 84)).toBe(false);
    expect(poolsWorkdays('pooled', true, 2000)).toBe(true);
  });

  it('maps every weekday to one day type and hour group, unseen holidays to Sunday and unseen bridge days to Saturday', () => {
    const l = layoutOf(dailyDayTypes(12, [DAY_TYPE.HOLIDAY]));
    expect(l.pooledWorkdays).toBe(true);
    expect(l.dayTypeMap).toEqual([0, 0, 0, 0, 0, 5, 6, 6, 5]);
    expect(new Set(l.dayTypeMap.slice(0, 5).map((d) => HOUR_GROUP[d]))).toEqual(new Set([0]));
    const own = layoutOf(dailyDayTypes(12, [DAY_TYPE.HOLIDAY]), { workdays: 'own' });
    expect(own.pooledWorkdays).toBeUndefined();
    expect(own.dayTypeMap).toEqual([0, 1, 2, 3, 4, 5, 6, 6, 5]);
  });

  it('keeps a holiday seen on two days as its own type, and sends a bridge day (then Friday-like) to the working days', () => {
    const l = layoutOf(dailyDayTypes(12, [DAY_TYPE.HOLIDAY, DAY_TYPE.HOLIDAY]));
    expect(l.dayTypeMap).toEqual([0, 0, 0, 0, 0, 5, 6, 7, 0]);
    expect(layoutOf(dailyDayTypes(12, [DAY_TYPE.HOLIDAY, DAY_TYPE.HOLIDAY]), { workdays: 'own' }).dayTypeMap).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 4]);
  });

  it('keeps each weekday with a temperature or a year of history', () => {
    expect(layoutOf(dailyDayTypes(12), { temperature: true }).dayTypeMap.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(layoutOf(dailyDayTypes(53)).dayTypeMap.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('forecasts the same Monday and Wednesday apart from the trend when pooled, different ones when not', async () => {
    // Six weeks of hourly load whose weekdays differ by noise only.
    const { series } = simulatedLoadWithWeather(42, 5);
    const mondayVsWednesday = async (workdays: 'own' | 'pooled') => {
      const f = await createGamForecaster({ temperature: 'none', shortTrend: false, workdays }).fit([series]);
      const [fc] = await f.predict(7 * 24);
      // The history ends on a Sunday: the forecast starts on a Monday.
      let d = 0;
      for (let h = 0; h < 24; h++) d = Math.max(d, Math.abs(fc.mean[h] - fc.mean[48 + h]));
      return d;
    };
    expect(await mondayVsWednesday('pooled')).toBeLessThan(1e-9);
    expect(await mondayVsWednesday('own')).toBeGreaterThan(0.01);
  });

  it('names the pooled day type and its daily profile as working days in the partial effects', async () => {
    const { series } = simulatedLoadWithWeather(42, 5);
    const f = await createGamForecaster({ temperature: 'none' }).fit([series]);
    const names = loadGamEffects(gamSeriesOf(f.toArtifact(), series.id)!).terms.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['daily profile: working day', 'daily profile: Saturday', 'daily profile: Sunday', 'day type (against working days)']));
    expect(names.filter((n) => n.startsWith('daily profile'))).toHaveLength(3);
  });
});
