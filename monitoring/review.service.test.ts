import { describe, expect, it } from 'vitest';
import type { ForecastScore } from '../core/scores.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeRegistry, newVersion } from '../test/fakes/registry.ts';
import { fakeScores } from '../test/fakes/scores.ts';
import { backtestMape, createReviewService } from './review.service.ts';

const H = 3_600_000;
const DAY = 24 * H;
const ASOF = new Date('2026-04-01T00:00:00Z');
const BACKTEST = { 'bt-jan': { all: { mape: 4 }, series: {} } };

/** Hourly scores of `days` days before ASOF with the given APE and actual. */
function scores(modelVersion: string, days: number, ape: number, actual = 100): ForecastScore[] {
  const out: ForecastScore[] = [];
  for (let h = 0; h < days * 24; h++) {
    const targetTs = new Date(ASOF.getTime() - (h + 1) * H);
    out.push({
      runId: 1, seriesId: 'a', grain: '1h', targetTs, truthVersion: targetTs, truthStatus: 'measured', horizon: 'day-ahead', modelVersion,
      issuedAt: new Date(targetTs.getTime() - 14 * H), leadHours: 14, forecast: actual * (1 + ape), actual, error: actual * ape, ape, quantileLevels: [], pinball: [], inside: null,
    });
  }
  return out;
}

async function setup(opts: { metrics?: Record<string, unknown> | null; days: number; ape: number; actual?: number; daily?: number }) {
  const registry = fakeRegistry();
  await registry.transaction(async (tx) => {
    await tx.createModel({ name: 'grid', family: 'load' });
    await tx.insertVersion(newVersion('grid', ['a'], { metrics: opts.metrics === undefined ? BACKTEST : opts.metrics }));
    await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first' });
  });
  const store = fakeScores();
  store.rows.push(...scores('grid@1', opts.days, opts.ape, opts.actual));
  // Daily values of the same days, with their own APE.
  if (opts.daily !== undefined) store.rows.push(...scores('grid@1', opts.days, opts.daily, opts.actual).filter((_, h) => h % 24 === 0).map((s) => ({ ...s, grain: '1d' as const })));
  const events = fakeEvents();
  const review = createReviewService({
    champions: () => registry.versions({ status: 'champion' }), scores: store, events, timeZone: 'UTC', windowDays: 30, factor: 1.5, minScoredDays: 20,
    meanActual: async (id) => (id === 'a' ? 80 : null),
  });
  return { review, events };
}

describe('degradation review', () => {
  it('proposes retraining a champion whose month of MAPE exceeds 1.5 × its backtest MAPE, once per window', async () => {
    const { review, events } = await setup({ days: 30, ape: 0.08 });
    const first = await review.review(ASOF);
    expect(first.reviews).toEqual([{ modelVersion: 'grid@1', outcome: 'proposed', windowMape: expect.closeTo(8, 9), backtestMape: 4, scoredDays: 30, levelRatio: expect.closeTo(100 / 80, 9) }]);
    expect(first.proposals).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({
      at: ASOF, kind: 'retrain-proposal', severity: 'warning', modelVersion: 'grid@1',
      detail: { windowMape: expect.closeTo(8, 9), backtestMape: 4, backtest: 'bt-jan', ratio: expect.closeTo(2, 9), scoredDays: 30, levelRatio: expect.closeTo(1.25, 9), windowFrom: '2026-03-02T00:00:00.000Z', rule: expect.stringContaining('1.5 × backtest MAPE') },
    });
    // The same window reviewed again (a retried job): no second proposal.
    expect((await review.review(new Date(ASOF.getTime() + DAY))).reviews[0].outcome).toBe('already-proposed');
    expect(events.rows).toHaveLength(1);
    // A window later it is proposed again if still degraded.
    expect((await review.review(new Date(ASOF.getTime() + 31 * DAY))).reviews[0].outcome).toBe('too-few-days');
  });

  it('is quiet for a healthy champion, a short degradation and a version without a backtest', async () => {
    expect((await (await setup({ days: 30, ape: 0.05 })).review.review(ASOF)).reviews[0].outcome).toBe('healthy');
    // Just under 1.5 × 4 %.
    expect((await (await setup({ days: 30, ape: 0.0599 })).review.review(ASOF)).reviews[0].outcome).toBe('healthy');
    const short = await setup({ days: 10, ape: 0.2 });
    expect((await short.review.review(ASOF)).reviews[0]).toMatchObject({ outcome: 'too-few-days', scoredDays: 10 });
    expect(short.events.rows).toEqual([]);
    expect((await (await setup({ metrics: null, days: 30, ape: 0.2 })).review.review(ASOF)).reviews[0].outcome).toBe('no-backtest');
  });

  it('judges the hourly scores only: daily values are not what the backtest MAPE measured', async () => {
    // Pooled with the hours, days 200 % off would make the window MAPE 9.9 % > 1.5 × 4 %.
    const healthy = await setup({ days: 30, ape: 0.02, daily: 2 });
    expect((await healthy.review.review(ASOF)).reviews[0]).toMatchObject({ outcome: 'healthy', windowMape: expect.closeTo(2, 9) });
  });

  it('reads the backtest MAPE of the first backtest that has one', () => {
    expect(backtestMape({ metrics: { a: { all: null }, b: { all: { mape: 3.5 } } } })).toEqual({ name: 'b', mape: 3.5 });
    expect(backtestMape({ metrics: null })).toBeNull();
  });
});
