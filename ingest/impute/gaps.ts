/**
 * Gap detection against a series' expected cadence (pure). A gap is a run of expected
 * timestamps with no measured point: the grid is anchored at the last measured point before
 * the gap, so a sensor's clock phase is kept. Jitter up to half a step is not a gap.
 */
export interface Gap {
  /** Measured point before the gap (the LOCF input). */
  anchor: { ts: number; value: number };
  /** Missing timestamps (epoch ms), in order. */
  missing: number[];
  /** True when no measured point follows yet (the sensor is silent now). */
  open: boolean;
}

export function findGaps(measured: { ts: number; value: number }[], stepMs: number, fromMs: number, toMs: number): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 0; i < measured.length; i++) {
    const anchor = measured[i];
    const next = i + 1 < measured.length ? measured[i + 1].ts : toMs + stepMs / 2;
    if (next - anchor.ts <= 1.5 * stepMs) continue;
    const missing: number[] = [];
    for (let t = anchor.ts + stepMs; t < next - stepMs / 2 && t < toMs; t += stepMs) {
      if (t >= fromMs) missing.push(t);
    }
    if (missing.length > 0) gaps.push({ anchor, missing, open: i + 1 === measured.length });
  }
  return gaps;
}

/** The cadence of a series seen from its points: the median spacing (robust to gaps). */
export function medianStepMs(ts: ArrayLike<number>): number | null {
  if (ts.length < 3) return null;
  const d = new Float64Array(ts.length - 1);
  for (let i = 1; i < ts.length; i++) d[i - 1] = ts[i] - ts[i - 1];
  return d.sort()[Math.floor(d.length / 2)];
}
