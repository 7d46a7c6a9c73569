import { describe, expect, it } from 'vitest';
import type { Series } from '../../core/types.ts';
import { autoChoiceArtifact, autoFromArtifact, createAutoForecaster } from '../auto.ts';
import { createSeasonalNaiveForecaster } from '../fallback/seasonal-naive.ts';
import { effectiveCount, scoreOffsets, widthRatio } from './bands.ts';
import { mlpol } from './mlpol.ts';
import { followTheLeaderScore, scoreOf, validateCandidate, validationOrigins } from './validate.ts';
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
const params = { minProfileDays: 14, minCalendarDays: 1000, noWeather: { kind: 'profile' }, validation: { origins: 4 }, combine: 'best' as const };

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

  it('validates on movedOrigins days where a year of history has each candidate fitted once and moved, on origins days where each is refitted', async () => {
    const year = series(400, (h, i) => 100 + 20 * Math.sin(((h % 24) / 24) * 2 * Math.PI) + 12 * (rand(i + 7) - 0.5));
    const moved = autoChoiceArtifact((await createAutoForecaster(params).fit([year])).toArtifact(), 's')!;
    expect(moved.selection!.origins).toBe(14);
    expect(moved.selection!.text).toMatch(/, 14 origins\)$/);
    const refitted = autoChoiceArtifact((await createAutoForecaster({ ...params, validation: { origins: 4, refitEach: 'always' } }).fit([year])).toArtifact(), 's')!;
    expect(refitted.selection!.origins).toBe(4);
    const off = autoChoiceArtifact((await createAutoForecaster({ ...params, validation: { origins: 0 } }).fit([year])).toArtifact(), 's')!;
    expect(off.selection).toBeUndefined();
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
    expect(() => createAutoForecaster({ validation: { weatherErrorSd: -1 } })).toThrow(/auto validation parameters are invalid: weatherErrorSd/);
  });
});

