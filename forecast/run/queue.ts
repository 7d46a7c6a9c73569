import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { deserialize, serialize } from 'node:v8';
import { GridcastError } from '../../core/errors.ts';
import type { Log } from '../../core/log.ts';
import type { RunJobQueue, RunShares, ShareRef } from '../../core/run-queue.ts';
import type { GroupsJob } from './groups.worker.ts';
import type { GroupsRunner } from './ports.ts';
import { fallbackGroup, resolveArtifacts, type GroupContext, type PreparedGroup, type SeriesForecast } from './series.ts';

/**
 * Distributed runs (issue 13): a run's groups as jobs on a queue that `gridcast worker`
 * processes on any machine answer. One job per group (a champion's series, or one series fitted
 * alone), keyed by its first series: pg-boss keeps a job singleton per (run, key), and a job
 * whose worker dies or hangs is taken back after `jobTimeoutSec` and retried by another worker.
 * The job only says where its share is: the share (history, covariates, the champion's version
 * id, or its artifact when the run's artifacts are not the workers' registry) and the answer
 * are bytes in run_job_shares, v8-serialised (typed arrays as they are, ~8 bytes a value). A worker
 * reads a champion's artifact from the registry itself: a GAM's is over a megabyte, and a run of
 * thousands of champions passed through the run maker and the shares would be gigabytes twice.
 *
 * The run never waits forever: a share answered with an error, a job whose retries are spent,
 * and every share still unanswered at the run's deadline (less a margin to reconcile and store)
 * become labelled fallbacks of their series (JOB_FAILED, JOB_TIMEOUT). If every worker leaves
 * the pool mid-run, the shares left are run here (`local`) instead of waiting for nobody.
 */
export interface QueueRunnerOptions {
  queue: RunJobQueue & {
    /** Jobs of `ids` whose retries are spent (pg-boss state failed). */
    failed(ids: string[]): Promise<string[]>;
  };
  shares: RunShares;
  /** Runs shares in this process when the pool is empty. */
  local: GroupsRunner;
  jobTimeoutSec: number;
  retryLimit: number;
  /** How long a run waits without a deadline of its own. */
  runTimeoutSec: number;
  /** A worker not seen for this long has left the pool. */
  workerStaleSec: number;
  pollMs?: number;
  /** How often the run checks failed jobs and the pool (each a query). */
  checkMs?: number;
  now?: () => number;
  log?: Log;
}

/** Kept before the run's deadline for reconciling and storing: a tenth of the time left, at least 2 s, at most a minute. */
const deadlineMargin = (leftMs: number) => Math.min(60_000, Math.max(2000, leftMs / 10));

const ctxOf = (job: Pick<GroupsJob, 'horizonSteps' | 'levels' | 'holidays'>): GroupContext => ({
  horizonSteps: job.horizonSteps,
  levels: job.levels,
  ...(job.holidays ? { holidays: job.holidays } : {}),
});

const PUT_CHUNK = 50;

const kindOf = (g: PreparedGroup) => ('champion' in g.plan ? g.plan.champion : g.plan.fit.kind);

