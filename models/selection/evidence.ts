import { dmTest } from '../../core/stats/dm.ts';
import { scoreOf, type Validation, type ValidationScore } from './validate.ts';

/**
 * The preferred candidate serves unless the validation shows an alternative better beyond doubt:
 * the order of preference (the most complete model the data allows first) is the prior, the
 * validation days the evidence that may overrule it. An alternative (another candidate, or the
 * online mixture) replaces the preferred one only when its daily losses are lower by a one-sided
 * Diebold–Mariano test (HLN-corrected, as R forecast::dm.test; the test the promotion gate uses) at
 * `level`; of several such, the lowest validation score serves. Why: a few validation days rank
 * close candidates by noise, and a mixture whose weights learned that noise loses to the preferred
 * model over the following weeks (bench/accuracy.ts, bench/accuracy-short.ts); a candidate that is
 * better every day (seasonal naive against a broken fit, profile + ARIMA on a very regular load)
 * still wins in a few days.
 */

/** Mean loss of each round (validation origin): the validation score (MAPE % or MAE) of that round alone. */
export function roundLosses(v: Pick<Validation, 'errors' | 'actuals' | 'rounds'>, metric: ValidationScore['metric']): number[] {
  const out: number[] = [];
  let i0 = 0;
  for (const n of v.rounds) {
    out.push(scoreOf({ errors: v.errors.slice(i0, i0 + n), actuals: v.actuals.slice(i0, i0 + n) }, metric));
    i0 += n;
  }
  return out;
}

export interface Alternative {
  label: string;
  /** Validation score (the mixture's: its online score). */
  score: number;
  /** Loss of each round, aligned with the preferred candidate's. */
  losses: number[];
}

export interface EvidenceTest {
  label: string;
  score: number;
  /** One-sided p-value of "the alternative's daily loss is lower"; NaN when it cannot be tested. */
  pValue: number;
}

export interface EvidenceVerdict {
  /** Index into the alternatives of the one that serves; -1: the preferred one. */
  served: number;
  tests: EvidenceTest[];
}

/** Rounds with a finite loss for both. */
function paired(a: number[], b: number[]): [number[], number[]] {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) {
      x.push(a[i]);
      y.push(b[i]);
    }
  }
  return [x, y];
}

/**
 * Which serves: the preferred candidate (daily losses `preferred`) or an alternative significantly
 * better at `level`. Fewer than 3 paired rounds cannot overrule the preference (the test has
 * n − 1 degrees of freedom); identical losses every day neither; a loss lower by the same amount
 * every day does (p = 0).
 */
export function verdictOf(preferred: number[], alternatives: Alternative[], level: number): EvidenceVerdict {
  const tests = alternatives.map((a): EvidenceTest => {
    const [p, q] = paired(preferred, a.losses);
    if (p.length < 3) return { label: a.label, score: a.score, pValue: Number.NaN };
    // Losses are already absolute: power 1 compares them as they are. 'greater': the preferred one's loss is larger.
    const t = dmTest(p, q, { power: 1, alternative: 'greater', h: 1 });
    // The same difference every day has no variance (R's dm.test stops): the limit of the test as it vanishes.
    const pValue = Number.isNaN(t.pValue) && t.meanLossDiff !== 0 ? (t.meanLossDiff > 0 ? 0 : 1) : t.pValue;
    return { label: a.label, score: a.score, pValue };
  });
  let served = -1;
  tests.forEach((t, i) => {
    if (t.pValue < level && (served < 0 || t.score < tests[served].score)) served = i;
  });
  return { served, tests };
}