describe('auto mixes the validated candidates by ML-Poly', () => {
  const mix = { ...params, combine: 'mlpol' as const };

  it('learns the weights on the validation origins and forecasts the weighted average of the candidates refitted on the whole history', async () => {
    const f = await createAutoForecaster(mix).fit([noisyWorkdays]);
    const [fc] = await f.predict(24);
    // The same aggregation by hand on the two candidates' validation forecasts (ranked: profile first).
    const origins = validationOrigins(noisyWorkdays, 24, 4, 7 * 24);
    const vs = [await validateCandidate(createProfileForecaster(), noisyWorkdays, undefined, origins, 24), await validateCandidate(createSeasonalNaiveForecaster({ period: 'week' }), noisyWorkdays, undefined, origins, 24)];
    const m = mlpol(vs[0].actuals, vs.map((v) => v.actuals.map((a, i) => a - v.errors[i])), vs[0].rounds, { loss: 'percentage' });
    expect(vs[0].rounds).toEqual([24, 24, 24, 24]);
    expect(Math.min(...m.weights)).toBeGreaterThan(0.05);
    const { selection } = autoChoiceArtifact(f.toArtifact(), 's')!;
    expect(selection!.weights).toEqual([
      { model: 'profile', weight: m.weights[0] },
      { model: 'seasonal-naive', weight: m.weights[1] },
    ]);
    // Online score: each origin forecast with the weights learned before it (uniform at the first).
    expect(m.roundWeights[0]).toEqual([0.5, 0.5]);
    expect(selection!.mixtureScore).toBeCloseTo(scoreOf({ errors: vs[0].actuals.map((a, i) => a - m.predictions[i]), actuals: vs[0].actuals }, 'MAPE'), 10);
    // Bands: the mixture's own validation errors, normalised by the P10–P90 width it would have served (each round's weights).
    const widths = vs[0].widths.map((_, i) => {
      const t = Math.floor(i / 24);
      return m.roundWeights[t][0] * vs[0].widths[i] + m.roundWeights[t][1] * vs[1].widths[i];
    });
    const scores = Array.from(vs[0].actuals, (a, i) => (a - m.predictions[i]) / widths[i]);
    const calib = { method: 'scaled' as const, scores, effective: effectiveCount(vs[0].actuals.map((a, i) => a - m.predictions[i]), widths, vs[0].rounds) };
    expect(scores).toHaveLength(96);
    expect(calib.effective).toBeGreaterThanOrEqual(4);
    expect(selection!.bands).toEqual({ method: 'scaled', errors: 96, effective: calib.effective, widthRatio: widthRatio(calib) });
    expect(selection!.text).toMatch(/^auto → mlpol\(profile 0\.\d\d, seasonal-naive 0\.\d\d\) \(validation MAPE: online mixture [0-9.]+ % vs profile [0-9.]+ %, seasonal-naive [0-9.]+ %, 4 origins; bands: averaged P10–P90 × [0-9.]+ from 96 validation errors \(≈ [0-9.]+ independent\)\)$/);
    expect(fc.model).toBe(`mlpol(profile ${m.weights[0].toFixed(2)}, seasonal-naive ${m.weights[1].toFixed(2)})`);
    expect(fc.fallbackReason).toBe('short-history (42 d < 90 d)');
    const [p] = await (await createProfileForecaster().fit([noisyWorkdays])).predict(24);
    const [n] = await (await createSeasonalNaiveForecaster({ period: 'week' }).fit([noisyWorkdays])).predict(24);
    const offsets = scoreOffsets(calib, [0.1, 0.5, 0.9]);
    for (let k = 0; k < 24; k++) {
      expect(fc.mean[k]).toBeCloseTo(m.weights[0] * p.mean[k] + m.weights[1] * n.mean[k], 9);
      const width = m.weights[0] * (p.quantiles['0.9'][k] - p.quantiles['0.1'][k]) + m.weights[1] * (n.quantiles['0.9'][k] - n.quantiles['0.1'][k]);
      for (const tau of [0.1, 0.5, 0.9]) expect(fc.quantiles[String(tau)][k]).toBeCloseTo(fc.mean[k] + offsets.get(tau)! * width, 9);
    }
    // Any level asked for, the mean unchanged.
    const [wide] = await f.predict(24, undefined, [0.05, 0.95]);
    expect(Object.keys(wide.quantiles)).toEqual(['0.05', '0.95']);
    expect(Array.from(wide.mean)).toEqual(Array.from(fc.mean));
    // The mixture survives its artifact (bands included), and is conditioned member by member.
    const again = autoFromArtifact(JSON.parse(JSON.stringify(f.toArtifact())));
    const [y] = await again.predict(24);
    expect([y.model, Array.from(y.mean), Array.from(y.quantiles['0.1']), Array.from(y.quantiles['0.9'])]).toEqual([fc.model, Array.from(fc.mean), Array.from(fc.quantiles['0.1']), Array.from(fc.quantiles['0.9'])]);
    const longer = { ...noisyWorkdays, values: Float64Array.from({ length: noisyWorkdays.values.length + 24 }, (_, i) => noisyWorkdays.values[i % noisyWorkdays.values.length]) };
    const [moved] = await (await again.condition!([longer])).predict(24);
    expect(moved.start.getTime()).toBe(fc.start.getTime() + 24 * 3600_000);
    expect(moved.model).toMatch(/^(profile|seasonal-naive|mlpol\(.*\))$/);
  });

  it('learns on at each conditioning: a served day where last week repeats exactly moves weight to seasonal naive', async () => {
    const f = await createAutoForecaster(mix).fit([noisyWorkdays]);
    // A lone member serves under its own name: weight 1.
    const weightOf = (model: string, label: string) => (label === model ? 1 : Number(label.match(new RegExp(`${model} ([0-9.]+)`))?.[1] ?? 0));
    const [before] = await f.predict(24);
    const n = noisyWorkdays.values.length;
    const repeated = { ...noisyWorkdays, values: Float64Array.from({ length: n + 7 * 24 }, (_, i) => noisyWorkdays.values[i < n ? i : i - 7 * 24]) };
    const [after] = await (await f.condition!([repeated])).predict(24);
    expect(weightOf('seasonal-naive', after.model)).toBeGreaterThan(weightOf('seasonal-naive', before.model) + 0.1);
    // Conditioned on the history it already stands at: no new evidence, the same weights.
    const [same] = await (await f.condition!([noisyWorkdays])).predict(24);
    expect(same.model).toBe(before.model);
  });

  it('serves a lone member under its own name, the weights kept in the selection', async () => {
    const f = await createAutoForecaster(mix).fit([weeklyExact]);
    const [fc] = await f.predict(24);
    expect(fc.model).toBe('seasonal-naive');
    expect(autoChoiceArtifact(f.toArtifact(), 's')!.selection!.weights).toEqual([{ model: 'seasonal-naive', weight: 1 }]);
  });
});

