/**
 * Each formula term's contribution to a GAM's fit, row by row: the intercept, each parametric term
 * (a factor's dummies together), each smooth (a by-factor smooth's level curves together, only one
 * of which is non-zero in a row). They sum to the fit (predict.gam(type = "terms") plus the
 * intercept). The online adaptation (models/online) uses them as regressors. Pure.
 */
import { designRow, designScratch, type GamData } from './design.ts';
import type { GamModel } from './gam.ts';

export interface TermColumns {
  labels: string[];
  /** values[j][i]: term j at row i − from; NaN in a row with a missing variable. */
  values: Float64Array[];
}

/** Term of every model-matrix column: parametric columns by variable, smooth blocks by their label before ':' (the by-level). */
function termOfColumns(model: GamModel): { labels: string[]; ofColumn: Int32Array } {
  const { design } = model;
  const labels: string[] = [];
  const index = new Map<string, number>();
  const ofColumn = new Int32Array(design.p);
  const termIndex = (label: string) => {
    let j = index.get(label);
    if (j === undefined) {
      j = labels.length;
      labels.push(label);
      index.set(label, j);
    }
    return j;
  };
  design.parametric.forEach((c, k) => (ofColumn[k] = termIndex(c.variable ?? c.label)));
  for (const b of design.smooths) {
    const j = termIndex(b.label.split(':')[0]);
    for (let c = 0; c < b.size; c++) ofColumn[b.offset + c] = j;
  }
  return { labels, ofColumn };
}

/** Contributions over data rows [from, to). */
export function termContributions(model: GamModel, data: GamData, from: number, to: number): TermColumns {
  const { labels, ofColumn } = termOfColumns(model);
  const p = model.design.p;
  const n = Math.max(0, to - from);
  const values = labels.map(() => new Float64Array(n));
  const row = new Float64Array(p);
  const scratch = designScratch(model.design);
  for (let i = 0; i < n; i++) {
    if (!designRow(model.design, data, from + i, row, scratch)) {
      for (const v of values) v[i] = Number.NaN;
      continue;
    }
    for (let c = 0; c < p; c++) if (row[c] !== 0) values[ofColumn[c]][i] += row[c] * model.beta[c];
  }
  return { labels, values };
}
