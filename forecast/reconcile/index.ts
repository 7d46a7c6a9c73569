import type { ReconciliationMethod } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';
import type { SummingMatrix } from '../../core/hierarchy.ts';
import { applyProjection, type HoldStep } from './apply.ts';
import { immutableHolder } from './immutable.ts';
import { bottomUp } from './methods/bottom-up.ts';
import { mintShrink } from './methods/mint-shrink.ts';
import { ols } from './methods/ols.ts';
import { topDown } from './methods/top-down.ts';
import { wlsStructural, wlsVar } from './methods/wls.ts';
import type { MethodOutcome } from './projection.ts';
import { structureOf, type Structure } from './structure.ts';

export interface NodeForecast {
  mean: Float64Array;
  /** Level ('0.1', '0.5', …) → values; the same levels and length for every node. */
  quantiles: Record<string, Float64Array>;
}

export interface ReconcileInput {
  sm: SummingMatrix;
  method: ReconciliationMethod;
  /** One entry per sm.rows id (aggregates and bottom). */
  base: Map<string, NodeForecast>;
  /** Per sm.rows id, same length, time-aligned, ending at the origin; NaN allowed (mint-shrink). */
  residuals?: Map<string, Float64Array>;
  /** Residual steps wls-var and mint-shrink use: the latest ones (complete ones, for MinT). Default: all. */
  residualWindow?: number;
  /** Per sm.rows id (at least the root and the bottoms), time-aligned actuals (top-down). */
  history?: Map<string, Float64Array>;
  /**
   * Immutable nodes: per sm.rows id, per step, 1 where its base value (mean and every quantile) is
   * held as it is (a schedule); the other nodes absorb the coherence adjustment (immutable.ts).
   */
  fixed?: Map<string, Uint8Array>;
}

export interface ReconcileResult {
  /** Every sm.rows id, coherent for the mean and every quantile. */
  values: Map<string, NodeForecast>;
  method: ReconciliationMethod;
  /** What ran, e.g. 'mint-shrink (lambda 0.231)' or 'wls-var (covariance singular, lambda 0.000)'. */
  applied: string;
  lambda?: number;
  /** Pure code does not log: the caller logs these. */
  warnings: string[];
}

/**
 * Makes the forecasts of one hierarchy coherent (C1): the method computes the projection P,
 * the shared routines of apply.ts produce ỹ = S·P·ŷ for the mean and every quantile level.
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const { sm, method } = input;
  const { horizon, levels } = checkBase(sm, input.base);
  const st = structureOf(sm);
  const outcome = project(st, input);
  const n = sm.rows.length;
  const base = sm.rows.map((id) => input.base.get(id)!);
  const column = (get: (f: NodeForecast) => Float64Array, h: number) => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = get(base[i])[h];
    return y;
  };
  const steps = Array.from({ length: horizon }, (_, h) => h);
  const held = heldRows(sm, input.fixed, horizon);
  const conflicts = new Set<string>();
  const holder = held && immutableHolder(st, outcome.absorb, outcome.held);
  const hold: HoldStep | undefined = holder && ((h, y, b) => holder.hold(held![h], y, b).forEach((r) => conflicts.add(sm.rows[r])));
  const out = applyProjection(
    sm,
    outcome.projection,
    {
      mean: steps.map((h) => column((f) => f.mean, h)),
      quantiles: levels.map((l) => steps.map((h) => column((f) => f.quantiles[l], h))),
    },
    hold,
  );
  const warnings = [...outcome.warnings];
  if (conflicts.size > 0) {
    warnings.push(`fixed nodes not held where the other fixed nodes under or above them determine another value: ${[...conflicts].join(', ')}`);
  }
  const row = (vectors: Float64Array[], i: number) => {
    const r = new Float64Array(vectors.length);
    for (let h = 0; h < vectors.length; h++) r[h] = vectors[h][i];
    return r;
  };
  const values = new Map<string, NodeForecast>(
    sm.rows.map((id, i) => [id, { mean: row(out.mean, i), quantiles: Object.fromEntries(levels.map((l, q) => [l, row(out.quantiles[q], i)])) }]),
  );
  if (held) {
    const loose = looseQuantiles(sm, held, conflicts, levels, input.base, values);
    if (loose.length > 0) {
      warnings.push(`quantiles of fixed nodes held only approximately (their bottoms' bands crossed after the adjustment and were sorted): ${loose.join(', ')}`);
    }
  }
  return {
    values,
    method,
    applied: outcome.applied,
    ...(outcome.lambda !== undefined ? { lambda: outcome.lambda } : {}),
    warnings,
  };
}

/**
 * Fixed rows whose reconciled quantile differs from the fixed one: a fixed aggregate whose band is
 * much narrower than its bottoms' sum can push a bottom's levels across each other, and sorting
 * them (non-crossing first) loses the exact sum. Fixed bottoms always hold.
 */
function looseQuantiles(sm: SummingMatrix, held: number[][], conflicts: Set<string>, levels: string[], base: Map<string, NodeForecast>, out: Map<string, NodeForecast>): string[] {
  const loose = new Set<string>();
  held.forEach((rows, h) => {
    for (const r of rows) {
      const id = sm.rows[r];
      if (conflicts.has(id)) continue;
      for (const l of levels) {
        const want = base.get(id)!.quantiles[l][h];
        if (Math.abs(out.get(id)!.quantiles[l][h] - want) > 1e-9 * Math.max(1, Math.abs(want))) loose.add(id);
      }
    }
  });
  return [...loose];
}

