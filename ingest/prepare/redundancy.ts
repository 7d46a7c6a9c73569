import { GridcastError } from '../../core/errors.ts';
import type { RedundantLookup } from '../impute/plan.ts';

/**
 * A line measured at both ends (A3). Both series are signed the same way, positive from → to
 * (attrs.from / attrs.to in the topology). The receiving end sees the sent power less the
 * losses, lossFactor × sent: when power flows from → to, to = from × (1 − lossFactor); when
 * it flows back, from = to × (1 − lossFactor).
 */
export type LineEnd = 'from' | 'to';

/** The value expected at the other end of the line, given the value measured at `knownEnd`. */
export function valueAtOtherEnd(value: number, lossFactor: number, knownEnd: LineEnd): number {
  const knownSends = knownEnd === 'from' ? value >= 0 : value <= 0;
  return knownSends ? value * (1 - lossFactor) : value / (1 - lossFactor);
}

export interface RedundancyCheck {
  /** 1 where the ends disagree by more than the losses plus the tolerance. */
  suspect: Uint8Array;
  /** Measured `to` end minus the value expected from the `from` end; NaN where either is missing. */
  residual: Float64Array;
}

/**
 * Flags the points where the two ends of a line disagree beyond the expected losses.
 * endA is the `from` end, endB the `to` end, aligned point by point (NaN = missing, never
 * flagged). tolerance is absolute, in the series' unit (sensor accuracy of both ends).
 * Which end is wrong cannot be told from two values: callers flag both.
 */
export function checkRedundancy(endA: ArrayLike<number>, endB: ArrayLike<number>, lossFactor: number, tolerance: number): RedundancyCheck {
  if (endA.length !== endB.length) {
    throw new GridcastError('REDUNDANCY_SHAPE', `Line ends must be aligned: ${endA.length} values at one end, ${endB.length} at the other.`);
  }
  const residual = new Float64Array(endA.length);
  const suspect = new Uint8Array(endA.length);
  for (let i = 0; i < endA.length; i++) {
    const r = endB[i] - valueAtOtherEnd(endA[i], lossFactor, 'from');
    residual[i] = r;
    if (Math.abs(r) > tolerance) suspect[i] = 1;
  }
  return { suspect, residual };
}

/**
 * Values for the `targetEnd` series where it is missing (NaN) and the other end has a value;
 * `filled` marks those points. Measured points of the target are kept as they are.
 */
export function fillFromRedundant(target: ArrayLike<number>, other: ArrayLike<number>, lossFactor: number, targetEnd: LineEnd): { values: Float64Array; filled: Uint8Array } {
  if (target.length !== other.length) {
    throw new GridcastError('REDUNDANCY_SHAPE', `Line ends must be aligned: ${target.length} target values, ${other.length} at the other end.`);
  }
  const knownEnd: LineEnd = targetEnd === 'from' ? 'to' : 'from';
  const values = Float64Array.from(target);
  const filled = new Uint8Array(target.length);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]) && !Number.isNaN(other[i])) {
      values[i] = valueAtOtherEnd(other[i], lossFactor, knownEnd);
      filled[i] = 1;
    }
  }
  return { values, filled };
}

/**
 * The imputation hook (ingest/impute) for one series: the other end's points by epoch ms,
 * converted through the losses, with the inputs recorded for the audit log.
 */
export function redundantLookup(other: { seriesId: string; points: Map<number, number> }, lossFactor: number, targetEnd: LineEnd): RedundantLookup {
  const knownEnd: LineEnd = targetEnd === 'from' ? 'to' : 'from';
  return (tsMs) => {
    const v = other.points.get(tsMs);
    if (v === undefined || Number.isNaN(v)) return undefined;
    return { value: valueAtOtherEnd(v, lossFactor, knownEnd), inputs: { redundantWith: other.seriesId, otherValue: v, lossFactor, targetEnd } };
  };
}
