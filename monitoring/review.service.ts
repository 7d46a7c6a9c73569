import type { Config } from '../core/config.ts';
import type { EventLog, MonitoringEvent } from '../core/events.ts';
import type { Knowledge } from '../core/knowledge.ts';
import type { ModelVersion } from '../core/registry.ts';
import type { AccuracyRow, ScoreStore } from '../core/scores.ts';
import type { Db } from '../store/db.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { pooled } from './pooled-accuracy.ts';
import { querySeries } from '../store/query.repository.ts';
import { championVersionsAsOf, listVersions } from '../store/registry.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';

const DAY_MS = 86_400_000;

export interface ReviewSettings {
  windowDays: number;
  factor: number;
  minScoredDays: number;
}

export interface ReviewDeps extends ReviewSettings {
  /** The versions that were champions at the review's time (live: the champions now). */
  champions(at: Date): Promise<ModelVersion[]>;
  scores: Pick<ScoreStore, 'accuracy'>;
  events: EventLog;
  /** Mean hourly actual of a series over [from, to) (its training period) as known at `at`; null when it has none. */
  meanActual(seriesId: string, from: Date, to: Date, at: Date): Promise<number | null>;
  timeZone: string;
}

export type ReviewOutcome = 'proposed' | 'already-proposed' | 'healthy' | 'too-few-days' | 'no-backtest';

export interface VersionReview {
  modelVersion: string;
  outcome: ReviewOutcome;
  windowMape: number | null;
  backtestMape: number | null;
  scoredDays: number;
  levelRatio: number | null;
}

/** The MAPE (%) of a version's first stored backtest (forecast/registry/backtest.ts: metrics[name].all.mape), with that name. */
export function backtestMape(v: Pick<ModelVersion, 'metrics'>): { name: string; mape: number } | null {
  for (const [name, m] of Object.entries(v.metrics ?? {})) {
    const mape = (m as { all?: { mape?: unknown } } | null)?.all?.mape;
    if (typeof mape === 'number' && Number.isFinite(mape)) return { name, mape };
  }
  return null;
}


/**
 * The monthly degradation review (D4, E4). For each champion: its MAPE over the last
 * `windowDays` against its backtest MAPE, and the level of its series' actuals over the window
 * against their training period. Degraded when the window MAPE exceeds `factor` × the backtest
 * MAPE on at least `minScoredDays` scored days — a month of scores, not a bad day — and then a
 * `retrain-proposal` event is appended for a person to act on, once per version per window.
 * Nothing is retrained or redeployed here.
 */
export function createReviewService(deps: ReviewDeps) {
  return {
    async review(asOf: Date): Promise<{ reviews: VersionReview[]; proposals: MonitoringEvent[] }> {
      const from = new Date(asOf.getTime() - deps.windowDays * DAY_MS);
      const reviews: VersionReview[] = [];
      const proposals: MonitoringEvent[] = [];
      for (const v of await deps.champions(asOf)) {
        const backtest = backtestMape(v);
        // Hourly values: the backtest MAPE it is compared with is over hours.
        const byDay = await deps.scores.accuracy({ from, to: asOf, by: 'day', modelVersion: v.id, grain: '1h', timeZone: deps.timeZone });
        const scoredDays = new Set(byDay.filter((r) => r.nApe > 0).map((r) => r.day)).size;
        const windowMape = pooled(byDay).mape;
        const levelRatio = await levelRatioOf(v, byDay, asOf);
        const base = { modelVersion: v.id, windowMape, backtestMape: backtest?.mape ?? null, scoredDays, levelRatio };
        if (!backtest) {
          reviews.push({ ...base, outcome: 'no-backtest' });
          continue;
        }
        if (scoredDays < deps.minScoredDays || windowMape === null) {
          reviews.push({ ...base, outcome: 'too-few-days' });
          continue;
        }
        if (!(windowMape > deps.factor * backtest.mape)) {
          reviews.push({ ...base, outcome: 'healthy' });
          continue;
        }
        const earlier = await deps.events.list({ kinds: ['retrain-proposal'], modelVersion: v.id, from, limit: 1 });
        if (earlier.length > 0) {
          reviews.push({ ...base, outcome: 'already-proposed' });
          continue;
        }
        proposals.push(
          await deps.events.append({
            at: asOf,
            kind: 'retrain-proposal',
            severity: 'warning',
            modelVersion: v.id,
            detail: {
              rule: `window MAPE > ${deps.factor} × backtest MAPE on ≥ ${deps.minScoredDays} scored days of ${deps.windowDays}`,
              windowFrom: from.toISOString(),
              windowTo: asOf.toISOString(),
              windowMape,
              backtestMape: backtest.mape,
              backtest: backtest.name,
              ratio: windowMape / backtest.mape,
              scoredDays,
              levelRatio,
              seriesIds: v.seriesIds,
              action: 'retraining proposed for a person to decide; nothing was retrained or redeployed',
            },
          }),
        );
        reviews.push({ ...base, outcome: 'proposed' });
      }
      return { reviews, proposals };
    },
  };

  /** Σ window mean actual / Σ training mean actual over the version's series that have both; null when none do. */
  async function levelRatioOf(v: ModelVersion, byDay: AccuracyRow[], at: Date): Promise<number | null> {
    let [recent, trained] = [0, 0];
    for (const id of v.seriesIds) {
      const rows = byDay.filter((r) => r.seriesId === id);
      const n = rows.reduce((s, r) => s + r.n, 0);
      if (n === 0) continue;
      const train = await deps.meanActual(id, v.trainStart, v.trainEnd, at);
      if (train === null || train === 0) continue;
      recent += rows.reduce((s, r) => s + r.meanActual * r.n, 0) / n;
      trained += train;
    }
    return trained === 0 ? null : recent / trained;
  }
}

export type ReviewService = ReturnType<typeof createReviewService>;

/**
 * The review over the store, as configured (`review` keys); proposals go to `events` (default: the
 * store's log). A replay reviews the champions of its time, its training data as `knownBy` allows.
 */
export function reviewService(db: Db, config: Config, events: EventLog = eventsRepository(db), replay?: { knownBy: Knowledge }): ReviewService {
  return createReviewService({
    ...config.review,
    timeZone: config.timeZone,
    champions: (at) => (replay ? championVersionsAsOf(db, at) : listVersions(db, { status: 'champion' })),
    scores: scoresRepository(db),
    events,
    async meanActual(seriesId, from, to, at) {
      const known = replay?.knownBy === 'received' ? { asOf: { instant: at } } : {};
      const { rows } = await querySeries(db, { seriesId, from: { instant: from }, to: { instant: to }, grain: '1h', ...known });
      const values = rows.flatMap((r) => (r.value === null ? [] : [r.value]));
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
    },
  });
}
