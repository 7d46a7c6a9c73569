import type { Horizon } from '../core/config.ts';
import type { ForecastGrain } from '../core/forecast-run.ts';
import type { AccuracyRow } from '../core/scores.ts';

/** Accuracy over all the values of several rows (e.g. every series of a horizon). */
export interface PooledAccuracy {
  /** Rows pooled (series, days or lead buckets). */
  rows: number;
  n: number;
  nApe: number;
  /** MAPE % over the nApe values not near zero; null when none. */
  mape: number | null;
  mae: number | null;
  bias: number | null;
  pinball: number | null;
  coverage: number | null;
}

/**
 * Pools rows as if their values were one set: MAPE weighted by the values in it (nApe), MAE and
 * bias by the values scored (n). Pinball and coverage are weighted by n too, exact when every run
 * stored its quantiles (a run without them has no pinball nor coverage and would be over-weighted).
 */
export function pooled(rows: readonly AccuracyRow[]): PooledAccuracy {
  const n = rows.reduce((s, r) => s + r.n, 0);
  const nApe = rows.reduce((s, r) => s + (r.mape === null ? 0 : r.nApe), 0);
  const weighted = (get: (r: AccuracyRow) => number | null, weight: (r: AccuracyRow) => number) => {
    const known = rows.filter((r) => get(r) !== null);
    const w = known.reduce((s, r) => s + weight(r), 0);
    return w === 0 ? null : known.reduce((s, r) => s + get(r)! * weight(r), 0) / w;
  };
  return {
    rows: rows.length,
    n,
    nApe,
    mape: nApe === 0 ? null : weighted((r) => r.mape, (r) => r.nApe),
    mae: weighted((r) => r.mae, (r) => r.n),
    bias: weighted((r) => r.bias, (r) => r.n),
    pinball: weighted((r) => r.pinball, (r) => r.n),
    coverage: weighted((r) => r.coverage, (r) => r.n),
  };
}

/** Rows pooled per horizon and grain (hours first), in the order of `horizons`. */
export function pooledByHorizon(rows: readonly AccuracyRow[], horizons: readonly Horizon[]): Array<{ horizon: Horizon; grain: ForecastGrain } & PooledAccuracy> {
  return horizons.flatMap((horizon) =>
    (['1h', '1d'] as const).flatMap((grain) => {
      const of = rows.filter((r) => r.horizon === horizon && r.grain === grain);
      return of.length === 0 ? [] : [{ horizon, grain, ...pooled(of) }];
    }),
  );
}
