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