/** Per step, the held rows (rows order); undefined when nothing is held. */
function heldRows(sm: SummingMatrix, fixed: Map<string, Uint8Array> | undefined, horizon: number): number[][] | undefined {
  if (!fixed || fixed.size === 0) return undefined;
  const out = Array.from({ length: horizon }, (): number[] => []);
  sm.rows.forEach((id, r) => {
    const f = fixed.get(id);
    if (!f) return;
    if (f.length !== horizon) {
      throw new GridcastError('RECONCILE_SHAPE', `The fixed steps of '${id}' number ${f.length}, the forecasts ${horizon}; they must match.`, { nodeId: id });
    }
    for (let h = 0; h < horizon; h++) if (f[h]) out[h].push(r);
  });
  return out.some((rows) => rows.length > 0) ? out : undefined;
}

function project(st: Structure, input: ReconcileInput): MethodOutcome {
  switch (input.method) {
    case 'bottom-up':
      return bottomUp(st);
    case 'top-down': {
      const root = st.sm.rows[0];
      const history = requireSeries(input.history, [root, ...st.sm.cols], 'RECONCILE_NEEDS_HISTORY', 'history (actuals) for the top-down proportions');
      return topDown(st, history);
    }
    case 'ols':
      return ols(st);
    case 'wls':
      return wlsStructural(st);
    case 'wls-var': {
      const residuals = requireSeries(input.residuals, st.sm.rows, 'RECONCILE_NEEDS_RESIDUALS', 'in-sample or backtest residuals');
      return wlsVar(st, residuals, undefined, input.residualWindow);
    }
    case 'mint-shrink': {
      const residuals = requireSeries(input.residuals, st.sm.rows, 'RECONCILE_NEEDS_RESIDUALS', 'in-sample or backtest residuals');
      return mintShrink(st, residuals, input.residualWindow);
    }
    default:
      throw new GridcastError('RECONCILE_UNKNOWN_METHOD', `Unknown reconciliation method '${String(input.method)}'.`, { method: input.method });
  }
}

/** Every base forecast present, finite, one horizon, one set of numeric quantile levels (returned ascending). */
function checkBase(sm: SummingMatrix, base: Map<string, NodeForecast>): { horizon: number; levels: string[] } {
  const first = base.get(sm.rows[0]);
  if (!first) throw missingBase(sm.rows[0]);
  const horizon = first.mean.length;
  const levels = Object.keys(first.quantiles);
  for (const l of levels) {
    const v = Number(l);
    if (!(v > 0 && v < 1)) {
      throw new GridcastError('RECONCILE_BAD_QUANTILE', `Quantile level '${l}' of '${sm.rows[0]}' is not a number between 0 and 1.`, { nodeId: sm.rows[0], level: l });
    }
  }
  levels.sort((x, y) => Number(x) - Number(y));
  const key = levels.join(',');
  for (const id of sm.rows) {
    const f = base.get(id);
    if (!f) throw missingBase(id);
    const own = Object.keys(f.quantiles).sort((x, y) => Number(x) - Number(y));
    if (own.join(',') !== key) {
      throw new GridcastError('RECONCILE_SHAPE', `Node '${id}' has quantile levels [${own.join(', ')}], '${sm.rows[0]}' has [${levels.join(', ')}]; every node needs the same levels.`, { nodeId: id });
    }
    for (const [name, arr] of [['mean', f.mean], ...levels.map((l) => [`quantile ${l}`, f.quantiles[l]] as const)] as const) {
      if (arr.length !== horizon) {
        throw new GridcastError('RECONCILE_SHAPE', `The ${name} of '${id}' has ${arr.length} steps, '${sm.rows[0]}' has ${horizon}; every node needs the same horizon.`, { nodeId: id });
      }
      for (let h = 0; h < horizon; h++) {
        if (!Number.isFinite(arr[h])) {
          throw new GridcastError('RECONCILE_NONFINITE_BASE', `The ${name} of '${id}' is not finite at step ${h}; reconciliation would spread it to every node. Use a fallback forecast for that node.`, { nodeId: id, step: h });
        }
      }
    }
  }
  return { horizon, levels };
}

const missingBase = (id: string) =>
  new GridcastError('RECONCILE_MISSING_BASE', `No base forecast for node '${id}': every node of the hierarchy needs one (a fallback forecast if its model failed).`, { nodeId: id });

function requireSeries(map: Map<string, Float64Array> | undefined, ids: string[], code: string, what: string): Map<string, Float64Array> {
  if (!map) throw new GridcastError(code, `This reconciliation method needs ${what}; none were given.`);
  let length = -1;
  for (const id of ids) {
    const s = map.get(id);
    if (!s) throw new GridcastError(code, `This reconciliation method needs ${what} for node '${id}'; it has none.`, { nodeId: id });
    if (length >= 0 && s.length !== length) {
      throw new GridcastError('RECONCILE_SHAPE', `The ${what} of '${id}' have ${s.length} steps, '${ids[0]}' has ${length}; they must be time-aligned.`, { nodeId: id });
    }
    length = s.length;
  }
  return map;
}
