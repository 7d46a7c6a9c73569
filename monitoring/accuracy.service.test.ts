import { describe, expect, it } from 'vitest';
import type { ScoreCandidate } from '../core/scores.ts';
import { fakeScores } from '../test/fakes/scores.ts';
import { createAccuracyService } from './accuracy.service.ts';
import { scoreValue } from './score.ts';

const H = 3_600_000;
const T0 = new Date('2026-01-10T00:00:00Z');
const at = (h: number) => new Date(T0.getTime() + h * H);

const candidate = (over: Partial<ScoreCandidate> = {}): ScoreCandidate => ({
  runId: 1, seriesId: 'a', grain: '1h', targetTs: at(0), horizon: 'day-ahead', modelVersion: 'grid@1', issuedAt: at(-14),
  forecast: 110, q: [90, 110, 130], levels: [0.1, 0.5, 0.9], level: 100, actual: 100, truthVersion: at(1), truthStatus: 'provisional', ...over,
});

describe('scoreValue', () => {
  it('scores error, APE, pinball per level, the outer interval and the lead time', () => {
    const s = scoreValue(candidate(), 0.05);
    expect(s).toMatchObject({ error: 10, leadHours: 14, inside: true, quantileLevels: [0.1, 0.5, 0.9] });
    expect(s.ape).toBeCloseTo(0.1, 12);
    // y = 100: q 90 → 0.1·10; q 110 → 0.5·10; q 130 → 0.1·30.
    expect(s.pinball.map((p) => +p.toFixed(12))).toEqual([1, 5, 3]);
    expect(scoreValue(candidate({ actual: 140 }), 0.05).inside).toBe(false);
    expect(scoreValue(candidate({ q: [110], levels: [0.5] }), 0.05).inside).toBeNull();
  });

  it('leaves APE out where the actual is near zero against the series level', () => {
    expect(scoreValue(candidate({ actual: 4, forecast: 6 }), 0.05).ape).toBeNull();
    expect(scoreValue(candidate({ actual: 6, forecast: 4 }), 0.05).ape).toBeCloseTo(1 / 3, 12);
    // A series that sits at zero: its own level is small, so small actuals keep their APE…
    expect(scoreValue(candidate({ actual: 0.5, forecast: 0.6, level: 0.5 }), 0.05).ape).toBeCloseTo(0.2, 12);
    // …but a zero actual never gets one.
    expect(scoreValue(candidate({ actual: 0, forecast: 0.1, level: 0 }), 0.05).ape).toBeNull();
  });
});

describe('accuracy service', () => {
  const service = (truths: ScoreCandidate[], now = at(24 * 10)) => {
    const scores = fakeScores(truths);
    return { scores, accuracy: createAccuracyService({ scores, timeZone: 'UTC', lookbackDays: 45, settleMinutes: 0, nearZeroFraction: 0.05, now: () => now }) };
  };

  it('scores what is newly scorable once, and a new truth version again, keeping both', async () => {
    const { scores, accuracy } = service([candidate(), candidate({ targetTs: at(1), actual: 50, forecast: 40 })]);
    expect(await accuracy.scoreNew()).toEqual({ scored: 2 });
    expect(await accuracy.scoreNew()).toEqual({ scored: 0 });
    scores.truths[0] = candidate({ actual: 120, truthVersion: at(24 * 5), truthStatus: 'validated' });
    expect(await accuracy.scoreNew()).toEqual({ scored: 1 });
    expect(scores.rows.map((r) => [r.targetTs.getTime(), r.truthStatus, r.actual])).toEqual([
      [at(0).getTime(), 'provisional', 100], [at(1).getTime(), 'provisional', 50], [at(0).getTime(), 'validated', 120],
    ]);
    const { rows } = await accuracy.read({ from: '2026-01-09T00:00:00Z', to: '2026-01-11T00:00:00Z' });
    // The latest truth of each value: |110 − 120| / 120 and |40 − 50| / 50.
    expect(rows).toHaveLength(1);
    expect(rows[0].mape).toBeCloseTo(100 * (10 / 120 + 10 / 50) / 2, 10);
    expect(rows[0].bias).toBeCloseTo((-10 - 10) / 2, 10);
  });

  it('does not score before the hour has ended or outside the lookback', async () => {
    const { accuracy } = service([candidate({ targetTs: at(0) }), candidate({ targetTs: at(-24 * 50) })], at(0.5));
    expect(await accuracy.scoreNew()).toEqual({ scored: 0 });
    expect(await accuracy.scoreNew(at(1))).toEqual({ scored: 1 });
  });

  it('waits settleMinutes after the end of an hour before scoring it', async () => {
    const scores = fakeScores([candidate({ targetTs: at(0), truthVersion: at(0.9) })]);
    const accuracy = createAccuracyService({ scores, timeZone: 'UTC', lookbackDays: 45, settleMinutes: 30, nearZeroFraction: 0.05 });
    expect(await accuracy.scoreNew(at(1.49))).toEqual({ scored: 0 });
    expect(await accuracy.scoreNew(at(1.5))).toEqual({ scored: 1 });
  });

  it('defaults to the last 30 days and refuses an empty range', async () => {
    const { accuracy } = service([]);
    const r = await accuracy.read({});
    expect(r.to.getTime() - r.from.getTime()).toBe(30 * 24 * H);
    expect(r.by).toBe('series');
    await expect(accuracy.read({ from: '2026-01-02', to: '2026-01-01' })).rejects.toMatchObject({ code: 'QUERY_RANGE_INVALID' });
  });
});
