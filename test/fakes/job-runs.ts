import type { JobRunsRepository, LastJobRun, RunOutcome } from '../../core/job-runs.ts';

/**
 * job_runs in memory, with the real repository's rules: a (job, tick) is claimed once, a job runs
 * once at a time (the advisory lock), an interrupted run withdraws its claim, missed ticks are
 * recorded once.
 */
export function fakeJobRuns(): JobRunsRepository & { rows: Map<string, LastJobRun> } {
  const rows = new Map<string, LastJobRun>();
  const busy = new Set<string>();
  const key = (job: string, tick: Date) => `${job}@${tick.toISOString()}`;
  const ofJob = (job: string) => [...rows.values()].filter((r) => r.job === job);
  return {
    rows,
    async withClaim(job, tick, instance, fn) {
      if (busy.has(job) || rows.has(key(job, tick))) return null;
      busy.add(job);
      const row: LastJobRun = { job, scheduledAt: tick, instance, status: 'running', attempts: 0, startedAt: new Date(), finishedAt: null, error: null };
      rows.set(key(job, tick), row);
      try {
        const r: RunOutcome = await fn();
        if (r.status === 'interrupted') rows.delete(key(job, tick));
        else Object.assign(row, { status: r.status, attempts: r.attempts, error: r.error, finishedAt: new Date() });
        return r;
      } catch (e) {
        rows.delete(key(job, tick));
        throw e;
      } finally {
        busy.delete(job);
      }
    },
    async lastTick(job) {
      const ticks = ofJob(job).map((r) => r.scheduledAt.getTime());
      return ticks.length === 0 ? null : new Date(Math.max(...ticks));
    },
    async recordMissed(job, ticks, instance, error) {
      const fresh = ticks.filter((t) => !rows.has(key(job, t)));
      for (const t of fresh) rows.set(key(job, t), { job, scheduledAt: t, instance, status: 'missed', attempts: 0, startedAt: new Date(), finishedAt: new Date(), error });
      return fresh;
    },
    async releaseStaleClaims() {
      for (const [k, r] of rows) if (r.status === 'running' && !busy.has(r.job)) rows.delete(k);
    },
    async lastRuns() {
      const last = new Map<string, LastJobRun>();
      for (const r of rows.values()) if ((last.get(r.job)?.scheduledAt.getTime() ?? -Infinity) < r.scheduledAt.getTime()) last.set(r.job, r);
      return [...last.values()].sort((a, b) => a.job.localeCompare(b.job));
    },
  };
}
