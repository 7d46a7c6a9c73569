import type { AppliedTransfer } from '../core/planned.ts';
import type { RunInputs } from './inputs.ts';

/**
 * Planned transfers of load (issue 14 part 4) on hourly vectors: pure, arrays in and out.
 *
 * A transfer moves share s of the from-node's own load N_from (what it would carry without any
 * transfer) to the to-node over [start, end); an hour partly covered counts with the covered
 * fraction w (effective share s·w). The amount moved is M = s·w·N_from. It leaves the from-node and
 * its ancestors below the lowest common ancestor of the two nodes, and arrives at the to-node and
 * its ancestors below it: the common ancestor and everything above are unchanged (a transfer
 * between two substations of one parent leaves the parent as it was). A to-node outside the
 * hierarchy takes the load out of it up to the root.
 */

export interface TransferTarget {
  /** The nodes whose level falls by M (the from-node first), and those whose level rises by M (the to-node first). */
  loses: string[];
  gains: string[];
}

/** One forecast vector set: the mean and each quantile level. */
export interface Vectors {
  mean: Float64Array;
  quantiles: Record<string, Float64Array>;
}

const chain = (id: string, parentOf: Map<string, string | null>): string[] => {
  const out: string[] = [];
  for (let n: string | null | undefined = id; n != null && parentOf.has(n) && !out.includes(n); n = parentOf.get(n)) out.push(n);
  return out;
};

/** The branches a transfer moves, in a hierarchy given by parent links (nodes absent from it are left out). */
export function transferTarget(t: Pick<AppliedTransfer, 'fromNode' | 'toNode'>, parentOf: Map<string, string | null>): TransferTarget {
  const from = chain(t.fromNode, parentOf);
  const to = chain(t.toNode, parentOf);
  const common = from.find((n) => to.includes(n));
  const below = (c: string[]) => (common === undefined ? c : c.slice(0, c.indexOf(common)));
  return { loses: below(from), gains: below(to) };
}

/** The covered fraction w of each of `steps` hours from `startMs` (0 outside the transfer). */
export function coverage(t: Pick<AppliedTransfer, 'start' | 'end'>, startMs: number, steps: number, stepMs = 3_600_000): Float64Array {
  const a = Date.parse(t.start);
  const b = Date.parse(t.end);
  const w = new Float64Array(steps);
  const first = Math.max(0, Math.floor((a - startMs) / stepMs));
  const last = Math.min(steps, Math.ceil((b - startMs) / stepMs));
  for (let k = first; k < last; k++) {
    const lo = startMs + k * stepMs;
    w[k] = Math.max(0, Math.min(b, lo + stepMs) - Math.max(a, lo)) / stepMs;
  }
  return w;
}

interface Prepared {
  t: AppliedTransfer;
  target: TransferTarget;
  /** Effective share s·w per hour. */
  share: Float64Array;
}

/** Transfers whose from-node is in the hierarchy (the amount is a share of its load), with their effective shares; the others are reported. */
function prepare(transfers: AppliedTransfer[], parentOf: Map<string, string | null>, startMs: number, steps: number, stepMs: number) {
  const used: Prepared[] = [];
  const skipped: AppliedTransfer[] = [];
  for (const t of transfers) {
    const target = transferTarget(t, parentOf);
    const w = coverage(t, startMs, steps, stepMs);
    if (!w.some((x) => x > 0)) continue;
    if (target.loses[0] !== t.fromNode) {
      skipped.push(t);
      continue;
    }
    used.push({ t, target, share: w.map((x) => x * t.share) });
  }
  return { used, skipped };
}

/** Sum of the effective shares leaving each from-node, per hour. */
function outgoing(used: Prepared[], steps: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const p of used) {
    const a = out.get(p.t.fromNode) ?? new Float64Array(steps);
    for (let k = 0; k < steps; k++) a[k] += p.share[k];
    out.set(p.t.fromNode, a);
  }
  return out;
}

const label = (t: AppliedTransfer) => `${t.source}/${t.ref} v${t.version} (${t.fromNode} → ${t.toNode}, ${t.share})`;

export interface AppliedForecast {
  values: Map<string, Vectors>;
  /** Per node, the hours a transfer moved (their values are labelled). */
  touched: Map<string, boolean[]>;
  warnings: string[];
}

/**
 * Forecasts with the transfers applied (4a): every amount is a share of the from-node's
 * forecast before any transfer, for the mean and each quantile level alike (a quantile of the
 * from-node moves with its level), so a coherent set of vectors stays coherent. Where the shares
 * leaving one node add up to more than its whole load, they are scaled down to it (a warning).
 */
