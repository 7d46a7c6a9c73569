import { describe, expect, it } from 'vitest';
import { DEFAULT_GAM, loadFormula, parseGamParams, type FeatureLayout } from './load-formula.ts';
import { smoothedName } from '../features/temperature.ts';

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
