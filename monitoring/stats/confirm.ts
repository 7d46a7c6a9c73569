import { median } from './robust.ts';

export interface ConfirmParams {
  /** Points after the estimated change needed before judging. */
  points: number;
  /** Smallest median shift, as a share of the forecast level, that counts as a rupture. */
  minRelativeShift: number;
}

export const DEFAULT_CONFIRM: ConfirmParams = { points: 6, minRelativeShift: 0.1 };

export type Confirmation =
  | { status: 'pending'; points: number }
  | { status: 'confirmed' | 'dismissed'; points: number; relativeShift: number };

/**
 * Whether an alarm is a level shift worth acting on: over the points since the estimated change,
 * the median of actual − forecast relative to the mean forecast level must reach the minimum,
 * on the side that alarmed. A median ignores a single spike however large, which the CUSUM does
 * not (one outlier of 50 σ crosses any h).
 */
export function confirmShift(actual: ArrayLike<number>, forecast: ArrayLike<number>, side: 'up' | 'down', p: ConfirmParams = DEFAULT_CONFIRM): Confirmation {
  const diffs: number[] = [];
  let level = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i]) || !Number.isFinite(forecast[i])) continue;
    diffs.push(actual[i] - forecast[i]);
    level += Math.abs(forecast[i]);
  }
  if (diffs.length < p.points) return { status: 'pending', points: diffs.length };
  level /= diffs.length;
  const relativeShift = level > 0 ? median(diffs) / level : 0;
  const ok = side === 'up' ? relativeShift >= p.minRelativeShift : relativeShift <= -p.minRelativeShift;
  return { status: ok ? 'confirmed' : 'dismissed', points: diffs.length, relativeShift };
}
