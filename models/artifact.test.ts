import { describe, expect, it } from 'vitest';
import type { Covariates, Forecast, FittedForecaster, ModelArtifact, Series } from '../core/types.ts';
import { dataHash, decodeState, encodeState } from './artifact.ts';
import { createForecaster, fromArtifact, MODEL_KINDS } from './catalog.ts';
import { simulatedLoad } from './fallback/__fixtures__/simulated-load.ts';
import { PARENT_COVARIATE } from './fallback/sharing-key.ts';

const H = 36;
const s = simulatedLoad(42, { seed: 4 });
s.values[100] = Number.NaN;
const parentFit = new Map<string, Covariates>([[s.id, { past: { [PARENT_COVARIATE]: s.values.map((v) => 3 * v + 10) } }]]);
const parentPredict = new Map<string, Covariates>([[s.id, { future: { [PARENT_COVARIATE]: new Float64Array(H).fill(400) } }]]);

const cases: [string, Record<string, unknown>, Map<string, Covariates> | undefined, Map<string, Covariates> | undefined][] = [
  ['seasonal-naive', { period: 'day' }, undefined, undefined],
  ['profile', {}, undefined, undefined],
  ['sharing-key', {}, parentFit, parentPredict],
  ['shallow-history', {}, undefined, undefined],
  ['gam-arima', { base: 'profile', maxP: 2, maxQ: 1, dailySeasonalAr: false }, undefined, undefined],
  ['gam-arima', { maxP: 2, maxQ: 1 }, undefined, undefined],
];

/** Kinds owned by other files, with their own round-trip tests (models/gam, models/lstm). */
const TESTED_ELSEWHERE = ['gam', 'lstm'];

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function expectIdentical(a: Forecast, b: Forecast): void {
  expect(b.start.getTime()).toBe(a.start.getTime());
  expect(b.model).toBe(a.model);
  expect(b.fallbackReason).toBe(a.fallbackReason);
  expect(sameBits(a.mean, b.mean)).toBe(true);
  expect(Object.keys(b.quantiles)).toEqual(Object.keys(a.quantiles));
  for (const k of Object.keys(a.quantiles)) expect(sameBits(a.quantiles[k], b.quantiles[k])).toBe(true);
}

describe('artifacts: every model reloads from JSON and predicts identically', () => {
  it('covers every kind in the catalog', () => {
    expect([...new Set([...cases.map((c) => c[0]), ...TESTED_ELSEWHERE])].sort()).toEqual([...MODEL_KINDS].sort());
  });

  it.each(cases)('%s %j', async (kind, params, fitCov, predictCov) => {
    const fitted = await createForecaster(kind, params).fit([s], fitCov);
    const before = await fitted.predict(H, predictCov, [0.05, 0.1, 0.5, 0.9, 0.95]);
    const artifact = fitted.toArtifact();
    expect(artifact.spec.kind).toBe(kind);
    expect(artifact.dataHash).toBe(dataHash([s], fitCov));
    expect(artifact.trainWindow).toEqual({ start: s.start.toISOString(), end: new Date(s.start.getTime() + s.values.length * 3600_000).toISOString() });
    const reloaded: FittedForecaster = fromArtifact(JSON.parse(JSON.stringify(artifact)) as ModelArtifact);
    const after = await reloaded.predict(H, predictCov, [0.05, 0.1, 0.5, 0.9, 0.95]);
    expectIdentical(before[0], after[0]);
    expect(JSON.stringify(reloaded.toArtifact())).toBe(JSON.stringify(artifact));
    // The GAM base alone takes seconds to fit on a busy 2-core machine.
  }, 120_000);

  it('refuses an unknown kind, format or model version', () => {
    const a: ModelArtifact = { formatVersion: 1, spec: { kind: 'profile', version: 1, params: {} }, trainWindow: { start: '', end: '' }, dataHash: '', state: { fits: [] } };
    expect(() => fromArtifact({ ...a, spec: { ...a.spec, kind: 'prophet' } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }));
    expect(() => fromArtifact({ ...a, formatVersion: 2 })).toThrow(expect.objectContaining({ code: 'ARTIFACT_FORMAT' }));
    expect(() => fromArtifact({ ...a, spec: { ...a.spec, version: 9 } })).toThrow(expect.objectContaining({ code: 'ARTIFACT_VERSION' }));
    expect(() => createForecaster('prophet')).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }));
  });
});

describe('dataHash', () => {
  const other: Series = { ...simulatedLoad(3, { id: 'a-first' }) };
  it('is stable across series and covariate order, and sees every value', () => {
    const c1 = new Map<string, Covariates>([[s.id, { future: { t: new Float64Array([1, 2]), w: new Float64Array([3]) } }]]);
    const c2 = new Map<string, Covariates>([[s.id, { future: { w: new Float64Array([3]), t: new Float64Array([1, 2]) } }]]);
    expect(dataHash([s, other], c1)).toBe(dataHash([other, s], c2));
    const changed = { ...s, values: s.values.slice() };
    changed.values[5] += 1e-9;
    expect(dataHash([changed, other], c1)).not.toBe(dataHash([s, other], c1));
    expect(dataHash([s, other])).not.toBe(dataHash([s, other], c1));
    expect(dataHash([s])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('state encoding', () => {
  it('keeps Float64Array bits (NaN, -0, subnormals) and dates through JSON', () => {
    const state = { a: Float64Array.from([Number.NaN, -0, 5e-324, Math.PI, Infinity]), d: new Date('2024-05-01T00:00:00Z'), n: [1, { x: 2 }] };
    const back = decodeState(JSON.parse(JSON.stringify(encodeState(state)))) as typeof state;
    expect(sameBits(back.a, state.a)).toBe(true);
    expect(back.d.getTime()).toBe(state.d.getTime());
    expect(back.n).toEqual(state.n);
    expect(() => encodeState({ x: Number.NaN })).toThrow(expect.objectContaining({ code: 'ARTIFACT_STATE' }));
  });
});
