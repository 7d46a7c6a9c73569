import { GridcastError } from '../../core/errors.ts';
import type { Topology } from '../../core/topology/schema.ts';

/**
 * Regional balance (A6): consumption = local production − net exports, where each region
 * uses the flows measured at its own end of its lines (positive from → to). A region that
 * is a line's `from` end exports the measured value; a `to` end exports its negative.
 */
export interface BalanceTerms {
  region: string;
  production: string[];
  /** Flow series measured at this region's end, with the sign that makes them exports. */
  exports: { seriesId: string; sign: 1 | -1 }[];
}

/**
 * Which series balance a region. Throws BALANCE_INCOMPLETE when a line touching the region
 * has no series measured at the region's end (the balance would silently miss a flow).
 */
export function balanceTerms(topology: Topology, region: string): BalanceTerms {
  const production = topology.nodes.filter((n) => n.kind === 'generation' && n.attrs.site === region).map((n) => n.id);
  const flows = topology.nodes.filter((n) => n.kind === 'flow' && (n.attrs.from === region || n.attrs.to === region));
  const exports: BalanceTerms['exports'] = [];
  const lines = new Set(flows.map((n) => `${n.attrs.from}→${n.attrs.to}`));
  for (const line of lines) {
    const own = flows.find((n) => `${n.attrs.from}→${n.attrs.to}` === line && (n.attrs.measuredAt ?? n.attrs.from) === region);
    if (!own) {
      throw new GridcastError('BALANCE_INCOMPLETE', `Line ${line} has no flow series measured at '${region}': add one (attrs.measuredAt) or the balance of '${region}' is unknown.`, { region, line });
    }
    exports.push({ seriesId: own.id, sign: own.attrs.from === region ? 1 : -1 });
  }
  if (production.length === 0 && exports.length === 0) {
    throw new GridcastError('BALANCE_INCOMPLETE', `Region '${region}' has neither production (generation with attrs.site) nor measured lines.`, { region });
  }
  return { region, production, exports };
}

/**
 * Consumption per step = Σ production − Σ sign × flow. Inputs are aligned arrays (NaN =
 * missing); a step with any input missing is NaN, never a partial sum.
 */
export function regionalConsumption(production: ArrayLike<number>[], exports: { values: ArrayLike<number>; sign: 1 | -1 }[]): Float64Array {
  const n = production[0]?.length ?? exports[0]?.values.length ?? 0;
  for (const a of [...production, ...exports.map((e) => e.values)]) {
    if (a.length !== n) throw new GridcastError('BALANCE_SHAPE', `Balance inputs must be aligned: got lengths ${n} and ${a.length}.`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const p of production) v += p[i];
    for (const e of exports) v -= e.sign * e.values[i];
    out[i] = v;
  }
  return out;
}
