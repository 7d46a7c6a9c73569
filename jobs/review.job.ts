import type { Log } from '../core/log.ts';
import type { ReviewService } from '../monitoring/review.service.ts';
import type { Job } from './scheduler.ts';

export const REVIEW_JOB = 'review';

/**
 * The monthly degradation review (D4): on the 1st at 06:00, each champion's last window of
 * scores against its backtest; a degraded one gets a retrain-proposal event. It never retrains.
 */
export function reviewJob(review: ReviewService, log: Log, cron = '0 0 6 1 * *'): Job {
  return {
    name: REVIEW_JOB,
    cron,
    deadlineMs: 30 * 60_000,
    async run({ scheduledAt }) {
      const { reviews, proposals } = await review.review(scheduledAt);
      for (const p of proposals) log.warn({ job: REVIEW_JOB, modelVersion: p.modelVersion, detail: p.detail }, 'champion degraded: retraining proposed');
      return { reviewed: reviews.length, proposed: proposals.length };
    },
  };
}