export function applyTransfers(values: Map<string, Vectors>, transfers: AppliedTransfer[], parentOf: Map<string, string | null>, startMs: number, steps: number, stepMs = 3_600_000): AppliedForecast {
  const { used, skipped } = prepare(transfers, parentOf, startMs, steps, stepMs);
  const warnings = skipped.map((t) => `transfer ${label(t)} not applied: its from-node is not in this run's hierarchy`);
  const out = new Map([...values].map(([id, v]) => [id, { mean: v.mean.slice(), quantiles: Object.fromEntries(Object.entries(v.quantiles).map(([l, a]) => [l, a.slice()])) }]));
  const touched = new Map<string, boolean[]>();
  const scale = capScale(used, steps, warnings, 'forecast');
  for (const p of used) {
    const src = values.get(p.t.fromNode)!;
    const levels: Array<[(v: Vectors) => Float64Array, Float64Array]> = [[(v) => v.mean, src.mean], ...Object.keys(src.quantiles).map((l): [(v: Vectors) => Float64Array, Float64Array] => [(v) => v.quantiles[l], src.quantiles[l]])];
    for (const [pick, base] of levels) {
      for (let k = 0; k < steps; k++) {
        const s = p.share[k] * (scale.get(p.t.fromNode)?.[k] ?? 1);
        if (s === 0) continue;
        const m = s * base[k];
        for (const id of p.target.loses) pick(out.get(id)!)[k] -= m;
        for (const id of p.target.gains) pick(out.get(id)!)[k] += m;
      }
    }
    for (const id of [...p.target.loses, ...p.target.gains]) {
      const marks = touched.get(id) ?? new Array<boolean>(steps).fill(false);
      for (let k = 0; k < steps; k++) if (p.share[k] > 0) marks[k] = true;
      touched.set(id, marks);
    }
  }
  return { values: out, touched, warnings };
}

/** Per from-node and hour, the factor bringing its outgoing shares down to 1 where they exceed it. */
function capScale(used: Prepared[], steps: number, warnings: string[], what: string): Map<string, Float64Array> {
  const scale = new Map<string, Float64Array>();
  for (const [id, total] of outgoing(used, steps)) {
    const over = total.filter((x) => x > 1 + 1e-12).length;
    if (over === 0) continue;
    warnings.push(`transfers out of ${id} add up to more than its whole load over ${over} hour(s) of the ${what}: scaled down to its load`);
    scale.set(id, total.map((x) => (x > 1 ? 1 / x : 1)));
  }
  return scale;
}

export interface CleanedHistory {
  history: Map<string, Float64Array>;
  /** Hours of history corrected, and hours made unknown (the whole load moved: nothing to divide back). */
  corrected: number;
  blanked: number;
}

/**
 * Training history with past transfers taken out (4b), so a model does not learn a transfer as a
 * pattern of its nodes. Over an hour where shares S = Σ s·w left the from-node, it carried
 * (1 − S)·N, so its own load is N = observed / (1 − S) (divided back) and each transfer moved
 * M = s·w·N: added back to the from-node's branch, subtracted from the to-node's. Where S ≥ 1 (the
 * whole load moved) N cannot be known: those hours of every node on the branches become unknown
 * (NaN), like missing data. An unknown from-node hour makes the to-node's hour unknown too.
 */
export function removeTransfers(history: Map<string, Float64Array>, transfers: AppliedTransfer[], parentOf: Map<string, string | null>, startMs: number, steps: number, stepMs = 3_600_000): CleanedHistory {
  const { used } = prepare(transfers, parentOf, startMs, steps, stepMs);
  const out = new Map([...history].map(([id, v]) => [id, v.slice()]));
  const totals = outgoing(used, steps);
  let blanked = 0;
  const hours = new Set<number>();
  for (const p of used) {
    const observed = history.get(p.t.fromNode)!;
    const total = totals.get(p.t.fromNode)!;
    for (let k = 0; k < steps; k++) {
      if (p.share[k] === 0) continue;
      hours.add(k);
      const own = total[k] < 1 ? observed[k] / (1 - total[k]) : Number.NaN;
      const m = p.share[k] * own;
      for (const id of p.target.loses) if (out.has(id)) out.get(id)![k] += m;
      for (const id of p.target.gains) if (out.has(id)) out.get(id)![k] -= m;
      if (total[k] >= 1) blanked++;
    }
  }
  return { history: out, corrected: hours.size, blanked };
}

/**
 * Takes planned transfers out of the history of a run's or a training's inputs (removeTransfers), in
 * place, so no model learns a planned switching as a change of its nodes; returns the warning to record.
 */
export function takeOutTransfers(inputs: RunInputs, transfers: AppliedTransfer[], parentOf: Map<string, string | null>): string[] {
  const first = [...inputs.history.values()][0];
  if (!first) return [];
  const steps = first.values.length;
  const cleaned = removeTransfers(new Map([...inputs.history].map(([id, s]) => [id, s.values])), transfers, parentOf, first.start.getTime(), steps);
  for (const [id, s] of inputs.history) inputs.history.set(id, { ...s, values: cleaned.history.get(id)! });
  if (cleaned.corrected === 0) return [];
  return [
    `planned transfers taken out of the training history over ${cleaned.corrected} hour(s)${cleaned.blanked > 0 ? `; ${cleaned.blanked} transfer-hour(s) moved the whole load and are left unknown` : ''}: ${transfers.map((t) => `${t.source}/${t.ref} v${t.version}`).join(', ')}`,
  ];
}
