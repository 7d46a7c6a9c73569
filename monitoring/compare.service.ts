import { GridcastError } from '../core/errors.ts';
import type { ComparisonRepository } from '../core/comparison.ts';
import { dmTest, type DmResult } from '../core/stats/dm.ts';

export interface PairedError {
  ts: Date;
  seriesId: string;
  /** Steps (hours) ahead of the run's origin: the hour starting at the origin is lead 1. */
  lead: number;
  origin: Date;
  /** actual − forecast. */
  championError: number;
  challengerError: number;
}

export type PairedTest = Pick<DmResult, 'statistic' | 'pValue' | 'h' | 'hRequested' | 'n' | 'meanLossDiff' | 'ci' | 'level'>;

export interface Comparison {
  champion: string;
  challenger: string;
  from: Date;
  to: Date;
  /** Every paired error, in the order the headline test read them (series, time, issue time). */
  errors: PairedError[];
  /**
   * The headline test: dm.test(champion_error, challenger_error, h, power = 2) over exactly
   * `errors` in their order, h the largest lead in hours (the hourly sequence of one series is
   * autocorrelated within a run's window; lags up to the longest lead cover it). Loss
   * difference = champion − challenger: positive when the challenger is better. Null with fewer
   * than 3 pairs.
   */
  test: PairedTest | null;
  /** Per lead: one pair per run and series, runs `issueStepHours` apart, h = ceil(lead / issueStepHours). */
  perLead: Array<{ lead: number } & PairedTest>;
  /** Per run (a day for day-ahead): the root mean squared errors over its pairs, h = ceil(max lead / issueStepHours). */
  daily: PairedTest | null;
  /** The median spacing of the paired runs' origins (24 for daily runs). */
  issueStepHours: number;
}

const HOUR = 3_600_000;
const POWER = 2;

function paired(e1: number[], e2: number[], h: number): PairedTest | null {
  if (e1.length < 3) return null;
  const r = dmTest(e1, e2, { h: Math.max(1, Math.min(h, Math.floor((e1.length - 1) / 2))), power: POWER });
  return { statistic: r.statistic, pValue: r.pValue, h: r.h, hRequested: r.hRequested, n: r.n, meanLossDiff: r.meanLossDiff, ci: r.ci, level: r.level };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Paired comparison of a champion and a challenger over the shadow period (D5): the published
 * champion forecasts and the challenger's shadow forecasts of the same series, hour and run,
 * scored against the actuals; Diebold–Mariano (HLN-corrected, HAC variance, squared-error loss)
 * over all pairs, per lead and on the per-run mean loss. Hours without an actual are left out.
 */
export async function compareVersions(repo: ComparisonRepository, q: { champion: string; challenger: string; from: Date; to: Date }): Promise<Comparison> {
  if (!(q.from < q.to)) throw new GridcastError('QUERY_RANGE_INVALID', `'from' (${q.from.toISOString()}) must be before 'to' (${q.to.toISOString()}).`, { from: q.from.toISOString(), to: q.to.toISOString() });
  const pairs = await repo.pairs(q);
  const actuals = new Map<string, Map<number, number>>();
  for (const id of new Set(pairs.map((p) => p.seriesId))) actuals.set(id, await repo.actuals(id, q.from, q.to));
  const errors: PairedError[] = [];
  for (const p of pairs) {
    const actual = actuals.get(p.seriesId)!.get(p.targetTs.getTime());
    if (actual === undefined) continue;
    errors.push({ ts: p.targetTs, seriesId: p.seriesId, lead: Math.round((p.targetTs.getTime() - p.origin.getTime()) / HOUR) + 1, origin: p.origin, championError: actual - p.champion, challengerError: actual - p.challenger });
  }
  const origins = [...new Set(errors.map((e) => e.origin.getTime()))].sort((a, b) => a - b);
  const step = origins.length > 1 ? median(origins.slice(1).map((t, i) => (t - origins[i]) / HOUR)) : 24;
  const maxLead = errors.reduce((m, e) => Math.max(m, e.lead), 1);

  const perLead = [...new Set(errors.map((e) => e.lead))]
    .sort((a, b) => a - b)
    .flatMap((lead) => {
      const at = errors.filter((e) => e.lead === lead);
      const t = paired(at.map((e) => e.championError), at.map((e) => e.challengerError), Math.ceil(lead / step));
      return t ? [{ lead, ...t }] : [];
    });

  const runs = new Map<number, PairedError[]>();
  for (const e of errors) runs.set(e.origin.getTime(), [...(runs.get(e.origin.getTime()) ?? []), e]);
  const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
  const byRun = origins.map((o) => runs.get(o)!);
  const daily = paired(byRun.map((r) => rms(r.map((e) => e.championError))), byRun.map((r) => rms(r.map((e) => e.challengerError))), Math.ceil(maxLead / step));

  return {
    champion: q.champion,
    challenger: q.challenger,
    from: q.from,
    to: q.to,
    errors,
    test: paired(errors.map((e) => e.championError), errors.map((e) => e.challengerError), maxLead),
    perLead,
    daily,
    issueStepHours: step,
  };
}

const testView = (t: PairedTest | null) => (t ? { dm: t.statistic, pValue: t.pValue, h: t.h, n: t.n, meanLossDiff: t.meanLossDiff, ci: t.ci, level: t.level } : null);

/**
 * The comparison as the CLI (--format json) and GET /api/v1/models/{name}/compare report it:
 * top-level `dm`, `pValue` (two-sided), `h`, `n`, `meanLossDiff` are dm.test(champion_error,
 * challenger_error, h = h, power = 2) over exactly `errors` (the --errors-out rows, in order);
 * null statistics with fewer than 3 pairs.
 */
export function comparisonReport(c: Comparison, withErrors: boolean) {
  const t = testView(c.test);
  return {
    champion: c.champion,
    challenger: c.challenger,
    from: c.from.toISOString(),
    to: c.to.toISOString(),
    loss: 'squared error (power 2); meanLossDiff = champion − challenger, positive when the challenger is better',
    alternative: 'two.sided' as const,
    dm: t?.dm ?? null,
    pValue: t?.pValue ?? null,
    h: t?.h ?? null,
    n: c.errors.length,
    meanLossDiff: t?.meanLossDiff ?? null,
    ci: t?.ci ?? null,
    level: t?.level ?? null,
    issueStepHours: c.issueStepHours,
    perLead: c.perLead.map((p) => ({ lead: p.lead, ...testView(p)! })),
    daily: testView(c.daily),
    ...(withErrors ? { errors: c.errors.map((e) => ({ ts: e.ts.toISOString(), seriesId: e.seriesId, lead: e.lead, championError: e.championError, challengerError: e.challengerError })) } : {}),
  };
}
export type ComparisonReport = ReturnType<typeof comparisonReport>;

/** The --errors-out CSV: one row per paired error, in the order the test read them. */
export function pairedErrorsCsv(errors: NonNullable<ComparisonReport['errors']>): string {
  return ['ts,series_id,lead,champion_error,challenger_error', ...errors.map((e) => `${e.ts},${/[",\n]/.test(e.seriesId) ? `"${e.seriesId.replaceAll('"', '""')}"` : e.seriesId},${e.lead},${e.championError},${e.challengerError}`)].join('\n') + '\n';
}
