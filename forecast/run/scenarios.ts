/**
 * Mid-term climatic scenarios (B6): the model runs once per past year, with that year's observed
 * temperatures replayed on the target calendar, and the run reports the spread of those paths.
 * Pure: arrays in, arrays out.
 */

/** Scenario years wanted for a mid-term run: the `count` years before the origin's year, newest first. */
export function scenarioYears(origin: Date, count: number): number[] {
  const y = origin.getUTCFullYear();
  return Array.from({ length: count }, (_, i) => y - 1 - i);
}

/**
 * Mean and quantiles (type 7, as R's default) over scenario paths, step by step. The quantiles
 * are those of the climate: each path is one scenario's mean forecast, so a P90 is the level the
 * load exceeds in one weather year out of ten, the mid-term question; model error is not added.
 */
export function overScenarios(paths: readonly Float64Array[], levels: readonly number[]): { mean: Float64Array; quantiles: Record<string, Float64Array> } {
  if (paths.length === 0) throw new Error('overScenarios needs at least one path');
  const h = paths[0].length;
  const n = paths.length;
  const mean = new Float64Array(h);
  const quantiles = Object.fromEntries(levels.map((l) => [String(l), new Float64Array(h)]));
  const sorted = new Float64Array(n);
  for (let t = 0; t < h; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      sorted[i] = paths[i][t];
      s += sorted[i];
    }
    mean[t] = s / n;
    sorted.sort();
    for (const l of levels) {
      const pos = (n - 1) * l;
      const lo = Math.floor(pos);
      const hi = Math.min(n - 1, lo + 1);
      quantiles[String(l)][t] = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
  }
  return { mean, quantiles };
}
