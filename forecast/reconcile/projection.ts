/**
 * What every reconciliation method computes: the projection P (m × n) from base forecasts of all
 * rows to coherent bottom values, as an operator. A dense P has m·n entries (10⁸ for 10,000
 * feeders), so methods return the product instead; apply.ts then does ỹ = S·(P·ŷ) once for all.
 * The operator takes every vector of a run at once (each step's mean and quantiles) because
 * MinT's low-rank term reads the whole residual matrix per call: one pass instead of one per vector.
 */
export interface Projection {
  /** P·ŷ for each ŷ (one value per sm.rows entry, rows order); returns the m bottom values (cols order) of each. */
  bottoms(yhats: Float64Array[]): Float64Array[];
}

/**
 * G·S_rᵀ for each given row r (rows order), as m bottom values: how the method's bottoms move when
 * row r is pulled by one unit, G being the method's bottom covariance ((SᵀW⁻¹S)⁻¹ for GLS). Holding
 * nodes fixed (immutable.ts) needs nothing else from a method.
 */
export type Absorb = (rows: number[]) => Float64Array[];

export interface MethodOutcome {
  projection: Projection;
  absorb: Absorb;
  /** Rows the method itself keeps at their base value whenever other nodes are held (top-down: the root). */
  held?: number[];
  /** What actually ran, e.g. 'mint-shrink (lambda 0.231)' or 'wls-var (covariance singular)'. */
  applied: string;
  lambda?: number;
  /** For the caller to log (reconcile/ is pure). */
  warnings: string[];
}
