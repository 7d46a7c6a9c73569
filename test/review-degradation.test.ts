import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { rebuildAggregates } from '../store/aggregates.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { accuracyService } from '../monitoring/accuracy.service.ts';
import { reviewService } from '../monitoring/review.service.ts';
import { loadConfig } from '../core/config.ts';
import { freshDb } from './db.ts';
import { createSeries } from './aggregates-fixtures.ts';
import { newVersion } from './fakes/registry.ts';
import { insertRun } from './fixtures/scored-run.ts';

const H = 3_600_000;
const DAY = 24 * H;
const TRAIN = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-02-01T00:00:00Z') };
const STEP = new Date('2026-03-01T00:00:00Z');
const ASOF = new Date('2026-04-01T06:00:00Z');

/** Hourly load of s1 received an hour after each hour: 100 MW with a daily swing, 30 % lower from STEP on (a large consumer left). */
function measurementsCsv(from: Date, to: Date): string {
  const lines: string[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += H) {
    const v = (100 + 10 * Math.sin((2 * Math.PI * (t / H)) / 24)) * (t >= STEP.getTime() ? 0.7 : 1);
    lines.push(`s1,${new Date(t).toISOString()},${v},ok,${new Date(t + H).toISOString()}`);
  }
  return lines.join('\n') + '\n';
}

// Scenario 10, second part: a champion whose actuals drop for a month raises one retraining proposal.
describe('degradation review on the store (pglite)', () => {
  let db: Db;
  const config = loadConfig({}, { timeZone: 'UTC' });

  beforeAll(async () => {
    db = await freshDb('pglite');
    await createSeries(db, [{ id: 's1', unit: 'MW' }]);
    await db.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], measurementsCsv(TRAIN.start, ASOF));
    await rebuildAggregates(db, ['s1']);
    const registry = registryRepository(db);
    await registry.transaction(async (tx) => {
      await tx.createModel({ name: 'grid', family: 'load' });
      await tx.insertVersion(newVersion('grid', ['s1'], { trainStart: TRAIN.start, trainEnd: TRAIN.end, metrics: { 'bt-jan': { all: { mape: 3 }, series: {} } } }));
      await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first' });
    });
    // The champion keeps forecasting the level it learnt: a day-ahead run every day from February on.
    for (let d = new Date('2026-02-01T00:00:00Z'); d < new Date('2026-04-01T00:00:00Z'); d = new Date(d.getTime() + DAY)) {
      const means = Array.from({ length: 24 }, (_, h) => 100 + 10 * Math.sin((2 * Math.PI * (d.getTime() / H + h)) / 24));
      await insertRun(db, { seriesId: 's1', issuedAt: new Date(d.getTime() - 14 * H), start: d, means, modelVersion: 'grid@1' });
    }
  }, 120_000);
  afterAll(() => db?.close());

  it('raises exactly one retrain-proposal for a month-long MAPE degradation, and none before it', async () => {
    const accuracy = accuracyService(db, { ...config, accuracy: { ...config.accuracy, lookbackDays: 70, settleMinutes: 0 } });
    const review = reviewService(db, config);
    // End of February: the scores match the backtest, nothing to propose.
    expect((await accuracy.scoreNew(new Date('2026-03-01T00:00:00Z'))).scored).toBe(28 * 24);
    const february = await review.review(new Date('2026-03-01T00:00:00Z'));
    expect(february.reviews).toMatchObject([{ modelVersion: 'grid@1', outcome: 'healthy', scoredDays: 28 }]);
    expect(february.reviews[0].windowMape).toBeLessThan(1e-9);

    expect((await accuracy.scoreNew(ASOF)).scored).toBe(31 * 24);
    const march = await review.review(ASOF);
    expect(march.reviews).toMatchObject([{ modelVersion: 'grid@1', outcome: 'proposed', scoredDays: 30 }]);
    // Forecast 1/0.7 of the actual: APE 3/7 everywhere.
    expect(march.reviews[0].windowMape).toBeCloseTo((100 * 3) / 7, 6);
    expect(march.reviews[0].levelRatio).toBeCloseTo(0.7, 2);
    // The monthly job retried the same day: still one.
    expect((await review.review(new Date(ASOF.getTime() + H))).reviews[0].outcome).toBe('already-proposed');
    const proposals = await eventsRepository(db).list({ kinds: ['retrain-proposal'] });
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({ at: ASOF, modelVersion: 'grid@1', severity: 'warning', detail: { backtestMape: 3, scoredDays: 30 } });
    // Proposed, not acted on: the version is still the champion.
    expect((await registryRepository(db).champion('grid'))?.id).toBe('grid@1');
  }, 120_000);
});