export function queueGroups(o: QueueRunnerOptions): GroupsRunner {
  const now = o.now ?? Date.now;
  const pollMs = o.pollMs ?? 250;
  const checkMs = o.checkMs ?? 5000;
  return async (job, signal, deadline, artifacts) => {
    const ctx = ctxOf(job);
    const token = randomUUID();
    const groups = new Map(job.groups.map((g) => [g.series[0].history.id, g]));
    const out = new Map<string, SeriesForecast[]>();
    /** Shares a worker answered: every other job is withdrawn when the run stops waiting. */
    const answered = new Set<string>();
    const t0 = now();
    const until = deadline ? deadline.getTime() - deadlineMargin(deadline.getTime() - t0) : t0 + o.runTimeoutSec * 1000;
    const keys = [...groups.keys()];
    const jobIds = new Map<string, string>();
    try {
      // A chunk at a time, its jobs queued at once: a share of a champion with two years of history
      // is about a megabyte, and workers start on the first chunk while the next is written.
      for (let i = 0; i < keys.length; i += PUT_CHUNK) {
        if (signal?.aborted) throw new GridcastError('WORKER_ABORTED', 'the run was cancelled while its jobs were queued');
        const chunk = keys.slice(i, i + PUT_CHUNK);
        // Workers on the registry's database read a champion's artifact by its version id; from any
        // other source the artifact travels in the share, read a chunk at a time.
        const chunkGroups = chunk.map((key) => groups.get(key)!);
        const sent = artifacts && !artifacts.artifactsInDatabase ? await resolveArtifacts(chunkGroups, artifacts) : chunkGroups;
        await o.shares.put(token, chunk.map((key, j) => ({ key, input: serialize({ ...job, groups: [sent[j]] } satisfies GroupsJob) })));
        const ids = await o.queue.send(chunk.map((key): ShareRef => ({ token, key })), { expireInSeconds: o.jobTimeoutSec, retryLimit: o.retryLimit });
        chunk.forEach((k, j) => jobIds.set(k, ids[j]));
      }
      o.log?.info({ token, jobs: keys.length }, 'run shares queued');
      const fail = async (key: string, e: GridcastError) => out.set(key, await fallbackGroup(groups.get(key)!.series, e, ctx, kindOf(groups.get(key)!)));
      const pending = () => keys.filter((k) => !out.has(k));
      let lastCheck = now();
      while (out.size < groups.size) {
        if (signal?.aborted) throw new GridcastError('WORKER_ABORTED', 'the run was cancelled while its jobs were queued');
        for (const a of await o.shares.takeAnswers(token)) {
          if (out.has(a.key) || !groups.has(a.key)) continue;
          answered.add(a.key);
          if (a.output) out.set(a.key, deserialize(a.output) as SeriesForecast[]);
          else await fail(a.key, new GridcastError('JOB_FAILED', `worker ${a.worker ?? '?'} could not run the job: ${a.error ?? 'no answer'}`));
        }
        if (out.size === groups.size) break;
        if (now() >= until) {
          const why = deadline ? `before the run's deadline ${deadline.toISOString()}` : `within ${o.runTimeoutSec} s`;
          for (const k of pending()) await fail(k, new GridcastError('JOB_TIMEOUT', `no worker answered the job ${why}`));
          break;
        }
        if (now() - lastCheck >= checkMs) {
          lastCheck = now();
          const left = pending();
          const spent = new Set(await o.queue.failed(left.map((k) => jobIds.get(k)!)));
          for (const k of left.filter((k) => spent.has(jobIds.get(k)!))) {
            await fail(k, new GridcastError('JOB_FAILED', `the job expired ${o.retryLimit + 1} times (${o.jobTimeoutSec} s each): its workers died or hung`));
          }
          if ((await o.shares.liveWorkers(o.workerStaleSec)).length === 0 && pending().length > 0) {
            const rest = pending();
            o.log?.warn({ token, jobs: rest.length }, 'no worker left in the pool: the remaining shares run here');
            await o.queue.cancel(rest.map((k) => jobIds.get(k)!));
            const keyOf = new Map(rest.flatMap((k) => groups.get(k)!.series.map((s): [string, string] => [s.history.id, k])));
            for (const r of await o.local({ ...job, groups: rest.map((k) => groups.get(k)!) }, signal, undefined, artifacts)) {
              const key = keyOf.get(r.id)!;
              out.set(key, [...(out.get(key) ?? []), r]);
            }
            break;
          }
        }
        try {
          await sleep(pollMs, undefined, signal ? { signal } : {});
        } catch {
          // aborted: the loop's first line says so
        }
      }
      if (signal?.aborted) throw new GridcastError('WORKER_ABORTED', 'the run was cancelled while its jobs were queued');
      return [...out.values()].flat();
    } finally {
      const left = keys.filter((k) => !answered.has(k) && jobIds.has(k));
      if (left.length > 0) await o.queue.cancel(left.map((k) => jobIds.get(k)!)).catch(() => {});
      await o.shares.drop(token);
    }
  };
}

/**
 * The worker's side: answers one queued share with `run` (the worker's inlineGroups over its
 * registry: the champions' artifacts read, forecastGroups, labelled per-series fallbacks inside). A share already gone (its run finished or gave up) is skipped. An error
 * is an answer too, so the run labels the fallback at once instead of waiting for a retry.
 */
export async function answerShare(shares: RunShares, ref: ShareRef, worker: string, run: GroupsRunner): Promise<'answered' | 'gone' | 'late'> {
  const input = await shares.input(ref);
  if (!input) return 'gone';
  let answer: { output: Uint8Array } | { error: string };
  try {
    answer = { output: serialize(await run(deserialize(input) as GroupsJob)) };
  } catch (e) {
    answer = { error: (e as Error).message ?? String(e) };
  }
  return (await shares.answer(ref, answer, worker)) ? 'answered' : 'late';
}
