import type { PromotionRuleName, PromotionTest } from '../core/promotion.ts';
import { dmTest } from '../core/stats/dm.ts';

export interface PromotionRule {
  rule: PromotionRuleName;
  alpha: number;
  margin: number;
  minPairs: number;
}

/**
 * Whether paired errors let a challenger replace the champion (D5), by a one-sided
 * Diebold–Mariano test on squared-error loss with the lead `h` of the headline comparison:
 * - 'better': H1 E[e_champion²] > E[e_challenger²], i.e. dm.test(e_champion, e_challenger,
 *   alternative = 'greater', h, power = 2) below alpha;
 * - 'non-inferior': H1 E[e_challenger²] < (1 + margin)·E[e_champion²], the same test with the
 *   champion's errors scaled by sqrt(1 + margin).
 * Fewer than minPairs pairs never pass. Arrays in, verdict out.
 */
export function promotionVerdict(championErrors: number[], challengerErrors: number[], h: number, r: PromotionRule): PromotionTest {
  const base = { compared: true, rule: r.rule, alpha: r.alpha, margin: r.margin, minPairs: r.minPairs, n: championErrors.length };
  if (championErrors.length < Math.max(3, r.minPairs)) {
    return { ...base, passed: false, reason: `${championErrors.length} paired errors, fewer than the ${r.minPairs} required: let the challenger run in shadow longer` };
  }
  const scale = r.rule === 'non-inferior' ? Math.sqrt(1 + r.margin) : 1;
  const t = dmTest(championErrors.map((e) => e * scale), challengerErrors, { h, power: 2, alternative: 'greater', level: 1 - 2 * r.alpha });
  const passed = t.pValue < r.alpha;
  const claim = r.rule === 'better' ? 'significantly better than the champion' : `not worse than the champion by more than ${(r.margin * 100).toFixed(1)} %`;
  return {
    ...base,
    passed,
    reason: `the challenger is ${passed ? '' : 'not shown to be '}${claim} (DM ${t.statistic.toFixed(3)}, one-sided p ${t.pValue.toPrecision(3)} ${passed ? '<' : '≥'} alpha ${r.alpha}, h ${t.h}, n ${t.n})`,
    dm: t.statistic,
    pValue: t.pValue,
    h: t.h,
    meanLossDiff: t.meanLossDiff,
    ci: t.ci,
  };
}
