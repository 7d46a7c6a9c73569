import { accuracy, type Accuracy } from '../../forecast/metrics.ts';

/** Pooled forecasts and actuals of one node over every origin. */
export interface NodeTrack {
  mean: number[];
  quantiles: Record<string, number[]>;
  actual: number[];
}

export interface LevelSummary {
  top: Accuracy;
  /** Mean MAPE over the bottom nodes where it is defined and that are not excluded. */
  bottomMape: number | null;
  /** Bottom nodes left out of bottomMape: excluded by the caller or without a MAPE (zero actuals). */
  outOfMean: { id: string; mae: number; mape: number | null }[];
  /** Mean of the level MAPEs (top, bottom mean): each level counts once, whatever its number of nodes. */
  levelsMape: number | null;
  bottomCoverage: number | null;
  byNode: Map<string, Accuracy>;
}

export function appendTrack(tracks: Map<string, NodeTrack>, id: string, mean: ArrayLike<number>, quantiles: Record<string, ArrayLike<number>>, actual: ArrayLike<number>): void {
  let t = tracks.get(id);
  if (!t) tracks.set(id, (t = { mean: [], quantiles: {}, actual: [] }));
  t.mean.push(...Array.from(mean));
  t.actual.push(...Array.from(actual));
  for (const [l, v] of Object.entries(quantiles)) (t.quantiles[l] ??= []).push(...Array.from(v));
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * Scores a two-level hierarchy (one top, its bottom nodes) from the pooled tracks of every node.
 * `exclude`: bottom nodes kept out of the MAPE mean even where their MAPE is defined (e.g. a load
 * with near-zero hours, whose MAPE would dominate the mean).
 */
export function summarizeLevels(tracks: Map<string, NodeTrack>, top: string, bottom: string[], exclude: string[] = []): LevelSummary {
  const byNode = new Map([top, ...bottom].map((id) => {
    const t = tracks.get(id);
    if (!t) throw new Error(`no forecasts for node '${id}'`);
    return [id, accuracy(t.actual, t.mean, t.quantiles)] as const;
  }));
  const scores = bottom.map((id) => ({ id, a: byNode.get(id)! }));
  const topScore = byNode.get(top)!;
  const inMean = (s: { id: string; a: Accuracy }) => s.a.mape !== null && !exclude.includes(s.id);
  const bottomMape = meanOf(scores.filter(inMean).map((s) => s.a.mape!));
  return {
    top: topScore,
    bottomMape,
    outOfMean: scores.filter((s) => !inMean(s)).map((s) => ({ id: s.id, mae: s.a.mae, mape: s.a.mape })),
    levelsMape: topScore.mape !== null && bottomMape !== null ? (topScore.mape + bottomMape) / 2 : null,
    bottomCoverage: meanOf(scores.filter((s) => s.a.coverage !== null).map((s) => s.a.coverage!)),
    byNode,
  };
}
