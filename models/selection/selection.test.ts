import { describe, expect, it } from 'vitest';
import type { Series } from '../../core/types.ts';
import { autoChoiceArtifact, autoFromArtifact, createAutoForecaster } from '../auto.ts';
import { createSeasonalNaiveForecaster } from '../fallback/seasonal-naive.ts';
import { scoreOf, validateCandidate, validationOrigins } from './validate.ts';
import { createProfileForecaster } from '../fallback/profile.ts';

/** Deterministic pseudo-random numbers in [0, 1). */
const rand = (i: number) => {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
};
const START = new Date('2024-01-01T00:00:00Z'); // a Monday

function series(days: number, value: (hourOfWeek: number, i: number) => number): Series {
  return { id: 's', start: START, stepSec: 3600, values: Float64Array.from({ length: days * 24 }, (_, i) => value(i % 168, i)), timeZone: 'UTC' };
}

/** Every weekday its own shape, repeated exactly each week: the weekly seasonal naive is exact, a weekday-average profile is not. */
const weeklyExact = series(42, (h) => 100 + 30 * rand(h));
/** One shape for every working day plus independent noise: a 4-week average beats last week's copy. */
const noisyWorkdays = series(42, (h, i) => 100 + 20 * Math.sin(((h % 24) / 24) * 2 * Math.PI) + (h >= 120 ? -15 : 0) + 12 * (rand(i + 1000) - 0.5));

// Cheap candidates only: a profile preferred, the weekly seasonal naive as the safety.
const params = { minProfileDays: 14, minCalendarDays: 1000, noWeather: { kind: 'profile' }, validation: { origins: 4 } };

describe('auto chooses by rolling-origin validation', () => {
  it('places the validation origins at the last local midnights, a day apart, ascending', () => {
    const s = { ...series(10, () => 1), timeZone: 'Europe/Paris' };
    // Paris is UTC+1 in January: local midnight is 23:00 UTC.
    expect(validationOrigins(s, 24, 3, 0)).toEqual([6 * 24 + 23, 7 * 24 + 23, 8 * 24 + 23]);
    expect(validationOrigins(s, 24, 30, 5 * 24)).toHaveLength(4);
  });

  it('picks the weekly seasonal naive where it is exact, says why, and forecasts exactly as it does', async () => {
    const f = await createAutoForecaster(params).fit([weeklyExact]);
    const [fc] = await f.predict(24);
    expect(fc.model).toBe('seasonal-naive');
    // The profile is preferred: the evidence overruling it is a labelled step down, with the scores.
    expect(fc.fallbackReason).toMatch(/^short-history \(42 d < 90 d\); auto → seasonal-naive \(validation MAPE 0\.00 % vs profile [1-9][0-9.]* %, 4 origins\)$/);
    const [naive] = await (await createSeasonalNaiveForecaster({ period: 'week' }).fit([weeklyExact])).predict(24);
    expect(Array.from(fc.mean)).toEqual(Array.from(naive.mean));
    const choice = autoChoiceArtifact(f.toArtifact(), 's')!;
    expect(choice.selection).toMatchObject({ metric: 'MAPE', origins: 4, horizonSteps: 24, scores: [{ model: 'seasonal-naive', score: 0 }, { model: 'profile' }] });
  });

  it('picks the profile where averaging weeks beats last week, with no step-down label beyond the rule', async () => {
    const f = await createAutoForecaster(params).fit([noisyWorkdays]);
    const [fc] = await f.predict(24);
    expect(fc.model).toBe('profile');
    expect(fc.fallbackReason).toBe('short-history (42 d < 90 d)');
    const { selection } = autoChoiceArtifact(f.toArtifact(), 's')!;
    expect(selection!.text).toMatch(/^auto → profile \(validation MAPE ([0-9.]+) % vs seasonal-naive ([0-9.]+) %, 4 origins\)$/);
    const [, a, b] = selection!.text.match(/MAPE ([0-9.]+) % vs seasonal-naive ([0-9.]+)/)!;
    expect(Number(a)).toBeLessThan(Number(b));
  });

  it('scores each candidate on the origins as a backtest refitting at each origin would', async () => {
    const origins = validationOrigins(noisyWorkdays, 24, 4, 0);
    const v = await validateCandidate(createProfileForecaster(), noisyWorkdays, undefined, origins, 24);
    // By hand: a profile fitted on the values before each origin.
    let sum = 0;
    for (const o of origins) {
      const [f] = await (await createProfileForecaster().fit([{ ...noisyWorkdays, values: noisyWorkdays.values.slice(0, o) }])).predict(24);
      for (let k = 0; k < 24; k++) sum += Math.abs((noisyWorkdays.values[o + k] - f.mean[k]) / noisyWorkdays.values[o + k]);
    }
    expect(scoreOf(v, 'MAPE')).toBeCloseTo((100 * sum) / (24 * origins.length), 10);
  });

  it('gives a bit-identical artifact for the same data, and predicts the same after a JSON round trip', async () => {
    const a = (await createAutoForecaster(params).fit([noisyWorkdays])).toArtifact();
    const b = (await createAutoForecaster(params).fit([noisyWorkdays])).toArtifact();
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const again = autoFromArtifact(JSON.parse(JSON.stringify(a)));
    const [x] = await autoFromArtifact(a).predict(24);
    const [y] = await again.predict(24);
    expect(Array.from(y.mean)).toEqual(Array.from(x.mean));
    expect([y.model, y.fallbackReason]).toEqual([x.model, x.fallbackReason]);
  });

  it('refuses invalid validation settings with a coded error', () => {
    expect(() => createAutoForecaster({ validation: { origins: -1, refitChosen: true } })).toThrow(/auto validation parameters are invalid: origins/);
  });
});
