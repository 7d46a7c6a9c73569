import { deserialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { GridcastError } from '../../core/errors.ts';
import { configuredForecaster } from '../../models/configured.ts';
import { fakeRunQueue, fakeRunShares } from '../../test/fakes/run-queue.ts';
import { inlineGroups } from './workers.ts';
import type { GroupsJob } from './groups.worker.ts';
import { answerShare, queueGroups, type QueueRunnerOptions } from './queue.ts';
import type { ArtifactSource, SeriesForecast } from './series.ts';

// The queue runner's rules against an in-memory share store and queue; the PostgreSQL path with
// worker processes is test/run-queue-sigkill.test.ts.

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const SEASONAL_NAIVE = { kind: 'seasonal-naive', params: { period: 'week' } };
const series = (id: string, level: number) => ({
  history: { id, start: new Date(START), stepSec: 3600, values: Float64Array.from({ length: 21 * 24 }, (_, k) => level + 10 * Math.sin((2 * Math.PI * k) / 24)) },
  predictCovariates: [undefined],
});
const JOB: GroupsJob = { groups: [{ plan: { fit: SEASONAL_NAIVE }, series: [series('a', 100)] }, { plan: { fit: SEASONAL_NAIVE }, series: [series('b', 200)] }, { plan: { fit: SEASONAL_NAIVE }, series: [series('c', 300)] }], horizonSteps: 24, levels: [0.1, 0.5, 0.9] };

function setup(over: Partial<QueueRunnerOptions> = {}) {
  const shares = fakeRunShares();
  shares.live.push({ id: 'w1', host: 'h', pid: 1 });
  const queue = fakeRunQueue();
  const runner = queueGroups({ queue, shares, local: inlineGroups, jobTimeoutSec: 60, retryLimit: 2, runTimeoutSec: 3600, workerStaleSec: 30, pollMs: 1, checkMs: 0, ...over });
  return { shares, queue, runner };
}

const byId = (r: SeriesForecast[]) => new Map(r.map((x) => [x.id, x]));

describe('queued groups', () => {
  it('one job per group keyed by its first series; the answers are the same numbers as in-process, and the run drops its shares', async () => {
    const { shares, queue, runner } = setup();
    queue.onSend = (refs) => void Promise.all(refs.map((ref) => answerShare(shares, ref, 'w1', inlineGroups)));
    const got = byId(await runner(JOB));
    const want = byId(await inlineGroups(JOB));
    expect(queue.sent.map((s) => s.ref.key)).toEqual(['a', 'b', 'c']);
    expect(queue.sent.every((s) => s.opts.expireInSeconds === 60 && s.opts.retryLimit === 2)).toBe(true);
    for (const id of ['a', 'b', 'c']) {
      expect(got.get(id)!.modelVersion).toBe(want.get(id)!.modelVersion);
      expect([...got.get(id)!.forecasts[0].mean]).toEqual([...want.get(id)!.forecasts[0].mean]);
      expect(got.get(id)!.fallbackReason).toBeUndefined();
    }
    expect(shares.rows.size).toBe(0);
    expect(queue.cancelled.size).toBe(0);
  });

  it("a champion's artifact: named by its version when the workers read the same registry, carried in the share otherwise; the same numbers either way", async () => {
    const fitted = await configuredForecaster(SEASONAL_NAIVE).fit([series('a', 100).history]);
    const artifact = fitted.toArtifact();
    const reads: string[] = [];
    const registry = (shared: boolean): ArtifactSource => ({
      artifact: async (id) => (reads.push(id), artifact),
      companion: async () => null,
      ...(shared ? { artifactsInDatabase: true } : {}),
    });
    const job: GroupsJob = { groups: [{ plan: { champion: 'load@1', weather: false }, series: [series('a', 100)] }, { plan: { champion: 'gone@1', weather: false }, series: [series('b', 200)] }], horizonSteps: 24, levels: [0.1, 0.5, 0.9] };
    const missing: ArtifactSource = { artifact: async (id) => (id === 'gone@1' ? Promise.reject(new GridcastError('VERSION_NOT_FOUND', 'no such version')) : registry(false).artifact(id)), companion: async () => null };
    const want = byId(await inlineGroups(job, undefined, undefined, registry(false)));
    for (const shared of [true, false]) {
      const { shares, queue, runner } = setup();
      const carried: boolean[] = [];
      queue.onSend = (refs) =>
        void Promise.all(
          refs.map(async (ref) => {
            const input = deserialize((await shares.input(ref))!) as GroupsJob;
            carried.push(input.groups[0].artifact !== undefined || input.groups[0].artifactError !== undefined);
            // The worker's side reads from its own registry (bin/commands/worker.ts).
            return answerShare(shares, ref, 'w1', (j) => inlineGroups(j, undefined, undefined, shared ? missing : registry(false)));
          }),
        );
      reads.length = 0;
      const got = byId(await runner(job, undefined, undefined, shared ? registry(true) : missing));
      expect(carried).toEqual([!shared, !shared]);
      expect(got.get('a')!.model).toBe('seasonal-naive');
      expect(got.get('a')!.modelVersion).toBe('load@1');
      expect(got.get('a')!.fallbackReason).toBeUndefined();
      expect([...got.get('a')!.forecasts[0].mean]).toEqual([...want.get('a')!.forecasts[0].mean]);
      // A version the registry cannot read is a labelled fallback of its series, wherever it was read.
      expect(got.get('b')!.fallbackReason).toMatch(/^model-failed \(gone@1: VERSION_NOT_FOUND\)/);
    }
  });

  it('a share answered with an error, and a job whose retries are spent, become labelled fallbacks of their series (JOB_FAILED)', async () => {
    const { shares, queue, runner } = setup();
    queue.onSend = (refs) => {
      const [a, b, c] = refs;
      void answerShare(shares, a, 'w1', inlineGroups);
      void answerShare(shares, b, 'w2', async () => {
        throw new Error('out of memory');
      });
      queue.failedIds.add(queue.sent.find((s) => s.ref.key === c.key)!.id);
    };
    const got = byId(await runner(JOB));
    expect(got.get('a')!.fallbackReason).toBeUndefined();
    expect(got.get('b')!.fallbackReason).toMatch(/^model-failed \(seasonal-naive: JOB_FAILED\)/);
    expect(got.get('b')!.failures[0]).toContain('worker w2 could not run the job: out of memory');
    expect(got.get('c')!.fallbackReason).toMatch(/^model-failed \(seasonal-naive: JOB_FAILED\)/);
    expect(got.get('c')!.failures[0]).toContain('expired 3 times (60 s each)');
    // The fallback is the next model in line, fitted here: still a forecast of every step.
    expect(got.get('c')!.forecasts[0].mean.every(Number.isFinite)).toBe(true);
  });

  it('past the deadline (less its margin) every unanswered share is a JOB_TIMEOUT fallback and its job is withdrawn', async () => {
    const { shares, queue, runner } = setup();
    queue.onSend = (refs) => answerShare(shares, refs[0], 'w1', inlineGroups);
    // A deadline closer than the margin kept for reconciling and storing: nothing more is waited for.
    const got = byId(await runner(JOB, undefined, new Date(Date.now() + 1000)));
    expect(got.get('a')!.fallbackReason).toBeUndefined();
    for (const id of ['b', 'c']) expect(got.get(id)!.fallbackReason).toMatch(/^model-failed \(seasonal-naive: JOB_TIMEOUT\)/);
    expect(got.get('b')!.failures[0]).toContain("no worker answered the job before the run's deadline");
    expect([...queue.cancelled].sort()).toEqual(queue.sent.filter((s) => s.ref.key !== 'a').map((s) => s.id).sort());
    expect(shares.rows.size).toBe(0);
  });

  it('when the pool empties mid-run, the shares left run here, not as fallbacks', async () => {
    const { shares, queue, runner } = setup();
    queue.onSend = async (refs) => {
      await answerShare(shares, refs[0], 'w1', inlineGroups);
      shares.live = [];
    };
    const got = byId(await runner(JOB));
    expect([...got.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(got.get(id)!.fallbackReason).toBeUndefined();
    expect(queue.cancelled.size).toBeGreaterThanOrEqual(2);
  });

  it('a cancelled run rejects with WORKER_ABORTED, withdraws its jobs and drops its shares', async () => {
    const { shares, queue, runner } = setup();
    const abort = new AbortController();
    queue.onSend = () => abort.abort();
    await expect(runner(JOB, abort.signal)).rejects.toMatchObject({ code: 'WORKER_ABORTED' });
    expect(queue.cancelled.size).toBe(3);
    expect(shares.rows.size).toBe(0);
  });

  it('a worker skips a share already answered (its job retried after a presumed death) and one whose run is gone', async () => {
    const shares = fakeRunShares();
    await shares.put('t', [{ key: 'a', input: new Uint8Array() }]);
    let calls = 0;
    const count = async () => (calls++, []);
    expect(await shares.answer({ token: 't', key: 'a' }, { output: new Uint8Array([1]) }, 'w1')).toBe(true);
    expect(await answerShare(shares, { token: 't', key: 'a' }, 'w2', count)).toBe('gone');
    expect(await answerShare(shares, { token: 'other', key: 'a' }, 'w2', count)).toBe('gone');
    expect(calls).toBe(0);
  });
});
