import { GridcastError } from '../core/errors.ts';

/**
 * How far planned values land from what happened (issue 14 part 5), per source and per series,
 * so an operator sees whose plans can be trusted. Generic over "planned values vs actuals": the
 * schedules of planned consumption (issue 14 parts 1–3) are one source of planned values.
 */

/** One planned hourly value of a series, as its source planned it. */
export interface PlannedValue {
  seriesId: string;
  /** Hour start. */
  ts: Date;
  planned: number;
  /** The plan (schedule) it belongs to, and its version. */
  ref: string;
  version: number;
}

export interface PlannedValuesSource {
  /** The kind of plan (e.g. 'schedules'). */
  name: string;
  /** Planned hourly values with target hour in [from, to), each as in force at its hour (the last version issued before it), by plan source. */
  plannedValues(q: { from: Date; to: Date }): Promise<Array<PlannedValue & { source: string }>>;
}

export interface PlannedAccuracyDeps {
  sources: PlannedValuesSource[];
  /** Hourly actuals of a series over [from, to): epoch ms of the hour start → value (absent: unknown). */
  actuals(seriesId: string, from: Date, to: Date): Promise<Map<number, number>>;
}

export interface PlanErrorStats {
  /** Hours with both a planned value and an actual. */
  hours: number;
  /** Mean |actual − planned|, mean (actual − planned), and mean |actual − planned| / |actual| over hours with a non-zero actual (null: none). */
  mae: number;
  bias: number;
  mape: number | null;
}

export interface SourceAccuracy extends PlanErrorStats {
  kind: string;
  source: string;
  series: Array<PlanErrorStats & { seriesId: string }>;
}

/** The error statistics of paired planned and actual values (pure). */
export function planErrors(pairs: Array<{ planned: number; actual: number }>): PlanErrorStats {
  let abs = 0;
  let sum = 0;
  let ape = 0;
  let apeN = 0;
  for (const p of pairs) {
    const e = p.actual - p.planned;
    abs += Math.abs(e);
    sum += e;
    if (Math.abs(p.actual) > 1e-9) {
      ape += Math.abs(e / p.actual);
      apeN++;
    }
  }
  const n = pairs.length;
  return { hours: n, mae: n ? abs / n : Number.NaN, bias: n ? sum / n : Number.NaN, mape: apeN ? ape / apeN : null };
}

/** Reads of planned-vs-actual error per source (GET /api/v1/planned/accuracy). */
export function createPlannedAccuracy(deps: PlannedAccuracyDeps) {
  return {
    async read(q: { from: Date; to: Date }): Promise<SourceAccuracy[]> {
      if (!(q.from < q.to)) throw new GridcastError('QUERY_RANGE_INVALID', `from (${q.from.toISOString()}) must be before to (${q.to.toISOString()}).`, { from: q.from.toISOString(), to: q.to.toISOString() });
      const out: SourceAccuracy[] = [];
      for (const s of deps.sources) {
        const values = await s.plannedValues(q);
        const bySource = new Map<string, Map<string, PlannedValue[]>>();
        for (const v of values) {
          const m = bySource.get(v.source) ?? new Map<string, PlannedValue[]>();
          m.set(v.seriesId, [...(m.get(v.seriesId) ?? []), v]);
          bySource.set(v.source, m);
        }
        for (const [source, bySeries] of [...bySource].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const all: Array<{ planned: number; actual: number }> = [];
          const series: SourceAccuracy['series'] = [];
          for (const [seriesId, vs] of [...bySeries].sort(([a], [b]) => (a < b ? -1 : 1))) {
            const actual = await deps.actuals(seriesId, q.from, q.to);
            const pairs = vs.flatMap((v) => (actual.has(v.ts.getTime()) ? [{ planned: v.planned, actual: actual.get(v.ts.getTime())! }] : []));
            if (pairs.length === 0) continue;
            all.push(...pairs);
            series.push({ seriesId, ...planErrors(pairs) });
          }
          if (all.length > 0) out.push({ kind: s.name, source, ...planErrors(all), series });
        }
      }
      // The least trustworthy first: what an operator looks at.
      return out.sort((a, b) => (b.mape ?? Infinity) - (a.mape ?? Infinity) || (a.source < b.source ? -1 : 1));
    },
  };
}
export type PlannedAccuracy = ReturnType<typeof createPlannedAccuracy>;