describe('choosing between the mixture and the single best', () => {
  it('scores following the leader online as computed by hand', () => {
    // Rounds of one point; A is served first (preferred), then whoever led before each round:
    // A (1), A again (cum 1 vs 2: 3), then B (cum 4 vs 3: 2) → (1 + 3 + 2) / 3 = 2.
    const a = { errors: Float64Array.from([1, 3, 1]), actuals: Float64Array.from([10, 10, 10]), rounds: [1, 1, 1] };
    const b = { errors: Float64Array.from([2, 1, 2]), actuals: Float64Array.from([10, 10, 10]), rounds: [1, 1, 1] };
    expect(followTheLeaderScore([a, b], 0, 'MAE')).toBe(2);
    // B preferred: B (2), then A (cum 1 vs 2: 3), then B (cum 4 vs 3: 2) → 7 / 3.
    expect(followTheLeaderScore([a, b], 1, 'MAE')).toBeCloseTo(7 / 3, 14);
    expect(followTheLeaderScore([a, b], 0, 'MAPE')).toBeCloseTo(20, 12);
  });

  it("serves the single best, saying why, where the mixture's online score is worse than following the leader", async () => {
    // The profile, preferred, is also the better: following it from the first origin beats a mixture that starts uniform.
    const f = await createAutoForecaster({ ...params, combine: 'choose' }).fit([noisyWorkdays]);
    const [fc] = await f.predict(24);
    expect(fc.model).toBe('profile');
    const { selection } = autoChoiceArtifact(f.toArtifact(), 's')!;
    expect(selection!.text).toMatch(/; mixture not used: online mixture [0-9.]+ % > follow-the-leader [0-9.]+ %\)$/);
    expect(selection!.weights).toBeUndefined();
  });
});

describe('auto by evidence (the default)', () => {
  const evidence = { ...params, combine: 'evidence' as const };

  it('keeps the preferred candidate without evidence against it, names every test, and calibrates its bands on its validation errors', async () => {
    const f = await createAutoForecaster(evidence).fit([noisyWorkdays]);
    const [fc] = await f.predict(24);
    expect(fc.model).toBe('profile');
    expect(fc.fallbackReason).toBe('short-history (42 d < 90 d)');
    const [own] = await (await createProfileForecaster().fit([noisyWorkdays])).predict(24);
    expect(Array.from(fc.mean)).toEqual(Array.from(own.mean));
    const { selection } = autoChoiceArtifact(f.toArtifact(), 's')!;
    expect(selection!.text).toMatch(/^auto → profile \(validation MAPE [0-9.]+ % vs seasonal-naive [0-9.]+ %, 4 origins; profile kept: no alternative better at 0\.05 \(one-sided DM on daily MAPE: seasonal-naive p 0\.\d{3}, online mixture p 0\.\d{3}\); bands: averaged P10–P90 × [0-9.]+ from 96 validation errors/);
    expect(selection!.weights).toBeUndefined();
    expect(selection!.bands).toMatchObject({ method: 'scaled', errors: 96 });
    // The calibrated band is not the profile's own, and stays around the mean.
    expect(Array.from(fc.quantiles['0.9'])).not.toEqual(Array.from(own.quantiles['0.9']));
    for (let k = 0; k < 24; k++) expect(fc.quantiles['0.1'][k]).toBeLessThan(fc.quantiles['0.9'][k]);
    // The artifact round trip serves the same.
    const [again] = await (await import('../auto.ts')).autoFromArtifact(f.toArtifact()).predict(24);
    expect(Array.from(again.quantiles['0.9'])).toEqual(Array.from(fc.quantiles['0.9']));
  });

  it('serves an alternative that is better every validation day, labelled as a step down with its test; 4 days of it are not enough', async () => {
    const f = await createAutoForecaster({ ...evidence, validation: { origins: 7 } }).fit([weeklyExact]);
    const [fc] = await f.predict(24);
    expect(fc.model).toBe('seasonal-naive');
    expect(fc.fallbackReason).toMatch(/^short-history \(42 d < 90 d\); auto → seasonal-naive \(validation MAPE 0\.00 % vs profile [0-9.]+ %, 7 origins; seasonal-naive better than profile at 0\.05 \(one-sided DM on daily MAPE: seasonal-naive p 0\.0\d\d, online mixture p 0\.\d{3}\)\)$/);
    // The same series on 4 days: exact every day, but the profile's daily error varies so much that 4 days do not rule it out (p ≈ 0.09).
    const four = autoChoiceArtifact((await createAutoForecaster(evidence).fit([weeklyExact])).toArtifact(), 's')!;
    expect(four.selection!.text).toMatch(/; profile kept: no alternative better at 0\.05 \(one-sided DM on daily MAPE: seasonal-naive p 0\.0[5-9]\d/);
  });

  it('refuses an evidence level outside (0, 1)', () => {
    expect(() => createAutoForecaster({ ...evidence, evidenceLevel: 0 })).toThrow(/evidenceLevel must be a number strictly between 0 and 1/);
  });
});
