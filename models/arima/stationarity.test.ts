import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isStable } from './arma.ts';
import { fitResidualArima } from './residual-arima.ts';

interface ArCase { label: string; phi: number[]; stationary: boolean; minModulus: number }
interface MaCase { label: string; theta: number[]; invertible: boolean; minModulus: number }
// Made by bench/r/stationarity-fixture.R: R's verdicts by root finding, all(Mod(polyroot(c(1, -phi))) > 1);
// for the expanded seasonal products the verdict of their factors (polyroot at degree 50 errs by ~1e-4).
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/r-stationarity.json', import.meta.url), 'utf8')) as { ar: ArCase[]; ma: MaCase[] };

const ar = (phi: ArrayLike<number>) => ({ phi: Float64Array.from(phi), theta: new Float64Array(0), mean: 0 });

/** (1 − φB)(1 − ΦB^s) written out as dense phi, as the wasm hands a seasonal AR over. */
function seasonalAr(phi1: number, Phi: number, s: number): Float64Array {
  const phi = new Float64Array(s + 1);
  phi[0] = phi1;
  phi[s - 1] = Phi;
  phi[s] = -phi1 * Phi;
  return phi;
}

function simulate(n: number, phi: Float64Array, seed = 11): Float64Array {
  let st = seed;
  const rnd = () => ((st = (st * 16807) % 2147483647) / 2147483647);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let v = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    for (let i = 0; i < phi.length && i < t; i++) v += phi[i] * out[t - 1 - i];
    out[t] = v;
  }
  return out;
}

describe('isStable against R root finding', () => {
  it('agrees with R on every AR polynomial of the fixture (random orders 1–8 and daily seasonal products)', () => {
    expect(fixture.ar.length).toBeGreaterThan(150);
    const verdicts = new Set(fixture.ar.map((c) => c.stationary));
    expect(verdicts).toEqual(new Set([true, false]));
    const disagree = fixture.ar.filter((c) => isStable(ar(c.phi)) !== c.stationary).map((c) => `${c.label} (min root modulus ${c.minModulus})`);
    expect(disagree).toEqual([]);
  });

  it('agrees on the near-boundary cases (smallest root modulus within 5 % of 1)', () => {
    const near = fixture.ar.filter((c) => Math.abs(c.minModulus - 1) < 0.05);
    expect(near.filter((c) => c.stationary).length).toBeGreaterThan(3);
    expect(near.filter((c) => !c.stationary).length).toBeGreaterThan(3);
    for (const c of near) expect(isStable(ar(c.phi)), c.label).toBe(c.stationary);
  });

  it('keeps expanded daily seasonal ARs up to Φ = 0.999 and rejects Φ = 1 (lags 24 and 48)', () => {
    for (const s of [24, 48]) {
      for (const Phi of [0.8, 0.95, 0.999]) expect(isStable(ar(seasonalAr(0.6, Phi, s))), `s=${s} Φ=${Phi}`).toBe(true);
      expect(isStable(ar(seasonalAr(0.6, 1, s))), `s=${s} Φ=1`).toBe(false);
      expect(isStable(ar(seasonalAr(0.6, 1.001, s))), `s=${s} Φ=1.001`).toBe(false);
    }
  });

  it('treats the empty AR as stationary and non-finite coefficients as not', () => {
    expect(isStable(ar([]))).toBe(true);
    expect(isStable(ar([0.5, Number.NaN]))).toBe(false);
    expect(isStable(ar([Number.POSITIVE_INFINITY]))).toBe(false);
  });

  it('judges MA invertibility (AR stability of −theta, as residual-arima uses it) as R does', () => {
    expect(new Set(fixture.ma.map((c) => c.invertible))).toEqual(new Set([true, false]));
    for (const c of fixture.ma) expect(isStable(ar(c.theta.map((t) => -t))), c.label).toBe(c.invertible);
  });
});

describe('the residual ARIMA keeps a strong daily seasonal AR', () => {
  it('chooses the seasonal order for (1 − 0.5B)(1 − 0.85B^24) residuals', async () => {
    const x = simulate(1344, seasonalAr(0.5, 0.85, 24));
    const fit = await fitResidualArima(x, { seasonalLags: [24] });
    expect(fit.method).toBe('arima');
    expect(fit.order).toMatchObject({ P: 1, s: 24 });
    expect(fit.state.phi[23]).toBeGreaterThan(0.75);
  });
});
